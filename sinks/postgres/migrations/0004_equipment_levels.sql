-- The ISA-95 levels of the equipment hierarchy as data (IEC 62264-1 role-based equipment hierarchy), so a query can
-- order, label and validate levels without repeating them: depth 1 enterprise ... depth 6 equipment. 'line' is
-- the ISA-95 work center (production line), 'cell' the work unit. equipment.level references it.
CREATE TABLE equipment_levels (
  level       text PRIMARY KEY,
  depth       int NOT NULL UNIQUE CHECK (depth BETWEEN 1 AND 6),
  isa95_term  text NOT NULL
);

INSERT INTO equipment_levels (level, depth, isa95_term) VALUES
  ('enterprise', 1, 'Enterprise'),
  ('site', 2, 'Site'),
  ('area', 3, 'Area'),
  ('line', 4, 'Work center (production line)'),
  ('cell', 5, 'Work unit (cell)'),
  ('equipment', 6, 'Equipment module');

ALTER TABLE equipment ADD CONSTRAINT equipment_level_fk FOREIGN KEY (level) REFERENCES equipment_levels (level);
-- Display order among siblings (set from the plant config; 0 = by name).
ALTER TABLE equipment ADD COLUMN sort_order int NOT NULL DEFAULT 0;

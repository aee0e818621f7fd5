-- ISA-95 role-based equipment hierarchy (IEC 62264-1): enterprise > site > area > work center > work unit.
-- linepulse keys equipment by its path enterprise/site/area/line/cell/equipment; the 'line' level is the
-- ISA-95 work center (production line), 'cell' and 'equipment' are work units and the equipment inside them.
-- Rows are registered from the paths seen on the bus and from the plant config; a path is immutable, the
-- display name and attributes are not.
CREATE TABLE equipment (
  path          text PRIMARY KEY,
  parent_path   text REFERENCES equipment (path),
  level         text NOT NULL CHECK (level IN ('enterprise', 'site', 'area', 'line', 'cell', 'equipment')),
  name          text NOT NULL,
  display_name  text,
  attributes    jsonb NOT NULL DEFAULT '{}'::jsonb,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((level = 'enterprise') = (parent_path IS NULL))
);

CREATE INDEX equipment_parent_idx ON equipment (parent_path);

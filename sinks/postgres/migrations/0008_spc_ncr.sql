-- Nonconformance report (NCR) drafts from SPC alarms (POST /api/spc/alarms/:alarmId/ncr): one draft per alarm,
-- prefilled from the alarm (characteristic, rule, points, limits, work order, serials / lots) and its containment
-- list. Drafting is a step of the alarm's append-only audit trail (action NCR_DRAFT, payload { ncrId }): it leaves
-- the status as it is and is allowed in every status, closed included (an NCR is often written after the fact).
-- The database checks that an NCR_DRAFT entry names an NCR of that alarm, and a second draft of one alarm is refused
-- (UNIQUE alarm_id): the API answers the existing one.
ALTER TABLE alarm_audit DROP CONSTRAINT alarm_audit_action_check;
ALTER TABLE alarm_audit ADD CONSTRAINT alarm_audit_action_check
  CHECK (action IN ('RAISE', 'ACKNOWLEDGE', 'ASSIGN_CAUSE', 'CLOSE', 'COMMENT', 'NCR_DRAFT'));

INSERT INTO alarm_transitions (action, from_status, to_status) VALUES
  ('NCR_DRAFT', 'RAISED', 'RAISED'),
  ('NCR_DRAFT', 'ACKNOWLEDGED', 'ACKNOWLEDGED'),
  ('NCR_DRAFT', 'CAUSE_ASSIGNED', 'CAUSE_ASSIGNED'),
  ('NCR_DRAFT', 'CLOSED', 'CLOSED');

-- NCR numbers: NCR-000001, NCR-000002, ... (a rolled-back draft may leave a gap).
CREATE SEQUENCE spc_ncr_number;

CREATE TABLE spc_ncrs (
  ncr_id         text PRIMARY KEY,
  alarm_id       text NOT NULL UNIQUE REFERENCES alarms (alarm_id),
  status         text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT')),
  equipment      text NOT NULL,
  characteristic text NOT NULL,
  title          text NOT NULL,
  created_by     text NOT NULL CHECK (btrim(created_by) <> ''),
  created_at     timestamptz NOT NULL,
  -- The prefilled content: alarm, rule, points, limits, work orders, serials / lots, containment.
  detail         jsonb NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX spc_ncrs_created_idx ON spc_ncrs (created_at DESC, ncr_id);
CREATE INDEX spc_ncrs_equipment_idx ON spc_ncrs (equipment, created_at DESC);

CREATE FUNCTION alarm_audit_ncr_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.action = 'NCR_DRAFT' AND NOT EXISTS (SELECT 1 FROM spc_ncrs WHERE ncr_id = NEW.payload ->> 'ncrId' AND alarm_id = NEW.alarm_id) THEN
    RAISE EXCEPTION 'alarm %: NCR_DRAFT names no NCR of this alarm', NEW.alarm_id USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;

-- Fires after alarm_audit_check (BEFORE triggers run in name order).
CREATE TRIGGER alarm_audit_ncr_check BEFORE INSERT ON alarm_audit FOR EACH ROW EXECUTE FUNCTION alarm_audit_ncr_check();

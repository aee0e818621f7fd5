-- Alarms people work on: SPC alarms (topic linepulse.spc-alarms.v1) and downtime / sensor alerts
-- (linepulse.alerts.v1), one case per alarm with its lifecycle, and an append-only audit trail from which the case
-- can be rebuilt. The lifecycle is processors/spc/alarm-lifecycle.ts's: RAISED -> ACKNOWLEDGED (who, when) ->
-- CAUSE_ASSIGNED (assignable cause + corrective action, revisable) -> CLOSED; COMMENT at any time before CLOSED.
-- The database enforces it: an audit row is accepted only as the next step (seq without gaps, time not going back,
-- a transition listed in alarm_transitions), the case row follows the trail (trigger), and the trail can be
-- neither updated, deleted nor truncated.
CREATE TABLE alarm_transitions (
  action      text NOT NULL,
  from_status text NOT NULL,
  to_status   text NOT NULL,
  PRIMARY KEY (action, from_status)
);

INSERT INTO alarm_transitions (action, from_status, to_status) VALUES
  ('ACKNOWLEDGE', 'RAISED', 'ACKNOWLEDGED'),
  ('ASSIGN_CAUSE', 'ACKNOWLEDGED', 'CAUSE_ASSIGNED'),
  ('ASSIGN_CAUSE', 'CAUSE_ASSIGNED', 'CAUSE_ASSIGNED'),
  ('CLOSE', 'CAUSE_ASSIGNED', 'CLOSED'),
  ('COMMENT', 'RAISED', 'RAISED'),
  ('COMMENT', 'ACKNOWLEDGED', 'ACKNOWLEDGED'),
  ('COMMENT', 'CAUSE_ASSIGNED', 'CAUSE_ASSIGNED');

CREATE TABLE alarms (
  alarm_id          text PRIMARY KEY,
  source            text NOT NULL CHECK (source IN ('SPC', 'DOWNTIME', 'SENSOR')),
  equipment         text NOT NULL,
  characteristic    text,
  rule              int,
  title             text NOT NULL,
  severity          text NOT NULL DEFAULT 'WARNING',
  raised_at         timestamptz NOT NULL,
  -- Downtime / sensor alerts clear on their own (the processor's CLEARED); the case stays open for people.
  active            boolean NOT NULL DEFAULT true,
  cleared_at        timestamptz,
  status            text NOT NULL DEFAULT 'NEW' CHECK (status IN ('NEW', 'RAISED', 'ACKNOWLEDGED', 'CAUSE_ASSIGNED', 'CLOSED')),
  acknowledged_by   text,
  acknowledged_at   timestamptz,
  assignable_cause  text,
  corrective_action text,
  cause_by          text,
  cause_at          timestamptz,
  closed_by         text,
  closed_at         timestamptz,
  last_seq          int NOT NULL DEFAULT 0,
  last_at           timestamptz,
  detail            jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX alarms_open_idx ON alarms (status, raised_at DESC) WHERE status <> 'CLOSED';
CREATE INDEX alarms_equipment_idx ON alarms (equipment, raised_at DESC);
CREATE INDEX alarms_raised_idx ON alarms (raised_at DESC, alarm_id);

CREATE TABLE alarm_audit (
  alarm_id    text NOT NULL REFERENCES alarms (alarm_id),
  seq         int NOT NULL CHECK (seq >= 1),
  at          timestamptz NOT NULL,
  who         text NOT NULL CHECK (btrim(who) <> ''),
  action      text NOT NULL CHECK (action IN ('RAISE', 'ACKNOWLEDGE', 'ASSIGN_CAUSE', 'CLOSE', 'COMMENT')),
  from_status text,
  to_status   text NOT NULL,
  payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (alarm_id, seq)
);

-- The next step of the case, or an error (SQLSTATE 23514, check_violation: the data is refused).
CREATE FUNCTION alarm_audit_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c alarms%ROWTYPE;
  target text;
BEGIN
  SELECT * INTO c FROM alarms WHERE alarm_id = NEW.alarm_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'alarm % does not exist', NEW.alarm_id USING ERRCODE = '23503';
  END IF;
  IF NEW.seq <> c.last_seq + 1 THEN
    RAISE EXCEPTION 'alarm %: audit entry % is not the next step (last is %)', NEW.alarm_id, NEW.seq, c.last_seq USING ERRCODE = '23514';
  END IF;
  IF c.last_at IS NOT NULL AND NEW.at < c.last_at THEN
    RAISE EXCEPTION 'alarm %: % is before the last step', NEW.alarm_id, NEW.action USING ERRCODE = '23514';
  END IF;
  IF NEW.action = 'RAISE' THEN
    IF c.last_seq <> 0 THEN
      RAISE EXCEPTION 'alarm % is already raised', NEW.alarm_id USING ERRCODE = '23514';
    END IF;
    NEW.from_status := NULL;
    NEW.to_status := 'RAISED';
    RETURN NEW;
  END IF;
  SELECT to_status INTO target FROM alarm_transitions WHERE action = NEW.action AND from_status = c.status;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'alarm % is %: cannot %', NEW.alarm_id, c.status, lower(replace(NEW.action, '_', ' ')) USING ERRCODE = '23514';
  END IF;
  IF NEW.action = 'ASSIGN_CAUSE' AND (coalesce(btrim(NEW.payload ->> 'assignableCause'), '') = '' OR coalesce(btrim(NEW.payload ->> 'correctiveAction'), '') = '') THEN
    RAISE EXCEPTION 'alarm %: assignable cause and corrective action must not be empty', NEW.alarm_id USING ERRCODE = '23514';
  END IF;
  IF NEW.action = 'COMMENT' AND coalesce(btrim(NEW.payload ->> 'text'), '') = '' THEN
    RAISE EXCEPTION 'alarm %: comment must not be empty', NEW.alarm_id USING ERRCODE = '23514';
  END IF;
  NEW.from_status := c.status;
  NEW.to_status := target;
  RETURN NEW;
END $$;

-- The case row follows its trail.
CREATE FUNCTION alarm_audit_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE alarms SET
    status = NEW.to_status,
    last_seq = NEW.seq,
    last_at = NEW.at,
    acknowledged_by = CASE WHEN NEW.action = 'ACKNOWLEDGE' THEN NEW.who ELSE acknowledged_by END,
    acknowledged_at = CASE WHEN NEW.action = 'ACKNOWLEDGE' THEN NEW.at ELSE acknowledged_at END,
    assignable_cause = CASE WHEN NEW.action = 'ASSIGN_CAUSE' THEN NEW.payload ->> 'assignableCause' ELSE assignable_cause END,
    corrective_action = CASE WHEN NEW.action = 'ASSIGN_CAUSE' THEN NEW.payload ->> 'correctiveAction' ELSE corrective_action END,
    cause_by = CASE WHEN NEW.action = 'ASSIGN_CAUSE' THEN NEW.who ELSE cause_by END,
    cause_at = CASE WHEN NEW.action = 'ASSIGN_CAUSE' THEN NEW.at ELSE cause_at END,
    closed_by = CASE WHEN NEW.action = 'CLOSE' THEN NEW.who ELSE closed_by END,
    closed_at = CASE WHEN NEW.action = 'CLOSE' THEN NEW.at ELSE closed_at END,
    updated_at = now()
  WHERE alarm_id = NEW.alarm_id;
  RETURN NULL;
END $$;

CREATE FUNCTION alarm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'alarm_audit is append-only: % refused', TG_OP USING ERRCODE = '42501';
END $$;

CREATE TRIGGER alarm_audit_check BEFORE INSERT ON alarm_audit FOR EACH ROW EXECUTE FUNCTION alarm_audit_check();
CREATE TRIGGER alarm_audit_apply AFTER INSERT ON alarm_audit FOR EACH ROW EXECUTE FUNCTION alarm_audit_apply();
CREATE TRIGGER alarm_audit_no_change BEFORE UPDATE OR DELETE ON alarm_audit FOR EACH ROW EXECUTE FUNCTION alarm_audit_append_only();
CREATE TRIGGER alarm_audit_no_truncate BEFORE TRUNCATE ON alarm_audit FOR EACH STATEMENT EXECUTE FUNCTION alarm_audit_append_only();

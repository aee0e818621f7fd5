-- SPC control-limit changes (topic linepulse.spc-audit.v1, record SpcLimitsAudit): who changed which limits, when,
-- why, from what to what. Written by the sink, idempotent by event id (a replay adds nothing); append-only (UPDATE,
-- DELETE and TRUNCATE raise, as on alarm_audit) and kept forever: no retention touches it.
CREATE TABLE spc_limits_audit (
  event_id text PRIMARY KEY,
  event_time timestamptz NOT NULL,
  equipment text NOT NULL,
  characteristic text NOT NULL,
  action text NOT NULL,
  command_id text,
  command_kind text,
  who text NOT NULL,
  reason text NOT NULL,
  requested_at timestamptz,
  from_version integer,
  to_version integer,
  old_limits jsonb,
  new_limits jsonb,
  pending_points integer,
  rejection text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX spc_limits_audit_by_characteristic ON spc_limits_audit (characteristic, event_time);
CREATE INDEX spc_limits_audit_by_equipment ON spc_limits_audit (equipment, event_time);

CREATE FUNCTION spc_limits_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'spc_limits_audit is append-only: % refused', TG_OP USING ERRCODE = '42501';
END $$;

CREATE TRIGGER spc_limits_audit_no_change BEFORE UPDATE OR DELETE ON spc_limits_audit FOR EACH ROW EXECUTE FUNCTION spc_limits_audit_append_only();
CREATE TRIGGER spc_limits_audit_no_truncate BEFORE TRUNCATE ON spc_limits_audit FOR EACH STATEMENT EXECUTE FUNCTION spc_limits_audit_append_only();

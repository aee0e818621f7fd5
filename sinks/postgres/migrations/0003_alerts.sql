-- Downtime and sensor alerts (topic linepulse.alerts.v1): one row per occurrence with its lifecycle, and every
-- lifecycle event kept as received for audit. Acknowledgement columns belong to people (issue 8), never to
-- the sink: the upsert does not touch them.
CREATE TABLE alerts (
  alert_id         text PRIMARY KEY,
  equipment        text NOT NULL,
  kind             text NOT NULL,
  severity         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('ACTIVE', 'CLEARED')),
  started_at       timestamptz NOT NULL,
  ended_at         timestamptz,
  duration_ms      bigint,
  reason_code      text,
  reason_text      text,
  tag              text,
  value            double precision,
  threshold        text,
  work_order       text,
  message          text NOT NULL,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  last_event_id    text NOT NULL,
  last_event_time  timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX alerts_active_idx ON alerts (equipment, started_at DESC) WHERE status = 'ACTIVE';
CREATE INDEX alerts_started_idx ON alerts (started_at DESC);

CREATE TABLE alert_events (
  event_id    text PRIMARY KEY,
  alert_id    text NOT NULL,
  action      text NOT NULL,
  event_time  timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, event_time);

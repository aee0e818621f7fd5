-- Work orders from ERP (topic linepulse.workorders.v1, B2MML OperationsSchedule / ProductionSchedule normalised by
-- ingest/erp) and dispatch (topic linepulse.dispatch.v1: which work order is active on which equipment from when).
-- A work order row keeps its highest revision (ties: the later event); every received event is kept for audit.
CREATE TABLE work_orders (
  work_order     text PRIMARY KEY,
  product        text NOT NULL,
  quantity       double precision NOT NULL,
  unit           text,
  status         text NOT NULL CHECK (status IN ('PLANNED', 'RELEASED', 'RUNNING', 'COMPLETED', 'CANCELLED')),
  erp_state      text,
  planned_start  timestamptz,
  planned_end    timestamptz,
  erp_message_id text,
  revision       bigint NOT NULL,
  event_id       text NOT NULL,
  event_time     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX work_orders_due_idx ON work_orders (status, planned_end);
CREATE INDEX work_orders_product_idx ON work_orders (product);

-- Operations of the current revision: replaced as a whole with the work order row.
CREATE TABLE work_order_operations (
  work_order          text NOT NULL REFERENCES work_orders (work_order) ON DELETE CASCADE,
  seq                 int NOT NULL,
  operation           text NOT NULL,
  equipment           text,
  ideal_cycle_time_ms double precision,
  quantity            double precision,
  planned_start       timestamptz,
  planned_end         timestamptz,
  PRIMARY KEY (work_order, seq)
);

CREATE INDEX work_order_operations_equipment_idx ON work_order_operations (equipment, work_order);

CREATE TABLE work_order_events (
  event_id    text PRIMARY KEY,
  work_order  text NOT NULL,
  revision    bigint NOT NULL,
  event_time  timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX work_order_events_wo_idx ON work_order_events (work_order, event_time);

-- One row per dispatch event; the work order active on an equipment at time t is the latest row at or before t.
CREATE TABLE dispatch_events (
  event_id            text PRIMARY KEY,
  equipment           text NOT NULL,
  work_order          text,
  product             text,
  operation           text,
  ideal_cycle_time_ms double precision,
  target_quantity     double precision,
  event_time          timestamptz NOT NULL,
  received_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dispatch_events_equipment_idx ON dispatch_events (equipment, event_time DESC);
CREATE INDEX dispatch_events_wo_idx ON dispatch_events (work_order, event_time) WHERE work_order IS NOT NULL;

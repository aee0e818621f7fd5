-- Running piece totals per equipment and window (topic linepulse.count-totals.v1). The processor re-emits a
-- window with a higher revision when late data changes it; the row keeps the highest revision seen, so a
-- replay or an out-of-order delivery never moves a total backwards.
CREATE TABLE count_totals (
  equipment    text NOT NULL,
  window_kind  text NOT NULL,
  window_id    text NOT NULL,
  window_start timestamptz,
  window_end   timestamptz,
  good         bigint NOT NULL CHECK (good >= 0),
  reject       bigint NOT NULL CHECK (reject >= 0),
  revision     bigint NOT NULL,
  event_id     text NOT NULL,
  event_time   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (equipment, window_kind, window_id)
);

-- "Current window per equipment and kind": the most recent window first.
CREATE INDEX count_totals_current_idx ON count_totals (window_kind, equipment, window_start DESC NULLS LAST);

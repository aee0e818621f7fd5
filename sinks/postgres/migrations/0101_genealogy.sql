-- Material genealogy (topic linepulse.genealogy.v1): one row per link parent <- child ("child went into / was made
-- from / is contained in parent"). Materials are identified by (kind, id), kind LOT | SERIAL | CONTAINER.
-- Idempotent twice over: by event id (a replay) and by edge (the same child linked to the same parent again by
-- another event). Backward trace walks parent -> child (genealogy_links_edge_idx, whose leading columns are the
-- parent), forward trace child -> parent (genealogy_links_child_idx); both can be index-only scans.
CREATE TABLE genealogy_links (
  event_id        text PRIMARY KEY,
  parent_kind     text NOT NULL CHECK (parent_kind IN ('LOT', 'SERIAL', 'CONTAINER')),
  parent_id       text NOT NULL,
  child_kind      text NOT NULL CHECK (child_kind IN ('LOT', 'SERIAL', 'CONTAINER')),
  child_id        text NOT NULL,
  relation        text NOT NULL CHECK (relation IN ('MADE_FROM', 'CONSUMED_INTO', 'CONTAINED_IN')),
  quantity        double precision,
  unit            text,
  work_order      text,
  equipment       text,
  source_event_id text,
  event_time      timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT (parent_kind = child_kind AND parent_id = child_id))
);

CREATE UNIQUE INDEX genealogy_links_edge_idx ON genealogy_links (parent_id, parent_kind, child_id, child_kind, relation);
CREATE INDEX genealogy_links_child_idx ON genealogy_links (child_id, child_kind) INCLUDE (parent_id, parent_kind);
CREATE INDEX genealogy_links_wo_idx ON genealogy_links (work_order, event_time) WHERE work_order IS NOT NULL;

-- Links refused because they would close a cycle (a material inside itself): by the genealogy processor (status
-- REJECTED on the topic) or by the sink, which sees the whole graph. Kept for the operator, never traced.
CREATE TABLE genealogy_rejections (
  event_id    text PRIMARY KEY,
  parent_kind text NOT NULL,
  parent_id   text NOT NULL,
  child_kind  text NOT NULL,
  child_id    text NOT NULL,
  relation    text NOT NULL,
  work_order  text,
  equipment   text,
  reason      text NOT NULL,
  rejected_by text NOT NULL CHECK (rejected_by IN ('processor', 'sink')),
  event_time  timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX genealogy_rejections_time_idx ON genealogy_rejections (event_time DESC);

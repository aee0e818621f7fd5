// Traceability queries over genealogy_links (migrations/0101_genealogy.sql), as recursive CTEs with a depth limit
// and a cycle guard (each material is expanded at most once per level, levels stop at maxDepth):
//   - backward trace: what went into this serial (lot, container), down to raw material lots;
//   - forward trace: where did this lot go: serials, assemblies, containers, pallets;
//   - as-built tree of a serial (the backward trace as a tree);
//   - execution timeline of a lot (every link of its forward trace, in time order) and of a work order (ERP revisions,
//     dispatch on and off each equipment, links made under it).
// Each trace is bounded by `maxDepth` (default 100 levels, at most 10 000) and `maxRows` (default 100 000); `truncated`
// says when a bound cut it short.
import type { GenealogyRelation, MaterialKind } from '../../../schemas/generated/types.ts';
import type { Queryable } from '../db.ts';

export interface MaterialRef {
  /** LOT, SERIAL or CONTAINER; omitted: any material with this id. */
  kind?: MaterialKind;
  id: string;
}

export interface TraceOptions {
  /** Levels followed from the start material. Default 100. */
  maxDepth?: number;
  /** Rows returned at most. Default 100 000. */
  maxRows?: number;
}

export interface TraceLink {
  /** 1 for links of the start material, 2 for the next level, ... */
  depth: number;
  parentKind: MaterialKind;
  parentId: string;
  childKind: MaterialKind;
  childId: string;
  relation: GenealogyRelation;
  quantity: number | null;
  unit: string | null;
  workOrder: string | null;
  equipment: string | null;
  eventTime: number;
  eventId: string;
}

export interface Trace {
  start: MaterialRef;
  direction: 'backward' | 'forward';
  links: TraceLink[];
  /** Deepest level reached. */
  depth: number;
  /** True when maxDepth or maxRows stopped the walk while more links existed. */
  truncated: boolean;
}

interface Row {
  depth: number;
  parent_kind: MaterialKind;
  parent_id: string;
  child_kind: MaterialKind;
  child_id: string;
  relation: GenealogyRelation;
  quantity: number | null;
  unit: string | null;
  work_order: string | null;
  equipment: string | null;
  event_time: number;
  event_id: string;
  more: boolean;
}

function bounds(options: TraceOptions): { maxDepth: number; maxRows: number } {
  const maxDepth = Math.min(Math.max(1, Math.floor(options.maxDepth ?? 100)), 10_000);
  const maxRows = Math.min(Math.max(1, Math.floor(options.maxRows ?? 100_000)), 1_000_000);
  return { maxDepth, maxRows };
}

// `near`/`far`: the side the walk comes from and the side it goes to. Backward: parent -> child; forward: child -> parent.
// The walk is over materials, not paths: UNION keeps one row per (material, level), so a box reached through each
// of its 20 assemblies is expanded once, and a cycle (which the writer refuses anyway) cannot run past maxDepth.
// Each link is reported once, at the level where its `near` material is first reached. The walk itself stops after
// maxRows + 2 materials (a larger trace is cut, and says so).
function traceSql(direction: 'backward' | 'forward'): string {
  const [near, far] = direction === 'backward' ? ['parent', 'child'] : ['child', 'parent'];
  return `WITH RECURSIVE walk(kind, id, depth) AS (
      SELECT DISTINCT l.${near}_kind, l.${near}_id, 0
      FROM genealogy_links l
      WHERE l.${near}_id = $1 AND ($2 = '' OR l.${near}_kind = $2)
      UNION
      SELECT l.${far}_kind, l.${far}_id, w.depth + 1
      FROM walk w JOIN genealogy_links l ON l.${near}_id = w.id AND l.${near}_kind = w.kind
      WHERE w.depth < $3
    ),
    capped AS MATERIALIZED (SELECT * FROM walk LIMIT $4 + 2),
    nodes AS (SELECT kind, id, min(depth) AS depth FROM capped WHERE depth < $3 GROUP BY kind, id),
    found AS (
      SELECT n.depth + 1 AS depth, l.event_id, l.${far}_kind AS next_kind, l.${far}_id AS next_id
      FROM nodes n JOIN genealogy_links l ON l.${near}_id = n.id AND l.${near}_kind = n.kind
      LIMIT $4 + 1
    )
    SELECT f.depth, l.parent_kind, l.parent_id, l.child_kind, l.child_id, l.relation, l.quantity, l.unit, l.work_order,
           l.equipment, (extract(epoch FROM l.event_time) * 1000)::float8 AS event_time, l.event_id,
           ((SELECT count(*) FROM capped) > $4 + 1
             OR (f.depth = $3 AND EXISTS (SELECT 1 FROM genealogy_links m WHERE m.${near}_id = f.next_id AND m.${near}_kind = f.next_kind))) AS more
    FROM found f JOIN genealogy_links l ON l.event_id = f.event_id`;
}

const backwardSql = traceSql('backward');
const forwardSql = traceSql('forward');

async function trace(q: Queryable, direction: 'backward' | 'forward', start: MaterialRef, options: TraceOptions): Promise<Trace> {
  const { maxDepth, maxRows } = bounds(options);
  const rows = await q.query<Row>(direction === 'backward' ? backwardSql : forwardSql, [start.id, start.kind ?? '', maxDepth, maxRows]);
  const truncatedRows = rows.length > maxRows;
  const kept = rows
    .map((r) => ({ r, link: toLink(r) }))
    .sort((a, b) => a.link.depth - b.link.depth || a.link.eventTime - b.link.eventTime || (a.link.eventId < b.link.eventId ? -1 : a.link.eventId > b.link.eventId ? 1 : 0))
    .slice(0, maxRows);
  return {
    start,
    direction,
    links: kept.map((k) => k.link),
    depth: kept.reduce((d, k) => Math.max(d, k.link.depth), 0),
    truncated: truncatedRows || kept.some((k) => k.r.more),
  };
}

function toLink(r: Row): TraceLink {
  return {
    depth: r.depth,
    parentKind: r.parent_kind,
    parentId: r.parent_id,
    childKind: r.child_kind,
    childId: r.child_id,
    relation: r.relation,
    quantity: r.quantity,
    unit: r.unit,
    workOrder: r.work_order,
    equipment: r.equipment,
    eventTime: r.event_time,
    eventId: r.event_id,
  };
}

/** What went into this material (a serial, lot or container), level by level. */
export function traceBackward(q: Queryable, start: MaterialRef, options: TraceOptions = {}): Promise<Trace> {
  return trace(q, 'backward', start, options);
}

/** Where this material (typically a lot) went, level by level. */
export function traceForward(q: Queryable, start: MaterialRef, options: TraceOptions = {}): Promise<Trace> {
  return trace(q, 'forward', start, options);
}

// The forward trace of many start materials in one statement: the same walk as `traceSql('forward')`, with the start
// ("root") carried on every row, so that each start gets the trace it would get alone. One row budget for them all.
const forwardManySql = `WITH RECURSIVE starts(kind, id) AS (SELECT * FROM unnest($1::text[], $2::text[])),
    walk(root_kind, root_id, kind, id, depth) AS (
      SELECT DISTINCT s.kind, s.id, l.child_kind, l.child_id, 0
      FROM starts s JOIN genealogy_links l ON l.child_id = s.id AND l.child_kind = s.kind
      UNION
      SELECT w.root_kind, w.root_id, l.parent_kind, l.parent_id, w.depth + 1
      FROM walk w JOIN genealogy_links l ON l.child_id = w.id AND l.child_kind = w.kind
      WHERE w.depth < $3
    ),
    capped AS MATERIALIZED (SELECT * FROM walk LIMIT $4 + 2),
    nodes AS (SELECT root_kind, root_id, kind, id, min(depth) AS depth FROM capped WHERE depth < $3 GROUP BY root_kind, root_id, kind, id),
    found AS (
      SELECT n.root_kind, n.root_id, n.depth + 1 AS depth, l.event_id, l.parent_kind AS next_kind, l.parent_id AS next_id
      FROM nodes n JOIN genealogy_links l ON l.child_id = n.id AND l.child_kind = n.kind
      LIMIT $4 + 1
    )
    SELECT f.root_kind, f.root_id, f.depth, l.parent_kind, l.parent_id, l.child_kind, l.child_id, l.relation, l.quantity, l.unit,
           l.work_order, l.equipment, (extract(epoch FROM l.event_time) * 1000)::float8 AS event_time, l.event_id,
           (SELECT count(*) FROM capped) > $4 + 1 AS walk_cut,
           ((SELECT count(*) FROM capped) > $4 + 1
             OR (f.depth = $3 AND EXISTS (SELECT 1 FROM genealogy_links m WHERE m.child_id = f.next_id AND m.child_kind = f.next_kind))) AS more
    FROM found f JOIN genealogy_links l ON l.event_id = f.event_id`;

/**
 * Forward traces of several materials (each with its kind) in one query: one Trace per start, in the order given,
 * each as `traceForward` gives it alone, except that `maxRows` bounds the links of all of them together. When that
 * bound cut the walk (`rowsCut`), every trace says `truncated`, and a start without links may simply not have been
 * reached.
 */
export async function traceForwardMany(q: Queryable, starts: ReadonlyArray<Required<MaterialRef>>, options: TraceOptions = {}): Promise<{ traces: Trace[]; rowsCut: boolean }> {
  const { maxDepth, maxRows } = bounds(options);
  if (starts.length === 0) return { traces: [], rowsCut: false };
  const rows = await q.query<Row & { root_kind: MaterialKind; root_id: string; walk_cut: boolean }>(forwardManySql, [starts.map((s) => s.kind), starts.map((s) => s.id), maxDepth, maxRows]);
  const cut = rows.length > maxRows || rows.some((r) => r.walk_cut);
  const byRoot = new Map<string, Array<{ r: Row; link: TraceLink }>>();
  for (const r of rows.slice(0, maxRows)) {
    const key = `${r.root_kind} ${r.root_id}`;
    const list = byRoot.get(key) ?? [];
    list.push({ r, link: toLink(r) });
    byRoot.set(key, list);
  }
  const traces = starts.map((start) => {
    const kept = (byRoot.get(`${start.kind} ${start.id}`) ?? []).sort(
      (a, b) => a.link.depth - b.link.depth || a.link.eventTime - b.link.eventTime || (a.link.eventId < b.link.eventId ? -1 : a.link.eventId > b.link.eventId ? 1 : 0),
    );
    return {
      start,
      direction: 'forward' as const,
      links: kept.map((k) => k.link),
      depth: kept.reduce((d, k) => Math.max(d, k.link.depth), 0),
      truncated: cut || kept.some((k) => k.r.more),
    };
  });
  return { traces, rowsCut: cut };
}

export interface AsBuiltNode {
  kind: MaterialKind | null;
  id: string;
  /** How it is linked to its parent node (null at the root). */
  relation: GenealogyRelation | null;
  quantity: number | null;
  unit: string | null;
  workOrder: string | null;
  equipment: string | null;
  eventTime: number | null;
  children: AsBuiltNode[];
}

/** The as-built structure of a serial (or any material): its backward trace as a tree. */
export async function asBuiltTree(q: Queryable, start: MaterialRef, options: TraceOptions = {}): Promise<{ root: AsBuiltNode; truncated: boolean }> {
  const t = await traceBackward(q, start, options);
  const byParent = new Map<string, TraceLink[]>();
  for (const l of t.links) {
    const k = `${l.parentKind} ${l.parentId}`;
    const list = byParent.get(k) ?? [];
    if (!list.some((x) => x.eventId === l.eventId)) list.push(l);
    byParent.set(k, list);
  }
  const rootKind = start.kind ?? t.links[0]?.parentKind ?? null;
  const build = (kind: MaterialKind | null, id: string, via: TraceLink | null, onPath: Set<string>, depth: number): AsBuiltNode => {
    const k = `${kind} ${id}`;
    const node: AsBuiltNode = {
      kind,
      id,
      relation: via?.relation ?? null,
      quantity: via?.quantity ?? null,
      unit: via?.unit ?? null,
      workOrder: via?.workOrder ?? null,
      equipment: via?.equipment ?? null,
      eventTime: via?.eventTime ?? null,
      children: [],
    };
    if (onPath.has(k) || depth >= bounds(options).maxDepth) return node;
    const next = new Set(onPath).add(k);
    const links = kind === null ? t.links.filter((l) => l.depth === 1) : (byParent.get(k) ?? []);
    node.children = links.map((l) => build(l.childKind, l.childId, l, next, depth + 1));
    return node;
  };
  return { root: build(rootKind, start.id, null, new Set(), 0), truncated: t.truncated };
}

export interface TimelineEntry {
  time: number;
  kind: 'LINK' | 'WORK_ORDER_RECEIVED' | 'DISPATCHED' | 'UNDISPATCHED';
  equipment: string | null;
  workOrder: string | null;
  /** One line for people, e.g. "SERIAL SN-1 CONSUMED_INTO SERIAL ASM-7". */
  text: string;
  link?: TraceLink;
}

function linkText(l: TraceLink): string {
  return `${l.childKind} ${l.childId} ${l.relation} ${l.parentKind} ${l.parentId}${l.quantity !== null ? ` (${l.quantity}${l.unit ? ` ${l.unit}` : ''})` : ''}`;
}

/** Execution timeline of a lot: every link of its forward trace (where, when, under which work order), in time order. */
export async function lotTimeline(q: Queryable, lot: string, options: TraceOptions = {}): Promise<{ entries: TimelineEntry[]; truncated: boolean }> {
  const t = await traceForward(q, { kind: 'LOT', id: lot }, options);
  const entries = t.links
    .map((l): TimelineEntry => ({ time: l.eventTime, kind: 'LINK', equipment: l.equipment, workOrder: l.workOrder, text: linkText(l), link: l }))
    .sort((a, b) => a.time - b.time || (a.link!.eventId < b.link!.eventId ? -1 : 1));
  return { entries, truncated: t.truncated };
}

/**
 * Execution timeline of a work order: the revisions received from ERP, dispatch on and off each equipment, and the
 * genealogy links made under it, in time order (at most `maxRows` entries, the earliest).
 */
export async function workOrderTimeline(q: Queryable, workOrder: string, options: { maxRows?: number } = {}): Promise<{ entries: TimelineEntry[]; truncated: boolean }> {
  const maxRows = bounds({ maxRows: options.maxRows ?? 10_000 }).maxRows;
  const rows = await q.query<{ kind: TimelineEntry['kind']; time: number; equipment: string | null; text: string; event_id: string; link: Row | null }>(
    `WITH marks AS (
       SELECT d.equipment, d.event_time, d.event_id, d.work_order,
              lag(d.work_order) OVER (PARTITION BY d.equipment ORDER BY d.event_time, d.event_id) AS before
       FROM dispatch_events d
       WHERE d.equipment IN (SELECT DISTINCT equipment FROM dispatch_events WHERE work_order = $1)
     )
     SELECT 'WORK_ORDER_RECEIVED' AS kind, (extract(epoch FROM e.event_time) * 1000)::float8 AS time, NULL AS equipment,
            'revision ' || e.revision || ' from ERP message ' || coalesce(e.payload ->> 'erpMessageId', '?') || ': ' ||
            (e.payload ->> 'quantity') || ' ' || coalesce(e.payload ->> 'unit', '') || ' ' || (e.payload ->> 'product') || ', ' || (e.payload ->> 'status') AS text,
            e.event_id, NULL::jsonb AS link
     FROM work_order_events e WHERE e.work_order = $1
     UNION ALL
     SELECT CASE WHEN m.work_order = $1 THEN 'DISPATCHED' ELSE 'UNDISPATCHED' END, (extract(epoch FROM m.event_time) * 1000)::float8, m.equipment,
            CASE WHEN m.work_order = $1 THEN 'dispatched on ' || m.equipment ELSE 'off ' || m.equipment || coalesce(' (now ' || m.work_order || ')', '') END,
            m.event_id, NULL::jsonb
     FROM marks m WHERE m.work_order = $1 OR (m.before = $1 AND m.work_order IS DISTINCT FROM $1)
     UNION ALL
     SELECT 'LINK', (extract(epoch FROM l.event_time) * 1000)::float8, l.equipment, '', l.event_id,
            jsonb_build_object('depth', 0, 'parent_kind', l.parent_kind, 'parent_id', l.parent_id, 'child_kind', l.child_kind,
              'child_id', l.child_id, 'relation', l.relation, 'quantity', l.quantity, 'unit', l.unit, 'work_order', l.work_order,
              'equipment', l.equipment, 'event_time', (extract(epoch FROM l.event_time) * 1000)::float8, 'event_id', l.event_id)
     FROM genealogy_links l WHERE l.work_order = $1
     ORDER BY time, event_id
     LIMIT $2 + 1`,
    [workOrder, maxRows],
  );
  const entries = rows.slice(0, maxRows).map((r): TimelineEntry => {
    if (r.kind === 'LINK' && r.link) {
      const link = toLink(r.link);
      return { time: r.time, kind: 'LINK', equipment: r.equipment, workOrder, text: linkText(link), link };
    }
    return { time: r.time, kind: r.kind, equipment: r.equipment, workOrder, text: r.text.trim().replace(/\s+/g, ' ') };
  });
  return { entries, truncated: rows.length > maxRows };
}

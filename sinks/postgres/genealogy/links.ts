// The sink writer of linepulse.genealogy.v1 (tables of migrations/0101_genealogy.sql): idempotent by event id and by
// edge, with the cycle guard over the whole graph. A link the genealogy processor refused (status REJECTED) or one
// that would close a cycle here goes to genealogy_rejections with its reason instead of the graph.
//
// Linking child C into parent P closes a cycle when C is already an ancestor of P (P went into C). That needs C to
// have children and P to have parents, which is rare (a box being filled is new; an assembly has no parent yet
// when it is packed), so the links without both go in with one statement. The few others go in together too, then
// one recursive query walks up from each parent looking for its child; while it finds any, the latest such link is
// taken out again and refused with the path, and the rest are checked once more. Walking up is cheap: materials
// have few ancestors (an item sits in one box, a box on one pallet), unlike lots, which have many descendants.
import type { GenealogyLink, MaterialKind } from '../../../schemas/generated/types.ts';
import type { Queryable } from '../db.ts';

/** How deep the cycle check looks below a child (the guard also stops at any repeated node). */
export const cycleCheckDepth = 1_000;

const key = (kind: string, id: string) => `${kind}|${id}`;

function linkRow(l: GenealogyLink) {
  return {
    event_id: l.eventId,
    parent_kind: l.parentKind,
    parent_id: l.parentId,
    child_kind: l.childKind,
    child_id: l.childId,
    relation: l.relation,
    quantity: l.quantity,
    unit: l.unit,
    work_order: l.workOrder,
    equipment: l.equipment,
    source_event_id: l.sourceEventId,
    event_time: l.eventTime,
  };
}

const insertLinks = `INSERT INTO genealogy_links (event_id, parent_kind, parent_id, child_kind, child_id, relation, quantity, unit, work_order,
     equipment, source_event_id, event_time)
   SELECT event_id, parent_kind, parent_id, child_kind, child_id, relation, quantity, unit, work_order, equipment,
          source_event_id, to_timestamp(event_time / 1000.0)
   FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, parent_kind text, parent_id text, child_kind text, child_id text,
        relation text, quantity float8, unit text, work_order text, equipment text, source_event_id text, event_time float8)
   ON CONFLICT DO NOTHING`;

async function reject(q: Queryable, rows: Array<{ link: GenealogyLink; reason: string; by: 'processor' | 'sink' }>): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO genealogy_rejections (event_id, parent_kind, parent_id, child_kind, child_id, relation, work_order, equipment, reason, rejected_by, event_time)
     SELECT event_id, parent_kind, parent_id, child_kind, child_id, relation, work_order, equipment, reason, rejected_by, to_timestamp(event_time / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, parent_kind text, parent_id text, child_kind text, child_id text,
          relation text, work_order text, equipment text, reason text, rejected_by text, event_time float8)
     ON CONFLICT (event_id) DO NOTHING`,
    [
      JSON.stringify(
        rows.map(({ link: l, reason, by }) => ({
          event_id: l.eventId,
          parent_kind: l.parentKind,
          parent_id: l.parentId,
          child_kind: l.childKind,
          child_id: l.childId,
          relation: l.relation,
          work_order: l.workOrder,
          equipment: l.equipment,
          reason,
          rejected_by: by,
          event_time: l.eventTime,
        })),
      ),
    ],
  );
}

interface Candidate {
  event_id: string;
  parent_kind: string;
  parent_id: string;
  child_kind: string;
  child_id: string;
}

/** For each candidate link whose child is already an ancestor of its parent: the path parent, ..., child upwards. */
async function cycles(q: Queryable, candidates: readonly Candidate[], maxDepth: number): Promise<Map<string, string[]>> {
  if (candidates.length === 0) return new Map();
  const rows = await q.query<{ event_id: string; path: string[] }>(
    `WITH RECURSIVE c AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, parent_kind text, parent_id text, child_kind text, child_id text)
     ),
     up(event_id, kind, id, depth, path) AS (
       SELECT c.event_id, c.parent_kind, c.parent_id, 0, ARRAY[c.parent_kind || ' ' || c.parent_id] FROM c
       UNION ALL
       SELECT u.event_id, l.parent_kind, l.parent_id, u.depth + 1, u.path || (l.parent_kind || ' ' || l.parent_id)
       FROM up u JOIN genealogy_links l ON l.child_id = u.id AND l.child_kind = u.kind
       WHERE u.depth < $2 AND NOT (l.parent_kind || ' ' || l.parent_id) = ANY (u.path)
     )
     SELECT DISTINCT ON (u.event_id) u.event_id, u.path
     FROM up u JOIN c ON c.event_id = u.event_id AND u.kind = c.child_kind AND u.id = c.child_id
     ORDER BY u.event_id, u.depth`,
    [JSON.stringify(candidates), maxDepth],
  );
  return new Map(rows.map((r) => [r.event_id, r.path]));
}

/**
 * The path child > ... > parent when `parent` is already (transitively) inside `child`, i.e. when linking
 * child into parent would close a cycle; null otherwise.
 */
export async function cyclePath(q: Queryable, parent: { kind: MaterialKind; id: string }, child: { kind: MaterialKind; id: string }, maxDepth = cycleCheckDepth): Promise<string[] | null> {
  const found = await cycles(q, [{ event_id: '', parent_kind: parent.kind, parent_id: parent.id, child_kind: child.kind, child_id: child.id }], maxDepth);
  return found.get('')?.reverse() ?? null;
}

/** Keys (`KIND|id`) among `keys` that appear on `side` of a stored link. */
async function present(q: Queryable, keys: Iterable<string>, side: 'parent' | 'child'): Promise<Set<string>> {
  const list = [...new Set(keys)].map((k) => ({ kind: k.slice(0, k.indexOf('|')), id: k.slice(k.indexOf('|') + 1) }));
  if (list.length === 0) return new Set();
  const rows = await q.query<{ k: string }>(
    `SELECT DISTINCT l.${side}_kind || '|' || l.${side}_id AS k
     FROM jsonb_to_recordset($1::jsonb) AS x(kind text, id text)
     JOIN genealogy_links l ON l.${side}_id = x.id AND l.${side}_kind = x.kind`,
    [JSON.stringify(list)],
  );
  return new Set(rows.map((r) => r.k));
}

/** Writes a batch of genealogy links (see the file comment). */
export async function writeGenealogyLinks(q: Queryable, events: readonly GenealogyLink[]): Promise<void> {
  if (events.length === 0) return;
  const rejected: Array<{ link: GenealogyLink; reason: string; by: 'processor' | 'sink' }> = [];
  const accepted = new Map<string, GenealogyLink>();
  for (const l of events) {
    if (l.status === 'REJECTED') rejected.push({ link: l, reason: l.rejectReason ?? 'refused by the genealogy processor', by: 'processor' });
    else if (l.parentKind === l.childKind && l.parentId === l.childId) rejected.push({ link: l, reason: `refused: ${l.childKind} ${l.childId} cannot be linked to itself (${l.relation})`, by: 'sink' });
    else if (!accepted.has(l.eventId)) accepted.set(l.eventId, l);
  }
  const links = [...accepted.values()].sort((a, b) => a.eventTime - b.eventTime || (a.eventId < b.eventId ? -1 : 1));
  if (links.length > 0) {
    const childKeys = links.map((l) => key(l.childKind, l.childId));
    const parentKeys = links.map((l) => key(l.parentKind, l.parentId));
    const hasChildren = await present(q, childKeys, 'parent');
    for (const k of parentKeys) hasChildren.add(k);
    const hasParents = await present(q, parentKeys, 'child');
    for (const k of childKeys) hasParents.add(k);
    const risky = (l: GenealogyLink) => hasChildren.has(key(l.childKind, l.childId)) && hasParents.has(key(l.parentKind, l.parentId));
    const safe = links.filter((l) => !risky(l));
    if (safe.length > 0) await q.query(insertLinks, [JSON.stringify(safe.map(linkRow))]);
    const checked = links.filter(risky);
    if (checked.length > 0) {
      const inserted = new Set((await q.query<{ event_id: string }>(`${insertLinks} RETURNING event_id`, [JSON.stringify(checked.map(linkRow))])).map((r) => r.event_id));
      let candidates = checked.filter((l) => inserted.has(l.eventId));
      for (;;) {
        const found = await cycles(q, candidates.map((l) => ({ event_id: l.eventId, parent_kind: l.parentKind, parent_id: l.parentId, child_kind: l.childKind, child_id: l.childId })), cycleCheckDepth);
        if (found.size === 0) break;
        // The latest link on a cycle is the one that closed it.
        const last = candidates.filter((l) => found.has(l.eventId)).at(-1)!;
        await q.query('DELETE FROM genealogy_links WHERE event_id = $1', [last.eventId]);
        const path = [...found.get(last.eventId)!].reverse();
        rejected.push({
          link: last,
          by: 'sink',
          reason: `refused: linking ${last.childKind} ${last.childId} ${last.relation} ${last.parentKind} ${last.parentId} would close a cycle, because ${last.parentKind} ${last.parentId} is already inside ${last.childKind} ${last.childId} (${path.join(' > ')})`,
        });
        candidates = candidates.filter((l) => l !== last && found.has(l.eventId));
      }
    }
  }
  await reject(q, rejected);
}

export interface GenealogyRejectionView {
  eventId: string;
  parentKind: MaterialKind;
  parentId: string;
  childKind: MaterialKind;
  childId: string;
  relation: string;
  workOrder: string | null;
  equipment: string | null;
  reason: string;
  rejectedBy: 'processor' | 'sink';
  eventTime: number;
}

/** The most recent refused links, for the operator. */
export async function listGenealogyRejections(q: Queryable, options: { limit?: number } = {}): Promise<GenealogyRejectionView[]> {
  const rows = await q.query<{ event_id: string; parent_kind: MaterialKind; parent_id: string; child_kind: MaterialKind; child_id: string; relation: string; work_order: string | null; equipment: string | null; reason: string; rejected_by: 'processor' | 'sink'; event_time: number }>(
    `SELECT event_id, parent_kind, parent_id, child_kind, child_id, relation, work_order, equipment, reason, rejected_by,
            (extract(epoch FROM event_time) * 1000)::float8 AS event_time
     FROM genealogy_rejections ORDER BY event_time DESC, event_id LIMIT $1`,
    [options.limit ?? 100],
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    parentKind: r.parent_kind,
    parentId: r.parent_id,
    childKind: r.child_kind,
    childId: r.child_id,
    relation: r.relation,
    workOrder: r.work_order,
    equipment: r.equipment,
    reason: r.reason,
    rejectedBy: r.rejected_by,
    eventTime: r.event_time,
  }));
}

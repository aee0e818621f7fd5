// Writers and queries over the PostgreSQL tables (see ./migrations). Batches go in as one jsonb parameter
// expanded by jsonb_to_recordset: one round trip per batch, the same SQL on PGlite and on a server.
import { parseEquipmentPath } from '../../schemas/topics.ts';
import type { Alert, CountTotal, CountWindowKind } from '../../schemas/generated/types.ts';
import type { CountQueries, CountTotalView } from '../model.ts';
import type { Db, Queryable } from './db.ts';

export const equipmentLevels = ['enterprise', 'site', 'area', 'line', 'cell', 'equipment'] as const;
export type EquipmentLevel = (typeof equipmentLevels)[number];

export interface EquipmentNode {
  path: string;
  parentPath: string | null;
  level: EquipmentLevel;
  name: string;
  displayName: string | null;
}

/** Every node of the hierarchy the paths name, ancestors included; invalid paths are left out. */
export function hierarchyOf(paths: Iterable<string>): EquipmentNode[] {
  const nodes = new Map<string, EquipmentNode>();
  for (const path of paths) {
    const parts = parseEquipmentPath(path);
    if (!parts) continue;
    parts.forEach((name, depth) => {
      const nodePath = parts.slice(0, depth + 1).join('/');
      if (nodes.has(nodePath)) return;
      nodes.set(nodePath, {
        path: nodePath,
        parentPath: depth === 0 ? null : parts.slice(0, depth).join('/'),
        level: equipmentLevels[depth] as EquipmentLevel,
        name,
        displayName: null,
      });
    });
  }
  return [...nodes.values()];
}

/** Registers the equipment of the given paths and their ancestors; existing rows are left as they are. */
export async function registerEquipment(q: Queryable, paths: Iterable<string>): Promise<void> {
  const nodes = hierarchyOf(paths);
  if (nodes.length === 0) return;
  await q.query(
    `INSERT INTO equipment (path, parent_path, level, name)
     SELECT path, parent_path, level, name
     FROM jsonb_to_recordset($1::jsonb) AS x(path text, parent_path text, level text, name text)
     ON CONFLICT (path) DO NOTHING`,
    [JSON.stringify(nodes.map((n) => ({ path: n.path, parent_path: n.parentPath, level: n.level, name: n.name })))],
  );
}

export async function listEquipment(q: Queryable, scope?: string): Promise<EquipmentNode[]> {
  const rows = await q.query<{ path: string; parent_path: string | null; level: EquipmentLevel; name: string; display_name: string | null }>(
    `SELECT path, parent_path, level, name, display_name FROM equipment
     WHERE $1 = '' OR path = $1 OR starts_with(path, $1 || '/')
     ORDER BY path`,
    [scope ?? ''],
  );
  return rows.map((r) => ({ path: r.path, parentPath: r.parent_path, level: r.level, name: r.name, displayName: r.display_name }));
}

/** The highest revision per (equipment, windowKind, windowId) of a batch (one upsert may touch a row once). */
export function latestRevisions(totals: readonly CountTotal[]): CountTotal[] {
  const latest = new Map<string, CountTotal>();
  for (const total of totals) {
    const key = `${total.equipment}\u0000${total.windowKind}\u0000${total.windowId}`;
    const seen = latest.get(key);
    if (!seen || total.revision > seen.revision) latest.set(key, total);
  }
  return [...latest.values()];
}

/** Upserts count totals; a row only ever moves to a higher revision. */
export async function writeCountTotals(q: Queryable, totals: readonly CountTotal[]): Promise<void> {
  const rows = latestRevisions(totals);
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO count_totals AS t (equipment, window_kind, window_id, window_start, window_end, good, reject, revision, event_id, event_time)
     SELECT equipment, window_kind, window_id,
            to_timestamp(window_start / 1000.0), to_timestamp(window_end / 1000.0),
            good, reject, revision, event_id, to_timestamp(event_time / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS x(equipment text, window_kind text, window_id text, window_start float8,
          window_end float8, good bigint, reject bigint, revision bigint, event_id text, event_time float8)
     ON CONFLICT (equipment, window_kind, window_id) DO UPDATE SET
       window_start = excluded.window_start, window_end = excluded.window_end, good = excluded.good,
       reject = excluded.reject, revision = excluded.revision, event_id = excluded.event_id,
       event_time = excluded.event_time, updated_at = now()
     WHERE t.revision < excluded.revision`,
    [
      JSON.stringify(
        rows.map((t) => ({
          equipment: t.equipment,
          window_kind: t.windowKind,
          window_id: t.windowId,
          window_start: t.windowStart,
          window_end: t.windowEnd,
          good: t.good,
          reject: t.reject,
          revision: t.revision,
          event_id: t.eventId,
          event_time: t.eventTime,
        })),
      ),
    ],
  );
}

/** Records alert lifecycle events (audit, once per event id) and upserts the alert; a cleared alert stays cleared. */
export async function writeAlerts(q: Queryable, alerts: readonly Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  // Per alert, apply events in event-time order; CLEARED sorts after RAISED at the same time.
  const ordered = [...alerts].sort((a, b) => a.eventTime - b.eventTime || (a.action === b.action ? 0 : a.action === 'RAISED' ? -1 : 1));
  await q.query(
    `INSERT INTO alert_events (event_id, alert_id, action, event_time, payload)
     SELECT x.event_id, x.alert_id, x.action, to_timestamp(x.event_time / 1000.0), x.payload
     FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, alert_id text, action text, event_time float8, payload jsonb)
     ON CONFLICT (event_id) DO NOTHING`,
    [JSON.stringify(ordered.map((a) => ({ event_id: a.eventId, alert_id: a.alertId, action: a.action, event_time: a.eventTime, payload: a })))],
  );
  // The last event of each alert in this batch decides its row (one upsert may touch a row once).
  const last = new Map<string, Alert>();
  for (const a of ordered) if (last.get(a.alertId)?.action !== 'CLEARED') last.set(a.alertId, a);
  await q.query(
    `INSERT INTO alerts AS a (alert_id, equipment, kind, severity, status, started_at, ended_at, duration_ms, reason_code,
       reason_text, tag, value, threshold, work_order, message, last_event_id, last_event_time)
     SELECT alert_id, equipment, kind, severity, status, to_timestamp(start_time / 1000.0),
            to_timestamp(end_time / 1000.0), duration_ms, reason_code, reason_text, tag, value, threshold,
            work_order, message, event_id, to_timestamp(event_time / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS x(alert_id text, equipment text, kind text, severity text, status text,
          start_time float8, end_time float8, duration_ms bigint, reason_code text, reason_text text, tag text,
          value float8, threshold text, work_order text, message text, event_id text, event_time float8)
     ON CONFLICT (alert_id) DO UPDATE SET
       severity = excluded.severity, status = excluded.status, ended_at = excluded.ended_at,
       duration_ms = excluded.duration_ms, reason_code = coalesce(excluded.reason_code, a.reason_code),
       reason_text = coalesce(excluded.reason_text, a.reason_text), value = excluded.value, message = excluded.message,
       last_event_id = excluded.last_event_id, last_event_time = excluded.last_event_time, updated_at = now()
     WHERE a.status = 'ACTIVE'`,
    [
      JSON.stringify(
        [...last.values()].map((a) => ({
          alert_id: a.alertId,
          equipment: a.equipment,
          kind: a.kind,
          severity: a.severity,
          status: a.action === 'CLEARED' ? 'CLEARED' : 'ACTIVE',
          start_time: a.startTime,
          end_time: a.endTime,
          duration_ms: a.durationMs,
          reason_code: a.reasonCode,
          reason_text: a.reasonText,
          tag: a.tag,
          value: a.value,
          threshold: a.threshold,
          work_order: a.workOrder,
          message: a.message,
          event_id: a.eventId,
          event_time: a.eventTime,
        })),
      ),
    ],
  );
}

export interface AlertView {
  alertId: string;
  equipment: string;
  kind: string;
  severity: string;
  status: 'ACTIVE' | 'CLEARED';
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  reasonCode: string | null;
  message: string;
  acknowledgedAt: number | null;
}

export async function listAlerts(q: Queryable, options: { status?: 'ACTIVE' | 'CLEARED'; scope?: string; limit?: number } = {}): Promise<AlertView[]> {
  const rows = await q.query<{
    alert_id: string;
    equipment: string;
    kind: string;
    severity: string;
    status: 'ACTIVE' | 'CLEARED';
    started_at: number;
    ended_at: number | null;
    duration_ms: number | null;
    reason_code: string | null;
    message: string;
    acknowledged_at: number | null;
  }>(
    `SELECT alert_id, equipment, kind, severity, status,
            (extract(epoch FROM started_at) * 1000)::float8 AS started_at,
            (extract(epoch FROM ended_at) * 1000)::float8 AS ended_at,
            duration_ms::float8 AS duration_ms, reason_code, message,
            (extract(epoch FROM acknowledged_at) * 1000)::float8 AS acknowledged_at
     FROM alerts
     WHERE ($1 = '' OR status = $1) AND ($2 = '' OR equipment = $2 OR starts_with(equipment, $2 || '/'))
     ORDER BY started_at DESC, alert_id
     LIMIT $3`,
    [options.status ?? '', options.scope ?? '', options.limit ?? 100],
  );
  return rows.map((r) => ({
    alertId: r.alert_id,
    equipment: r.equipment,
    kind: r.kind,
    severity: r.severity,
    status: r.status,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    reasonCode: r.reason_code,
    message: r.message,
    acknowledgedAt: r.acknowledged_at,
  }));
}

export function createPostgresQueries(db: Db): CountQueries {
  return {
    async currentCountTotals(filter = {}) {
      const rows = await db.query<{
        equipment: string;
        window_kind: CountWindowKind;
        window_id: string;
        window_start: number | null;
        window_end: number | null;
        good: number;
        reject: number;
        revision: number;
        event_time: number;
      }>(
        `SELECT DISTINCT ON (equipment, window_kind)
                equipment, window_kind, window_id,
                (extract(epoch FROM window_start) * 1000)::float8 AS window_start,
                (extract(epoch FROM window_end) * 1000)::float8 AS window_end,
                good::float8 AS good, reject::float8 AS reject, revision::float8 AS revision,
                (extract(epoch FROM event_time) * 1000)::float8 AS event_time
         FROM count_totals
         WHERE ($1 = '' OR window_kind = $1) AND ($2 = '' OR equipment = $2 OR starts_with(equipment, $2 || '/'))
         ORDER BY equipment, window_kind, coalesce(window_start, event_time) DESC, event_time DESC`,
        [filter.windowKind ?? '', filter.scope ?? ''],
      );
      // Byte order, whatever the database's collation (and the same order as ClickHouse).
      rows.sort((a, b) => compare(a.equipment, b.equipment) || compare(a.window_kind, b.window_kind));
      return rows.map(
        (r): CountTotalView => ({
          equipment: r.equipment,
          windowKind: r.window_kind,
          windowId: r.window_id,
          windowStart: r.window_start,
          windowEnd: r.window_end,
          good: r.good,
          reject: r.reject,
          revision: r.revision,
          eventTime: r.event_time,
        }),
      );
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Alarm cases and their audit trail (migration 0005): the sink opens a case per SPC alarm and per downtime / sensor
// alert; people move it along the lifecycle of processors/spc/alarm-lifecycle.ts (the database holds the same
// transition table and refuses anything else). Every step is one appended audit row; the case row follows it.
import type { Alert, SpcAlarm } from '../../schemas/generated/types.ts';
import type { Db, Queryable } from './db.ts';

export type AlarmSource = 'SPC' | 'DOWNTIME' | 'SENSOR';
export type AlarmStatus = 'RAISED' | 'ACKNOWLEDGED' | 'CAUSE_ASSIGNED' | 'CLOSED';
export const alarmStatuses: readonly AlarmStatus[] = ['RAISED', 'ACKNOWLEDGED', 'CAUSE_ASSIGNED', 'CLOSED'];

/** Who opens cases in the audit trail. */
export const sinkUser = 'linepulse';

export type AlarmAction =
  | { kind: 'ACKNOWLEDGE'; note?: string | null }
  | { kind: 'ASSIGN_CAUSE'; assignableCause: string; correctiveAction: string }
  | { kind: 'CLOSE'; note?: string | null }
  | { kind: 'COMMENT'; text: string };

export interface AlarmView {
  alarmId: string;
  source: AlarmSource;
  equipment: string;
  characteristic: string | null;
  rule: number | null;
  title: string;
  severity: string;
  raisedAt: number;
  active: boolean;
  clearedAt: number | null;
  status: AlarmStatus;
  acknowledged: { who: string; at: number } | null;
  cause: { assignableCause: string; correctiveAction: string; who: string; at: number } | null;
  closed: { who: string; at: number } | null;
  lastSeq: number;
}

export interface AuditEntryView {
  seq: number;
  at: number;
  who: string;
  /** NCR_DRAFT: a nonconformance report was drafted from the alarm (payload { ncrId }, migration 0008). */
  action: 'RAISE' | AlarmAction['kind'] | 'NCR_DRAFT';
  from: AlarmStatus | null;
  to: AlarmStatus;
  payload: Record<string, unknown>;
}

/** A step the lifecycle does not allow now (HTTP 409), or an alarm that does not exist (404). */
export class AlarmActionError extends Error {
  constructor(
    message: string,
    readonly reason: 'not-found' | 'conflict' | 'invalid',
  ) {
    super(message);
    this.name = 'AlarmActionError';
  }
}

const epoch = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/** Sink writer for linepulse.spc-alarms.v1: one case per alarm (event id), opened once whatever the replays. */
export async function writeSpcAlarms(q: Queryable, alarms: readonly SpcAlarm[]): Promise<void> {
  await openCases(
    q,
    alarms.map((a) => ({
      alarm_id: a.eventId,
      source: 'SPC',
      equipment: a.equipment,
      characteristic: a.characteristic,
      rule: a.rule,
      title: `${a.ruleSet === 'NELSON' ? 'Nelson' : 'Western Electric'} rule ${a.rule}${a.chartPart === 'DISPERSION' ? ' (dispersion)' : ''}: ${a.description}`,
      severity: a.rule === 1 ? 'CRITICAL' : 'WARNING',
      raised_at: a.eventTime,
      detail: { ruleSet: a.ruleSet, direction: a.direction, pointIndexes: a.pointIndexes, values: a.values, limits: a.limits, workOrder: a.workOrder, serials: a.serials, lots: a.lots },
    })),
  );
}

/** Part of the alerts route: a case per alert occurrence on RAISED; CLEARED marks it inactive (it stays open). */
export async function writeAlertCases(q: Queryable, alerts: readonly Alert[]): Promise<void> {
  const raised = alerts.filter((a) => a.action === 'RAISED');
  await openCases(
    q,
    raised.map((a) => ({
      alarm_id: a.alertId,
      source: a.kind,
      equipment: a.equipment,
      characteristic: null,
      rule: null,
      title: a.message,
      severity: a.severity,
      raised_at: a.startTime,
      detail: { reasonCode: a.reasonCode, reasonText: a.reasonText, tag: a.tag, value: a.value, threshold: a.threshold, workOrder: a.workOrder },
    })),
  );
  const cleared = alerts.filter((a) => a.action === 'CLEARED');
  if (cleared.length === 0) return;
  await q.query(
    `UPDATE alarms AS a SET active = false, cleared_at = to_timestamp(x.end_time / 1000.0), updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS x(alarm_id text, end_time float8)
     WHERE a.alarm_id = x.alarm_id AND a.active`,
    [JSON.stringify(cleared.map((a) => ({ alarm_id: a.alertId, end_time: a.endTime ?? a.eventTime })))],
  );
}

async function openCases(q: Queryable, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return;
  const unique = [...new Map(rows.map((r) => [r.alarm_id, r] as const)).values()];
  const opened = await q.query<{ alarm_id: string; raised_at: number }>(
    `INSERT INTO alarms (alarm_id, source, equipment, characteristic, rule, title, severity, raised_at, detail)
     SELECT alarm_id, source, equipment, characteristic, rule, title, severity, to_timestamp(raised_at / 1000.0), detail
     FROM jsonb_to_recordset($1::jsonb) AS x(alarm_id text, source text, equipment text, characteristic text, rule int,
          title text, severity text, raised_at float8, detail jsonb)
     ON CONFLICT (alarm_id) DO NOTHING
     RETURNING alarm_id, ${epoch('raised_at')} AS raised_at`,
    [JSON.stringify(unique)],
  );
  if (opened.length === 0) return;
  await q.query(
    `INSERT INTO alarm_audit (alarm_id, seq, at, who, action, to_status)
     SELECT alarm_id, 1, to_timestamp(at / 1000.0), $2, 'RAISE', 'RAISED'
     FROM jsonb_to_recordset($1::jsonb) AS x(alarm_id text, at float8)`,
    [JSON.stringify(opened.map((o) => ({ alarm_id: o.alarm_id, at: o.raised_at }))), sinkUser],
  );
}

interface AlarmRow {
  alarm_id: string;
  source: AlarmSource;
  equipment: string;
  characteristic: string | null;
  rule: number | null;
  title: string;
  severity: string;
  raised_at: number;
  active: boolean;
  cleared_at: number | null;
  status: AlarmStatus;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  assignable_cause: string | null;
  corrective_action: string | null;
  cause_by: string | null;
  cause_at: number | null;
  closed_by: string | null;
  closed_at: number | null;
  last_seq: number;
}

const alarmColumns = `alarm_id, source, equipment, characteristic, rule, title, severity, ${epoch('raised_at')} AS raised_at, active,
  ${epoch('cleared_at')} AS cleared_at, status, acknowledged_by, ${epoch('acknowledged_at')} AS acknowledged_at, assignable_cause,
  corrective_action, cause_by, ${epoch('cause_at')} AS cause_at, closed_by, ${epoch('closed_at')} AS closed_at, last_seq`;

function alarmView(r: AlarmRow): AlarmView {
  return {
    alarmId: r.alarm_id,
    source: r.source,
    equipment: r.equipment,
    characteristic: r.characteristic,
    rule: r.rule,
    title: r.title,
    severity: r.severity,
    raisedAt: r.raised_at,
    active: r.active,
    clearedAt: r.cleared_at,
    status: r.status,
    acknowledged: r.acknowledged_by && r.acknowledged_at !== null ? { who: r.acknowledged_by, at: r.acknowledged_at } : null,
    cause:
      r.assignable_cause !== null && r.cause_by && r.cause_at !== null
        ? { assignableCause: r.assignable_cause, correctiveAction: r.corrective_action ?? '', who: r.cause_by, at: r.cause_at }
        : null,
    closed: r.closed_by && r.closed_at !== null ? { who: r.closed_by, at: r.closed_at } : null,
    lastSeq: r.last_seq,
  };
}

export interface AlarmListQuery {
  scope?: string;
  status?: readonly AlarmStatus[];
  source?: readonly AlarmSource[];
  /** Raised in [from, to). */
  from?: number;
  to?: number;
  limit?: number;
  offset?: number;
}

/** Newest first; `total` counts every match (pagination). */
export async function listAlarms(q: Queryable, query: AlarmListQuery = {}): Promise<{ alarms: AlarmView[]; total: number }> {
  const where = `($1 = '' OR equipment = $1 OR starts_with(equipment, $1 || '/'))
    AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))
    AND (cardinality($3::text[]) = 0 OR source = ANY($3::text[]))
    AND raised_at >= to_timestamp($4 / 1000.0) AND raised_at < to_timestamp($5 / 1000.0)`;
  const params = [query.scope ?? '', query.status ?? [], query.source ?? [], query.from ?? 0, query.to ?? 8_000_000_000_000];
  const rows = await q.query<AlarmRow>(
    `SELECT ${alarmColumns} FROM alarms WHERE ${where} ORDER BY raised_at DESC, alarm_id LIMIT $6 OFFSET $7`,
    [...params, query.limit ?? 100, query.offset ?? 0],
  );
  const [count] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM alarms WHERE ${where}`, params);
  return { alarms: rows.map(alarmView), total: count?.n ?? 0 };
}

export async function getAlarm(q: Queryable, alarmId: string): Promise<{ alarm: AlarmView; audit: AuditEntryView[] } | null> {
  const [row] = await q.query<AlarmRow>(`SELECT ${alarmColumns} FROM alarms WHERE alarm_id = $1`, [alarmId]);
  if (!row) return null;
  const audit = await q.query<{ seq: number; at: number; who: string; action: AuditEntryView['action']; from_status: AlarmStatus | null; to_status: AlarmStatus; payload: Record<string, unknown> }>(
    `SELECT seq, ${epoch('at')} AS at, who, action, from_status, to_status, payload FROM alarm_audit WHERE alarm_id = $1 ORDER BY seq`,
    [alarmId],
  );
  return { alarm: alarmView(row), audit: audit.map((a) => ({ seq: a.seq, at: a.at, who: a.who, action: a.action, from: a.from_status, to: a.to_status, payload: a.payload })) };
}

/**
 * Appends one step to a case's trail (who: the person; at: epoch ms, now by default). Throws AlarmActionError
 * 'not-found', 'conflict' (the lifecycle does not allow it now) or 'invalid' (empty cause, comment or user).
 */
export async function applyAlarmAction(db: Db, alarmId: string, who: string, action: AlarmAction, at = Date.now()): Promise<{ alarm: AlarmView; audit: AuditEntryView[] }> {
  if (who.trim() === '') throw new AlarmActionError('user must not be empty', 'invalid');
  const payload: Record<string, unknown> =
    action.kind === 'ASSIGN_CAUSE'
      ? { assignableCause: action.assignableCause, correctiveAction: action.correctiveAction }
      : action.kind === 'COMMENT'
        ? { text: action.text }
        : { note: action.note ?? null };
  if (action.kind === 'ASSIGN_CAUSE' && (action.assignableCause.trim() === '' || action.correctiveAction.trim() === ''))
    throw new AlarmActionError('assignable cause and corrective action must not be empty', 'invalid');
  if (action.kind === 'COMMENT' && action.text.trim() === '') throw new AlarmActionError('comment must not be empty', 'invalid');
  await db.transaction(async (tx) => {
    const [c] = await tx.query<{ status: AlarmStatus; last_seq: number; last_at: number | null }>(
      `SELECT status, last_seq, ${epoch('last_at')} AS last_at FROM alarms WHERE alarm_id = $1 FOR UPDATE`,
      [alarmId],
    );
    if (!c) throw new AlarmActionError(`alarm '${alarmId}' does not exist`, 'not-found');
    const [t] = await tx.query<{ to_status: AlarmStatus }>('SELECT to_status FROM alarm_transitions WHERE action = $1 AND from_status = $2', [action.kind, c.status]);
    if (!t) throw new AlarmActionError(`alarm '${alarmId}' is ${c.status}: cannot ${action.kind.toLowerCase().replace('_', ' ')}`, 'conflict');
    // A clock behind the last step (another server) must not break the order of the trail.
    const when = c.last_at !== null && at < c.last_at ? c.last_at : at;
    await tx.query(
      `INSERT INTO alarm_audit (alarm_id, seq, at, who, action, to_status, payload) VALUES ($1, $2, to_timestamp($3 / 1000.0), $4, $5, $6, $7::jsonb)`,
      [alarmId, c.last_seq + 1, when, who, action.kind, t.to_status, JSON.stringify(payload)],
    );
  });
  const result = await getAlarm(db, alarmId);
  if (!result) throw new AlarmActionError(`alarm '${alarmId}' does not exist`, 'not-found');
  return result;
}

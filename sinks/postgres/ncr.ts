// Nonconformance report (NCR) drafts from SPC alarms (migration 0008): one draft per alarm, stored with the content
// it was prefilled with, and one NCR_DRAFT step in the alarm's append-only audit trail, in the same transaction.
// What goes into a draft is decided by the caller (sinks/spc-quality.ts: the alarm and its containment list); this
// file only stores and reads.
import { AlarmActionError, type AlarmSource, type AlarmStatus } from './alarms.ts';
import type { Db, Queryable } from './db.ts';

const epoch = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/** An alarm case as stored (migration 0005) with the signal's detail the SPC sink wrote (writeSpcAlarms). */
export interface SpcAlarmCase {
  alarmId: string;
  source: AlarmSource;
  equipment: string;
  characteristic: string | null;
  rule: number | null;
  title: string;
  severity: string;
  raisedAt: number;
  status: AlarmStatus;
  ruleSet: string | null;
  direction: string | null;
  pointIndexes: number[];
  values: number[];
  limits: unknown;
  workOrder: string | null;
  serials: string[];
  lots: string[];
}

export async function getSpcAlarmCase(q: Queryable, alarmId: string): Promise<SpcAlarmCase | null> {
  const [r] = await q.query<{
    alarm_id: string; source: AlarmSource; equipment: string; characteristic: string | null; rule: number | null; title: string; severity: string;
    raised_at: number; status: AlarmStatus; detail: Record<string, unknown>;
  }>(`SELECT alarm_id, source, equipment, characteristic, rule, title, severity, ${epoch('raised_at')} AS raised_at, status, detail FROM alarms WHERE alarm_id = $1`, [alarmId]);
  if (!r) return null;
  const d = r.detail ?? {};
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number).filter(Number.isFinite) : []);
  return {
    alarmId: r.alarm_id,
    source: r.source,
    equipment: r.equipment,
    characteristic: r.characteristic,
    rule: r.rule,
    title: r.title,
    severity: r.severity,
    raisedAt: r.raised_at,
    status: r.status,
    ruleSet: typeof d.ruleSet === 'string' ? d.ruleSet : null,
    direction: typeof d.direction === 'string' ? d.direction : null,
    pointIndexes: numbers(d.pointIndexes),
    values: numbers(d.values),
    limits: d.limits ?? null,
    workOrder: typeof d.workOrder === 'string' ? d.workOrder : null,
    serials: strings(d.serials),
    lots: strings(d.lots),
  };
}

export interface NcrView<D = Record<string, unknown>> {
  ncrId: string;
  alarmId: string;
  status: 'DRAFT';
  equipment: string;
  characteristic: string;
  title: string;
  createdBy: string;
  createdAt: number;
  /** The prefilled content (sinks/spc-quality.ts `NcrDetail`). */
  detail: D;
}

interface NcrRow {
  ncr_id: string;
  alarm_id: string;
  status: 'DRAFT';
  equipment: string;
  characteristic: string;
  title: string;
  created_by: string;
  created_at: number;
  detail: Record<string, unknown>;
}

const ncrColumns = `ncr_id, alarm_id, status, equipment, characteristic, title, created_by, ${epoch('created_at')} AS created_at, detail`;

function ncrView<D>(r: NcrRow): NcrView<D> {
  return { ncrId: r.ncr_id, alarmId: r.alarm_id, status: r.status, equipment: r.equipment, characteristic: r.characteristic, title: r.title, createdBy: r.created_by, createdAt: r.created_at, detail: r.detail as D };
}

export async function getNcrByAlarm<D = Record<string, unknown>>(q: Queryable, alarmId: string): Promise<NcrView<D> | null> {
  const [r] = await q.query<NcrRow>(`SELECT ${ncrColumns} FROM spc_ncrs WHERE alarm_id = $1`, [alarmId]);
  return r ? ncrView<D>(r) : null;
}

/** Newest first; `total` counts every match. `scope`: ISA-95 path prefix of the equipment ('' = all). */
export async function listNcrs<D = Record<string, unknown>>(q: Queryable, query: { scope?: string; characteristic?: string; limit?: number; offset?: number } = {}): Promise<{ ncrs: NcrView<D>[]; total: number }> {
  const where = `($1 = '' OR equipment = $1 OR starts_with(equipment, $1 || '/')) AND ($2 = '' OR characteristic = $2)`;
  const params = [query.scope ?? '', query.characteristic ?? ''];
  const rows = await q.query<NcrRow>(`SELECT ${ncrColumns} FROM spc_ncrs WHERE ${where} ORDER BY created_at DESC, ncr_id DESC LIMIT $3 OFFSET $4`, [...params, query.limit ?? 100, query.offset ?? 0]);
  const [count] = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM spc_ncrs WHERE ${where}`, params);
  return { ncrs: rows.map((r) => ncrView<D>(r)), total: count?.n ?? 0 };
}

export interface NcrDraft<D> {
  title: string;
  detail: D;
}

/**
 * Stores the draft of an SPC alarm and appends NCR_DRAFT to its audit trail, in one transaction; or, when the alarm
 * has one already, answers that one (`created: false`) and writes nothing. Concurrent calls for one alarm are
 * serialised on the alarm row. Throws AlarmActionError 'not-found' (no such alarm), 'conflict' (not an SPC alarm) or
 * 'invalid' (empty user).
 */
export async function insertNcrDraft<D extends object>(db: Db, alarmId: string, who: string, draft: NcrDraft<D>, at = Date.now()): Promise<{ ncr: NcrView<D>; created: boolean }> {
  if (who.trim() === '') throw new AlarmActionError('user must not be empty', 'invalid');
  return db.transaction(async (tx) => {
    const [c] = await tx.query<{ source: AlarmSource; status: AlarmStatus; equipment: string; characteristic: string | null; last_seq: number; last_at: number | null }>(
      `SELECT source, status, equipment, characteristic, last_seq, ${epoch('last_at')} AS last_at FROM alarms WHERE alarm_id = $1 FOR UPDATE`,
      [alarmId],
    );
    if (!c) throw new AlarmActionError(`alarm '${alarmId}' does not exist`, 'not-found');
    if (c.source !== 'SPC' || c.characteristic === null) throw new AlarmActionError(`alarm '${alarmId}' is a ${c.source} alarm: NCR drafts are for SPC alarms`, 'conflict');
    const existing = await getNcrByAlarm<D>(tx, alarmId);
    if (existing) return { ncr: existing, created: false };
    // A clock behind the last step (another server) must not break the order of the trail.
    const when = c.last_at !== null && at < c.last_at ? c.last_at : at;
    const [row] = await tx.query<NcrRow>(
      `INSERT INTO spc_ncrs (ncr_id, alarm_id, equipment, characteristic, title, created_by, created_at, detail)
       VALUES ('NCR-' || lpad(nextval('spc_ncr_number')::text, 6, '0'), $1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), $7::jsonb)
       RETURNING ${ncrColumns}`,
      [alarmId, c.equipment, c.characteristic, draft.title, who, when, JSON.stringify(draft.detail)],
    );
    const ncr = ncrView<D>(row!);
    await tx.query(
      `INSERT INTO alarm_audit (alarm_id, seq, at, who, action, to_status, payload) VALUES ($1, $2, to_timestamp($3 / 1000.0), $4, 'NCR_DRAFT', $5, $6::jsonb)`,
      [alarmId, c.last_seq + 1, when, who, c.status, JSON.stringify({ ncrId: ncr.ncrId, title: ncr.title })],
    );
    return { ncr, created: true };
  });
}

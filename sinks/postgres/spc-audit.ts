// The SPC control-limit audit trail (migration 0007, topic linepulse.spc-audit.v1): one row per SpcLimitsAudit
// record, appended once by event id (a replayed batch adds nothing), never changed and kept forever.
import type { SpcChartLimits, SpcLimitsAudit } from '../../schemas/generated/types.ts';
import type { Queryable } from './db.ts';

export interface SpcLimitsAuditView {
  eventId: string;
  eventTime: number;
  equipment: string;
  characteristic: string;
  action: SpcLimitsAudit['action'];
  commandId: string | null;
  commandKind: SpcLimitsAudit['commandKind'];
  user: string;
  reason: string;
  requestedAt: number | null;
  fromVersion: number | null;
  toVersion: number | null;
  oldLimits: SpcChartLimits | null;
  newLimits: SpcChartLimits | null;
  pendingPoints: number | null;
  rejection: string | null;
}

/** Appends the records not stored yet (ON CONFLICT on the event id: idempotent under replays). */
export async function writeSpcLimitsAudit(q: Queryable, records: readonly SpcLimitsAudit[]): Promise<void> {
  if (records.length === 0) return;
  await q.query(
    `INSERT INTO spc_limits_audit (event_id, event_time, equipment, characteristic, action, command_id, command_kind, who, reason,
       requested_at, from_version, to_version, old_limits, new_limits, pending_points, rejection)
     SELECT event_id, to_timestamp(event_time / 1000.0), equipment, characteristic, action, command_id, command_kind, who, reason,
       to_timestamp(requested_at / 1000.0), from_version, to_version, old_limits, new_limits, pending_points, rejection
     FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, event_time float8, equipment text, characteristic text, action text,
       command_id text, command_kind text, who text, reason text, requested_at float8, from_version int, to_version int,
       old_limits jsonb, new_limits jsonb, pending_points int, rejection text)
     ON CONFLICT (event_id) DO NOTHING`,
    [
      JSON.stringify(
        records.map((r) => ({
          event_id: r.eventId,
          event_time: r.eventTime,
          equipment: r.equipment,
          characteristic: r.characteristic,
          action: r.action,
          command_id: r.commandId,
          command_kind: r.commandKind,
          who: r.user,
          reason: r.reason,
          requested_at: r.requestedAt,
          from_version: r.fromVersion,
          to_version: r.toVersion,
          old_limits: r.oldLimits,
          new_limits: r.newLimits,
          pending_points: r.pendingPoints,
          rejection: r.rejection,
        })),
      ),
    ],
  );
}

const epoch = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/** A characteristic's (or an equipment's) limit changes, oldest first. */
export async function listSpcLimitsAudit(
  q: Queryable,
  filter: { characteristic?: string; equipment?: string; limit?: number; offset?: number } = {},
): Promise<SpcLimitsAuditView[]> {
  const rows = await q.query<{
    event_id: string;
    event_time: number;
    equipment: string;
    characteristic: string;
    action: SpcLimitsAudit['action'];
    command_id: string | null;
    command_kind: SpcLimitsAudit['commandKind'];
    who: string;
    reason: string;
    requested_at: number | null;
    from_version: number | null;
    to_version: number | null;
    old_limits: SpcChartLimits | null;
    new_limits: SpcChartLimits | null;
    pending_points: number | null;
    rejection: string | null;
  }>(
    `SELECT event_id, ${epoch('event_time')} AS event_time, equipment, characteristic, action, command_id, command_kind, who, reason,
       ${epoch('requested_at')} AS requested_at, from_version, to_version, old_limits, new_limits, pending_points, rejection
     FROM spc_limits_audit
     WHERE ($1::text IS NULL OR characteristic = $1) AND ($2::text IS NULL OR equipment = $2)
     ORDER BY event_time, event_id
     LIMIT $3 OFFSET $4`,
    [filter.characteristic ?? null, filter.equipment ?? null, filter.limit ?? 1000, filter.offset ?? 0],
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    eventTime: r.event_time,
    equipment: r.equipment,
    characteristic: r.characteristic,
    action: r.action,
    commandId: r.command_id,
    commandKind: r.command_kind,
    user: r.who,
    reason: r.reason,
    requestedAt: r.requested_at,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    oldLimits: r.old_limits,
    newLimits: r.new_limits,
    pendingPoints: r.pending_points,
    rejection: r.rejection,
  }));
}

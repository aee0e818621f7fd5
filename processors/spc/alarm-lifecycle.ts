// The lifecycle of an SPC alarm, as a pure state machine (the PostgreSQL store, the API and the dashboard come with
// the alarm-workflow work): raised -> acknowledged (who, when) -> assignable cause + corrective action -> closed.
// Every step appends one entry to the case's audit trail; nothing is ever changed or removed, and the case can be
// rebuilt from its trail alone (`replay`). Times are passed in (epoch ms), never read from a clock.
import type { SpcAlarm } from '../../schemas/generated/types.ts';

export type AlarmStatus = 'RAISED' | 'ACKNOWLEDGED' | 'CAUSE_ASSIGNED' | 'CLOSED';

export type AuditAction =
  | { readonly kind: 'RAISE'; readonly alarm: SpcAlarm }
  | { readonly kind: 'ACKNOWLEDGE'; readonly note: string | null }
  | { readonly kind: 'ASSIGN_CAUSE'; readonly assignableCause: string; readonly correctiveAction: string }
  | { readonly kind: 'CLOSE'; readonly note: string | null }
  | { readonly kind: 'COMMENT'; readonly text: string }
  /** A nonconformance report was drafted from the alarm (any status, closed included; status unchanged). */
  | { readonly kind: 'NCR_DRAFT'; readonly ncrId: string };

export interface AuditEntry {
  /** 1, 2, 3, ... without gaps. */
  readonly seq: number;
  readonly at: number;
  readonly who: string;
  readonly from: AlarmStatus | null;
  readonly to: AlarmStatus;
  readonly action: AuditAction;
}

export interface AlarmCase {
  readonly alarmId: string;
  readonly characteristic: string;
  readonly status: AlarmStatus;
  readonly raisedAt: number;
  readonly acknowledged: { readonly who: string; readonly at: number } | null;
  /** The latest assignment (earlier ones stay in the trail). */
  readonly cause: { readonly assignableCause: string; readonly correctiveAction: string; readonly who: string; readonly at: number } | null;
  readonly closed: { readonly who: string; readonly at: number } | null;
  readonly audit: readonly AuditEntry[];
}

export class LifecycleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LifecycleError';
  }
}

/** Which action may follow which status (COMMENT: any time before closing; NCR_DRAFT: any time; both leave the status). */
const transitions: Record<Exclude<AuditAction['kind'], 'RAISE' | 'COMMENT' | 'NCR_DRAFT'>, { from: readonly AlarmStatus[]; to: AlarmStatus }> = {
  ACKNOWLEDGE: { from: ['RAISED'], to: 'ACKNOWLEDGED' },
  // a cause can be revised until the alarm is closed; each revision is a new entry
  ASSIGN_CAUSE: { from: ['ACKNOWLEDGED', 'CAUSE_ASSIGNED'], to: 'CAUSE_ASSIGNED' },
  CLOSE: { from: ['CAUSE_ASSIGNED'], to: 'CLOSED' },
};

function nonEmpty(value: string, what: string): string {
  if (value.trim() === '') throw new LifecycleError(`${what} must not be empty`);
  return value;
}

function apply(c: AlarmCase | null, who: string, at: number, action: AuditAction): AlarmCase {
  nonEmpty(who, 'who');
  if (!Number.isFinite(at)) throw new LifecycleError('at must be epoch ms');
  if (action.kind === 'RAISE') {
    if (c !== null) throw new LifecycleError(`alarm ${c.alarmId} is already raised`);
    const entry: AuditEntry = { seq: 1, at, who, from: null, to: 'RAISED', action };
    return { alarmId: action.alarm.eventId, characteristic: action.alarm.characteristic, status: 'RAISED', raisedAt: at, acknowledged: null, cause: null, closed: null, audit: [entry] };
  }
  if (c === null) throw new LifecycleError('the alarm has not been raised');
  const last = c.audit[c.audit.length - 1]!;
  if (at < last.at) throw new LifecycleError(`alarm ${c.alarmId}: ${action.kind} at ${at} is before the last step (${last.at})`);
  let to: AlarmStatus = c.status;
  if (action.kind === 'NCR_DRAFT') {
    nonEmpty(action.ncrId, 'NCR id');
  } else if (action.kind !== 'COMMENT') {
    const t = transitions[action.kind];
    if (!t.from.includes(c.status)) throw new LifecycleError(`alarm ${c.alarmId} is ${c.status}: cannot ${action.kind.toLowerCase().replace('_', ' ')}`);
    to = t.to;
  } else if (c.status === 'CLOSED') {
    throw new LifecycleError(`alarm ${c.alarmId} is closed`);
  }
  const entry: AuditEntry = { seq: last.seq + 1, at, who, from: c.status, to, action };
  const next: AlarmCase = { ...c, status: to, audit: [...c.audit, entry] };
  switch (action.kind) {
    case 'ACKNOWLEDGE':
      return { ...next, acknowledged: { who, at } };
    case 'ASSIGN_CAUSE':
      return { ...next, cause: { assignableCause: action.assignableCause, correctiveAction: action.correctiveAction, who, at } };
    case 'CLOSE':
      return { ...next, closed: { who, at } };
    default:
      return next;
  }
}

/** Opens a case for an alarm from the spcAlarms topic (who: the processor or the consumer that stores it). */
export function raise(alarm: SpcAlarm, who: string, at: number): AlarmCase {
  return apply(null, who, at, { kind: 'RAISE', alarm });
}

export function acknowledge(c: AlarmCase, who: string, at: number, note: string | null = null): AlarmCase {
  return apply(c, who, at, { kind: 'ACKNOWLEDGE', note });
}

export function assignCause(c: AlarmCase, who: string, at: number, assignableCause: string, correctiveAction: string): AlarmCase {
  return apply(c, who, at, { kind: 'ASSIGN_CAUSE', assignableCause: nonEmpty(assignableCause, 'assignable cause'), correctiveAction: nonEmpty(correctiveAction, 'corrective action') });
}

export function close(c: AlarmCase, who: string, at: number, note: string | null = null): AlarmCase {
  return apply(c, who, at, { kind: 'CLOSE', note });
}

export function comment(c: AlarmCase, who: string, at: number, text: string): AlarmCase {
  return apply(c, who, at, { kind: 'COMMENT', text: nonEmpty(text, 'comment') });
}

/** Records that an NCR was drafted from the alarm (the sink keeps one per alarm: sinks/postgres/ncr.ts). */
export function draftNcr(c: AlarmCase, who: string, at: number, ncrId: string): AlarmCase {
  return apply(c, who, at, { kind: 'NCR_DRAFT', ncrId });
}

/** Rebuilds a case from its audit trail alone (what a store of append-only rows gives back). */
export function replay(audit: readonly AuditEntry[]): AlarmCase {
  let c: AlarmCase | null = null;
  audit.forEach((entry, i) => {
    if (entry.seq !== i + 1) throw new LifecycleError(`audit entry ${i + 1} has seq ${entry.seq}`);
    c = apply(c, entry.who, entry.at, entry.action);
    if (c.status !== entry.to) throw new LifecycleError(`audit entry ${entry.seq} says ${entry.to}, replay gives ${c.status}`);
  });
  if (c === null) throw new LifecycleError('empty audit trail');
  return c;
}

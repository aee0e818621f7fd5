// Builders for OEE tests and the benchmark: complete input records (valid per the Avro contracts) and the
// consumer's view of the output (highest revision per window).
import type { CountIncrement, OeeWindow } from '../../schemas/generated/types.ts';
import type { CoreOutput } from '../contract.ts';
import type { OfflineRecord } from '../runtime/offline.ts';
import { dispatch, equipmentState } from '../runtime/test-events.ts';

export const equipment = 'acme/plant1/assembly/line1/cell1/press';

let seq = 0;
const nextId = (prefix: string) => `${prefix}-${(seq += 1)}`;

export function st(t: number, state: string, extra: { reasonCode?: string; quality?: 'GOOD' | 'UNCERTAIN' | 'BAD'; eventId?: string } = {}): OfflineRecord {
  const value = equipmentState({ eventId: extra.eventId ?? nextId('s'), eventTime: t, state, equipment, reasonCode: extra.reasonCode ?? null, quality: extra.quality ?? 'GOOD' });
  return { topic: 'state', key: equipment, value };
}

export function cnt(t: number, good: number, reject = 0, extra: { rejectReason?: string; eventId?: string } = {}): OfflineRecord {
  const eventId = extra.eventId ?? nextId('c');
  const value: CountIncrement = { eventId, eventTime: t, equipment, good, reject, workOrder: null, rejectReason: extra.rejectReason ?? null, sourceEventId: `${eventId}-src`, note: null };
  return { topic: 'countIncrements', key: equipment, value };
}

export function disp(t: number, workOrder: string | null, extra: { product?: string; idealCycleTimeMs?: number; eventId?: string } = {}): OfflineRecord {
  const value = dispatch({ eventId: extra.eventId ?? nextId('d'), eventTime: t, equipment, workOrder, product: extra.product ?? null, idealCycleTimeMs: extra.idealCycleTimeMs ?? null });
  return { topic: 'dispatch', key: equipment, value };
}

export const windowsOf = (outputs: readonly CoreOutput[]): OeeWindow[] => outputs.map((o) => o.value as OeeWindow);

/** What a consumer keeps: the highest revision per (windowKind, windowId). */
export function latest(outputs: readonly CoreOutput[]): Map<string, OeeWindow> {
  const out = new Map<string, OeeWindow>();
  for (const w of windowsOf(outputs)) {
    const k = `${w.windowKind} ${w.windowId}`;
    const prev = out.get(k);
    if (prev === undefined || w.revision > prev.revision) out.set(k, w);
  }
  return out;
}

export function find(outputs: readonly CoreOutput[], kind: OeeWindow['windowKind'], windowId: string): OeeWindow {
  const w = latest(outputs).get(`${kind} ${windowId}`);
  if (w === undefined) throw new Error(`no ${kind} ${windowId} in [${[...latest(outputs).keys()].join(', ')}]`);
  return w;
}

/** Time conservation and non-negativity of one record (README: invariants). */
export function invariantViolations(w: OeeWindow): string[] {
  const problems: string[] = [];
  const parts = w.runTimeMs + w.unplannedStopMs + w.setupMs + w.idleMs + w.unknownMs + w.plannedStopMs;
  if (parts !== w.scheduledTimeMs) problems.push(`run+stops+setup+idle+unknown+planned ${parts} != scheduled ${w.scheduledTimeMs}`);
  if (w.plannedProductionTimeMs !== w.scheduledTimeMs - w.plannedStopMs) problems.push('planned production time');
  for (const k of ['scheduledTimeMs', 'plannedStopMs', 'runTimeMs', 'unplannedStopMs', 'setupMs', 'idleMs', 'microStopMs', 'unknownMs', 'notScheduledMs', 'runOutsideScheduleMs', 'totalCount', 'goodCount', 'rejectCount', 'microStopCount', 'startupRejectCount'] as const)
    if (!(w[k] >= 0) || !Number.isInteger(w[k])) problems.push(`${k} = ${w[k]}`);
  if (w.microStopMs > w.runTimeMs) problems.push('micro-stops exceed run time');
  if (w.runOutsideScheduleMs > w.runTimeMs) problems.push('run outside schedule exceeds run time');
  if (w.goodCount + w.rejectCount !== w.totalCount) problems.push('good + reject != total');
  if (w.startupRejectCount > w.rejectCount) problems.push('startup rejects exceed rejects');
  const byKind = Object.values(w.plannedStopByKind).reduce((s, x) => s + x, 0);
  if (byKind !== w.plannedStopMs) problems.push(`plannedStopByKind sums to ${byKind}, not ${w.plannedStopMs}`);
  if (w.scheduledTimeMs + w.notScheduledMs > w.windowEnd - w.windowStart && w.windowKind !== 'WORK_ORDER') problems.push('more time than the window');
  if (w.oee !== null && w.performance !== null) {
    const losses = Object.values(w.losses).reduce((s, x) => s + x, 0);
    if (Math.abs(losses - w.plannedProductionTimeMs * (1 - w.oee)) > 1e-6 * Math.max(1, w.plannedProductionTimeMs)) problems.push(`losses ${losses} != ppt x (1 - oee)`);
  }
  for (const r of ['availability', 'performance', 'quality', 'oee'] as const) {
    const v = w[r];
    if (v !== null && (!Number.isFinite(v) || v < 0)) problems.push(`${r} = ${v}`);
  }
  return problems;
}

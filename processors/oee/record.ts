// Accumulators -> OeeWindow records: the KPI formulas (README.md, "Definitions"), the six big losses and flags.
import type { OeeWindow, OeeWindowKind } from '../../schemas/generated/types.ts';
import type { Acc } from './engine.ts';

export interface RenderOptions {
  equipment: string;
  kind: OeeWindowKind;
  revision: number;
  closed: boolean;
  /** Event time up to which the window is computed. */
  eventTime: number;
  /** Extra flags (PROVISIONAL, RETRACTED). */
  flags?: readonly string[];
}

export function eventIdOf(equipment: string, kind: OeeWindowKind, windowId: string, revision: number): string {
  return `oee:${equipment}:${kind}:${windowId}:r${revision}`;
}

function single(value: string | null, n: number): string | null {
  return n === 1 ? value : null;
}

/** The KPIs of an accumulator. Ratios with a zero denominator are null; nothing is clamped. */
export function kpis(a: Acc): { availability: number | null; performance: number | null; quality: number | null; oee: number | null } {
  const total = a.good + a.rej;
  const ppt = a.sched - a.planned;
  const ideal = a.idealUs / 1000;
  const availability = ppt > 0 ? a.run / ppt : null;
  const performance = a.run > 0 && a.noIct === 0 ? ideal / a.run : null;
  const quality = total > 0 ? a.good / total : null;
  let oee = availability !== null && performance !== null && quality !== null ? availability * performance * quality : null;
  // Planned production time passed and not one piece was made: nothing good came out whatever the undefined factors.
  if (oee === null && ppt > 0 && total === 0) oee = 0;
  return { availability, performance, quality, oee };
}

export function render(a: Acc, o: RenderOptions): OeeWindow {
  const total = a.good + a.rej;
  const ideal = a.idealUs / 1000;
  const { availability, performance, quality, oee } = kpis(a);
  const losses: Record<string, number> = {
    breakdown: a.unpl + a.idle + a.unk,
    setup: a.setup,
    smallStops: a.micro,
  };
  if (performance !== null) {
    losses.reducedSpeed = a.run - a.micro - ideal;
    losses.startupRejects = total > 0 ? (ideal * a.suRej) / total : 0;
    losses.productionRejects = total > 0 ? (ideal * (a.rej - a.suRej)) / total : 0;
  }
  const flags = new Set<string>(o.flags ?? []);
  if (performance !== null && performance > 1) flags.add('PERFORMANCE_OVER_100');
  if (a.noIct > 0) flags.add('NO_IDEAL_CYCLE_TIME');
  if (a.unk > 0) flags.add('UNKNOWN_STATE_TIME');
  if (a.runOut > 0) flags.add('RUN_OUTSIDE_SCHEDULE');
  if (total > 0 && a.run === 0) flags.add('COUNTS_WITHOUT_RUN_TIME');
  const plannedStopByKind: Record<string, number> = {};
  for (const k of Object.keys(a.pk).sort()) plannedStopByKind[k] = a.pk[k]!;
  const windowId = a.id;
  const windowEnd = a.e ?? o.eventTime;
  return {
    eventId: eventIdOf(o.equipment, o.kind, windowId, o.revision),
    eventTime: o.eventTime,
    equipment: o.equipment,
    windowKind: o.kind,
    windowId,
    windowStart: a.s,
    windowEnd,
    closed: o.closed,
    revision: o.revision,
    shift: single(a.sh, a.shN),
    workOrder: single(a.wo, a.woN),
    product: single(a.pr, a.prN),
    scheduledTimeMs: a.sched,
    plannedStopMs: a.planned,
    plannedProductionTimeMs: a.sched - a.planned,
    runTimeMs: a.run,
    unplannedStopMs: a.unpl,
    setupMs: a.setup,
    idleMs: a.idle,
    microStopMs: a.micro,
    microStopCount: a.microN,
    unknownMs: a.unk,
    totalCount: total,
    goodCount: a.good,
    rejectCount: a.rej,
    idealProductionTimeMs: ideal,
    availability,
    performance,
    quality,
    oee,
    losses,
    flags: [...flags].sort(),
    notScheduledMs: a.notSched,
    runOutsideScheduleMs: a.runOut,
    plannedStopByKind,
    startupRejectCount: a.suRej,
    idealCycleTimeMs: a.noIct === 0 && a.ictMin !== null && a.ictMin === a.ictMax ? a.ictMin / 1000 : null,
  };
}

/** A retraction: the window no longer exists after late data (all figures zero, flag RETRACTED). */
export function retraction(meta: { kind: OeeWindowKind; id: string; s: number; e: number | null }, o: RenderOptions): OeeWindow {
  const a: Acc = {
    k: 'WORK_ORDER', id: meta.id, s: meta.s, e: meta.e,
    sh: null, shN: 0, wo: null, woN: 0, pr: null, prN: 0,
    sched: 0, planned: 0, run: 0, micro: 0, microN: 0, unpl: 0, setup: 0, idle: 0, unk: 0, notSched: 0, runOut: 0,
    pk: {}, good: 0, rej: 0, suRej: 0, idealUs: 0, noIct: 0, ictMin: null, ictMax: null,
  };
  return render(a, { ...o, flags: ['RETRACTED'] });
}

/**
 * Content fingerprint of a window's accumulators (everything a record is rendered from): did the window change
 * since it was last emitted? Two independent 32-bit hashes over every field, in a fixed order.
 */
export function fingerprint(a: Acc, extra = ''): string {
  let h1 = 0x811c9dc5;
  let h2 = 5381;
  const num = (n: number | null): void => {
    const x = n === null ? -1 : n;
    const lo = x | 0;
    const hi = Math.floor(x / 4294967296) | 0;
    h1 = Math.imul(h1 ^ lo, 0x01000193);
    h1 = Math.imul(h1 ^ hi, 0x01000193);
    h2 = (Math.imul(h2, 33) + lo) | 0;
    h2 = (Math.imul(h2, 33) ^ hi) | 0;
  };
  const text = (t: string | null): void => {
    if (t === null) return num(-2);
    for (let i = 0; i < t.length; i += 1) {
      const c = t.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = (Math.imul(h2, 33) + c) | 0;
    }
    num(t.length);
  };
  text(a.k);
  text(a.id);
  num(a.s);
  num(a.e);
  text(a.shN === 1 ? a.sh : null);
  text(a.woN === 1 ? a.wo : null);
  text(a.prN === 1 ? a.pr : null);
  for (const n of [a.sched, a.planned, a.run, a.micro, a.microN, a.unpl, a.setup, a.idle, a.unk, a.notSched, a.runOut])
    num(n);
  for (const n of [a.good, a.rej, a.suRej, a.idealUs, a.noIct, a.ictMin, a.ictMax]) num(n);
  for (const k of Object.keys(a.pk).sort()) {
    text(k);
    num(a.pk[k]!);
  }
  text(extra);
  return `${(h1 >>> 0).toString(36)}.${(h2 >>> 0).toString(36)}`;
}

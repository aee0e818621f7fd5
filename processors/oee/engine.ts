// The OEE fold: walks one equipment's timeline (state changes, count increments, dispatches, in event-time order)
// and accumulates time and pieces into the windows they fall in. The same fold runs incrementally for live data
// and from a snapshot for recomputation after late data, so both give identical numbers: every accumulator is an
// integer (ms, pieces, microseconds of ideal time), and sums do not depend on how time was cut into segments.
//
// Time model (README.md): each instant is classified by the calendar (scheduled / break / not scheduled) and the
// machine's effective category. Contiguous unplanned or idle stops form an episode; an episode shorter than the
// micro-stop threshold is a micro-stop (run time, performance loss), else each part counts as its own category.
// An episode's segments are buffered until it ends or reaches the threshold, so a window is final once the
// watermark is past its end + threshold.
//
// Mutation discipline: functions take a `Mut` (an engine cloned shallowly for this call) and copy each
// accumulator, the episode and the startup tracker at most once before changing them, so the engine passed in
// by the caller is never modified (pure core, cheap per event).
import { periodAt, type CalendarPeriod, type ShiftCalendar } from '../calendar/calendar.ts';
import type { StateCategory } from '../states/states.ts';

/** Effective category: the state category plus what the OEE conventions derive from dispatch and config. */
export type EffCat = StateCategory | 'noOrder' | 'plannedIdle';
/** How a piece of time is booked: an effective category, or `micro` for a classified micro-stop. */
export type Booking = EffCat | 'micro';

export type WindowKind = 'HOUR' | 'SHIFT' | 'DAY' | 'WORK_ORDER';

/**
 * Log entries (compact tuples, JSON-friendly), ordered by (t, rank, id); rank orders same-time entries like the
 * runtime (topic name). A count entry is the sum of the pieces counted in one bucket [t - bucket, t): it sorts
 * after every state change and dispatch inside its bucket and is booked at t - 1 with the context of that moment
 * (README: convention 9), so the order of a bucket's pieces relative to its state changes is canonical.
 */
export type CountEntry = [t: number, rank: 0, id: '', good: number, reject: number, startupByReason: number];
export type DispatchEntry = [t: number, rank: 1, id: string, workOrder: string | null, product: string | null, idealUs: number | null];
export type StateEntry = [t: number, rank: 2, id: string, category: StateCategory];
export type Entry = CountEntry | DispatchEntry | StateEntry;
export type EntryKey = [t: number, rank: number, id: string];

export function compareEntries(a: EntryKey | Entry, b: EntryKey | Entry): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/** Accumulators of one window. Time in ms, ideal time in microseconds; labels: value + 0 none / 1 one / 2 several. */
export interface Acc {
  k: WindowKind;
  id: string;
  s: number;
  /** End (exclusive); null while a work order is dispatched. */
  e: number | null;
  sh: string | null;
  shN: number;
  wo: string | null;
  woN: number;
  pr: string | null;
  prN: number;
  sched: number;
  planned: number;
  run: number;
  micro: number;
  microN: number;
  unpl: number;
  setup: number;
  idle: number;
  unk: number;
  notSched: number;
  runOut: number;
  pk: Record<string, number>;
  good: number;
  rej: number;
  suRej: number;
  idealUs: number;
  noIct: number;
  ictMin: number | null;
  ictMax: number | null;
}

/** A buffered piece of an undecided stop episode. */
export interface Seg {
  a: number;
  b: number;
  p: CalendarPeriod;
  wo: string | null;
  pr: string | null;
  eff: EffCat;
}

export interface Episode {
  s: number;
  /** Reached the threshold: its time is booked as it comes. */
  long: boolean;
  segs: Seg[];
}

export interface Startup {
  /** A setup or work order change happened: the next start of running opens a startup period. */
  armed: boolean;
  /** Rejects before this time are startup rejects. */
  until: number | null;
  /** When the machine last stopped running (for `afterStopMs`). */
  stopSince: number | null;
}

export interface Engine {
  /** Time accounted up to (exclusive); null before the first event. */
  t: number | null;
  /**
   * Start of the open interval [o, t): accounted but not yet booked into accumulators (it lies in period `p`, in
   * the current state). Booked by `settle` before the state, the work order or the period changes, and before the
   * accumulators are read. Booking late or early gives the same sums.
   */
  o: number | null;
  cat: StateCategory;
  wo: string | null;
  pr: string | null;
  /** Ideal cycle time of the pieces now, microseconds; null when unknown. */
  ict: number | null;
  ep: Episode | null;
  su: Startup;
  /** Calendar period containing t (cache). */
  p: CalendarPeriod | null;
  acc: Record<string, Acc>;
  /** Key of the last entry applied. */
  last: EntryKey | null;
  /**
   * Time of the last data from the machine (a state or count entry), for the no-data rule (Params.offlineAfterMs);
   * absent in engines saved before the rule existed.
   */
  dataT?: number | null;
  /** While the machine counts as offline (no data for too long): the category it last reported; else null. */
  off?: StateCategory | null;
}

/** Per-equipment parameters, resolved once from the config. */
export interface Params {
  calendar: ShiftCalendar;
  thresholdMs: number;
  idleAsPlannedStop: boolean;
  noOrderIsPlannedStop: boolean;
  startupPeriodMs: number;
  startupAfterStopMs: number;
  /** Ideal cycle time (µs) when no work order says otherwise. */
  defaultIdealUs: number | null;
  /** No data for longer than this (ms of event time) while in one of `offlineCategories`: unknown. 0: off. */
  offlineAfterMs: number;
  offlineCategories: ReadonlySet<StateCategory>;
}

export function emptyEngine(defaultIdealUs: number | null): Engine {
  return {
    t: null,
    o: null,
    cat: 'unknown',
    wo: null,
    pr: null,
    ict: defaultIdealUs,
    ep: null,
    su: { armed: false, until: null, stopSince: null },
    p: null,
    acc: {},
    last: null,
    dataT: null,
    off: null,
  };
}

/** An engine being changed in one call: `e` is a shallow copy; `owned` are the objects already copied. */
export interface Mut {
  e: Engine;
  owned: WeakSet<object>;
}

export function mutate(engine: Engine): Mut {
  const e: Engine = { ...engine, acc: { ...engine.acc } };
  return { e, owned: new WeakSet() };
}


export function effective(e: Engine, prm: Params): EffCat {
  if (e.cat !== 'running' && prm.noOrderIsPlannedStop && e.wo === null) return 'noOrder';
  if (e.cat === 'idle' && prm.idleAsPlannedStop) return 'plannedIdle';
  return e.cat;
}

/** Stops that can be micro-stops. */
export function microEligible(eff: EffCat): boolean {
  return eff === 'unplannedStop' || eff === 'idle';
}

export function inSchedule(p: CalendarPeriod): boolean {
  return p.shift !== null && p.breakKind === null;
}

function periodFor(m: Mut, prm: Params, t: number): CalendarPeriod {
  const p = m.e.p;
  if (p !== null && p.start <= t && t < p.end) return p;
  settle(m, prm); // the open interval belongs to the period being replaced
  const found = periodAt(prm.calendar, t);
  m.e.p = found;
  return found;
}

const periodKeys = new WeakMap<CalendarPeriod, readonly string[]>();

/** Keys of the calendar windows of a period (memoised per period object). */
function calendarKeys(p: CalendarPeriod): readonly string[] {
  let keys = periodKeys.get(p);
  if (keys === undefined) {
    keys = p.shift !== null ? [`H|${p.hour.id}`, `D|${p.day.id}`, `S|${p.shift.id}`] : [`H|${p.hour.id}`, `D|${p.day.id}`];
    periodKeys.set(p, keys);
  }
  return keys;
}

/** Keys of the windows a moment of period `p` with work order `wo` belongs to. */
export function windowKeys(p: CalendarPeriod, wo: string | null): readonly string[] {
  const keys = calendarKeys(p);
  return wo === null ? keys : [...keys, `W|${wo}`];
}

export function newAcc(k: WindowKind, id: string, s: number, e: number | null): Acc {
  return {
    k, id, s, e,
    sh: null, shN: 0, wo: null, woN: 0, pr: null, prN: 0,
    sched: 0, planned: 0, run: 0, micro: 0, microN: 0, unpl: 0, setup: 0, idle: 0, unk: 0, notSched: 0, runOut: 0,
    pk: {},
    good: 0, rej: 0, suRej: 0, idealUs: 0, noIct: 0, ictMin: null, ictMax: null,
  };
}

/** Field-by-field copy: keeps one object shape for every accumulator (fast property access, cheap copies). */
export function copyAcc(v: Acc): Acc {
  return {
    k: v.k, id: v.id, s: v.s, e: v.e,
    sh: v.sh, shN: v.shN, wo: v.wo, woN: v.woN, pr: v.pr, prN: v.prN,
    sched: v.sched, planned: v.planned, run: v.run, micro: v.micro, microN: v.microN, unpl: v.unpl, setup: v.setup,
    idle: v.idle, unk: v.unk, notSched: v.notSched, runOut: v.runOut,
    pk: v.pk,
    good: v.good, rej: v.rej, suRej: v.suRej, idealUs: v.idealUs, noIct: v.noIct, ictMin: v.ictMin, ictMax: v.ictMax,
  };
}

function ownAcc(m: Mut, key: string, existing: Acc): Acc {
  if (m.owned.has(existing)) return existing;
  const a = copyAcc(existing);
  m.owned.add(a);
  m.e.acc[key] = a;
  return a;
}

function ownPk(m: Mut, a: Acc): Record<string, number> {
  if (m.owned.has(a.pk)) return a.pk;
  const pk = { ...a.pk };
  m.owned.add(pk);
  a.pk = pk;
  return pk;
}

function accFor(m: Mut, key: string, p: CalendarPeriod, at: number): Acc {
  const existing = m.e.acc[key];
  if (existing !== undefined) return ownAcc(m, key, existing);
  let a: Acc;
  switch (key[0]) {
    case 'H':
      a = newAcc('HOUR', p.hour.id, p.hour.start, p.hour.end);
      break;
    case 'D':
      a = newAcc('DAY', p.day.id, p.day.start, p.day.end);
      break;
    case 'S':
      a = newAcc('SHIFT', p.shift!.id, p.shift!.start, p.shift!.end);
      break;
    default:
      // A work order window is opened by its dispatch; this only happens if it was evicted meanwhile.
      a = newAcc('WORK_ORDER', key.slice(2), at, null);
  }
  m.owned.add(a);
  m.e.acc[key] = a;
  return a;
}

/** Notes the shift name / work order / product seen in a window: 0 none, 1 one value, 2 several. */
function labels(a: Acc, shift: string | null, wo: string | null, pr: string | null): void {
  if (shift !== null) {
    if (a.shN === 0) {
      a.sh = shift;
      a.shN = 1;
    } else if (a.shN === 1 && a.sh !== shift) a.shN = 2;
  }
  if (wo !== null) {
    if (a.woN === 0) {
      a.wo = wo;
      a.woN = 1;
    } else if (a.woN === 1 && a.wo !== wo) a.woN = 2;
  }
  if (pr !== null) {
    if (a.prN === 0) {
      a.pr = pr;
      a.prN = 1;
    } else if (a.prN === 1 && a.pr !== pr) a.prN = 2;
  }
}

/** Books `dur` ms of `booking` at calendar period `p` into accumulator `a` (which the caller owns). */
export function addTime(a: Acc, dur: number, p: CalendarPeriod, booking: Booking, m: Mut | null): void {
  if (inSchedule(p)) {
    a.sched += dur;
    switch (booking) {
      case 'running':
        a.run += dur;
        break;
      case 'micro':
        a.run += dur;
        a.micro += dur;
        break;
      case 'unplannedStop':
        a.unpl += dur;
        break;
      case 'idle':
        a.idle += dur;
        break;
      case 'setup':
        a.setup += dur;
        break;
      case 'unknown':
        a.unk += dur;
        break;
      case 'plannedStop':
      case 'noOrder':
      case 'plannedIdle': {
        const kind = booking === 'plannedStop' ? 'PLANNED_STOP' : booking === 'noOrder' ? 'NO_ORDERS' : 'IDLE';
        a.planned += dur;
        const pk = m === null ? a.pk : ownPk(m, a);
        pk[kind] = (pk[kind] ?? 0) + dur;
        break;
      }
    }
  } else if (booking === 'running') {
    // Production during a break or outside every shift counts as planned production (README: convention 4).
    a.sched += dur;
    a.run += dur;
    a.runOut += dur;
  } else if (p.shift !== null) {
    a.sched += dur;
    a.planned += dur;
    const pk = m === null ? a.pk : ownPk(m, a);
    const kind = p.breakKind ?? 'BREAK';
    pk[kind] = (pk[kind] ?? 0) + dur;
  } else {
    a.notSched += dur;
  }
}

function commit(m: Mut, a0: number, b0: number, p: CalendarPeriod, wo: string | null, pr: string | null, booking: Booking, countMicro: boolean): void {
  const dur = b0 - a0;
  if (dur <= 0 && !countMicro) return;
  const shift = p.shift === null ? null : p.shift.name;
  for (const key of windowKeys(p, wo)) {
    const a = accFor(m, key, p, a0);
    addTime(a, dur, p, booking, m);
    if (countMicro) a.microN += 1;
    labels(a, shift, wo, pr);
  }
}

function ownEpisode(m: Mut): Episode {
  const ep = m.e.ep!;
  if (m.owned.has(ep)) return ep;
  const c: Episode = { s: ep.s, long: ep.long, segs: [...ep.segs] };
  m.owned.add(c);
  m.e.ep = c;
  return c;
}

function ownStartup(m: Mut): Startup {
  const su = m.e.su;
  if (m.owned.has(su)) return su;
  const c: Startup = { armed: su.armed, until: su.until, stopSince: su.stopSince };
  m.owned.add(c);
  m.e.su = c;
  return c;
}

function segment(m: Mut, prm: Params, a: number, b: number, p: CalendarPeriod, eff: EffCat): void {
  const e = m.e;
  if (e.ep !== null && !e.ep.long) {
    const ep = ownEpisode(m);
    ep.segs.push({ a, b, p, wo: e.wo, pr: e.pr, eff });
    if (b - ep.s >= prm.thresholdMs) {
      ep.long = true;
      for (const s of ep.segs) commit(m, s.a, s.b, s.p, s.wo, s.pr, s.eff, false);
      ep.segs = [];
    }
    return;
  }
  commit(m, a, b, p, e.wo, e.pr, eff, false);
}

/** Books the open interval into the accumulators (and decides the stop episode it extends, if any). */
export function settle(m: Mut, prm: Params): void {
  const e = m.e;
  if (e.o === null) return;
  const a = e.o;
  e.o = null;
  if (e.t! > a) segment(m, prm, a, e.t!, e.p!, effective(e, prm));
}

/** Accounts time from the engine's cursor up to `to` in the current state (lazily: see Engine.o). */
export function advance(m: Mut, prm: Params, to: number): void {
  const e = m.e;
  if (e.t === null || to <= e.t) return;
  // The no-data rule: no data from the machine for more than offlineAfterMs in a category it applies to, and the
  // time from then on is unknown (until data comes again: applyEntry).
  const dataT = e.dataT ?? null;
  if (prm.offlineAfterMs > 0 && dataT !== null && (e.off ?? null) === null && prm.offlineCategories.has(e.cat)) {
    const at = dataT + prm.offlineAfterMs;
    if (at < to) {
      walk(m, prm, Math.max(at, e.t));
      settle(m, prm);
      const before = effective(e, prm);
      e.off = e.cat;
      e.cat = 'unknown';
      const after = effective(e, prm);
      if (before !== after) transition(m, prm, before, after, Math.max(at, e.t));
    }
  }
  walk(m, prm, to);
}

function walk(m: Mut, prm: Params, to: number): void {
  const e = m.e;
  if (e.t === null || to <= e.t) return;
  while (e.t < to) {
    const p = periodFor(m, prm, e.t);
    if (e.o === null) e.o = e.t;
    e.t = Math.min(to, p.end);
  }
}

function endEpisode(m: Mut): void {
  const ep = m.e.ep!;
  m.e.ep = null;
  if (ep.long) return;
  let counted = false;
  for (const s of ep.segs) {
    const countHere = !counted && inSchedule(s.p);
    commit(m, s.a, s.b, s.p, s.wo, s.pr, 'micro', countHere);
    if (countHere) counted = true;
  }
}

function transition(m: Mut, prm: Params, before: EffCat, after: EffCat, t: number): void {
  const wasEligible = microEligible(before);
  const isEligible = microEligible(after);
  if (wasEligible && !isEligible) endEpisode(m);
  else if (!wasEligible && isEligible) m.e.ep = { s: t, long: false, segs: [] };
  if (after === 'setup' && !m.e.su.armed) ownStartup(m).armed = true;
  if (after === 'running' && before !== 'running') {
    const su = ownStartup(m);
    const afterStop = prm.startupAfterStopMs > 0 && su.stopSince !== null && t - su.stopSince >= prm.startupAfterStopMs;
    if (su.armed || afterStop) {
      if (prm.startupPeriodMs > 0) su.until = t + prm.startupPeriodMs;
      su.armed = false;
    }
    su.stopSince = null;
  }
  if (before === 'running' && after !== 'running') ownStartup(m).stopSince = t;
}

function applyCount(m: Mut, prm: Params, t: number, good: number, reject: number, startupByReason: number): void {
  const e = m.e;
  const p = periodFor(m, prm, t);
  const eff = effective(e, prm);
  const startup = eff === 'setup' || (e.su.until !== null && t < e.su.until) ? reject : Math.min(reject, startupByReason);
  const pieces = good + reject;
  for (const key of windowKeys(p, e.wo)) {
    const a = accFor(m, key, p, t);
    a.good += good;
    a.rej += reject;
    a.suRej += startup;
    if (pieces > 0) {
      if (e.ict === null) a.noIct += pieces;
      else {
        a.idealUs += e.ict * pieces;
        a.ictMin = a.ictMin === null ? e.ict : Math.min(a.ictMin, e.ict);
        a.ictMax = a.ictMax === null ? e.ict : Math.max(a.ictMax, e.ict);
      }
    }
    labels(a, p.shift === null ? null : p.shift.name, e.wo, e.pr);
  }
}

function applyDispatch(m: Mut, prm: Params, t: number, wo: string | null, pr: string | null, idealUs: number | null): void {
  const e = m.e;
  const before = effective(e, prm);
  if (wo !== e.wo) {
    if (e.wo !== null) {
      const key = `W|${e.wo}`;
      const old = e.acc[key];
      // Dispatched and replaced at the same instant: the order never ran here, it has no window.
      if (old !== undefined && old.s === t && old.sched + old.notSched + old.good + old.rej === 0) delete e.acc[key];
      else if (old !== undefined) ownAcc(m, key, old).e = t;
    }
    if (wo !== null) {
      const key = `W|${wo}`;
      const old = e.acc[key];
      let a: Acc;
      if (old !== undefined) a = ownAcc(m, key, old);
      else {
        a = newAcc('WORK_ORDER', wo, t, null);
        m.owned.add(a);
        e.acc[key] = a;
      }
      a.e = null;
      labels(a, null, wo, null);
      // A new work order is a startup trigger (README: convention 8).
      const su = ownStartup(m);
      if (e.cat === 'running') {
        if (prm.startupPeriodMs > 0) su.until = t + prm.startupPeriodMs;
      } else su.armed = true;
    }
  }
  if (wo !== null) labels(accFor(m, `W|${wo}`, periodFor(m, prm, t), t), null, null, pr);
  e.wo = wo;
  e.pr = pr;
  e.ict = idealUs ?? prm.defaultIdealUs;
  const after = effective(e, prm);
  if (before !== after) transition(m, prm, before, after, t);
}

function applyState(m: Mut, prm: Params, t: number, cat: StateCategory): void {
  const e = m.e;
  const before = effective(e, prm);
  e.cat = cat;
  const after = effective(e, prm);
  if (before !== after) transition(m, prm, before, after, t);
}

/** Applies one entry at its time (the caller guarantees entries come in key order, never before the cursor). */
export function applyEntry(m: Mut, prm: Params, entry: Entry): void {
  const t = entry[0];
  if (m.e.t === null) m.e.t = t;
  else advance(m, prm, t);
  if (entry[1] !== 1) {
    // Data from the machine: back from offline in the category it last reported (a state entry then sets its own).
    const off = m.e.off ?? null;
    if (off !== null) {
      settle(m, prm);
      const before = effective(m.e, prm);
      m.e.cat = off;
      m.e.off = null;
      const after = effective(m.e, prm);
      if (before !== after) transition(m, prm, before, after, t);
    }
    m.e.dataT = t;
  }
  if (entry[1] !== 0) settle(m, prm); // the state or the work order changes
  switch (entry[1]) {
    case 0:
      applyCount(m, prm, t - 1, entry[3], entry[4], entry[5]);
      break;
    case 1:
      applyDispatch(m, prm, t, entry[3], entry[4], entry[5]);
      break;
    case 2:
      applyState(m, prm, t, entry[3]);
      break;
  }
  m.e.last = [t, entry[1], entry[2]];
}

/** A copy of the engine with the pieces of an open count bucket booked (for a live view; not folded). */
export function previewCounts(e: Engine, prm: Params, bucket: CountEntry): Engine {
  const m = mutate(e);
  applyCount(m, prm, bucket[0] - 1, bucket[3], bucket[4], bucket[5]);
  return m.e;
}

/** The accumulator of `key` with the undecided episode booked as a micro-stop (a live, provisional view). */
export function provisional(e: Engine, key: string): { acc: Acc; pending: boolean } | null {
  const base = e.acc[key];
  if (base === undefined) return null;
  if (e.ep === null || e.ep.long || e.ep.segs.length === 0) return { acc: base, pending: false };
  const acc = copyAcc(base);
  acc.pk = { ...base.pk };
  let counted = false;
  let pending = false;
  for (const s of e.ep.segs) {
    const countHere = !counted && inSchedule(s.p);
    if (countHere) counted = true;
    if (!windowKeys(s.p, s.wo).includes(key)) continue;
    addTime(acc, s.b - s.a, s.p, 'micro', null);
    if (countHere) acc.microN += 1;
    pending = true;
  }
  return { acc, pending };
}

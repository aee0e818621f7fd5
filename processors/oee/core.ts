// The OEE processor core: EquipmentState + CountIncrement + Dispatch per equipment -> OeeWindow (LIVE_SHIFT,
// HOUR, SHIFT, DAY, WORK_ORDER). Pure and deterministic: time is event time, windows close on the watermark.
// Definitions, conventions and their sources: README.md.
//
// State (JSON): the input of the last `maxLatenessMs` as a sorted log (pieces summed per count bucket), the engine
// folded up to the start of that log (`base`), the engine folded over all of it (`live`), the open count bucket
// (`pend`), and what was emitted per window. An in-order event is appended and folded into `live`; an out-of-order
// (late) one is inserted and marks `live` stale, and the next watermark refolds `base` + log (the same fold, so
// identical numbers) and re-emits every closed window whose content changed with revision + 1. Events older than
// the log start are dropped and counted (`stats.tooLate`).
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import type { CountIncrement, Dispatch, EquipmentState, OeeWindow } from '../../schemas/generated/types.ts';
import { alwaysScheduled, calendarFor, type ShiftCalendar } from '../calendar/calendar.ts';
import { categorizeEvent, normaliseName } from '../states/states.ts';
import type { OeeConfig } from './config.ts';
import {
  advance,
  applyEntry,
  compareEntries,
  emptyEngine,
  mutate,
  previewCounts,
  provisional,
  settle,
  type Acc,
  type CountEntry,
  type Engine,
  type Entry,
  type Mut,
  type Params,
  type WindowKind,
} from './engine.ts';
import { lastEntry, logAddCount, logAppend, logInsert, logSplit, type Log } from './log.ts';
import { fingerprint, render, retraction } from './record.ts';

/** What was last emitted for a window. */
export interface WindowMeta {
  /** Revision. */
  r: number;
  /** Content fingerprint. */
  f: string;
  k: WindowKind;
  s: number;
  e: number | null;
  /** Retracted (emitted with RETRACTED after late data removed the window). */
  x?: boolean;
  /** Emitted open again (a work order dispatched again after its window was emitted closed). */
  o?: boolean;
}

export interface OeeState {
  v: 1;
  /** Last watermark. */
  wm: number | null;
  /** Log start: events older than this are too late. Null until the first watermark. */
  horizon: number | null;
  /** Engine folded up to `horizon` (windows that late data can still change, open episodes). */
  base: Engine;
  log: Log;
  /** Engine folded over base + log; null when late data made it stale (refolded at the next watermark). */
  live: Engine | null;
  /** The open count bucket: sorts after every log entry; moved to the log when the watermark passes its end. */
  pend: CountEntry | null;
  /** Highest event time in the input. */
  maxT: number | null;
  /** Emitted closed windows by window key. */
  win: Record<string, WindowMeta>;
  /** Emitted LIVE_SHIFT views by shift window key. */
  lv: Record<string, WindowMeta & { c: boolean }>;
  /** Watermark of the last LIVE_SHIFT evaluation. */
  lvAt: number | null;
  stats: { tooLate: number; malformed: number; outOfOrder: number; refolds: number };
}

/** Work-order windows kept per equipment (most recently active first); older ones are forgotten. */
export const maxWorkOrderWindows = 50;

const kindOrder: Record<WindowKind, number> = { HOUR: 0, SHIFT: 1, DAY: 2, WORK_ORDER: 3 };

// ---------------------------------------------------------------------------------------------------------------
// Per-equipment parameters (memoised per config object: the config is parsed once at start).

interface Resolved {
  prm: Params;
  startupReasons: Set<string>;
}

const resolvedMemo = new WeakMap<OeeConfig, Map<string, Resolved>>();
const alwaysMemo = new Map<string, ShiftCalendar>();

function longestPrefix<T>(table: Record<string, T>, key: string): T | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    const p = prefix.replace(/\/+$/, '');
    if ((key === p || key.startsWith(`${p}/`)) && (best === undefined || p.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : table[best];
}

/** Ideal cycle time in ms: dispatch, then equipment product, plant product, equipment default, plant default. */
export function idealCycleTimeMs(config: OeeConfig, equipment: string, dispatched: number | null, product: string | null): number | null {
  if (dispatched !== null && Number.isFinite(dispatched) && dispatched > 0) return dispatched;
  const ict = config.idealCycleTime;
  const eq = longestPrefix(ict.equipment, equipment);
  if (product !== null) {
    const byProduct = eq?.products[product] ?? ict.products[product];
    if (byProduct !== undefined) return byProduct;
  }
  return eq?.defaultMs ?? ict.defaultMs ?? null;
}

const toUs = (ms: number | null): number | null => (ms === null ? null : Math.round(ms * 1000));

export function resolve(config: OeeConfig, equipment: string): Resolved {
  let byKey = resolvedMemo.get(config);
  if (!byKey) {
    byKey = new Map();
    resolvedMemo.set(config, byKey);
  }
  let r = byKey.get(equipment);
  if (!r) {
    let calendar = calendarFor(config.calendars, equipment);
    if (calendar.shifts.length === 0) {
      // No shifts configured: scheduled around the clock (README: convention 3).
      calendar = alwaysMemo.get(calendar.timeZone) ?? alwaysScheduled(calendar.timeZone);
      alwaysMemo.set(calendar.timeZone, calendar);
    }
    r = {
      prm: {
        calendar,
        thresholdMs: config.microStopThresholdMs,
        idleAsPlannedStop: config.idleAsPlannedStop,
        noOrderIsPlannedStop: config.noOrderIsPlannedStop,
        startupPeriodMs: config.startup.periodMs,
        startupAfterStopMs: config.startup.afterStopMs,
        defaultIdealUs: toUs(idealCycleTimeMs(config, equipment, null, null)),
        offlineAfterMs: config.offline.afterMs,
        offlineCategories: new Set(config.offline.categories),
      },
      startupReasons: new Set(config.startup.rejectReasons.map(normaliseName)),
    };
    if (byKey.size > 10_000) byKey.clear();
    byKey.set(equipment, r);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Input -> log entry.

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const optText = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** The log entry of an input, or null when it is malformed or not for this core. */
export function toEntry(input: CoreInput, config: OeeConfig, r: Resolved): Entry | null {
  const t = input.eventTime;
  if (!Number.isFinite(t) || typeof input.eventId !== 'string') return null;
  const v = input.value as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null) return null;
  switch (input.topic) {
    case 'state': {
      const s = v as unknown as EquipmentState;
      if (typeof s.state !== 'string' || !optText(s.reasonCode ?? null)) return null;
      const category = categorizeEvent(config.states, { equipment: input.key, state: s.state, reasonCode: s.reasonCode ?? null, quality: s.quality });
      return [t, 2, input.eventId, category];
    }
    case 'countIncrements': {
      const c = v as unknown as CountIncrement;
      if (!isCount(c.good) || !isCount(c.reject) || !optText(c.rejectReason ?? null)) return null;
      const byReason = c.rejectReason != null && r.startupReasons.has(normaliseName(c.rejectReason)) ? c.reject : 0;
      const bucketEnd = (Math.floor(t / config.countBucketMs) + 1) * config.countBucketMs;
      return [bucketEnd, 0, '', c.good, c.reject, byReason];
    }
    case 'dispatch': {
      const d = v as unknown as Dispatch;
      const wo = d.workOrder ?? null;
      const product = d.product ?? null;
      if (!optText(wo) || !optText(product) || (d.idealCycleTimeMs != null && typeof d.idealCycleTimeMs !== 'number')) return null;
      const ms = idealCycleTimeMs(config, input.key, d.idealCycleTimeMs ?? null, product);
      return [t, 1, input.eventId, wo === '' ? null : wo, product, toUs(ms)];
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The core.

function initialState(key: string, config: OeeConfig): OeeState {
  const { prm } = resolve(config, key);
  return {
    v: 1,
    wm: null,
    horizon: null,
    base: emptyEngine(prm.defaultIdealUs),
    log: [],
    live: emptyEngine(prm.defaultIdealUs),
    pend: null,
    maxT: null,
    win: {},
    lv: {},
    lvAt: null,
    stats: { tooLate: 0, malformed: 0, outOfOrder: 0, refolds: 0 },
  };
}

/** Moves the open count bucket to the log (and folds it into `live` when that is current). */
function flushPending(state: OeeState, prm: Params): OeeState {
  const pend = state.pend!;
  let live = state.live;
  if (live !== null) {
    const m = mutate(live);
    applyEntry(m, prm, pend);
    live = m.e;
  }
  return { ...state, log: logAppend(state.log, pend), live, pend: null };
}

function process(state: OeeState, input: CoreInput, config: OeeConfig): CoreResult<OeeState> {
  const r = resolve(config, input.key);
  const entry = toEntry(input, config, r);
  if (entry === null) return { state: { ...state, stats: { ...state.stats, malformed: state.stats.malformed + 1 } }, outputs: [] };
  const t = input.eventTime;
  if (state.horizon !== null && t < state.horizon)
    return { state: { ...state, stats: { ...state.stats, tooLate: state.stats.tooLate + 1 } }, outputs: [] };
  let s: OeeState = { ...state, maxT: state.maxT === null ? t : Math.max(state.maxT, t) };

  if (entry[1] === 0) {
    const pend = s.pend;
    if (pend !== null && pend[0] === entry[0]) {
      return { state: { ...s, pend: [pend[0], 0, '', pend[3] + entry[3], pend[4] + entry[4], pend[5] + entry[5]] }, outputs: [] };
    }
    if (pend !== null && pend[0] < entry[0]) s = flushPending(s, r.prm);
    const last = lastEntry(s.log);
    const bucketOpen = s.pend === null && (last === undefined || compareEntries(entry, last) > 0) && (s.wm === null || entry[0] > s.wm);
    if (bucketOpen) return { state: { ...s, pend: entry }, outputs: [] };
    return outOfOrder({ ...s, log: logAddCount(s.log, entry) });
  }

  if (s.pend !== null && s.pend[0] <= t) s = flushPending(s, r.prm);
  const live = s.live;
  const last = lastEntry(s.log);
  const inOrder = live !== null && (last === undefined || compareEntries(entry, last) > 0) && (live.t === null || t >= live.t);
  if (inOrder) {
    const m = mutate(live);
    applyEntry(m, r.prm, entry);
    return { state: { ...s, log: logAppend(s.log, entry), live: m.e }, outputs: [] };
  }
  const log = logInsert(s.log, entry);
  if (log === null) return { state, outputs: [] }; // duplicate
  return outOfOrder({ ...s, log });
}

/** An event inserted before events already folded: `live` is refolded at the next watermark. */
function outOfOrder(s: OeeState): CoreResult<OeeState> {
  return { state: { ...s, live: null, stats: { ...s.stats, outOfOrder: s.stats.outOfOrder + 1 } }, outputs: [] };
}

function refold(base: Engine, log: Log, prm: Params): Engine {
  const m = mutate(base);
  for (const chunk of log) for (const entry of chunk) applyEntry(m, prm, entry);
  return m.e;
}

/** Keeps the `maxWorkOrderWindows` most recently active work-order windows of an engine being changed. */
function evictWorkOrders(m: Mut): void {
  const wos = Object.entries(m.e.acc).filter(([, a]) => a.k === 'WORK_ORDER');
  if (wos.length <= maxWorkOrderWindows) return;
  wos.sort(([kx, x], [ky, y]) => (y.e ?? Infinity) - (x.e ?? Infinity) || (kx < ky ? -1 : 1));
  for (const [key] of wos.slice(maxWorkOrderWindows)) delete m.e.acc[key];
}

function onWatermark(state: OeeState, key: string, watermark: number, config: OeeConfig): CoreResult<OeeState> {
  // End of input (+Infinity) closes what the data covers; time is never extended past the last event then.
  const w = Number.isFinite(watermark) ? watermark : (state.maxT ?? state.wm ?? 0);
  if (state.wm !== null && w <= state.wm) return { state, outputs: [] };
  const { prm } = resolve(config, key);
  const thr = prm.thresholdMs;
  const outputs: CoreOutput<OeeWindow>[] = [];
  let s = state.pend !== null && state.pend[0] <= w ? flushPending(state, prm) : state;
  const refolded = s.live === null;
  const m = mutate(s.live ?? refold(s.base, s.log, prm));
  advance(m, prm, Math.max(w, s.maxT ?? w));
  const acc = m.e.acc;

  // Windows to close: first emission, or a new revision when their content changed (late data).
  let closable: string[] | null = null;
  let reopened: string[] | null = null;
  for (const k in acc) {
    const a = acc[k]!;
    if (a.e === null) {
      const meta = s.win[k];
      if (meta !== undefined && meta.o !== true && meta.x !== true) (reopened ??= []).push(k);
      continue;
    }
    if (w < a.e + thr) continue;
    // A closed work-order window only changes when it is dispatched again (or after a refold): nothing to do.
    if (a.k === 'WORK_ORDER' && !refolded && state.wm !== null && a.e + thr <= state.wm && s.win[k]?.e === a.e) continue;
    (closable ??= []).push(k);
  }
  let win = s.win;
  let lv = s.lv;
  if (closable !== null) {
    settle(m, prm); // decides a stop episode still open at the window end (it is older than the threshold now)
    win = { ...win };
    lv = { ...lv };
    for (const k of closable.sort((x, y) => compareWindows(acc[x]!, acc[y]!))) {
      const a = acc[k]!;
      const meta = win[k];
      const f = fingerprint(a);
      if (meta === undefined || meta.f !== f || meta.x === true) {
        const revision = meta === undefined ? 0 : meta.r + 1;
        outputs.push(out(key, render(a, { equipment: key, kind: a.k, revision, closed: true, eventTime: a.e! })));
        win[k] = { r: revision, f, k: a.k, s: a.s, e: a.e };
      }
      if (a.k === 'SHIFT') {
        const l = lv[k];
        if (l === undefined || !l.c) {
          const revision = l === undefined ? 0 : l.r + 1;
          outputs.push(out(key, render(a, { equipment: key, kind: 'LIVE_SHIFT', revision, closed: true, eventTime: a.e! })));
          lv[k] = { r: revision, f, k: a.k, s: a.s, e: a.e, c: true };
        }
      }
      if (a.k !== 'WORK_ORDER') delete acc[k];
    }
  }

  // A work order dispatched again after its window was emitted closed: the window is open again (closed: false).
  if (reopened !== null) {
    settle(m, prm);
    if (win === s.win) win = { ...win };
    for (const k of reopened.sort()) {
      const a = acc[k]!;
      const meta = win[k]!;
      const revision = meta.r + 1;
      outputs.push(out(key, render(a, { equipment: key, kind: a.k, revision, closed: false, eventTime: Math.min(w, m.e.t ?? w) })));
      win[k] = { ...meta, r: revision, e: null, o: true };
    }
  }

  // After a refold, an emitted work-order window that no longer exists (a late dispatch moved it) is retracted.
  if (refolded) {
    for (const k of Object.keys(win).sort()) {
      const meta = win[k]!;
      if (meta.k !== 'WORK_ORDER' || k in acc || meta.x === true) continue;
      if (win === s.win) win = { ...win };
      const revision = meta.r + 1;
      outputs.push(out(key, retraction({ kind: 'WORK_ORDER', id: k.slice(2), s: meta.s, e: meta.e }, { equipment: key, kind: 'WORK_ORDER', revision, closed: true, eventTime: meta.e ?? w })));
      win[k] = { ...meta, r: revision, x: true };
    }
  }

  // The live view of open shifts: at most once per liveEmitIntervalMs of watermark progress, when it changed.
  let lvAt = s.lvAt;
  if (lvAt === null || w >= lvAt + config.liveEmitIntervalMs) {
    lvAt = w;
    settle(m, prm);
    // The live view includes the pieces of the open count bucket.
    const view = s.pend === null ? m.e : previewCounts(m.e, prm, s.pend);
    for (const k of Object.keys(view.acc).sort()) {
      const a = view.acc[k]!;
      if (a.k !== 'SHIFT') continue;
      const p = provisional(view, k)!;
      const flags = p.pending ? ['PROVISIONAL'] : [];
      const f = fingerprint(p.acc, flags.join());
      const l = lv[k];
      if (l !== undefined && (l.f === f || l.c)) continue;
      if (lv === s.lv) lv = { ...lv };
      const revision = l === undefined ? 0 : l.r + 1;
      const eventTime = Math.min(view.t ?? w, a.e ?? w);
      outputs.push(out(key, render(p.acc, { equipment: key, kind: 'LIVE_SHIFT', revision, closed: false, eventTime, flags })));
      lv[k] = { r: revision, f, k: a.k, s: a.s, e: a.e, c: false };
    }
  }

  s = { ...s, wm: w, live: m.e, win, lv, lvAt, stats: refolded ? { ...s.stats, refolds: s.stats.refolds + 1 } : s.stats };
  return { state: compact(s, prm, config, w), outputs };
}

function out(key: string, value: OeeWindow): CoreOutput<OeeWindow> {
  return { topic: 'oee', key, value };
}

function compareWindows(a: Acc, b: Acc): number {
  return kindOrder[a.k] - kindOrder[b.k] || a.s - b.s || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Moves the log start to watermark - maxLatenessMs (in steps of compactEveryMs): folds the older entries into the
 * base and forgets windows that nothing can change any more.
 */
function compact(state: OeeState, prm: Params, config: OeeConfig, w: number): OeeState {
  const horizon = w - config.maxLatenessMs;
  if (state.horizon !== null && horizon - state.horizon < config.compactEveryMs) return state;
  const { before, rest } = logSplit(state.log, horizon);
  const m = mutate(state.base);
  for (const entry of before) applyEntry(m, prm, entry);
  advance(m, prm, horizon);
  settle(m, prm); // every booking before the horizon is done before windows are forgotten
  const thr = prm.thresholdMs;
  const final = (x: { k: WindowKind; e: number | null }) => x.k !== 'WORK_ORDER' && x.e !== null && x.e + thr <= horizon;
  for (const [k, a] of Object.entries(m.e.acc)) if (final(a)) delete m.e.acc[k];
  evictWorkOrders(m);
  let live = state.live;
  if (live !== null) {
    const lm = mutate(live);
    evictWorkOrders(lm);
    live = lm.e;
  }
  const liveAcc = live?.acc ?? {};
  const win: Record<string, WindowMeta> = {};
  for (const [k, meta] of Object.entries(state.win)) {
    if (final(meta)) continue;
    if (meta.k === 'WORK_ORDER' && !(k in m.e.acc) && !(k in liveAcc)) continue;
    win[k] = meta;
  }
  const lv: OeeState['lv'] = {};
  for (const [k, meta] of Object.entries(state.lv)) if (!final(meta)) lv[k] = meta;
  return { ...state, horizon, base: m.e, log: rest, live, win, lv };
}

export const oee: ProcessorCore<OeeState, OeeConfig> = {
  name: 'oee',
  inputs: ['state', 'countIncrements', 'dispatch'],
  outputs: ['oee'],
  reorderMs: (config) => config.reorderMs,
  // Count increments are summed per bucket, so a re-delivered one must never reach the core while it could still
  // be folded in: remember their ids as long as late data is accepted (the log start trails the watermark by up
  // to maxLatenessMs + compactEveryMs, and the watermark trails stream time by reorderMs).
  dedupHorizonMs: (config) => config.maxLatenessMs + config.compactEveryMs + config.reorderMs,
  // Consumers keep the highest revision per (equipment, windowKind, windowId).
  coalesceKey: (output) => {
    const w = output.value as OeeWindow;
    return `${w.windowKind} ${w.windowId}`;
  },
  initialState,
  process,
  onWatermark,
};

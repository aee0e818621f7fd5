// The count processor core: PieceCount (counter readings, discrete counts) + Dispatch (active work order) per
// equipment -> CountIncrement (pieces, never negative) and CountTotal (running totals per shift, hour, day, work
// order; revised when late data changes them). Pure and deterministic; conventions in README.md.
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import type { CountIncrement, CountTotal, CountWindowKind, Dispatch, PieceCount } from '../../schemas/generated/types.ts';
import { cachedDayAt, cachedHourAt, cachedShiftAt, calendarFor } from '../calendar/calendar.ts';
import { counterDelta, type CounterNote } from './counter.ts';
import type { CountsConfig } from './config.ts';

interface CounterReading {
  value: number;
  eventTime: number;
}

interface WindowTotal {
  kind: CountWindowKind;
  id: string;
  start: number | null;
  end: number | null;
  good: number;
  reject: number;
  /** Revision of the last emitted total (0: never emitted). */
  revision: number;
  /** Highest event time counted into the window. */
  lastEventTime: number;
  /** Changed since the last emitted total. */
  dirty: boolean;
}

export interface CountsState {
  /** Last reading per counter (`<kind>|<sourceId>`). */
  counters: Record<string, CounterReading>;
  /** Active work order from Dispatch, and since when. */
  workOrder: string | null;
  workOrderSince: number | null;
  /** The equipment reports a TOTAL counter or TOTAL counts. */
  hasTotal: boolean;
  /** Rejects not yet taken out of TOTAL increments (see totalIncludesRejects). */
  pendingRejects: number;
  /** Windows by `<kind> <id>`. */
  windows: Record<string, WindowTotal>;
  /** Watermark last seen. */
  watermark: number | null;
  /** With totalsIntervalMs > 0: the watermark at which changed totals are emitted next. */
  nextTotalsAt: number | null;
}

const kindOrder: Record<CountWindowKind, number> = { SHIFT: 0, HOUR: 1, DAY: 2, WORK_ORDER: 3, ALL_TIME: 4 };

function compareWindows(a: WindowTotal, b: WindowTotal): number {
  return kindOrder[a.kind] - kindOrder[b.kind] || (a.start ?? 0) - (b.start ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function totalOf(key: string, w: WindowTotal): CoreOutput<CountTotal> {
  const value: CountTotal = {
    eventId: `${key}|${w.kind}|${w.id}|${w.revision}`,
    eventTime: w.lastEventTime,
    equipment: key,
    windowKind: w.kind,
    windowId: w.id,
    windowStart: w.start,
    windowEnd: w.end,
    good: w.good,
    reject: w.reject,
    revision: w.revision,
  };
  return { topic: 'countTotals', key, value };
}

/** Emits a new revision of each window (in a stable order) and marks them clean. */
function emitWindows(state: CountsState, key: string, windows: WindowTotal[], outputs: CoreOutput[]): void {
  let ordered = windows;
  for (let i = 1; i < windows.length; i += 1)
    if (compareWindows(windows[i - 1]!, windows[i]!) > 0) {
      ordered = [...windows].sort(compareWindows);
      break;
    }
  for (const w of ordered) {
    const next = windowTotal(w.kind, w.id, w.start, w.end, w.good, w.reject, w.revision + 1, w.lastEventTime, false);
    state.windows[windowKey(w)] = next;
    outputs.push(totalOf(key, next));
  }
}

/** A window total with every field in one order (one object shape: cheap copies and property access). */
function windowTotal(kind: CountWindowKind, id: string, start: number | null, end: number | null, good: number, reject: number, revision: number, lastEventTime: number, dirty: boolean): WindowTotal {
  return { kind, id, start, end, good, reject, revision, lastEventTime, dirty };
}

function windowKey(w: { kind: CountWindowKind; id: string }): string {
  return `${w.kind} ${w.id}`;
}

interface WindowRef {
  kind: CountWindowKind;
  id: string;
  start: number | null;
  end: number | null;
}

const calendarMemo = new WeakMap<CountsConfig, Map<string, ReturnType<typeof calendarFor>>>();

/** The shift calendar of an equipment (memoised per config: the config is parsed once at start). */
function calendarOf(config: CountsConfig, key: string): ReturnType<typeof calendarFor> {
  let byKey = calendarMemo.get(config);
  if (byKey === undefined) {
    byKey = new Map();
    calendarMemo.set(config, byKey);
  }
  let calendar = byKey.get(key);
  if (calendar === undefined) {
    calendar = calendarFor(config.calendars, key);
    if (byKey.size > 10_000) byKey.clear();
    byKey.set(key, calendar);
  }
  return calendar;
}

function windowsAt(config: CountsConfig, key: string, t: number, workOrder: string | null): WindowRef[] {
  const calendar = calendarOf(config, key);
  const refs: WindowRef[] = [];
  for (const kind of config.windows) {
    switch (kind) {
      case 'SHIFT': {
        const shift = cachedShiftAt(calendar, t);
        if (shift) refs.push({ kind, id: shift.id, start: shift.start, end: shift.end });
        break;
      }
      case 'HOUR': {
        const w = cachedHourAt(calendar.timeZone, t);
        refs.push({ kind, id: w.id, start: w.start, end: w.end });
        break;
      }
      case 'DAY': {
        const w = cachedDayAt(calendar.timeZone, t);
        refs.push({ kind, id: w.id, start: w.start, end: w.end });
        break;
      }
      case 'WORK_ORDER':
        if (workOrder !== null) refs.push({ kind, id: workOrder, start: null, end: null });
        break;
      case 'ALL_TIME':
        refs.push({ kind, id: 'all', start: null, end: null });
        break;
    }
  }
  return refs;
}

const outputOrder = new WeakMap<CountsConfig, boolean>();

/** Whether `config.windows` lists the kinds in the order totals are emitted (kindOrder). */
function inOutputOrder(config: CountsConfig): boolean {
  let ordered = outputOrder.get(config);
  if (ordered === undefined) {
    ordered = config.windows.every((kind, i) => i === 0 || kindOrder[config.windows[i - 1]!] < kindOrder[kind]);
    outputOrder.set(config, ordered);
  }
  return ordered;
}

/** Adds pieces to every window containing `t`; emits per the totals policy. */
function addToWindows(state: CountsState, config: CountsConfig, key: string, t: number, workOrder: string | null, good: number, reject: number, outputs: CoreOutput[]): void {
  const toEmit: WindowTotal[] = [];
  // With the windows configured in output order, each can be emitted as it is updated.
  const direct = inOutputOrder(config);
  for (const ref of windowsAt(config, key, t, workOrder)) {
    // A time window dropped after its allowed lateness is not revived by later data.
    if (ref.end !== null && state.watermark !== null && ref.end + config.allowedLatenessMs < state.watermark) continue;
    const id = windowKey(ref);
    const old = state.windows[id];
    const closed = ref.end !== null && state.watermark !== null && ref.end <= state.watermark;
    const emit = config.totalsIntervalMs === 0 || closed;
    if (emit && direct) {
      // The common case (a total per change): the window's next revision directly, without an intermediate copy.
      const next = old
        ? windowTotal(old.kind, old.id, old.start, old.end, old.good + good, old.reject + reject, old.revision + 1, Math.max(old.lastEventTime, t), false)
        : windowTotal(ref.kind, ref.id, ref.start, ref.end, good, reject, 1, t, false);
      state.windows[id] = next;
      outputs.push(totalOf(key, next));
      continue;
    }
    const w = old
      ? windowTotal(old.kind, old.id, old.start, old.end, old.good + good, old.reject + reject, old.revision, Math.max(old.lastEventTime, t), true)
      : windowTotal(ref.kind, ref.id, ref.start, ref.end, good, reject, 0, t, true);
    state.windows[id] = w;
    if (emit) toEmit.push(w);
  }
  emitWindows(state, key, toEmit, outputs);
  if (workOrder !== null && config.windows.includes('WORK_ORDER')) evictWorkOrders(state, config, key, outputs);
}

function evictWorkOrders(state: CountsState, config: CountsConfig, key: string, outputs: CoreOutput[]): void {
  const wos = Object.values(state.windows).filter((w) => w.kind === 'WORK_ORDER');
  if (wos.length <= config.maxWorkOrders) return;
  wos.sort((a, b) => a.lastEventTime - b.lastEventTime || (a.id < b.id ? -1 : 1));
  for (const w of wos.slice(0, wos.length - config.maxWorkOrders)) {
    if (w.dirty) emitWindows(state, key, [w], outputs);
    delete state.windows[`${w.kind} ${w.id}`];
  }
}

function onDispatch(state: CountsState, d: Dispatch, eventTime: number): CountsState {
  // A dispatch older than the one in force (late data) does not roll the work order back.
  if (state.workOrderSince !== null && eventTime < state.workOrderSince) return state;
  return { ...state, workOrder: d.workOrder ?? null, workOrderSince: eventTime };
}

function onPieceCount(prev: CountsState, input: CoreInput, config: CountsConfig): CoreResult<CountsState> {
  const p = input.value as PieceCount;
  if (p.quality === 'BAD') return { state: prev, outputs: [] };
  // The state passed in is never changed: the top level is copied here, `counters` and `windows` when written.
  const state: CountsState = { ...prev };
  let pieces: number;
  let note: CounterNote | null = null;
  if (p.counterValue !== null && p.counterValue !== undefined) {
    const id = `${p.kind}|${p.origin?.sourceId ?? ''}`;
    const last = state.counters[id];
    // A reading older than the last one is already covered by the later reading's difference.
    if (last && input.eventTime < last.eventTime) return { state: prev, outputs: [] };
    const delta = counterDelta(last ? last.value : null, p.counterValue, p.counterMax ?? null, config.counter);
    state.counters = { ...state.counters, [id]: { value: p.counterValue, eventTime: input.eventTime } };
    pieces = delta.pieces;
    note = delta.note;
  } else if (p.increment !== null && p.increment !== undefined && Number.isInteger(p.increment) && p.increment >= 0) {
    pieces = p.increment;
  } else {
    return { state: prev, outputs: [] };
  }

  let good = 0;
  let reject = 0;
  if (p.kind === 'GOOD') good = pieces;
  else if (p.kind === 'REJECT') {
    reject = pieces;
    if (state.hasTotal && config.totalIncludesRejects) state.pendingRejects += pieces;
  } else {
    state.hasTotal = true;
    const netted = config.totalIncludesRejects ? Math.min(pieces, state.pendingRejects) : 0;
    state.pendingRejects -= netted;
    good = pieces - netted;
  }
  if (good + reject === 0 && note === null) return { state, outputs: [] };

  const workOrder = p.workOrder ?? state.workOrder;
  const increment: CountIncrement = {
    eventId: `${input.eventId}:inc`,
    eventTime: input.eventTime,
    equipment: input.key,
    good,
    reject,
    workOrder,
    rejectReason: reject > 0 ? (p.rejectReason ?? null) : null,
    sourceEventId: input.eventId,
    note,
  };
  const outputs: CoreOutput[] = [{ topic: 'countIncrements', key: input.key, value: increment }];
  if (good + reject > 0) {
    state.windows = { ...state.windows };
    addToWindows(state, config, input.key, input.eventTime, workOrder, good, reject, outputs);
  }
  return { state, outputs };
}

export const countsCore: ProcessorCore<CountsState, CountsConfig> = {
  name: 'counts',
  inputs: ['counts', 'dispatch'],
  outputs: ['countIncrements', 'countTotals'],
  reorderMs: (config) => config.reorderMs,
  // A window's totals are "latest revision wins": a newer revision supersedes the older ones.
  coalesceKey: (output) => {
    if (output.topic !== 'countTotals') return null;
    const t = output.value as CountTotal;
    return `${t.windowKind} ${t.windowId}`;
  },
  initialState: () => ({
    counters: {},
    workOrder: null,
    workOrderSince: null,
    hasTotal: false,
    pendingRejects: 0,
    windows: {},
    watermark: null,
    nextTotalsAt: null,
  }),

  process(state, input, config) {
    switch (input.topic) {
      case 'dispatch':
        return { state: onDispatch(state, input.value as Dispatch, input.eventTime), outputs: [] };
      case 'counts':
        return onPieceCount(state, input, config);
      default:
        return { state, outputs: [] };
    }
  },

  onWatermark(prev, key, watermark, config) {
    // The state passed in is never changed: the top level is copied, `windows` only when a window goes out or is
    // dropped (most watermarks change nothing else).
    const state: CountsState = { ...prev, watermark };
    const outputs: CoreOutput[] = [];
    if (config.totalsIntervalMs > 0) {
      const interval = config.totalsIntervalMs;
      const gridNext = Math.floor(watermark / interval) * interval + interval;
      const tick = state.nextTotalsAt !== null && watermark >= state.nextTotalsAt;
      if (state.nextTotalsAt === null || tick) state.nextTotalsAt = gridNext;
      // Changed windows go out on each interval tick, and when they close.
      const due = Object.values(prev.windows).filter((w) => w.dirty && (tick || (w.end !== null && w.end <= watermark)));
      if (due.length > 0) {
        state.windows = { ...state.windows };
        emitWindows(state, key, due, outputs);
      }
    }
    let expired: WindowTotal[] | null = null;
    for (const id in prev.windows) {
      const w = prev.windows[id]!;
      if (w.end !== null && w.end + config.allowedLatenessMs < watermark) (expired ??= []).push(w);
    }
    if (expired !== null) {
      if (state.windows === prev.windows) state.windows = { ...state.windows };
      for (const w of expired) {
        const current = state.windows[windowKey(w)]!;
        if (current.dirty) emitWindows(state, key, [current], outputs);
        delete state.windows[windowKey(w)];
      }
    }
    return { state, outputs };
  },
};

// The pure driver that runs a ProcessorCore by the rules of processors/contract.ts, shared by `linepulse replay`
// and the live adapter (processors/runtime/live.ts). No clock, no I/O, no randomness: the same sequence of
// arrivals and synthetic watermarks for a key gives the same outputs and the same state, whatever the batching.
//
// Per key it keeps:
// - a reorder buffer: an arrival is held until the key's watermark passes it, then released to `process` in
//   event-time order (ties: topic name, then eventId);
// - the watermark: max(eventTime seen) - reorderMs, or higher when the live adapter advances an idle key with the
//   wall clock (`advance`). Events strictly older than the watermark at arrival skip the buffer and reach `process`
//   at once with `late: true`. `onWatermark` is called after the released events, each time the watermark moves;
// - duplicate filters, applied on arrival (before the reorder buffer):
//   - raw events (with `origin`): per (topic, origin.sourceId), the highest origin.seq accepted and which seqs just
//     below it were (seq-window.ts): exact and fixed-size, however late a re-delivery comes;
//   - derived events (no origin; their ids are deterministic from their inputs): the ids (topic + eventId)
//     accepted, forgotten once the key's stream time (max event time seen) has moved `dedupHorizonMs` past their
//     arrival, or when more than `maxRememberedIds` are kept (oldest first). A duplicate later than that is
//     processed again. The horizon defaults to the core's `dedupHorizonMs(config)` (its lateness bound) when that
//     is longer than 10 minutes.
//
// Ownership: `ingest` and `advance` update the key state they are given and return it (copying a state with
// thousands of remembered ids per event would dominate the cost). Callers that need the old state keep its
// serialised form (`serializeKeyState`), which is what the live adapter writes to its changelog anyway.
import type { CoreInput, CoreOutput, ProcessorCore } from '../contract.ts';
import type { TopicName } from '../../schemas/topics.ts';
import { originOf, seqAccept, seqFromText, seqSeen, seqStart, seqToText, type SeqState } from './seq-window.ts';

export interface DriverOptions {
  /**
   * How long (in the key's event time) the id of an accepted derived event (one without `origin`) is remembered.
   * Default: the core's `dedupHorizonMs(config)`, at least 10 minutes.
   */
  dedupHorizonMs?: number;
  /** Upper bound on remembered derived-event ids per key. Default 20 000. */
  maxRememberedIds?: number;
}

/** One arrival as the driver sees it: already decoded, eventId and eventTime read from the value. */
export interface Arrival<V = unknown> {
  topic: TopicName;
  key: string;
  value: V;
  eventTime: number;
  eventId: string;
}

interface Buffered {
  topic: TopicName;
  value: unknown;
  eventTime: number;
  eventId: string;
}

export interface KeyState<S> {
  core: S;
  /** Highest event time accepted (the key's stream time); null before the first event. */
  maxEventTime: number | null;
  /** Watermark last passed to the core; null before the first event. */
  watermark: number | null;
  /** Waiting events in release order. */
  buffer: Buffered[];
  /** Derived events: `topic eventId` -> stream time at acceptance, in acceptance (so stream-time) order. */
  seen: Map<string, number>;
  /** Raw events: `topic sourceId` -> the seqs accepted (seq-window.ts). */
  sources: Map<string, SeqState>;
}

export interface IngestResult<S> {
  state: KeyState<S>;
  outputs: CoreOutput[];
  /** The arrival was a duplicate and was dropped. */
  duplicate: boolean;
  /** The arrival was older than the watermark and was processed with `late: true`. */
  late: boolean;
}

export interface AdvanceResult<S> {
  state: KeyState<S>;
  outputs: CoreOutput[];
}

export interface Driver<S, C> {
  readonly core: ProcessorCore<S, C>;
  readonly config: C;
  readonly reorderMs: number;
  /** Effective horizon of the derived-event id filter (ms of stream time). */
  readonly dedupHorizonMs: number;
  initialKeyState(key: string): KeyState<S>;
  ingest(state: KeyState<S>, arrival: Arrival): IngestResult<S>;
  /** Moves the key's watermark to `watermark` if that is later (synthetic watermark: wall clock, end of input). */
  advance(state: KeyState<S>, key: string, watermark: number): AdvanceResult<S>;
  /** End of input: releases everything buffered (watermark = max event time + 1). */
  flush(state: KeyState<S>, key: string): AdvanceResult<S>;
}

const defaults = { dedupHorizonMs: 10 * 60_000, maxRememberedIds: 20_000 };

/**
 * The eventId of the input whose processing produced each output (for correlation ids in the live adapter's
 * headers and logs). Outputs of a watermark (timers, window closes) have none. Weak: nothing is kept alive.
 */
export const inputOf = new WeakMap<CoreOutput, string>();


function compareBuffered(a: Buffered, b: Buffered): number {
  if (a.eventTime !== b.eventTime) return a.eventTime - b.eventTime;
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.eventId !== b.eventId) return a.eventId < b.eventId ? -1 : 1;
  return 0;
}

/** Inserts keeping release order (binary search; arrivals are mostly in order, so mostly an append). */
function insertSorted(buffer: Buffered[], item: Buffered): void {
  let lo = 0;
  let hi = buffer.length;
  const last = buffer[hi - 1];
  if (last === undefined || compareBuffered(last, item) <= 0) {
    buffer.push(item);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBuffered(buffer[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  buffer.splice(lo, 0, item);
}

export function createDriver<S, C>(core: ProcessorCore<S, C>, config: C, options: DriverOptions = {}): Driver<S, C> {
  const reorderMs = core.reorderMs(config);
  if (!Number.isFinite(reorderMs) || reorderMs < 0) throw new RangeError(`${core.name}: reorderMs must be a finite number >= 0, got ${reorderMs}`);
  const coreHorizon = core.dedupHorizonMs?.(config) ?? 0;
  if (!Number.isFinite(coreHorizon) || coreHorizon < 0) throw new RangeError(`${core.name}: dedupHorizonMs must be a finite number >= 0, got ${coreHorizon}`);
  const horizon = options.dedupHorizonMs ?? Math.max(defaults.dedupHorizonMs, coreHorizon);
  const maxIds = options.maxRememberedIds ?? defaults.maxRememberedIds;

  const processOne = (state: KeyState<S>, key: string, item: Buffered, late: boolean, outputs: CoreOutput[]): void => {
    const input: CoreInput = { topic: item.topic, key, value: item.value, eventTime: item.eventTime, eventId: item.eventId, late };
    const result = core.process(state.core, input, config);
    state.core = result.state;
    for (const o of result.outputs) {
      outputs.push(o);
      inputOf.set(o, item.eventId);
    }
  };

  const advanceTo = (state: KeyState<S>, key: string, watermark: number, outputs: CoreOutput[], synthetic = false): void => {
    if (state.watermark !== null && watermark <= state.watermark) return;
    let released = 0;
    while (released < state.buffer.length && state.buffer[released]!.eventTime < watermark) released += 1;
    const ready = state.buffer.splice(0, released);
    for (const item of ready) processOne(state, key, item, false, outputs);
    state.watermark = watermark;
    if (core.onWatermark) {
      const result = core.onWatermark(state.core, key, watermark, config, synthetic);
      state.core = result.state;
      for (const o of result.outputs) outputs.push(o);
    }
  };

  const prune = (state: KeyState<S>): void => {
    const streamTime = state.maxEventTime;
    if (streamTime === null) return;
    const cutoff = streamTime - horizon;
    for (const [id, at] of state.seen) {
      if (at >= cutoff && state.seen.size <= maxIds) break;
      state.seen.delete(id);
    }
  };

  return {
    core,
    config,
    reorderMs,
    dedupHorizonMs: horizon,
    initialKeyState: (key) => ({ core: core.initialState(key, config), maxEventTime: null, watermark: null, buffer: [], seen: new Map(), sources: new Map() }),

    ingest(state, arrival) {
      const origin = originOf(arrival.value);
      let id: string | null = null;
      if (origin !== null) {
        const source = `${arrival.topic} ${origin.sourceId}`;
        const seqs = state.sources.get(source);
        // (An id remembered by an older runtime version, which filtered raw events by id too, still counts.)
        if (state.seen.size > 0 && state.seen.has(`${arrival.topic} ${arrival.eventId}`)) return { state, outputs: [], duplicate: true, late: false };
        if (seqs === undefined) state.sources.set(source, seqStart(origin.seq));
        else if (seqSeen(seqs, origin.seq)) return { state, outputs: [], duplicate: true, late: false };
        else seqAccept(seqs, origin.seq);
      } else {
        id = `${arrival.topic} ${arrival.eventId}`;
        if (state.seen.has(id)) return { state, outputs: [], duplicate: true, late: false };
      }
      const outputs: CoreOutput[] = [];
      const item: Buffered = { topic: arrival.topic, value: arrival.value, eventTime: arrival.eventTime, eventId: arrival.eventId };
      const late = state.watermark !== null && arrival.eventTime < state.watermark;
      if (state.maxEventTime === null || arrival.eventTime > state.maxEventTime) state.maxEventTime = arrival.eventTime;
      if (id !== null) state.seen.set(id, state.maxEventTime);
      if (late) {
        processOne(state, arrival.key, item, true, outputs);
      } else {
        insertSorted(state.buffer, item);
        advanceTo(state, arrival.key, state.maxEventTime - reorderMs, outputs);
      }
      if (state.seen.size > 0) prune(state);
      return { state, outputs, duplicate: false, late };
    },

    advance(state, key, watermark) {
      const outputs: CoreOutput[] = [];
      if (state.maxEventTime !== null) advanceTo(state, key, watermark, outputs, true);
      return { state, outputs };
    },

    flush(state, key) {
      const outputs: CoreOutput[] = [];
      if (state.maxEventTime !== null) advanceTo(state, key, Math.max(state.maxEventTime + 1, (state.watermark ?? -Infinity)), outputs, true);
      return { state, outputs };
    },
  };
}

/** Several keys' states, for callers that drive many keys (replay, one partition of the live adapter). */
export type DriverState<S> = Map<string, KeyState<S>>;

/** Ingests one arrival into the state of its key (created on first sight). */
export function ingestKeyed<S, C>(driver: Driver<S, C>, states: DriverState<S>, arrival: Arrival): IngestResult<S> {
  const state = states.get(arrival.key) ?? driver.initialKeyState(arrival.key);
  const result = driver.ingest(state, arrival);
  states.set(arrival.key, result.state);
  return result;
}

/** Ends the input of every key, in key order (deterministic): returns their final outputs. */
export function flushAll<S, C>(driver: Driver<S, C>, states: DriverState<S>): CoreOutput[] {
  const outputs: CoreOutput[] = [];
  for (const key of [...states.keys()].sort()) {
    const result = driver.flush(states.get(key)!, key);
    states.set(key, result.state);
    outputs.push(...result.outputs);
  }
  return outputs;
}

/** Serialised key state (JSON): what the live adapter writes to the changelog. */
export interface KeyStateSnapshot {
  v: 2;
  core: unknown;
  maxEventTime: number | null;
  watermark: number | null;
  buffer: Buffered[];
  /**
   * Remembered derived-event ids, front-coded in acceptance order: [characters shared with the previous id, the
   * rest, stream time at acceptance minus the previous one's] (a few bytes per id instead of the whole id).
   */
  seen: Array<[number, string, number]>;
  /** `topic sourceId` -> seq-window text. */
  sources: Array<[string, string]>;
}

/** The version 1 snapshot (before origin sequences): ids in full. Still read. */
interface KeyStateSnapshotV1 {
  v: 1;
  core: unknown;
  maxEventTime: number | null;
  watermark: number | null;
  buffer: Buffered[];
  seen: Array<[string, number]>;
}

function frontCode(seen: ReadonlyMap<string, number>): Array<[number, string, number]> {
  const out: Array<[number, string, number]> = [];
  let prevId = '';
  let prevAt = 0;
  for (const [id, at] of seen) {
    const max = Math.min(id.length, prevId.length);
    let shared = 0;
    while (shared < max && id.charCodeAt(shared) === prevId.charCodeAt(shared)) shared += 1;
    out.push([shared, id.slice(shared), at - prevAt]);
    prevId = id;
    prevAt = at;
  }
  return out;
}

function frontDecode(coded: ReadonlyArray<[number, string, number]>): Map<string, number> {
  const seen = new Map<string, number>();
  let prevId = '';
  let prevAt = 0;
  for (const [shared, rest, dt] of coded) {
    prevId = prevId.slice(0, shared) + rest;
    prevAt += dt;
    seen.set(prevId, prevAt);
  }
  return seen;
}

export function serializeKeyState<S>(state: KeyState<S>): string {
  const snapshot: KeyStateSnapshot = {
    v: 2,
    core: state.core,
    maxEventTime: state.maxEventTime,
    watermark: state.watermark,
    buffer: state.buffer,
    seen: frontCode(state.seen),
    sources: [...state.sources].map(([k, seqs]) => [k, seqToText(seqs)]),
  };
  return JSON.stringify(snapshot);
}

export function deserializeKeyState<S>(json: string): KeyState<S> {
  const s = JSON.parse(json) as KeyStateSnapshot | KeyStateSnapshotV1;
  if (s.v === 1) return { core: s.core as S, maxEventTime: s.maxEventTime, watermark: s.watermark, buffer: s.buffer, seen: new Map(s.seen), sources: new Map() };
  if (s.v !== 2) throw new Error(`unsupported key state snapshot version ${String((s as { v: unknown }).v)}`);
  return {
    core: s.core as S,
    maxEventTime: s.maxEventTime,
    watermark: s.watermark,
    buffer: s.buffer,
    seen: frontDecode(s.seen),
    sources: new Map(s.sources.map(([k, text]) => [k, seqFromText(text)])),
  };
}

/** Reads eventId and eventTime from a decoded value (every linepulse record has them); null when missing. */
export function eventFields(value: unknown): { eventId: string; eventTime: number } | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { eventId?: unknown; eventTime?: unknown };
  if (typeof v.eventId !== 'string' || v.eventId === '') return null;
  if (typeof v.eventTime !== 'number' || !Number.isFinite(v.eventTime)) return null;
  return { eventId: v.eventId, eventTime: v.eventTime };
}

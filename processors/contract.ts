// The contract between processor cores and the runtime that drives them (processors/runtime/), live over the bus
// or offline in `linepulse replay`. A core is pure and deterministic: same state + same event = same result.
//
// Driving rules the runtime guarantees (so cores stay simple):
// - State is per key (the record key: the equipment path for equipment topics). A core never sees two keys mixed.
// - Events of one key reach `process` in event-time order (ties: topic name, then eventId), after a reorder
//   buffer of `reorderMs`. An event older than the watermark already passed arrives with `late: true`;
//   the core decides what that means (OEE re-emits closed windows with a higher revision).
// - The watermark of a key is max(eventTime seen) - reorderMs; when it advances, `onWatermark` is called so
//   event-time timers (shift ends, hysteresis hold times, alert thresholds) can fire. In live mode an idle key's
//   watermark also advances with the wall clock (the adapter's job, never the core's).
// - Duplicates are dropped before the core sees them. Raw events (with `origin`) by (topic, origin.sourceId,
//   origin.seq): exact however late the re-delivery (the edge forwards each source in seq order). Derived events
//   (no origin; deterministic ids) by event id, within `dedupHorizonMs` of the key's stream time (bounded by count):
//   a core that folds in late data for longer than 10 minutes declares its lateness bound there.
// - State must be JSON-serialisable: it is checkpointed to a compacted changelog topic atomically with the input
//   offsets, every transaction carries the journal of what was applied since (exactly-once effect), and a restart
//   or rebalance restores the checkpoint and replays the journal. A core must not change the state it is given
//   (the runtime undoes an idle watermark advance that produced nothing by keeping the previous state).
import type { TopicName } from '../schemas/topics.ts';

export interface CoreInput<V = unknown> {
  topic: TopicName;
  key: string;
  value: V;
  eventTime: number;
  eventId: string;
  /** True when the event is older than the key's watermark at arrival. */
  late: boolean;
}

export interface CoreOutput<V = unknown> {
  topic: TopicName;
  key: string;
  value: V;
}

export interface CoreResult<S> {
  state: S;
  outputs: CoreOutput[];
}

export interface ProcessorCore<S, C> {
  /** Stable name: used for the consumer group, changelog topic and transactional id. */
  readonly name: string;
  /** Input topics (co-partitioned by key). */
  readonly inputs: readonly TopicName[];
  /** Output topics. */
  readonly outputs: readonly TopicName[];
  /** How long the runtime holds events to put them in event-time order, in ms. */
  reorderMs(config: C): number;
  /**
   * How long (event time) the runtime must remember the ids of derived input events to drop re-deliveries: at
   * least as long as the core still folds in late data. Default (and minimum) 10 minutes.
   */
  dedupHorizonMs?(config: C): number;
  initialState(key: string, config: C): S;
  process(state: S, input: CoreInput, config: C): CoreResult<S>;
  /**
   * `synthetic`: the advance did not come from an event of the key but from the wall clock (an idle key, live) or
   * the end of the input (replay): the key's inputs are, as far as the runtime knows, silent up to `watermark`.
   */
  onWatermark?(state: S, key: string, watermark: number, config: C, synthetic?: boolean): CoreResult<S>;
  /**
   * For outputs that a later output supersedes ("latest revision wins", e.g. a window total): the identity of what
   * they revise; null for outputs that must all be kept. A live runtime asked to coalesce keeps only the last
   * output per identity of each transaction (fewer records, same final view for consumers).
   */
  coalesceKey?(output: CoreOutput): string | null;
}

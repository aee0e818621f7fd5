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
// - Event ids are unique per input topic: the runtime drops an event id it has already processed for the key.
// - State must be JSON-serialisable: it is snapshotted to a compacted changelog topic atomically with the outputs
//   and the input offsets (exactly-once effect), and restored on restart or rebalance.
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
  initialState(key: string, config: C): S;
  process(state: S, input: CoreInput, config: C): CoreResult<S>;
  onWatermark?(state: S, key: string, watermark: number, config: C): CoreResult<S>;
}

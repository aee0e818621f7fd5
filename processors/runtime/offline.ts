// Runs cores over a finite, recorded stream with event-time semantics: what `linepulse replay` does, without I/O.
// Deterministic: records are taken in the given (arrival) order, each is delivered to every core that consumes its
// topic (in the order the cores are listed), and outputs are delivered downstream the same way, so a derived topic
// produced by one core (e.g. count increments) feeds the cores that consume it. At the end of the input every key
// of every core is flushed (its buffer released, watermark = last event time + 1).
import type { CoreOutput, ProcessorCore } from '../contract.ts';
import { topics, type TopicName } from '../../schemas/topics.ts';
import { createDriver, eventFields, ingestKeyed, type Driver, type DriverOptions, type DriverState } from './driver.ts';

export interface BoundCore {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  core: ProcessorCore<any, any>;
  config: unknown;
}

export interface OfflineRecord {
  topic: TopicName;
  key: string;
  value: unknown;
}

export interface OfflineStats {
  records: number;
  duplicates: number;
  late: number;
  /** Records no core consumes. */
  unused: number;
  /** Records without eventId / eventTime (not processed). */
  invalid: number;
}

const byTopic = new Map<string, TopicName>(Object.entries(topics).map(([name, c]) => [c.topic, name as TopicName]));

/** Maps a Kafka topic ('linepulse.counts.v1') or a topic table name ('counts') to the table name; null if unknown. */
export function topicNameOf(topic: string): TopicName | null {
  if (Object.hasOwn(topics, topic)) return topic as TopicName;
  return byTopic.get(topic) ?? null;
}

export class OfflineRun {
  private readonly drivers: Array<{ driver: Driver<unknown, unknown>; states: DriverState<unknown> }>;
  readonly stats: OfflineStats = { records: 0, duplicates: 0, late: 0, unused: 0, invalid: 0 };

  constructor(cores: readonly BoundCore[], options: DriverOptions = {}) {
    this.drivers = cores.map(({ core, config }) => ({ driver: createDriver(core, config, options), states: new Map() }));
  }

  /** Feeds one record (and, transitively, what it causes downstream); returns every output in order. */
  push(record: OfflineRecord): CoreOutput[] {
    this.stats.records += 1;
    const fields = eventFields(record.value);
    if (fields === null) {
      this.stats.invalid += 1;
      return [];
    }
    if (!this.drivers.some(({ driver }) => driver.core.inputs.includes(record.topic))) this.stats.unused += 1;
    const outputs: CoreOutput[] = [];
    this.deliver([record], outputs);
    return outputs;
  }

  /**
   * End of input: flushes every key of every core until nothing more comes out. With `until`, every key's
   * watermark is first advanced to that time (e.g. the end of the last shift, so its windows and timers close).
   */
  end(until?: number): CoreOutput[] {
    const outputs: CoreOutput[] = [];
    for (let round = 0; round < 100; round += 1) {
      let produced = 0;
      for (const { driver, states } of this.drivers) {
        const flushed: CoreOutput[] = [];
        for (const key of [...states.keys()].sort()) {
          const state = states.get(key)!;
          if (until !== undefined) flushed.push(...driver.advance(state, key, until).outputs);
          flushed.push(...driver.flush(state, key).outputs);
        }
        produced += flushed.length;
        outputs.push(...flushed);
        this.deliver(flushed, outputs);
      }
      if (produced === 0) return outputs;
    }
    throw new Error('replay did not settle after 100 flush rounds: cores feed each other in a loop');
  }

  /** Final state of one core's key (for tests). */
  stateOf(coreName: string, key: string): unknown {
    return this.drivers.find(({ driver }) => driver.core.name === coreName)?.states.get(key)?.core;
  }

  /** Delivers records to their consumers; what they produce is appended to `outputs` and delivered in turn. */
  private deliver(records: readonly OfflineRecord[], outputs: CoreOutput[]): void {
    const queue = [...records];
    for (let i = 0; i < queue.length; i += 1) {
      const record = queue[i]!;
      const fields = eventFields(record.value);
      if (fields === null) continue;
      for (const { driver, states } of this.drivers) {
        if (!driver.core.inputs.includes(record.topic)) continue;
        const result = ingestKeyed(driver, states, { topic: record.topic, key: record.key, value: record.value, ...fields });
        if (result.duplicate) this.stats.duplicates += 1;
        if (result.late) this.stats.late += 1;
        for (const o of result.outputs) {
          queue.push(o);
          outputs.push(o);
        }
      }
    }
  }
}

/** Runs `records` through `cores` and returns every output, in order (see the file comment). */
export function runOffline(cores: readonly BoundCore[], records: Iterable<OfflineRecord>, options: DriverOptions & { until?: number } = {}): CoreOutput[] {
  const run = new OfflineRun(cores, options);
  const outputs: CoreOutput[] = [];
  for (const record of records) outputs.push(...run.push(record));
  outputs.push(...run.end(options.until));
  return outputs;
}

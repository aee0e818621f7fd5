// Test and benchmark harness for live processors: a deterministic count workload, producing it, reading outputs
// back read-committed, and the outputs an uninterrupted run must give (the offline driver over the same per-key
// order). Used by live.test.ts (embedded bus), live.int.test.ts (real Kafka) and benchmarks/processors.ts.
import { createHash } from 'node:crypto';
import type { CoreOutput, ProcessorCore } from '../contract.ts';
import type { Alert, PieceCount } from '../../schemas/generated/types.ts';
import { topics, type TopicName } from '../../schemas/topics.ts';
import { formatReplayLine } from '../../schemas/replay-format.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { encodeEvents } from '../../platform/bus/typed.ts';
import type { Codec } from '../../platform/codec/port.ts';
import { OfflineRun } from './offline.ts';
import type { DriverOptions } from './driver.ts';
import { pieceCount } from './test-events.ts';

/** `keys` equipment paths, `perKey` PieceCount events each: counter readings with a rollover, a reset and rejects. */
export function countWorkload(options: { keys: number; perKey: number; start: number; stepMs?: number }): PieceCount[] {
  const step = options.stepMs ?? 1_000;
  const events: PieceCount[] = [];
  for (let i = 0; i < options.perKey; i += 1) {
    for (let k = 0; k < options.keys; k += 1) {
      const equipment = `acme/plant1/assembly/line${1 + (k % 4)}/cell${k}/m${k}`;
      const eventTime = options.start + i * step + k;
      const reject = i % 7 === 3;
      const counter = i === Math.floor(options.perKey / 2) ? 3 : (65_400 + i * 5 + k) % 65_536; // a reset mid-stream
      events.push(
        pieceCount({
          eventId: `k${k}-e${i}`,
          eventTime,
          equipment,
          kind: reject ? 'REJECT' : 'GOOD',
          counterValue: reject ? null : counter,
          counterMax: reject ? null : 65_535,
          increment: reject ? 1 : null,
          rejectReason: reject ? 'SCRATCH' : null,
          origin: { sourceId: `opcua:m${k}`, seq: i, serverTime: null, edgeTime: eventTime, historical: false },
        }),
      );
    }
  }
  return events;
}

export function topicNamesFor(prefix: string, names: readonly TopicName[]): Partial<Record<TopicName, string>> {
  return Object.fromEntries(names.map((n) => [n, `${prefix}.${topics[n].topic}`]));
}

/** Produces `events` to `topic` (topic table name, real name from `names`) in batches, keyed by equipment. */
export async function produceEvents(bus: Bus, codec: Codec, topic: TopicName, kafkaTopic: string, events: readonly unknown[], batchSize = 500): Promise<void> {
  const producer = await bus.producer();
  try {
    for (let i = 0; i < events.length; i += batchSize) {
      const { records } = await encodeEvents(codec, { ...topics[topic], topic: kafkaTopic }, events.slice(i, i + batchSize) as never[]);
      // A topic created a moment ago may not have its leaders yet; a resend is harmless (same event ids: deduplicated).
      for (let attempt = 1; ; attempt += 1) {
        try {
          await producer.send(kafkaTopic, records);
          break;
        } catch (error) {
          if (attempt >= 5 || !/leader|does not host/i.test(String((error as Error).message))) throw error;
          await new Promise((r) => setTimeout(r, 500 * attempt));
        }
      }
    }
  } finally {
    await producer.close();
  }
}

export interface ReadRecord {
  topic: TopicName;
  key: string;
  value: { eventId: string } & Record<string, unknown>;
}

/** Reads every committed record of the given output topics (a fresh group, read-committed) until `done` says so. */
export async function readOutputs(
  bus: Bus,
  codec: Codec,
  outputs: ReadonlyArray<{ topic: TopicName; kafkaTopic: string }>,
  groupId: string,
  done: (records: ReadRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadRecord[]> {
  const byKafka = new Map(outputs.map((o) => [o.kafkaTopic, o.topic]));
  const records: ReadRecord[] = [];
  const consumer = bus.consumer({ groupId, topics: outputs.map((o) => o.kafkaTopic), fromBeginning: true, readCommitted: true });
  let resolveDone!: () => void;
  const finished = new Promise<void>((r) => (resolveDone = r));
  await consumer.start(async (batch) => {
    const topic = byKafka.get(batch.topic)!;
    for (const r of batch.records) {
      const value = (await codec.decode(batch.topic, topics[topic].schema, r.value!, r.headers)) as ReadRecord['value'];
      records.push({ topic, key: r.key!, value });
    }
    if (done(records)) resolveDone();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    if (!done(records))
      await Promise.race([finished, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`read ${records.length} output records, condition not met within ${timeoutMs} ms`)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
    await consumer.stop();
  }
  return records;
}

/** Resolves when the group has committed every input partition up to its end. */
export async function waitConsumed(bus: Bus, groupId: string, kafkaTopics: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let behind = 0;
    try {
      for (const topic of kafkaTopics) {
        const latest = await bus.latestOffsets(topic);
        const committed = new Map((await bus.committedOffsets(groupId, topic)).map((o) => [o.partition, BigInt(o.offset)]));
        for (const l of latest) if (BigInt(l.offset) > 0n && (committed.get(l.partition) ?? 0n) < BigInt(l.offset)) behind += 1;
      }
    } catch {
      behind = -1; // e.g. a leader moving on a topic just created: ask again
    }
    if (behind === 0) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId}: ${behind < 0 ? 'offsets not readable' : `${behind} input partitions not consumed to the end`} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What an uninterrupted live run commits for these inputs (in per-key order): the offline driver without the end flush. */
export function expectedOutputs<S, C>(core: ProcessorCore<S, C>, config: C, inputs: ReadonlyArray<{ topic: TopicName; key: string; value: unknown }>, driver?: DriverOptions): CoreOutput[] {
  const run = new OfflineRun([{ core, config }], driver);
  return inputs.flatMap((r) => run.push(r));
}

/** Groups outputs per (topic, key) as canonical lines, keeping their order: the order a consumer of one partition sees. */
export function perKey(records: ReadonlyArray<{ topic: TopicName; key: string; value: unknown }>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of records) (out[`${r.topic} ${r.key}`] ??= []).push(formatReplayLine({ topic: topics[r.topic].topic, key: r.key, value: r.value }));
  return out;
}

/** Event ids that occur more than once. */
export function duplicateIds(records: ReadonlyArray<{ value: { eventId: string } }>): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const r of records) (seen.has(r.value.eventId) ? dups : seen).add(r.value.eventId);
  return [...dups];
}

// A core whose state is a hash chain of everything it was given, in order (with the late flags), over two input
// topics: any difference between the order a restore replays and the order the original run applied shows as a
// broken chain in its outputs (one Alert per input, the link in `message`).
export interface Chain {
  n: number;
  h: string;
}

export const chainCore: ProcessorCore<Chain, { reorderMs: number }> = {
  name: 'chain',
  inputs: ['state', 'telemetry'],
  outputs: ['alerts'],
  reorderMs: (c) => c.reorderMs,
  initialState: () => ({ n: 0, h: '0' }),
  process(s, input) {
    const n = s.n + 1;
    const line = `${input.topic}:${input.eventId}${input.late ? ' late' : ''}`;
    const h = createHash('sha1').update(`${s.h} ${line}`).digest('hex').slice(0, 16);
    const alert: Alert = {
      eventId: `${input.key}#${n}`, eventTime: input.eventTime, equipment: input.key, alertId: `${input.key}#${n}`, kind: 'SENSOR', action: 'RAISED', severity: 'INFO',
      startTime: input.eventTime, endTime: null, durationMs: null, reasonCode: null, reasonText: null, tag: null, value: null, threshold: null, workOrder: null,
      message: JSON.stringify({ n, prev: s.h, h, line }), reliability: [],
    };
    return { state: { n, h }, outputs: [{ topic: 'alerts', key: input.key, value: alert }] };
  },
};

/** Checks the chains of chainCore's outputs: the breaks found (per key, n = 1, 2, ... with each prev the hash before) and the input lines covered. */
export function chainLinks(records: readonly ReadRecord[]): { broken: string[]; lines: string[] } {
  const byKey = new Map<string, Array<{ n: number; prev: string; h: string; line: string }>>();
  for (const r of records) {
    const link = JSON.parse((r.value as unknown as Alert).message) as { n: number; prev: string; h: string; line: string };
    byKey.set(r.key, [...(byKey.get(r.key) ?? []), link]);
  }
  const broken: string[] = [];
  const lines: string[] = [];
  for (const [key, links] of byKey) {
    links.sort((a, b) => a.n - b.n);
    links.forEach((link, i) => {
      if (link.n !== i + 1) broken.push(`${key}: link ${i + 1} is n=${link.n}`);
      else if (link.prev !== (i === 0 ? '0' : links[i - 1]!.h)) broken.push(`${key}: link ${link.n} does not follow link ${i}`);
      lines.push(link.line.replace(/ late$/, ''));
    });
  }
  return { broken, lines: lines.sort() };
}

// The live adapter on the embedded bus (same port semantics as Kafka: transactions, read-committed, eager
// co-partitioned rebalancing). The same scenarios against real Kafka are in live.int.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedBroker, createEmbeddedBus } from '../../platform/bus/embedded.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { deadLetterHeaders } from '../../schemas/topics.ts';
import type { Alert } from '../../schemas/generated/types.ts';
import { alertsConfig } from '../alerts/config.ts';
import { alertsCore } from '../alerts/core.ts';
import { countsConfig } from '../counts/config.ts';
import { countsCore } from '../counts/core.ts';
import { changelogTopicName } from './changelog.ts';
import { startLiveProcessor, type LiveProcessor, type LiveProcessorOptions } from './live.ts';
import { chainCore, chainLinks, countWorkload, duplicateIds, expectedOutputs, perKey, produceEvents, readOutputs, topicNamesFor, waitConsumed, type ReadRecord } from './live-harness.ts';
import { equipmentPath, equipmentState, telemetry } from './test-events.ts';



const codec = createAvroCodec();
const logger = silentLogger();
const config = countsConfig({ reorderMs: 2_000, calendars: { default: { timeZone: 'UTC', shifts: [{ name: 'A', start: '06:00', end: '18:00' }, { name: 'B', start: '18:00', end: '06:00' }] } } });
const start = Date.parse('2024-03-05T17:50:00Z');

let n = 0;
/** The suite runs twice: a transaction per batch (the default), and batches held for a commit interval. */
let commitIntervalMs = 0;
const running: Array<LiveProcessor | Bus> = [];
afterEach(async () => {
  for (const r of running.reverse()) await ('stop' in r ? r.stop() : r.close());
  running.length = 0;
});

function setup() {
  n += 1;
  const broker = createEmbeddedBroker();
  const bus = () => {
    const b = createEmbeddedBus({ logger, broker });
    running.push(b);
    return b;
  };
  const prefix = `t${n}`;
  const names = topicNamesFor(prefix, ['counts', 'dispatch', 'countIncrements', 'countTotals', 'state', 'telemetry', 'alerts']);
  const groupId = `${prefix}.counts`;
  const options = (b: Bus, extra: Partial<LiveProcessorOptions<unknown, unknown>> = {}): LiveProcessorOptions<never, never> =>
    ({ core: countsCore, config, bus: b, codec, logger, metrics: createMetrics(), groupId, changelogTopic: `${prefix}.${changelogTopicName('counts')}`, topicNames: names, deadLetterTopic: `${prefix}.dlq`, idle: false, restartDelayMs: 20, commitIntervalMs, ...extra }) as never;
  const startOne = async (b: Bus, extra: Partial<LiveProcessorOptions<unknown, unknown>> = {}) => {
    const p = await startLiveProcessor(options(b, extra));
    running.push(p);
    return p;
  };
  const outputs = [
    { topic: 'countIncrements' as const, kafkaTopic: names.countIncrements! },
    { topic: 'countTotals' as const, kafkaTopic: names.countTotals! },
  ];
  return { bus, names, groupId, startOne, outputs, prefix };
}

function expectedFor(events: ReturnType<typeof countWorkload>) {
  return expectedOutputs(countsCore, config, events.map((e) => ({ topic: 'counts' as const, key: e.equipment, value: e })));
}

async function readAll(bus: Bus, outputs: ReturnType<typeof setup>['outputs'], group: string, count: number): Promise<ReadRecord[]> {
  return readOutputs(bus, codec, outputs, group, (r) => r.length >= count);
}

describe.each([0, 40])('runtime > live adapter (embedded bus), commitIntervalMs %i', (interval) => {
  beforeEach(() => {
    commitIntervalMs = interval;
  });

  it('an uninterrupted run commits exactly what the offline driver computes, per key and in order', async () => {
    const { bus, names, groupId, startOne, outputs } = setup();
    const b = bus();
    const events = countWorkload({ keys: 8, perKey: 40, start });
    await b.ensureTopics([{ name: names.counts!, partitions: 6 }]);
    await produceEvents(b, codec, 'counts', names.counts!, events);
    await startOne(b);
    await waitConsumed(b, groupId, [names.counts!]);
    const expected = expectedFor(events);
    const got = await readAll(b, outputs, `${groupId}.reader`, expected.length);
    expect(got).toHaveLength(expected.length);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });

  it('a crash inside a transaction (before commit) loses nothing and duplicates nothing after the restart', async () => {
    const { bus, names, groupId, startOne, outputs } = setup();
    const b = bus();
    const events = countWorkload({ keys: 6, perKey: 50, start });
    await b.ensureTopics([{ name: names.counts!, partitions: 6 }]);
    await produceEvents(b, codec, 'counts', names.counts!, events, 37);
    let crashes = 0;
    await startOne(b, {
      maxBatchSize: 20,
      beforeCommit: ({ batch }) => {
        if (batch === 3 && crashes < 3) {
          crashes += 1;
          throw new Error('simulated crash inside the transaction');
        }
      },
    });
    await waitConsumed(b, groupId, [names.counts!]);
    expect(crashes).toBeGreaterThan(0);
    const expected = expectedFor(events);
    const got = await readAll(b, outputs, `${groupId}.reader`, expected.length);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });

  it('stop without committing, restart: the new instance restores from the changelog and continues identically', async () => {
    const { bus, names, groupId, startOne, outputs } = setup();
    const b = bus();
    const events = countWorkload({ keys: 6, perKey: 60, start });
    await b.ensureTopics([{ name: names.counts!, partitions: 6 }]);
    await produceEvents(b, codec, 'counts', names.counts!, events.slice(0, 150));
    const first = await startOne(b, { maxBatchSize: 25 });
    await waitConsumed(b, groupId, [names.counts!]);
    await first.stop();
    await produceEvents(b, codec, 'counts', names.counts!, events.slice(150));
    await startOne(bus(), { maxBatchSize: 25 });
    await waitConsumed(b, groupId, [names.counts!]);
    const expected = expectedFor(events);
    const got = await readAll(b, outputs, `${groupId}.reader`, expected.length);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });

  it('going from one to two instances mid-stream changes no output and no total', async () => {
    const { bus, names, groupId, startOne, outputs } = setup();
    const b1 = bus();
    const events = countWorkload({ keys: 12, perKey: 40, start });
    await b1.ensureTopics([{ name: names.counts!, partitions: 6 }]);
    await produceEvents(b1, codec, 'counts', names.counts!, events.slice(0, 200));
    const a = await startOne(b1, { maxBatchSize: 30 });
    await waitConsumed(b1, groupId, [names.counts!]);
    expect(a.assigned()).toEqual([0, 1, 2, 3, 4, 5]);
    const second = await startOne(bus(), { maxBatchSize: 30 });
    await produceEvents(b1, codec, 'counts', names.counts!, events.slice(200));
    await waitConsumed(b1, groupId, [names.counts!]);
    expect([...a.assigned(), ...second.assigned()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(second.assigned().length).toBeGreaterThan(0);
    const expected = expectedFor(events);
    const got = await readAll(b1, outputs, `${groupId}.reader`, expected.length);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });

  it('checkpoints and journal: a crash between checkpoints replays the journaled interleaving of two input topics exactly', async () => {
    const { bus, names, prefix } = setup();
    const b = bus();
    const keys = Array.from({ length: 6 }, (_, k) => `acme/plant1/assembly/line1/cell${k}/m${k}`);
    const t0 = Date.parse('2024-03-05T10:00:00Z');
    // Telemetry slightly older than the state changes around it: which of them are late depends on the order the
    // two topics' batches are handled.
    const states = keys.flatMap((equipment, k) => Array.from({ length: 60 }, (_, i) => equipmentState({ eventId: `s${k}-${i}`, eventTime: t0 + i * 1_000 + k, equipment, state: i % 2 ? 'RUNNING' : 'STOPPED' })));
    const samples = keys.flatMap((equipment, k) => Array.from({ length: 60 }, (_, i) => telemetry({ eventId: `m${k}-${i}`, eventTime: t0 + i * 1_000 + k - 500, equipment, tag: 'temp', value: i })));
    // One event per key far ahead, produced last: it releases what the reorder buffer holds.
    const last = keys.map((equipment, k) => equipmentState({ eventId: `end${k}`, eventTime: t0 + 3_600_000, equipment, state: 'IDLE' }));
    await b.ensureTopics([{ name: names.state!, partitions: 6 }, { name: names.telemetry!, partitions: 6 }]);
    await produceEvents(b, codec, 'telemetry', names.telemetry!, samples, 40);
    await produceEvents(b, codec, 'state', names.state!, states, 40);
    await produceEvents(b, codec, 'state', names.state!, last);
    let crashes = 0;
    const commits: Array<{ partition: number; checkpoint: boolean }> = [];
    const metrics = createMetrics();
    const groupId = `${prefix}.chain`;
    const p = await startLiveProcessor({
      core: chainCore,
      config: { reorderMs: 0 },
      bus: b,
      codec,
      logger,
      metrics,
      groupId,
      changelogTopic: `${prefix}.chain.changelog`,
      topicNames: names,
      deadLetterTopic: `${prefix}.dlq`,
      idle: false,
      restartDelayMs: 20,
      maxBatchSize: 7,
      // Only the first transaction of each task is a checkpoint until the input is drained.
      checkpoint: { intervalMs: 600_000, quietMs: 300, maxTransactions: 10_000 },
      onCommit: (info) => commits.push({ partition: info.partition, checkpoint: info.checkpoint }),
      beforeCommit: ({ batch }) => {
        if (batch === 9 && crashes < 2) {
          crashes += 1;
          throw new Error('simulated crash inside the transaction');
        }
      },
    });
    running.push(p);
    await waitConsumed(b, groupId, [names.state!, names.telemetry!]);
    expect(crashes).toBe(2);
    const replayed = (await metrics.registry.getSingleMetric('linepulse_processor_replayed_total')!.get()).values[0]?.value ?? 0;
    expect(replayed).toBeGreaterThan(0);
    const got = await readOutputs(b, codec, [{ topic: 'alerts', kafkaTopic: names.alerts! }], `${groupId}.reader`, (r) => r.length >= states.length + samples.length);
    expect(duplicateIds(got)).toEqual([]);
    const chains = chainLinks(got);
    expect(chains.broken).toEqual([]);
    expect(chains.lines).toEqual([...states.map((e) => `state:${e.eventId}`), ...samples.map((e) => `telemetry:${e.eventId}`)].sort());
    // Between the first and the last checkpoint of a task, transactions only journaled.
    expect(commits.filter((c) => !c.checkpoint).length).toBeGreaterThan(20);
  });

  it('an idle watermark advance that raised an alert is journaled: after a crash the restore does not raise it again', async () => {
    const { bus, names, prefix } = setup();
    const b = bus();
    let now = Date.parse('2024-03-05T10:00:00Z');
    const t0 = now - 60_000;
    let crashes = 0;
    const alerts = await startLiveProcessor({
      core: alertsCore,
      config: alertsConfig({ reorderMs: 1_000, downtime: { thresholdMs: 120_000 } }),
      bus: b,
      codec,
      logger,
      metrics: createMetrics(),
      groupId: `${prefix}.alerts`,
      changelogTopic: `${prefix}.${changelogTopicName('alerts')}`,
      topicNames: names,
      deadLetterTopic: `${prefix}.dlq`,
      idle: { tickMs: 10, afterMs: 1_000 },
      now: () => now,
      restartDelayMs: 20,
      // No checkpoint after the first: the raise lives in the journal only.
      checkpoint: { intervalMs: 600_000, quietMs: 600_000 },
      beforeCommit: ({ batch }) => {
        if (batch === 3 && crashes === 0) {
          crashes += 1;
          throw new Error('simulated crash inside the transaction');
        }
      },
    });
    running.push(alerts);
    await produceEvents(b, codec, 'state', names.state!, [
      equipmentState({ eventId: 'i1', eventTime: t0, state: 'RUNNING' }),
      equipmentState({ eventId: 'i2', eventTime: t0 + 30_000, state: 'STOPPED', reasonCode: 'JAM' }),
    ]);
    await waitConsumed(b, `${prefix}.alerts`, [names.state!]);
    now += 3 * 60_000; // the stop passes the threshold on the wall clock alone
    const reader = [{ topic: 'alerts' as const, kafkaTopic: names.alerts! }];
    await readOutputs(b, codec, reader, `${prefix}.alerts.reader1`, (r) => r.length >= 1);
    // Running again (a later event releases it from the reorder buffer): the batch whose transaction crashes.
    await produceEvents(b, codec, 'state', names.state!, [
      equipmentState({ eventId: 'i3', eventTime: t0 + 240_000, state: 'RUNNING' }),
      equipmentState({ eventId: 'i4', eventTime: t0 + 300_000, state: 'RUNNING' }),
    ]);
    const got = await readOutputs(b, codec, reader, `${prefix}.alerts.reader2`, (r) => r.length >= 2);
    await new Promise((r) => setTimeout(r, 200)); // anything raised twice would show by now
    const all = await readOutputs(b, codec, reader, `${prefix}.alerts.reader3`, (r) => r.length >= got.length);
    expect(crashes).toBe(1);
    expect(all.map((r) => (r.value as unknown as Alert).action)).toEqual(['RAISED', 'CLEARED']);
    expect(duplicateIds(all)).toEqual([]);
  });

  it('a record that does not decode goes to the dead-letter topic in the batch transaction, and the rest is processed', async () => {
    const { bus, names, groupId, startOne, outputs, prefix } = setup();
    const b = bus();
    const events = countWorkload({ keys: 2, perKey: 5, start });
    await b.ensureTopics([{ name: names.counts!, partitions: 6 }]);
    await produceEvents(b, codec, 'counts', names.counts!, events.slice(0, 5));
    const producer = await b.producer();
    await producer.send(names.counts!, [{ key: events[0]!.equipment, value: Buffer.from('not avro') }]);
    await producer.close();
    await produceEvents(b, codec, 'counts', names.counts!, events.slice(5));
    await startOne(b);
    await waitConsumed(b, groupId, [names.counts!]);
    const dlq: Array<Record<string, string>> = [];
    const reader = b.consumer({ groupId: `${groupId}.dlq`, topics: [`${prefix}.dlq`], fromBeginning: true });
    await reader.start(async (batch) => {
      for (const r of batch.records) dlq.push(r.headers);
    });
    const expected = expectedFor(events);
    await readAll(b, outputs, `${groupId}.reader`, expected.length);
    await reader.stop();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]![deadLetterHeaders.sourceTopic]).toBe(names.counts);
    expect(dlq[0]![deadLetterHeaders.reason]).toBeTruthy();
  });

  it('refuses to start when an input topic exists with another partition count (state would be misplaced)', async () => {
    const { bus, names, startOne } = setup();
    const b = bus();
    await b.ensureTopics([{ name: names.counts!, partitions: 2 }]);
    await expect(startOne(b)).rejects.toThrow(`counts: topic ${names.counts} has 2 partitions, the processor needs 6`);
  });

  it('an idle key’s watermark advances with the wall clock: a downtime alert is raised without further events', async () => {
    const { bus, names, prefix } = setup();
    const b = bus();
    let now = Date.parse('2024-03-05T10:00:00Z');
    const t0 = now - 60_000;
    const alerts = await startLiveProcessor({
      core: alertsCore,
      config: alertsConfig({ reorderMs: 1_000, downtime: { thresholdMs: 120_000 } }),
      bus: b,
      codec,
      logger,
      metrics: createMetrics(),
      groupId: `${prefix}.alerts`,
      changelogTopic: `${prefix}.${changelogTopicName('alerts')}`,
      topicNames: names,
      deadLetterTopic: `${prefix}.dlq`,
      idle: { tickMs: 10, afterMs: 1_000 },
      now: () => now,
    });
    running.push(alerts);
    await produceEvents(b, codec, 'state', names.state!, [
      equipmentState({ eventId: 's1', eventTime: t0, state: 'RUNNING' }),
      equipmentState({ eventId: 's2', eventTime: t0 + 30_000, state: 'STOPPED', reasonCode: 'JAM' }),
    ]);
    await waitConsumed(b, `${prefix}.alerts`, [names.state!]);
    now += 3 * 60_000; // three minutes without a single event
    const got = await readOutputs(b, codec, [{ topic: 'alerts', kafkaTopic: names.alerts! }], `${prefix}.alerts.reader`, (r) => r.length >= 1);
    const alert = got[0]!.value as unknown as Alert;
    expect(alert).toMatchObject({ kind: 'DOWNTIME', action: 'RAISED', equipment: equipmentPath, reasonCode: 'JAM', startTime: t0 + 30_000, eventTime: t0 + 150_000 });
  });
});

describe('runtime > live adapter, commit interval', () => {
  beforeEach(() => {
    commitIntervalMs = 0;
  });

  it('holds the batches of the interval in one transaction; a checkpoint takes the held work with it', async () => {
    const { bus, names, groupId, startOne, outputs } = setup();
    const b = bus();
    const events = countWorkload({ keys: 6, perKey: 40, start });
    await b.ensureTopics([{ name: names.counts!, partitions: 6 }]);
    const commits: Array<{ partition: number; records: number; checkpoint: boolean }> = [];
    // An interval longer than the test: only the checkpoint of a quiet task (quietMs) can send the held work.
    await startOne(b, { commitIntervalMs: 60_000, maxBatchSize: 10, checkpoint: { quietMs: 300 }, onCommit: (c) => commits.push(c) });
    await produceEvents(b, codec, 'counts', names.counts!, events, 17);
    await waitConsumed(b, groupId, [names.counts!]);
    const expected = expectedFor(events);
    const got = await readAll(b, outputs, `${groupId}.reader`, expected.length);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
    const withRecords = commits.filter((c) => c.records > 0);
    expect(withRecords.reduce((a, c) => a + c.records, 0)).toBe(events.length);
    // Each partition's first batch goes out at once (no transaction before it); every later one is held, in
    // transactions of at least maxBatchSize records or the quiet checkpoint.
    for (let p = 0; p < 6; p += 1) {
      const [, ...later] = withRecords.filter((c) => c.partition === p);
      for (const c of later) expect(c.checkpoint || c.records >= 10, JSON.stringify(c)).toBe(true);
    }
    expect(withRecords.some((c) => c.checkpoint && c.records > 0)).toBe(true);
    expect(withRecords.length).toBeLessThan(events.length / 10 + 12);
  });

  it('stop sends the held work: a restart continues without a gap or a duplicate', async () => {
    const { bus, names, groupId, startOne, outputs } = setup();
    const b = bus();
    const events = countWorkload({ keys: 6, perKey: 60, start });
    await b.ensureTopics([{ name: names.counts!, partitions: 6 }]);
    const metrics = createMetrics();
    const first = await startOne(b, { commitIntervalMs: 60_000, checkpoint: { quietMs: 60_000, intervalMs: 60_000 }, metrics });
    await produceEvents(b, codec, 'counts', names.counts!, events.slice(0, 150));
    const handled = async () => ((await metrics.registry.getSingleMetric('linepulse_processor_events_in_total')?.get())?.values ?? []).reduce((a, v) => a + v.value, 0);
    for (let i = 0; i < 400 && (await handled()) < 150; i += 1) await new Promise((r) => setTimeout(r, 25));
    expect(await handled()).toBe(150);
    await first.stop();
    await produceEvents(b, codec, 'counts', names.counts!, events.slice(150));
    await startOne(bus());
    await waitConsumed(b, groupId, [names.counts!]);
    const expected = expectedFor(events);
    const got = await readAll(b, outputs, `${groupId}.reader`, expected.length);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });
});

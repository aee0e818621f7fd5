// Bad input through the real processing path (the counts processor's live runtime on the test stack's Kafka):
// malformed bytes, wrong types, a record over the size limit, a far-future timestamp, unknown equipment. Each goes
// to the dead-letter topic with its reason, is counted by reason, and the processor keeps going: the good events
// around them are counted, and their outputs carry the input's correlation id. A too-late event (older than the
// key's watermark) is processed with late = true and counted.
import { afterEach, describe, expect, it } from 'vitest';
import { requireService, uniqueName, waitFor } from '../../test/services.ts';
import { createInputGuard } from '../../platform/bus/guard.ts';
import { createKafkajsBus } from '../../platform/bus/kafkajs.ts';
import type { Bus, ConsumedRecord, OutgoingRecord } from '../../platform/bus/port.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics, type Metrics } from '../../platform/metrics.ts';
import { correlationHeaders, deadLetterHeaders, topics } from '../../schemas/topics.ts';
import { countsConfig } from '../counts/config.ts';
import { countsCore } from '../counts/core.ts';
import { changelogTopicName } from './changelog.ts';
import { topicNamesFor } from './live-harness.ts';
import { startLiveProcessor } from './live.ts';
import { equipmentPath, pieceCount, telemetry } from './test-events.ts';

const codec = createAvroCodec();
const logger = silentLogger();
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup.length = 0;
});

async function kafkaBus(): Promise<Bus> {
  const bus = await createKafkajsBus({ connection: { brokers: requireService('kafka').split(','), clientId: 'linepulse-bad-input-test' }, logger, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
  cleanup.push(() => bus.close());
  return bus;
}

async function collect(bus: Bus, topic: string, groupId: string, until: (records: ConsumedRecord[]) => boolean): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  const consumer = bus.consumer({ groupId, topics: [topic], fromBeginning: true, readCommitted: true });
  await consumer.start(async (batch) => void records.push(...batch.records));
  try {
    await waitFor(() => (until(records) ? true : undefined), { what: `records on ${topic}`, timeoutMs: 90_000 });
  } finally {
    await consumer.stop();
  }
  return records;
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

describe('runtime > bad input on real Kafka', () => {
  it('dead-letters malformed, wrong-typed, oversized, far-future and unknown-equipment records with the reason, counts them, keeps going', async () => {
    const bus = await kafkaBus();
    const prefix = uniqueName('lp-bad');
    const names = topicNamesFor(prefix, ['counts', 'dispatch', 'countIncrements', 'countTotals']);
    const dlq = `${prefix}.dlq`;
    const metrics = createMetrics();
    const groupId = `${prefix}.counts`;
    await bus.ensureTopics([{ name: names.counts!, partitions: topics.counts.partitions }]);

    const now = Date.now();
    const t0 = now - 60 * 60_000;
    const good = (i: number, eventTime: number) => pieceCount({ eventId: `${prefix}-good-${i}`, eventTime, increment: 1 });
    const encode = async (event: unknown, schema = topics.counts.schema) => codec.encode(names.counts!, schema, event);
    const record = async (event: unknown, extra: Partial<OutgoingRecord> = {}): Promise<OutgoingRecord> => {
      const encoded = await encode(event);
      return { key: equipmentPath, value: encoded.value, headers: encoded.headers, timestamp: now, ...extra };
    };
    const first = await record(good(1, t0), { headers: { ...(await encode(good(1, t0))).headers, [correlationHeaders.correlationId]: 'corr-first' } });
    const garbage: OutgoingRecord = { key: equipmentPath, value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]), headers: first.headers!, timestamp: now };
    const wrongSchema = await (async () => {
      const encoded = await codec.encode(names.counts!, 'Telemetry', telemetry({ eventId: `${prefix}-tel`, eventTime: t0, tag: 'temp', value: 1 }));
      return { key: equipmentPath, value: encoded.value, headers: encoded.headers, timestamp: now } satisfies OutgoingRecord;
    })();
    const json: OutgoingRecord = { key: equipmentPath, value: Buffer.from(JSON.stringify(good(9, t0))), headers: {}, timestamp: now };
    const oversized: OutgoingRecord = { key: equipmentPath, value: Buffer.alloc(8_000, 7), headers: first.headers!, timestamp: now };
    const future = await record(good(2, now + 60 * 60_000));
    const unknown = await record({ ...good(3, t0 + 1_000), equipment: 'acme/plant9/unknown/line1/cell1/press' });
    const second = await record(good(4, t0 + 120_000));
    // Older than the watermark by far (the counts reorder window is seconds): late, processed and counted.
    const late = await record(good(5, t0 - 30 * 60_000));
    const producer = await bus.producer();
    cleanup.push(() => producer.close());
    await producer.send(names.counts!, [first, garbage, wrongSchema, json, oversized, future, unknown, second, late]);

    const processor = await startLiveProcessor({
      core: countsCore,
      config: countsConfig({}),
      bus,
      codec,
      logger,
      metrics,
      groupId,
      changelogTopic: `${prefix}.${changelogTopicName('counts')}`,
      topicNames: names,
      deadLetterTopic: dlq,
      idle: false,
      guard: createInputGuard({ maxRecordBytes: 4_096, maxFutureSkewMs: 5 * 60_000, equipment: ['acme/plant1/'] }),
    });
    cleanup.push(() => processor.stop());

    const dead = await collect(bus, dlq, `${prefix}.dlq-reader`, (r) => r.length >= 6);
    const reasons = dead.map((r) => r.headers[deadLetterHeaders.reason] ?? '');
    expect(dead).toHaveLength(6);
    expect(dead.every((r) => r.headers[deadLetterHeaders.sourceTopic] === names.counts && r.headers[deadLetterHeaders.consumer] === groupId)).toBe(true);
    expect(reasons.filter((r) => /malformed input/.test(r))).toHaveLength(6);
    expect(reasons.some((r) => /larger than the limit of 4096/.test(r))).toBe(true);
    expect(reasons.some((r) => /after the ingest time/.test(r))).toBe(true);
    expect(reasons.some((r) => /acme\/plant9\/unknown\/line1\/cell1\/press is not in the plant model/.test(r))).toBe(true);
    // The dead letter keeps the original bytes.
    expect(dead.find((r) => /larger than/.test(r.headers[deadLetterHeaders.reason] ?? ''))?.value?.length).toBe(8_000);

    const rejected = (reason: string) => counter(metrics, 'linepulse_input_rejected_total', { reason, consumer: groupId });
    expect(await rejected('malformed')).toBe(3);
    expect(await rejected('oversized')).toBe(1);
    expect(await rejected('future-timestamp')).toBe(1);
    expect(await rejected('unknown-equipment')).toBe(1);
    expect(await counter(metrics, 'linepulse_dead_letters_total', { consumer: groupId })).toBe(6);
    await waitFor(async () => ((await counter(metrics, 'linepulse_processor_events_in_total', {})) >= 3 ? true : undefined), { what: '3 good events handled', timeoutMs: 60_000 });
    expect(await counter(metrics, 'linepulse_processor_late_total', {})).toBe(1);

    // Outputs carry their own event id and the correlation id of the input they came from.
    const increments = await collect(bus, names.countIncrements!, `${prefix}.out-reader`, (r) =>
      ['corr-first', `${prefix}-good-5`].every((c) => r.some((x) => x.headers[correlationHeaders.correlationId] === c)),
    );
    const fromFirst = increments.find((x) => x.headers[correlationHeaders.correlationId] === 'corr-first')!;
    expect(fromFirst.headers[correlationHeaders.eventId]).toBeTruthy();
    // Without an incoming correlation id, the input's event id is the correlation id (here the late event's).
    expect(increments.find((x) => x.headers[correlationHeaders.correlationId] === `${prefix}-good-5`)?.headers[correlationHeaders.eventId]).toBeTruthy();
  });
});

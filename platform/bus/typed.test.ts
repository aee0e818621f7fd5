import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/services.ts';
import { deadLetterTopic, topics, type TopicContract } from '../../schemas/topics.ts';
import type { Codec } from '../codec/port.ts';
import { MalformedInputError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import { createJsonTestCodec } from './contract.ts';
import { createEmbeddedBus } from './embedded.ts';
import { partitionFor } from './partitioner.ts';
import type { ConsumedRecord } from './port.ts';
import { type TypedBatch, createTypedConsumer, createTypedProducer, deadLetterRecord, keyOf, linepulseTopicSpecs } from './typed.ts';

const logger = silentLogger();
const codec = createJsonTestCodec({ Telemetry: ['eventId', 'equipment', 'tag', 'value'], WorkOrder: ['eventId', 'workOrder'] });
const press = 'acme/plant1/assembly/line1/cell2/press-07';

async function setup() {
  const bus = createEmbeddedBus({ logger });
  await bus.ensureTopics(linepulseTopicSpecs());
  const producer = await bus.producer();
  return { bus, producer, typed: createTypedProducer({ producer, codec, logger }) };
}

describe('bus > typed layer', () => {
  it('keys each event by its contract key field and sends the encoded batch', async () => {
    const { bus, typed } = await setup();
    await typed.send('telemetry', [{ eventId: 'e1', equipment: press, tag: 'temp', value: 71.5 } as never]);
    const latest = await bus.latestOffsets(topics.telemetry.topic);
    expect(latest.find((o) => o.offset === '1')?.partition).toBe(partitionFor(press, topics.telemetry.partitions));
    await bus.close();
  });

  it('rejects an invalid outgoing event with MalformedInputError naming the field, sending nothing of the batch', async () => {
    const { bus, typed } = await setup();
    const good = { eventId: 'e1', equipment: press, tag: 'temp', value: 1 };
    const noValue = { eventId: 'e2', equipment: press, tag: 'temp' };
    const error = await typed.send('telemetry', [good, noValue] as never[]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedInputError);
    expect((error as Error).message).toBe('malformed input at linepulse.telemetry.v1 event 1, Telemetry.value: missing required field value');
    const noKey = await typed.send('telemetry', [{ eventId: 'e3', tag: 'temp', value: 1 }] as never[]).catch((e: unknown) => e);
    expect((noKey as Error).message).toBe('malformed input at linepulse.telemetry.v1 event 0: key field equipment must be a non-empty string');
    expect((await bus.latestOffsets(topics.telemetry.topic)).every((o) => o.offset === '0')).toBe(true);
    await bus.close();
  });

  it('derives keys for every key kind of the topic table', () => {
    const contract = (key: TopicContract['key']): TopicContract => ({ topic: 't', schema: 'X', key, partitions: 1 });
    expect(keyOf(contract('workOrder'), { workOrder: 'WO-1' }, 'here')).toBe('WO-1');
    expect(keyOf(contract('characteristic'), { characteristic: 'bore-d' }, 'here')).toBe('bore-d');
    expect(keyOf(contract('parentId'), { parentId: 'LOT-9' }, 'here')).toBe('LOT-9');
    expect(keyOf(contract('source'), { origin: { sourceId: 'opcua-1' } }, 'here')).toBe('opcua-1');
    expect(() => keyOf(contract('source'), { origin: null }, 'here')).toThrow('key field origin.sourceId');
  });

  it('takes an explicit key for topics whose events carry none (B2MML text)', async () => {
    const { bus, producer } = await setup();
    const xmlCodec: Codec = { encode: async (_t, _s, v) => ({ value: Buffer.from(String(v)), headers: {} }), decode: async (_t, _s, v) => v.toString() };
    await createTypedProducer({ producer, codec: xmlCodec, logger }).send('erpSchedule', ['<ProductionSchedule/>'], { key: () => 'WO-1' });
    const latest = await bus.latestOffsets(topics.erpSchedule.topic);
    expect(latest.find((o) => o.offset === '1')?.partition).toBe(partitionFor('WO-1', 3));
    await bus.close();
  });

  it('delivers tombstones of compacted topics as null events and dead-letters a null value elsewhere', async () => {
    const { bus, producer } = await setup();
    await producer.send(topics.workOrders.topic, [{ key: 'WO-1', value: Buffer.from(JSON.stringify({ eventId: 'w1', workOrder: 'WO-1' })) }, { key: 'WO-1', value: null }]);
    await producer.send(topics.telemetry.topic, [{ key: press, value: null }]);
    const batches: Array<TypedBatch<unknown>> = [];
    const metrics = createMetrics();
    const consumer = createTypedConsumer({
      bus,
      codec,
      groupId: 'g',
      topics: ['workOrders', 'telemetry'],
      logger,
      metrics,
      deadLetter: { producer },
    });
    await consumer.start(async (batch) => void batches.push(batch));
    await waitFor(() => batches.some((b) => b.topic === topics.telemetry.topic), { what: 'the telemetry batch' });
    await waitFor(() => batches.some((b) => b.topic === topics.workOrders.topic), { what: 'the work-order batch' });
    const orders = batches.find((b) => b.topic === topics.workOrders.topic)!;
    expect(orders.events).toEqual([{ eventId: 'w1', workOrder: 'WO-1' }]);
    expect(orders.records.map((r) => r.event)).toEqual([{ eventId: 'w1', workOrder: 'WO-1' }, null]);
    const telemetry = batches.find((b) => b.topic === topics.telemetry.topic)!;
    expect(telemetry).toMatchObject({ events: [], records: [], deadLettered: 1, nextOffset: '1' });
    expect((await bus.latestOffsets(deadLetterTopic)).reduce((n, o) => n + Number(o.offset), 0)).toBe(1);
    await consumer.stop();
    await bus.close();
  });

  it('stops the consumer (no dead letter) when decoding fails for a reason that is not the record’s', async () => {
    const { bus, producer, typed } = await setup();
    await typed.send('telemetry', [{ eventId: 'e1', equipment: press, tag: 'temp', value: 1 } as never]);
    const unreachable: Codec = {
      encode: codec.encode,
      decode: async () => {
        throw new Error('schema registry unreachable');
      },
    };
    const consumer = createTypedConsumer({ bus, codec: unreachable, groupId: 'g', topics: ['telemetry'], logger, metrics: createMetrics(), deadLetter: { producer } });
    await consumer.start(async () => undefined);
    await expect(consumer.done).rejects.toThrow('schema registry unreachable');
    expect((await bus.latestOffsets(deadLetterTopic)).every((o) => o.offset === '0')).toBe(true);
    expect(await bus.committedOffsets('g', topics.telemetry.topic)).toEqual([]);
    await bus.close();
  });

  it('builds the dead-letter copy with the original key, value, headers and the reason', () => {
    const record: ConsumedRecord = { topic: 't', partition: 2, offset: '41', key: press, value: Buffer.from('x'), headers: { 'lp-schema': 'Telemetry@3' }, timestamp: 5 };
    expect(deadLetterRecord(record, 'bad', 'sinks-clickhouse', 1_700_000_000_000)).toEqual({
      key: press,
      value: Buffer.from('x'),
      timestamp: 5,
      headers: {
        'lp-schema': 'Telemetry@3',
        'x-dlq-reason': 'bad',
        'x-dlq-source-topic': 't',
        'x-dlq-source-partition': '2',
        'x-dlq-source-offset': '41',
        'x-dlq-consumer': 'sinks-clickhouse',
        'x-dlq-time': '1700000000000',
      },
    });
  });

  it('lists every topic of the table plus the dead-letter topic for ensureTopics', () => {
    const specs = linepulseTopicSpecs();
    expect(specs.find((s) => s.name === topics.workOrders.topic)).toEqual({ name: topics.workOrders.topic, partitions: 3, cleanupPolicy: 'compact' });
    expect(specs.find((s) => s.name === deadLetterTopic)).toEqual({ name: deadLetterTopic, partitions: 3 });
    expect(specs).toHaveLength(Object.keys(topics).length + 1);
  });
});

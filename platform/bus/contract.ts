// The bus contract: one suite every adapter passes (embedded in the unit tier, kafkajs and node-rdkafka against
// the real broker in the integration tier). Each test uses its own topics and groups and waits on conditions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../../test/services.ts';
import type { Codec } from '../codec/port.ts';
import { MalformedInputError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import { deadLetterHeaders, type TopicContract } from '../../schemas/topics.ts';
import { partitionFor } from './partitioner.ts';
import type { BatchHandler, Bus, ConsumedRecord, Consumer, ConsumerOptions, OutgoingRecord, PartitionOffset, RebalanceEvent } from './port.ts';
import { createTypedConsumer, createTypedProducer } from './typed.ts';

export interface ContractOptions {
  /** How long a condition may take to become true (a real broker needs seconds for group joins). Default 15 s. */
  timeoutMs?: number;
}

/**
 * A Codec that is honest about the port without Avro: JSON text, and every field listed for the schema must be
 * present and not null (MalformedInputError naming the field otherwise). For tests of the typed layer.
 */
export function createJsonTestCodec(requiredFields: Record<string, readonly string[]>): Codec {
  function validate(schema: string, value: unknown, where: string): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MalformedInputError(`${schema} must be an object`, where);
    for (const field of requiredFields[schema] ?? []) {
      const v = (value as Record<string, unknown>)[field];
      if (v === undefined || v === null) throw new MalformedInputError(`missing required field ${field}`, `${schema}.${field}`);
    }
  }
  return {
    async encode(topic, schema, value) {
      validate(schema, value, topic);
      return { value: Buffer.from(JSON.stringify(value), 'utf8'), headers: { 'content-type': 'application/json', 'x-schema': schema } };
    },
    async decode(topic, schema, value) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value.toString('utf8'));
      } catch (error) {
        throw new MalformedInputError(`not JSON (${(error as Error).message})`, topic);
      }
      validate(schema, parsed, topic);
      return parsed;
    },
  };
}

/** Equipment paths (ISA-95) used as keys. */
export function equipmentKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `acme/plant1/assembly/line${1 + (i % 3)}/cell${1 + (i % 5)}/station-${String(i).padStart(3, '0')}`);
}

const text = (value: Buffer | null): string | null => (value === null ? null : value.toString('utf8'));

/** A consumer that records what it receives and the partitions it holds. */
interface Probe {
  consumer: Consumer;
  records: ConsumedRecord[];
  /** The partitions it holds now (from its rebalance callbacks). */
  held: Array<{ topic: string; partition: number }>;
  events: RebalanceEvent[];
}

export function describeBusContract(adapterName: string, makeBus: () => Promise<Bus>, options: ContractOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const wait = <T>(condition: () => T | Promise<T>, what: string) => waitFor(condition, { what, timeoutMs });

  // The adapter's name leads every title, so a test log shows which client ran each case.
  const caseOf = (title: string) => `${adapterName}: ${title}`;
  describe(`bus contract > ${adapterName}`, () => {
    let bus: Bus;
    let opened: Bus | undefined;
    let consumers: Array<{ stop(): Promise<void> }> = [];

    beforeEach(async () => {
      consumers = [];
      opened = undefined;
      bus = await makeBus();
      opened = bus;
    });

    afterEach(async () => {
      await Promise.all(consumers.map((c) => c.stop().catch(() => undefined)));
      await opened?.close();
    });

    async function topic(prefix: string, partitions: number): Promise<string> {
      const name = uniqueName(`contract_${prefix}`);
      await bus.ensureTopics([{ name, partitions }]);
      return name;
    }

    async function produce(topicName: string, records: OutgoingRecord[]): Promise<void> {
      const producer = await bus.producer();
      try {
        await producer.send(topicName, records);
      } finally {
        await producer.close();
      }
    }

    async function probe(opts: ConsumerOptions, handler?: BatchHandler): Promise<Probe> {
      const p: Probe = { consumer: undefined as unknown as Consumer, records: [], held: [], events: [] };
      p.consumer = bus.consumer({
        ...opts,
        onRebalance: (event) => {
          p.events.push(event);
          p.held = event.type === 'assign' ? event.partitions : [];
        },
      });
      consumers.push(p.consumer);
      await p.consumer.start(async (batch) => {
        if (handler) await handler(batch);
        p.records.push(...batch.records);
      });
      return p;
    }

    async function committedEqualsLatest(groupId: string, topicName: string): Promise<boolean> {
      const [committed, latest] = await Promise.all([bus.committedOffsets(groupId, topicName), bus.latestOffsets(topicName)]);
      const byPartition = new Map(committed.map((o) => [o.partition, o.offset]));
      return latest.every((o) => o.offset === '0' || byPartition.get(o.partition) === o.offset);
    }

    it(caseOf('ensureTopics is idempotent and creates the partitions asked for'), async () => {
      const name = uniqueName('contract_topics');
      await bus.ensureTopics([{ name, partitions: 3 }]);
      await bus.ensureTopics([{ name, partitions: 3 }]);
      const latest = await bus.latestOffsets(name);
      expect(latest.map((o) => [o.partition, o.offset])).toEqual([
        [0, '0'],
        [1, '0'],
        [2, '0'],
      ]);
    });

    it(caseOf('keeps per-key order across interleaved keys on several partitions'), async () => {
      const name = await topic('order', 3);
      const keys = equipmentKeys(6);
      expect(new Set(keys.map((k) => partitionFor(k, 3))).size).toBeGreaterThan(1);
      const rounds = 40;
      const all: OutgoingRecord[] = [];
      for (let seq = 0; seq < rounds; seq++) for (const key of keys) all.push({ key, value: Buffer.from(JSON.stringify({ key, seq })) });
      const producer = await bus.producer();
      for (let i = 0; i < all.length; i += 50) await producer.send(name, all.slice(i, i + 50));
      await producer.close();

      const p = await probe({ groupId: uniqueName('g_order'), topics: [name], maxBatchSize: 25 });
      await wait(() => p.records.length >= all.length, `${all.length} records`);
      for (const key of keys) {
        const mine = p.records.filter((r) => r.key === key);
        expect(mine.map((r) => (JSON.parse(text(r.value)!) as { seq: number }).seq)).toEqual(Array.from({ length: rounds }, (_, i) => i));
        expect(new Set(mine.map((r) => r.partition))).toEqual(new Set([partitionFor(key, 3)]));
        const offsets = mine.map((r) => BigInt(r.offset));
        expect(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!)).toBe(true);
      }
    });

    it(caseOf('a consumer asking for large fetches still gets a lone small record once its wait has passed'), async () => {
      const name = await topic('fetch', 2);
      // Far more bytes than will ever arrive: only the wait can answer the fetch (sinks use this sizing).
      const p = await probe({ groupId: uniqueName('g_fetch'), topics: [name], fetch: { minBytes: 8 * 1024 * 1024, maxWaitMs: 300 } });
      await produce(name, [{ key: 'k', value: Buffer.from('lone') }]);
      await wait(() => p.records.length >= 1, 'the lone record');
      await produce(name, [{ key: 'k', value: Buffer.from('second') }]);
      await wait(() => p.records.length >= 2, 'the second record');
      expect(p.records.map((r) => text(r.value))).toEqual(['lone', 'second']);
    });

    it(caseOf('delivers a batch of 10k records exactly once to a single committing consumer'), async () => {
      const name = await topic('bulk', 4);
      const count = 10_000;
      const records = Array.from({ length: count }, (_, i) => ({ key: `key-${i % 97}`, value: Buffer.from(String(i)) }));
      await produce(name, records);
      const groupId = uniqueName('g_bulk');
      const p = await probe({ groupId, topics: [name], maxBatchSize: 1000 });
      await wait(() => p.records.length >= count, `${count} records`);
      await wait(() => committedEqualsLatest(groupId, name), 'the group to commit every partition to its end');
      expect(p.records).toHaveLength(count);
      expect(new Set(p.records.map((r) => text(r.value))).size).toBe(count);
      const latest = await bus.latestOffsets(name);
      expect(latest.reduce((sum, o) => sum + Number(o.offset), 0)).toBe(count);
    });

    it(caseOf('redelivers records to the next consumer of the group when a consumer stops without committing'), async () => {
      const name = await topic('redeliver_stop', 2);
      const records = equipmentKeys(10).flatMap((key) => [0, 1, 2, 3, 4].map((i) => ({ key, value: Buffer.from(`${key}#${i}`) })));
      await produce(name, records);
      const groupId = uniqueName('g_redeliver_stop');

      // 'in-transaction' consumers never commit by themselves: stopping this one is a consumer dying mid-work.
      const first = await probe({ groupId, topics: [name], commit: 'in-transaction' });
      await wait(() => first.records.length >= records.length, 'the first consumer to see every record');
      await first.consumer.stop();
      expect(await bus.committedOffsets(groupId, name)).toEqual([]);

      const second = await probe({ groupId, topics: [name] });
      await wait(() => second.records.length >= records.length, 'the second consumer to see every record again');
      expect(new Set(second.records.map((r) => text(r.value)))).toEqual(new Set(records.map((r) => text(r.value))));
    });

    it(caseOf('redelivers a batch whose handler threw to the next consumer, and the failed consumer reports the error'), async () => {
      const name = await topic('redeliver_throw', 2);
      const records = equipmentKeys(10).map((key) => ({ key, value: Buffer.from(key) }));
      await produce(name, records);
      const groupId = uniqueName('g_redeliver_throw');

      const failing = bus.consumer({ groupId, topics: [name] });
      consumers.push(failing);
      await failing.start(async () => {
        throw new Error('handler failed on purpose');
      });
      await expect(failing.done).rejects.toThrow('handler failed on purpose');
      expect(await bus.committedOffsets(groupId, name)).toEqual([]);

      const next = await probe({ groupId, topics: [name] });
      await wait(() => next.records.length >= records.length, 'every record delivered again');
      expect(new Set(next.records.map((r) => text(r.value)))).toEqual(new Set(records.map((r) => text(r.value))));
    });

    it(caseOf('splits the partitions of a topic between two consumers of one group'), async () => {
      const name = await topic('split', 4);
      const groupId = uniqueName('g_split');
      const a = await probe({ groupId, topics: [name] });
      const b = await probe({ groupId, topics: [name] });
      await wait(() => a.held.length === 2 && b.held.length === 2, 'both members to hold two partitions');

      const keys = equipmentKeys(40);
      expect(new Set(keys.map((k) => partitionFor(k, 4))).size).toBe(4);
      const records = keys.map((key) => ({ key, value: Buffer.from(key) }));
      await produce(name, records);
      await wait(() => a.records.length + b.records.length >= records.length, 'every record at one member or the other');

      const partitionsOf = (p: Probe) => new Set(p.records.map((r) => r.partition));
      expect(partitionsOf(a).size).toBeGreaterThan(0);
      expect(partitionsOf(b).size).toBeGreaterThan(0);
      expect([...partitionsOf(a)].filter((x) => partitionsOf(b).has(x))).toEqual([]);
      expect(new Set([...a.records, ...b.records].map((r) => text(r.value)))).toEqual(new Set(keys));
    });

    it(caseOf('co-partitions: partition i of every subscribed topic goes to the same member'), async () => {
      const left = await topic('copart_a', 4);
      const right = await topic('copart_b', 4);
      const groupId = uniqueName('g_copart');
      const a = await probe({ groupId, topics: [left, right] });
      const b = await probe({ groupId, topics: [left, right] });
      await wait(() => a.held.length === 4 && b.held.length === 4, 'both members to hold two partitions of each topic');
      for (const p of [a, b]) {
        const of = (t: string) => p.held.filter((tp) => tp.topic === t).map((tp) => tp.partition);
        expect(of(left)).toEqual(of(right));
        expect(of(left)).toHaveLength(2);
      }

      const keys = equipmentKeys(24);
      await produce(left, keys.map((key) => ({ key, value: Buffer.from(`left:${key}`) })));
      await produce(right, keys.map((key) => ({ key, value: Buffer.from(`right:${key}`) })));
      await wait(() => a.records.length + b.records.length >= 2 * keys.length, 'every record of both topics');
      for (const key of keys) {
        const owner = (t: string) => [a, b].findIndex((p) => p.records.some((r) => r.topic === t && r.key === key));
        expect(owner(left)).toBe(owner(right));
      }
    });

    it(caseOf('round-trips keys, values, headers, timestamps and tombstones'), async () => {
      const name = await topic('headers', 1);
      const sent: OutgoingRecord[] = [
        { key: 'acme/plant1/a/l/c/press-01', value: Buffer.from([0, 1, 2, 254, 255]), headers: { 'x-a': '1', 'x-utf8': 'Grüße ✓ 機械', 'x-empty': '' }, timestamp: 1_700_000_000_123 },
        { key: 'acme/plant1/a/l/c/press-02', value: null, headers: { 'x-tombstone': 'yes' }, timestamp: 1_700_000_000_456 },
        { key: 'acme/plant1/a/l/c/press-03', value: Buffer.alloc(0) },
      ];
      await produce(name, sent);
      const p = await probe({ groupId: uniqueName('g_headers'), topics: [name] });
      await wait(() => p.records.length >= sent.length, 'three records');
      const [first, tombstone, empty] = p.records;
      expect(first).toMatchObject({ topic: name, partition: 0, offset: '0', key: sent[0]!.key, headers: sent[0]!.headers, timestamp: sent[0]!.timestamp });
      expect([...first!.value!]).toEqual([0, 1, 2, 254, 255]);
      expect(tombstone).toMatchObject({ key: sent[1]!.key, value: null, headers: { 'x-tombstone': 'yes' }, timestamp: sent[1]!.timestamp });
      expect(empty!.key).toBe(sent[2]!.key);
      expect(empty!.headers).toEqual({});
      expect(empty!.value?.length ?? 0).toBe(0);
      expect(Math.abs(empty!.timestamp - Date.now())).toBeLessThan(5 * 60_000);
    });

    it(caseOf('dead-letters a record that fails to decode, with the reason in its headers, and keeps going'), async () => {
      const contract = { topic: await topic('dlq_source', 2), schema: 'Reading', key: 'equipment', partitions: 2 } as const satisfies TopicContract;
      const dlq = await topic('dlq', 1);
      const codec = createJsonTestCodec({ Reading: ['eventId', 'equipment', 'value'] });
      const metrics = createMetrics();
      const producer = await bus.producer();
      const keys = equipmentKeys(4);

      const typed = createTypedProducer({ producer, codec, logger: silentLogger() });
      await typed.send(contract, keys.map((equipment, i) => ({ eventId: `e${i}`, equipment, value: i })));
      const bad: OutgoingRecord[] = [
        { key: keys[0]!, value: Buffer.from('{not json'), headers: { 'x-origin': 'test-1' } },
        { key: keys[1]!, value: Buffer.from(JSON.stringify({ eventId: 'e-bad', equipment: keys[1] })), headers: { 'x-origin': 'test-2' } },
      ];
      await producer.send(contract.topic, bad);
      await typed.send(contract, keys.map((equipment, i) => ({ eventId: `f${i}`, equipment, value: 10 + i })));

      const groupId = uniqueName('g_dlq');
      const received: Array<{ eventId: string }> = [];
      const consumer = createTypedConsumer({
        bus,
        codec,
        groupId,
        topics: [contract],
        logger: silentLogger(),
        metrics,
        deadLetter: { producer, topic: dlq },
      });
      consumers.push(consumer);
      await consumer.start(async (batch) => {
        received.push(...(batch.events as Array<{ eventId: string }>));
      });
      const dead = await probe({ groupId: uniqueName('g_dlq_reader'), topics: [dlq] });

      await wait(() => received.length >= 8 && dead.records.length >= 2, '8 good events and 2 dead letters');
      expect(received.map((e) => e.eventId).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'f0', 'f1', 'f2', 'f3']);
      await wait(() => committedEqualsLatest(groupId, contract.topic), 'the group to commit past the dead-lettered records');

      for (const original of bad) {
        const letter = dead.records.find((r) => r.headers['x-origin'] === original.headers!['x-origin'])!;
        expect(letter.key).toBe(original.key);
        expect(text(letter.value)).toBe(text(original.value));
        expect(letter.headers[deadLetterHeaders.sourceTopic]).toBe(contract.topic);
        expect(letter.headers[deadLetterHeaders.sourcePartition]).toBe(String(partitionFor(original.key, 2)));
        expect(letter.headers[deadLetterHeaders.sourceOffset]).toMatch(/^\d+$/);
        expect(letter.headers[deadLetterHeaders.consumer]).toBe(groupId);
        expect(Number(letter.headers[deadLetterHeaders.time])).toBeGreaterThan(1_600_000_000_000);
      }
      const reasonOf = (origin: string) => dead.records.find((r) => r.headers['x-origin'] === origin)!.headers[deadLetterHeaders.reason];
      expect(reasonOf('test-1')).toMatch(/not JSON/);
      expect(reasonOf('test-2')).toMatch(/missing required field value/);

      const counted = await metrics.registry.getSingleMetric('linepulse_dead_letters_total')!.get();
      expect(counted.values).toEqual([{ labels: { topic: contract.topic, consumer: groupId }, value: 2 }]);
      await producer.close();
    });

    it(caseOf('transactions: committed records and sendOffsets become visible together, and the group offsets advance'), async () => {
      const input = await topic('tx_in', 2);
      const output = await topic('tx_out', 2);
      const keys = equipmentKeys(20);
      await produce(input, keys.map((key) => ({ key, value: Buffer.from(key) })));
      const groupId = uniqueName('g_tx');
      const txp = await bus.transactionalProducer(uniqueName('txid'));
      try {
        await probe({ groupId, topics: [input], commit: 'in-transaction' }, async (batch) => {
          await txp.transaction(async (tx) => {
            await tx.send(output, batch.records.map((r) => ({ key: r.key!, value: Buffer.from(`out:${text(r.value)}`) })));
            await tx.sendOffsets(groupId, [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
          });
        });
        const reader = await probe({ groupId: uniqueName('g_tx_reader'), topics: [output] });
        await wait(() => reader.records.length >= keys.length, `${keys.length} transformed records`);
        expect(new Set(reader.records.map((r) => text(r.value)))).toEqual(new Set(keys.map((k) => `out:${k}`)));
        await wait(() => committedEqualsLatest(groupId, input), 'the transaction to commit the group offsets');
        const committed = await bus.committedOffsets(groupId, input);
        const latest = await bus.latestOffsets(input);
        expect(sortOffsets(committed)).toEqual(sortOffsets(latest.filter((o) => o.offset !== '0')));
      } finally {
        await txp.close();
      }
    });

    it(caseOf('transactions: an aborted transaction is never seen by a read-committed consumer and commits no offsets'), async () => {
      const name = await topic('tx_abort', 1);
      const groupId = uniqueName('g_tx_abort');
      const txp = await bus.transactionalProducer(uniqueName('txid'));
      try {
        await expect(
          txp.transaction(async (tx) => {
            await tx.send(name, [1, 2, 3].map((i) => ({ key: 'k', value: Buffer.from(`aborted-${i}`) })));
            await tx.sendOffsets(groupId, [{ topic: name, partition: 0, offset: '3' }]);
            throw new Error('abort on purpose');
          }),
        ).rejects.toThrow('abort on purpose');
        await txp.transaction(async (tx) => {
          await tx.send(name, [{ key: 'k', value: Buffer.from('committed-1') }]);
        });
        await produce(name, [{ key: 'k', value: Buffer.from('plain-1') }]);

        const reader = await probe({ groupId: uniqueName('g_tx_abort_reader'), topics: [name] });
        await wait(() => reader.records.some((r) => text(r.value) === 'plain-1'), 'the record after the transactions');
        expect(reader.records.map((r) => text(r.value))).toEqual(['committed-1', 'plain-1']);
        expect(await bus.committedOffsets(groupId, name)).toEqual([]);
      } finally {
        await txp.close();
      }
    });

    it(caseOf('puts every key on the partition Kafka’s murmur2 partitioner picks (the same for every adapter)'), async () => {
      const name = await topic('partitioner', 6);
      const keys = [...equipmentKeys(40), 'foobar', '21', 'WO-2024-000123', 'Ünïcödé/стан/機械', 'a'];
      await produce(name, keys.map((key) => ({ key, value: Buffer.from(key) })));
      const p = await probe({ groupId: uniqueName('g_partitioner'), topics: [name] });
      await wait(() => p.records.length >= keys.length, `${keys.length} records`);
      for (const record of p.records) expect(record.partition, record.key!).toBe(partitionFor(record.key!, 6));
      expect(new Set(p.records.map((r) => r.partition)).size).toBe(6);
    });
  });
}

function sortOffsets(offsets: PartitionOffset[]): PartitionOffset[] {
  return [...offsets].sort((a, b) => a.partition - b.partition);
}

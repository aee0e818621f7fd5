// The bus contract against the real broker of the test stack, once per Kafka client; plus what only a real
// cluster can show (cross-client partition agreement, fencing, an unreachable broker).
import { describe, expect, it } from 'vitest';
import { requireService, uniqueName, waitFor } from '../../test/services.ts';
import { ServiceUnreachableError } from '../errors.ts';
import { createLogger, silentLogger } from '../log.ts';
import { describeBusContract, equipmentKeys } from './contract.ts';
import type { KafkaBusOptions } from './kafka-connection.ts';
import { createKafkajsBus } from './kafkajs.ts';
import { createRdkafkaBus } from './rdkafka.ts';
import { partitionFor } from './partitioner.ts';
import type { Bus, ConsumedRecord } from './port.ts';
import { TransactionFencedError } from './port.ts';

// BUS_TEST_LOG=warn (or debug) shows what the clients log during the run.
const logger = process.env.BUS_TEST_LOG ? createLogger({ name: 'bus-test', level: process.env.BUS_TEST_LOG }) : silentLogger();

function options(overrides: Partial<KafkaBusOptions> = {}): KafkaBusOptions {
  return {
    connection: { brokers: requireService('kafka').split(','), clientId: 'linepulse-bus-test' },
    logger,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    ...overrides,
  };
}

const creators = { kafkajs: createKafkajsBus, rdkafka: createRdkafkaBus };
const makers: Record<string, () => Promise<Bus>> = {
  kafkajs: () => createKafkajsBus(options()),
  rdkafka: () => createRdkafkaBus(options()),
};

for (const [name, make] of Object.entries(makers)) describeBusContract(name, make, { timeoutMs: 90_000 });

describe('bus > kafka clients', () => {
  it.each(Object.keys(makers))('%s: a newer transactional producer with the same id fences the older one', async (name) => {
    const bus = await makers[name]!();
    try {
      const topic = uniqueName('fence');
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const id = uniqueName('txid');
      const old = await bus.transactionalProducer(id);
      await old.transaction(async (tx) => tx.send(topic, [{ key: 'k', value: Buffer.from('old-1') }]));
      const fresh = await bus.transactionalProducer(id);
      await expect(old.transaction(async (tx) => tx.send(topic, [{ key: 'k', value: Buffer.from('zombie') }]))).rejects.toBeInstanceOf(TransactionFencedError);
      await fresh.transaction(async (tx) => tx.send(topic, [{ key: 'k', value: Buffer.from('fresh-1') }]));
      const seen: string[] = [];
      const reader = bus.consumer({ groupId: uniqueName('g_fence'), topics: [topic] });
      await reader.start(async (b) => void seen.push(...b.records.map((r) => r.value!.toString())));
      await waitFor(() => seen.includes('fresh-1'), { what: 'the fresh record', timeoutMs: 60_000 });
      expect(seen).toEqual(['old-1', 'fresh-1']);
      await old.close().catch(() => undefined);
    } finally {
      await bus.close();
    }
  });

  it.each(Object.keys(makers))('%s: an unreachable broker gives a one-line ServiceUnreachableError within the bound', async (name) => {
    const started = Date.now();
    const unreachable = { ...options({ connectTimeoutMs: 3_000 }), connection: { brokers: ['127.0.0.1:1'], clientId: 'x' } };
    const create = creators[name as keyof typeof creators];
    const error = await create(unreachable).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect((error as Error).message).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:1: /);
    expect((error as Error).message).not.toContain('\n');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('every client puts every key on the same partition', async () => {
    const topic = uniqueName('agree');
    const keys = equipmentKeys(60);
    const buses = await Promise.all(Object.values(makers).map((make) => make()));
    try {
      await buses[0]!.ensureTopics([{ name: topic, partitions: 6 }]);
      for (const bus of buses) {
        const producer = await bus.producer();
        await producer.send(topic, keys.map((key) => ({ key, value: Buffer.from(bus.kind) })));
        await producer.close();
      }
      const seen: ConsumedRecord[] = [];
      const reader = buses[0]!.consumer({ groupId: uniqueName('g_agree'), topics: [topic] });
      await reader.start(async (b) => void seen.push(...b.records));
      await waitFor(() => seen.length >= keys.length * buses.length, { what: 'every record of every client', timeoutMs: 60_000 });
      for (const key of keys) {
        const partitions = new Set(seen.filter((r) => r.key === key).map((r) => r.partition));
        expect([...partitions]).toEqual([partitionFor(key, 6)]);
      }
    } finally {
      await Promise.all(buses.map((bus) => bus.close()));
    }
  });
});

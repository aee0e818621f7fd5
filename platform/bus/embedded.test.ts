import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/services.ts';
import { silentLogger } from '../log.ts';
import { describeBusContract, equipmentKeys } from './contract.ts';
import { createEmbeddedBroker, createEmbeddedBus } from './embedded.ts';
import type { ConsumedRecord, RebalanceEvent } from './port.ts';
import { TransactionFencedError } from './port.ts';

describeBusContract('embedded', async () => createEmbeddedBus({ logger: silentLogger() }));

describe('bus > embedded', () => {
  const logger = silentLogger();

  it('moves the partitions of a member that leaves to the remaining member, from the committed offsets', async () => {
    const bus = createEmbeddedBus({ logger });
    await bus.ensureTopics([{ name: 't', partitions: 4 }]);
    const events: Array<[string, RebalanceEvent]> = [];
    const seen: Record<string, ConsumedRecord[]> = { a: [], b: [] };
    const make = (name: string) =>
      bus.consumer({ groupId: 'g', topics: ['t'], onRebalance: (e) => void events.push([name, e]) });
    const a = make('a');
    const b = make('b');
    await a.start(async (batch) => void seen.a!.push(...batch.records));
    await b.start(async (batch) => void seen.b!.push(...batch.records));
    expect(events.at(-2)).toEqual(['a', { type: 'assign', partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] }]);
    expect(events.at(-1)).toEqual(['b', { type: 'assign', partitions: [{ topic: 't', partition: 2 }, { topic: 't', partition: 3 }] }]);

    const producer = await bus.producer();
    await producer.send('t', equipmentKeys(20).map((key) => ({ key, value: Buffer.from(key) })));
    await waitFor(() => seen.a!.length + seen.b!.length === 20, { what: '20 records' });
    await b.stop();
    expect(events.at(-1)).toEqual(['a', { type: 'assign', partitions: [0, 1, 2, 3].map((partition) => ({ topic: 't', partition })) }]);

    await producer.send('t', equipmentKeys(20).map((key) => ({ key, value: Buffer.from(`2:${key}`) })));
    await waitFor(() => seen.a!.length + seen.b!.length === 40, { what: '40 records' });
    expect(seen.a!.filter((r) => r.value!.toString().startsWith('2:'))).toHaveLength(20);
    await bus.close();
  });

  it('fences a transactional producer when a newer one with the same id starts, aborting its open transaction', async () => {
    const bus = createEmbeddedBus({ logger });
    await bus.ensureTopics([{ name: 'out', partitions: 1 }]);
    const old = await bus.transactionalProducer('proc-0');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pending = old.transaction(async (tx) => {
      await tx.send('out', [{ key: 'k', value: Buffer.from('zombie') }]);
      await gate;
      await tx.send('out', [{ key: 'k', value: Buffer.from('zombie-2') }]);
    });
    const fresh = await bus.transactionalProducer('proc-0');
    release();
    await expect(pending).rejects.toBeInstanceOf(TransactionFencedError);
    await fresh.transaction(async (tx) => tx.send('out', [{ key: 'k', value: Buffer.from('fresh') }]));

    const values: string[] = [];
    const reader = bus.consumer({ groupId: 'r', topics: ['out'] });
    await reader.start(async (batch) => void values.push(...batch.records.map((r) => r.value!.toString())));
    await waitFor(() => values.includes('fresh'), { what: 'the fresh record' });
    expect(values).toEqual(['fresh']);
    await bus.close();
  });

  it('shows open transactional records to read-uncommitted consumers only', async () => {
    const bus = createEmbeddedBus({ logger });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    const txp = await bus.transactionalProducer('p');
    const committedView: string[] = [];
    const uncommittedView: string[] = [];
    await bus.consumer({ groupId: 'rc', topics: ['t'] }).start(async (b) => void committedView.push(...b.records.map((r) => r.value!.toString())));
    await bus
      .consumer({ groupId: 'ru', topics: ['t'], readCommitted: false })
      .start(async (b) => void uncommittedView.push(...b.records.map((r) => r.value!.toString())));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const done = txp.transaction(async (tx) => {
      await tx.send('t', [{ key: 'k', value: Buffer.from('in-flight') }]);
      await gate;
    });
    await waitFor(() => uncommittedView.includes('in-flight'), { what: 'the read-uncommitted consumer to see the open record' });
    expect(committedView).toEqual([]);
    release();
    await done;
    await waitFor(() => committedView.includes('in-flight'), { what: 'the committed record' });
    await bus.close();
  });

  it('does not starve the event loop while draining a large backlog', async () => {
    const bus = createEmbeddedBus({ logger });
    await bus.ensureTopics([{ name: 't', partitions: 2 }]);
    const producer = await bus.producer();
    await producer.send('t', Array.from({ length: 50_000 }, (_, i) => ({ key: `k${i % 10}`, value: Buffer.from(String(i)) })));
    let handled = 0;
    let timerFiredAt: number | undefined;
    setTimeout(() => (timerFiredAt = handled), 0);
    const consumer = bus.consumer({ groupId: 'g', topics: ['t'], maxBatchSize: 100 });
    await consumer.start(async (batch) => void (handled += batch.records.length));
    await waitFor(() => handled === 50_000, { what: 'the backlog to drain' });
    expect(timerFiredAt).toBeDefined();
    expect(timerFiredAt!).toBeLessThan(50_000);
    await bus.close();
  });

  it('drops the oldest records beyond the per-partition bound; a lagging group continues from the oldest kept', async () => {
    const broker = createEmbeddedBroker({ maxRecordsPerPartition: 1000 });
    const bus = createEmbeddedBus({ logger, broker });
    await bus.ensureTopics([{ name: 't', partitions: 1 }, { name: 'c', partitions: 1, cleanupPolicy: 'compact' }]);
    const producer = await bus.producer();
    const records = Array.from({ length: 5000 }, (_, i) => ({ key: 'k', value: Buffer.from(String(i)) }));
    await producer.send('t', records);
    await producer.send('c', records);
    const seen: Record<string, number[]> = { t: [], c: [] };
    await bus.consumer({ groupId: 'g', topics: ['t', 'c'] }).start(async (b) => void seen[b.topic]!.push(...b.records.map((r) => Number(r.offset))));
    await waitFor(() => seen.t!.at(-1) === 4999 && seen.c!.at(-1) === 4999, { what: 'both topics read to the end' });
    expect(seen.t!.length).toBeGreaterThanOrEqual(1000);
    expect(seen.t!.length).toBeLessThan(5000);
    expect(seen.c).toHaveLength(5000);
    await bus.close();
  });

  it('refuses to produce to or consume from a topic that was not created', async () => {
    const bus = createEmbeddedBus({ logger });
    const producer = await bus.producer();
    await expect(producer.send('nope', [{ key: 'k', value: null }])).rejects.toThrow(/topic nope does not exist/);
    await expect(bus.consumer({ groupId: 'g', topics: ['nope'] }).start(async () => undefined)).rejects.toThrow(/topic nope does not exist/);
    await bus.close();
  });

  it('stops a consumer whose rebalance callback throws', async () => {
    const bus = createEmbeddedBus({ logger });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    const consumer = bus.consumer({
      groupId: 'g',
      topics: ['t'],
      onRebalance: () => {
        throw new Error('restore failed');
      },
    });
    await consumer.start(async () => undefined);
    await expect(consumer.done).rejects.toThrow('restore failed');
    await bus.close();
  });
});

// The transaction coordinator cache against the real broker: transactions still commit, and kafkajs stops asking
// for the coordinator before every transactional request (it used to ask twice per transaction).
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { requireService, uniqueName } from '../../test/services.ts';
import { cacheTransactionCoordinators, transactionCoordinatorCacheTtl } from './kafkajs-coordinators.ts';

describe('bus > kafkajs transaction coordinator cache', () => {
  it('> 20 transactions commit with a handful of coordinator lookups instead of two each', async () => {
    cacheTransactionCoordinators(60_000);
    expect(transactionCoordinatorCacheTtl()).toBe(60_000);
    const kafka = new Kafka({ brokers: requireService('kafka').split(','), clientId: 'linepulse-coordinator-test', logLevel: logLevel.NOTHING });
    const topic = uniqueName('txn_cache');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ transactionalId: uniqueName('txn_cache_id'), idempotent: true, maxInFlightRequests: 1 });
    const requests: Record<string, number> = {};
    producer.on(producer.events.REQUEST, ({ payload }) => {
      requests[payload.apiName] = (requests[payload.apiName] ?? 0) + 1;
    });
    await producer.connect();
    const transactions = 20;
    try {
      for (let i = 0; i < transactions; i += 1) {
        const txn = await producer.transaction();
        await txn.send({ topic, messages: [{ key: 'k', value: String(i) }] });
        await txn.commit();
      }
      const consumer = kafka.consumer({ groupId: uniqueName('txn_cache_g'), readUncommitted: false });
      await consumer.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      await consumer.disconnect();
      // 20 records and 20 commit markers.
      expect(Number(offsets[0]!.high)).toBe(2 * transactions);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
    expect(requests.EndTxn).toBe(transactions);
    // Without the cache: one lookup before AddPartitionsToTxn and one before EndTxn, per transaction (40).
    expect(requests.GroupCoordinator ?? 0).toBeLessThanOrEqual(3);
  });
});

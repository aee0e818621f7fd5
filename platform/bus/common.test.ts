import { describe, expect, it } from 'vitest';
import { RebalanceSequencer, chunkBySize, groupByPartition, nextOffset, partitionBatches, rangeAssign } from './common.ts';
import type { ConsumedRecord, RebalanceEvent } from './port.ts';

const record = (topic: string, partition: number, offset: number): ConsumedRecord => ({ topic, partition, offset: String(offset), key: 'k', value: null, headers: {}, timestamp: 0 });

describe('bus > common', () => {
  it('range-assigns partition i of every topic with equal partition counts to the same member', () => {
    const plan = rangeAssign(
      [
        { memberId: 'm-b', topics: ['counts', 'states'] },
        { memberId: 'm-a', topics: ['counts', 'states'] },
        { memberId: 'm-c', topics: ['counts', 'states'] },
      ],
      new Map([
        ['counts', 8],
        ['states', 8],
      ]),
    );
    const of = (member: string, topic: string) => plan.get(member)!.filter((tp) => tp.topic === topic).map((tp) => tp.partition);
    expect(of('m-a', 'counts')).toEqual([0, 1, 2]);
    expect(of('m-b', 'counts')).toEqual([3, 4, 5]);
    expect(of('m-c', 'counts')).toEqual([6, 7]);
    for (const m of ['m-a', 'm-b', 'm-c']) expect(of(m, 'states')).toEqual(of(m, 'counts'));
  });

  it('range-assigns each topic among its own subscribers, and leaves extra members empty', () => {
    const plan = rangeAssign(
      [
        { memberId: 'a', topics: ['x'] },
        { memberId: 'b', topics: ['x', 'y'] },
        { memberId: 'c', topics: ['x'] },
        { memberId: 'd', topics: ['x'] },
      ],
      new Map([
        ['x', 3],
        ['y', 2],
      ]),
    );
    expect(plan.get('a')).toEqual([{ topic: 'x', partition: 0 }]);
    expect(plan.get('b')).toEqual([{ topic: 'x', partition: 1 }, { topic: 'y', partition: 0 }, { topic: 'y', partition: 1 }]);
    expect(plan.get('d')).toEqual([]);
  });

  it('cuts partition records into bounded batches; the last one commits up to where the read stopped', () => {
    const records = [10, 11, 12, 13, 14].map((o) => record('t', 1, o));
    const batches = partitionBatches('t', 1, records, 2, '17', '20');
    expect(batches.map((b) => [b.records.map((r) => r.offset), b.nextOffset])).toEqual([
      [['10', '11'], '12'],
      [['12', '13'], '14'],
      [['14'], '17'],
    ]);
    expect(batches[0]!.highWatermark).toBe('20');
    expect(partitionBatches('t', 1, records.slice(0, 1), 10, '3')[0]!.nextOffset).toBe('11');
  });

  it('groups a multi-partition fetch per partition, keeping offset order', () => {
    const fetched = [record('a', 0, 5), record('b', 0, 1), record('a', 0, 6), record('a', 1, 0)];
    expect(groupByPartition(fetched, 100).map((b) => `${b.topic}/${b.partition}:${b.records.map((r) => r.offset).join(',')}->${b.nextOffset}`)).toEqual([
      'a/0:5,6->7',
      'b/0:1->2',
      'a/1:0->1',
    ]);
  });

  it('does offset arithmetic beyond 2^53', () => {
    expect(nextOffset('9223372036854775806')).toBe('9223372036854775807');
  });

  it('splits sends so that no chunk exceeds the byte budget', () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(300) }));
    const chunks = chunkBySize(records, 1_000);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 2, 2]);
    expect(chunkBySize([{ key: 'big', value: Buffer.alloc(5_000) }], 1_000)).toHaveLength(1);
  });

  it('runs rebalance callbacks in order, eagerly (revoke all, then assign all), and reports a failing callback', async () => {
    const events: RebalanceEvent[] = [];
    const sequencer = new RebalanceSequencer(async (e) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      events.push(e);
    });
    void sequencer.assign([{ topic: 't', partition: 1 }, { topic: 't', partition: 0 }]);
    void sequencer.assign([{ topic: 't', partition: 0 }]);
    await sequencer.revokeAll();
    expect(events).toEqual([
      { type: 'assign', partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] },
      { type: 'revoke', partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] },
      { type: 'assign', partitions: [{ topic: 't', partition: 0 }] },
      { type: 'revoke', partitions: [{ topic: 't', partition: 0 }] },
    ]);
    const failing = new RebalanceSequencer(() => {
      throw new Error('restore failed');
    });
    void failing.assign([]);
    await expect(failing.settled()).rejects.toThrow('restore failed');
  });
});

// The live feed under other topic names (a benchmark run's prefixed topics): it reads those topics, not the plant's,
// publishes their events to the hub, and dead-letters a malformed record to the dead-letter topic it was given.
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../../platform/bus/embedded.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createTypedProducer } from '../../platform/bus/typed.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { topics } from '../../schemas/topics.ts';
import { waitFor } from '../../test/services.ts';
import { countTotal } from '../testing/fixtures.ts';
import { startLiveFeed, type LiveFeed } from './feed.ts';
import type { LiveHub, LiveUpdate } from './hub.ts';

let bus: Bus | undefined;
let feed: LiveFeed | undefined;

afterEach(async () => {
  await feed?.stop();
  await bus?.close();
});

/** Records what the feed publishes (the hub's coalescing is tested in hub.test.ts). */
function recordingHub(): LiveHub & { updates: LiveUpdate[] } {
  const updates: LiveUpdate[] = [];
  return {
    updates,
    attach: () => undefined,
    publish: (u) => updates.push(u),
    stats: () => ({ published: updates.length, emitted: 0, coalesced: 0, pending: 0 }),
    close: () => undefined,
  };
}

describe('live feed', () => {
  it('> reads the topic names it is given and dead-letters to the given topic', async () => {
    bus = createEmbeddedBus({ logger: silentLogger() });
    const codec = createAvroCodec();
    const hub = recordingHub();
    feed = await startLiveFeed({
      bus,
      codec,
      logger: silentLogger(),
      metrics: createMetrics(),
      hub,
      groupId: 'run1.live',
      topicNames: { countTotals: 'run1.count-totals' },
      deadLetterTopic: 'run1.dlq',
    });
    const raw = await bus.producer();
    const producer = createTypedProducer({ producer: raw, codec, logger: silentLogger() });
    await producer.send({ ...topics.countTotals, topic: 'run1.count-totals' }, [countTotal(7)]);
    await bus.ensureTopics([{ name: topics.countTotals.topic, partitions: topics.countTotals.partitions }]);
    await producer.send('countTotals', [countTotal(8)]); // the plant's topic: not this feed's
    await raw.send('run1.count-totals', [{ key: 'x', value: Buffer.from('not avro') }]);

    await waitFor(() => hub.updates.length >= 1, { what: 'a live update', timeoutMs: 10_000 });
    const dlq = bus.consumer({ groupId: 'probe', topics: ['run1.dlq'], fromBeginning: true });
    const dead: string[] = [];
    await dlq.start(async (batch) => {
      for (const r of batch.records) dead.push(r.topic);
    });
    await waitFor(() => dead.length >= 1, { what: 'a dead letter', timeoutMs: 10_000 });
    await dlq.stop();
    await raw.close();

    expect(hub.updates.map((u) => [u.event, (u.payload as { revision: number }).revision])).toEqual([['countTotal', 7]]);
    expect(dead).toEqual(['run1.dlq']);
  });
});

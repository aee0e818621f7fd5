import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../platform/bus/embedded.ts';
import { createTypedProducer, linepulseTopicSpecs } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { silentLogger } from '../platform/log.ts';
import { createMetrics } from '../platform/metrics.ts';
import { waitFor } from '../test/services.ts';
import { followDispatch, type DispatchFollower } from './dispatch-follower.ts';

let follower: DispatchFollower | undefined;
afterEach(async () => {
  await follower?.stop();
});

describe('dispatch follower > scanner stations follow the dispatched work order', () => {
  it('binds every dispatch (latest wins, null clears) to the edge by equipment path', async () => {
    const logger = silentLogger();
    const bus = createEmbeddedBus({ logger });
    await bus.ensureTopics(linepulseTopicSpecs());
    const codec = createAvroCodec();
    const producer = await bus.producer();
    const bound: Array<[string, string | null]> = [];
    const edge = {
      setWorkOrder(equipment: string, workOrder: string | null) {
        bound.push([equipment, workOrder]);
        return 1;
      },
    };
    follower = await followDispatch({ bus, codec, edge, logger, metrics: createMetrics(), deadLetterProducer: producer, groupId: 'follower-test' });
    const typed = createTypedProducer({ producer, codec, logger });
    const equipment = 'demo/plant1/assembly/line1/cell1/M01';
    const dispatch = (eventId: string, workOrder: string | null, eventTime: number) => ({
      eventId, eventTime, equipment, workOrder, product: null, operation: null, idealCycleTimeMs: null, targetQuantity: null,
    });
    await typed.send('dispatch', [dispatch('d1', 'WO-1', 1_000), dispatch('d2', 'WO-2', 2_000), dispatch('d3', null, 3_000)]);
    await waitFor(() => bound.length === 3, { what: 'three work-order bindings', timeoutMs: 10_000 });
    expect(bound).toEqual([[equipment, 'WO-1'], [equipment, 'WO-2'], [equipment, null]]);
  });
});

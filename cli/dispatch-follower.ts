// Keeps the edge's scanner stations bound to the work order that is active on their equipment: Dispatch events
// (linepulse.dispatch.v1, from ERP assignments or the dispatch processor) -> edge.setWorkOrder. Wiring between two
// components, so it lives with the composition roots. The latest dispatch per equipment wins; the consumer group
// is per edge process so every edge sees every dispatch.
import type { Edge } from '../edge/index.ts';
import type { Bus, Producer } from '../platform/bus/port.ts';
import { createTypedConsumer } from '../platform/bus/typed.ts';
import type { Codec } from '../platform/codec/port.ts';
import type { Logger } from '../platform/log.ts';
import type { Metrics } from '../platform/metrics.ts';

export interface DispatchFollower {
  stop(): Promise<void>;
}

export async function followDispatch(options: {
  bus: Bus;
  codec: Codec;
  edge: Pick<Edge, 'setWorkOrder'>;
  logger: Logger;
  metrics: Metrics;
  deadLetterProducer: Producer;
  groupId: string;
}): Promise<DispatchFollower> {
  const logger = options.logger.child({ component: 'dispatch-follower' });
  const consumer = createTypedConsumer({
    bus: options.bus,
    codec: options.codec,
    groupId: options.groupId,
    topics: ['dispatch'],
    logger: options.logger,
    metrics: options.metrics,
    deadLetter: { producer: options.deadLetterProducer },
  });
  await consumer.start(async (batch) => {
    for (const dispatch of batch.events) {
      const stations = options.edge.setWorkOrder(dispatch.equipment, dispatch.workOrder);
      if (stations > 0) logger.info({ equipment: dispatch.equipment, workOrder: dispatch.workOrder, stations }, 'scanner stations follow the dispatched work order');
    }
  });
  return { stop: () => consumer.stop() };
}

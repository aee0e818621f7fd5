// Feeds the live hub from the bus: consumes the derived topics of ./updates.ts and publishes each event as a
// coalesced live update. Every dashboard process needs every partition, so each one uses a consumer group of
// its own and starts at the end of the topics: history comes from the stores (the snapshot), the bus brings
// what happens from now on. Nothing is written and nothing is committed.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Bus, Producer } from '../../platform/bus/port.ts';
import { createTypedConsumer, linepulseTopicSpecs } from '../../platform/bus/typed.ts';
import type { Codec } from '../../platform/codec/port.ts';
import { oneLine } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { deadLetterTopic, topics as topicTable, type TopicName } from '../../schemas/topics.ts';
import type { LiveHub } from './hub.ts';
import { liveRoutes, toLiveUpdate } from './updates.ts';

export interface LiveFeedOptions {
  bus: Bus;
  codec: Codec;
  logger: Logger;
  metrics: Metrics;
  hub: LiveHub;
  /** Default: linepulse-live-<host>-<random>, one per process. */
  groupId?: string;
  /** Kafka topic names instead of the topic table's (benchmarks and tests use prefixed names). */
  topicNames?: Partial<Record<TopicName, string>>;
  /** Default linepulse.deadletter.v1. */
  deadLetterTopic?: string;
}

export interface LiveFeed {
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

export async function startLiveFeed(options: LiveFeedOptions): Promise<LiveFeed> {
  const logger = options.logger.child({ component: 'live-feed' });
  const names = Object.keys(liveRoutes) as TopicName[];
  const contracts = names.map((name) => ({ ...topicTable[name], topic: options.topicNames?.[name] ?? topicTable[name].topic }));
  const byTopic = new Map<string, TopicName>(names.map((name, i) => [contracts[i]!.topic, name]));
  const groupId = options.groupId ?? `linepulse-live-${hostname().replace(/[^A-Za-z0-9_.-]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const dlq = options.deadLetterTopic ?? deadLetterTopic;
  // The same specs every process ensures (linepulseTopicSpecs), under the names in use.
  const specs = new Map(linepulseTopicSpecs().map((spec) => [spec.name, spec]));
  await options.bus.ensureTopics([
    ...names.map((name, i) => ({ ...specs.get(topicTable[name].topic)!, name: contracts[i]!.topic })),
    { ...specs.get(deadLetterTopic)!, name: dlq },
  ]);

  const deadLetterProducer: Producer = await options.bus.producer();
  const consumer = createTypedConsumer({
    bus: options.bus,
    codec: options.codec,
    groupId,
    topics: contracts,
    logger,
    metrics: options.metrics,
    deadLetter: { producer: deadLetterProducer, topic: dlq },
    // Starts at the end every time, under a group of its own: committed offsets would never be read.
    consumer: { fromBeginning: false, commit: 'never' },
  });
  await consumer.start(async (batch) => {
    const name = byTopic.get(batch.topic);
    if (!name) return;
    for (const event of batch.events) {
      const update = toLiveUpdate(name, event);
      if (update) options.hub.publish(update);
    }
  });
  logger.info({ groupId, topics: [...byTopic.keys()] }, 'live feed consuming');

  let stopped = false;
  const done = consumer.done.catch((error: unknown) => {
    if (stopped) return;
    logger.error({ err: error }, `live feed stopped: ${oneLine(error)}`);
    throw error;
  });
  done.catch(() => undefined);
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      await consumer.stop().catch(() => undefined);
      await deadLetterProducer.close().catch(() => undefined);
    },
    done,
  };
}

// The Kafka side of ERP inbound: consumes B2MML schedules from linepulse.erp.schedule.v1 (UTF-8 XML text, any
// key), publishes WorkOrder events, dead-letters what is invalid with the reason, and commits after both are
// acknowledged (at least once; work-order event ids are deterministic, so a redelivery publishes the same events).
// A record that is not even UTF-8 text is dead-lettered by the typed layer itself; the consumer keeps going.
import type { Bus, Producer } from '../../platform/bus/port.ts';
import { createTypedConsumer, linepulseTopicSpecs } from '../../platform/bus/typed.ts';
import type { Codec } from '../../platform/codec/port.ts';
import type { Logger } from '../../platform/log.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { deadLetterTopic, topics } from '../../schemas/topics.ts';
import type { ErpIngestConfig } from './config.ts';
import { createScheduleIngest, type ScheduleIngest } from './ingest.ts';
import type { XsdSet } from './xml.ts';

export interface ScheduleConsumerOptions {
  bus: Bus;
  codec: Codec;
  logger: Logger;
  metrics: Metrics;
  config: ErpIngestConfig;
  /** Consumer group. Default 'linepulse.erp-ingest'. */
  groupId?: string;
  xsd?: XsdSet;
  topicNames?: { erpSchedule?: string; workOrders?: string; deadLetter?: string };
}

export interface ScheduleConsumer {
  readonly ingest: ScheduleIngest;
  stop(): Promise<void>;
  /** Rejects if the consumer stops on its own (e.g. Kafka unreachable past its retries). */
  readonly done: Promise<void>;
}

export async function startScheduleConsumer(options: ScheduleConsumerOptions): Promise<ScheduleConsumer> {
  const logger = options.logger.child({ component: 'erp-schedule-consumer' });
  const groupId = options.groupId ?? 'linepulse.erp-ingest';
  const scheduleContract = { ...topics.erpSchedule, topic: options.topicNames?.erpSchedule ?? topics.erpSchedule.topic };
  const workOrdersTopic = options.topicNames?.workOrders ?? topics.workOrders.topic;
  const dlq = options.topicNames?.deadLetter ?? deadLetterTopic;
  const producer: Producer = await options.bus.producer();
  const ingest = createScheduleIngest({ producer, codec: options.codec, logger: options.logger, metrics: options.metrics, config: options.config, ...(options.xsd ? { xsd: options.xsd } : {}), topicNames: { ...options.topicNames, erpSchedule: scheduleContract.topic } });
  await options.bus.ensureTopics([
    { name: scheduleContract.topic, partitions: scheduleContract.partitions },
    { name: workOrdersTopic, partitions: topics.workOrders.partitions, cleanupPolicy: 'compact' },
    ...linepulseTopicSpecs().filter((s) => s.name === deadLetterTopic).map((s) => ({ ...s, name: dlq })),
  ]);
  const consumer = createTypedConsumer({
    bus: options.bus,
    codec: options.codec,
    groupId,
    topics: [scheduleContract],
    logger: options.logger,
    metrics: options.metrics,
    deadLetter: { producer, topic: dlq },
    consumer: { fromBeginning: true, maxBatchSize: 100 },
  });
  await consumer.start(async (batch) => {
    if (batch.records.length === 0) return;
    await ingest.ingest(
      batch.records.map((record) => ({
        document: record.event,
        source: {
          key: record.key,
          headers: record.headers,
          receivedAt: record.timestamp,
          sourceTopic: record.topic,
          sourcePartition: record.partition,
          sourceOffset: record.offset,
          consumer: groupId,
        },
      })),
    );
  });
  logger.info({ groupId, topic: scheduleContract.topic, xsd: ingest.xsd.dir }, 'consuming ERP schedules');
  let stopped = false;
  const done = consumer.done.catch((error: unknown) => {
    if (!stopped) throw error;
  });
  done.catch(() => undefined);
  return {
    ingest,
    done,
    async stop() {
      if (stopped) return;
      stopped = true;
      await consumer.stop().catch(() => undefined);
      await producer.close().catch(() => undefined);
    },
  };
}

// The ERP inbound path shared by the Kafka consumer (consumer.ts) and the REST route (http.ts): one schedule document
// in -> WorkOrder events on linepulse.workorders.v1, or a rejection (element path + what was wrong) that goes to the
// dead-letter topic with the original document and is counted. Work orders are keyed by work order id; their event
// ids are deterministic (ERP message id + work order + revision), so a document received twice is recognisably the
// same and the compacted topic keeps one state per work order.
import type { OutgoingRecord, Producer } from '../../platform/bus/port.ts';
import { createTypedProducer, type TypedProducer } from '../../platform/bus/typed.ts';
import type { Codec } from '../../platform/codec/port.ts';
import { MalformedInputError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { WorkOrder } from '../../schemas/generated/types.ts';
import { deadLetterHeaders, deadLetterTopic, topics } from '../../schemas/topics.ts';
import type { ErpIngestConfig } from './config.ts';
import { parseSchedule, type ParsedSchedule } from './schedule.ts';
import { openXsdSet, rejectionText, type Rejection, type XsdSet } from './xml.ts';

export type IngestOutcome = ParsedSchedule | { ok: false; rejection: Rejection; /** The dead-letter reason header. */ reason: string };

export interface ScheduleIngestOptions {
  /** Sends the work orders and the dead letters (a Producer, or a TransactionContext). */
  producer: Pick<Producer, 'send'>;
  codec: Codec;
  logger: Logger;
  metrics: Metrics;
  config: ErpIngestConfig;
  /** Default: opened from config.xsdDir (or ../shared/b2mml-v0700). */
  xsd?: XsdSet;
  /** Kafka topic names other than the table's (tests, a second plant on one cluster). */
  topicNames?: { workOrders?: string; erpSchedule?: string; deadLetter?: string };
}

export interface ScheduleSource {
  /** Record key, headers and time of a Kafka record; for REST the request. */
  key: string | null;
  headers?: Record<string, string>;
  /** Event time of work orders whose document has no PublishedDate nor CreationDateTime. */
  receivedAt: number;
  /** Dead-letter headers naming where the document came from. */
  sourceTopic: string;
  sourcePartition?: number;
  sourceOffset?: string;
  consumer: string;
}

export interface ScheduleIngest {
  readonly xsd: XsdSet;
  /** Parses and validates; nothing is sent. */
  check(document: unknown, receivedAt: number): IngestOutcome;
  /**
   * Handles several documents: valid ones become WorkOrder events, sent as one batch; invalid ones are sent to the
   * dead-letter topic first. Resolves when both are acknowledged (so a consumer may commit after it).
   */
  ingest(documents: ReadonlyArray<{ document: unknown; source: ScheduleSource }>): Promise<IngestOutcome[]>;
}

export function createScheduleIngest(options: ScheduleIngestOptions): ScheduleIngest {
  const logger = options.logger.child({ component: 'erp-ingest' });
  const xsd = options.xsd ?? openXsdSet(options.config.xsdDir);
  const schedules = options.metrics.counter({
    name: 'linepulse_erp_schedules_total',
    help: 'B2MML schedule documents received from ERP, by result (accepted or rejected).',
    labelNames: ['result', 'source'] as const,
  });
  const workOrdersOut = options.metrics.counter({ name: 'linepulse_erp_work_orders_total', help: 'WorkOrder events published from ERP schedules.' });
  const deadLetters = options.metrics.counter({
    name: 'linepulse_dead_letters_total',
    help: 'Records that could not be decoded or validated and went to the dead-letter topic.',
    labelNames: ['topic', 'consumer'] as const,
  });
  const scheduleTopic = options.topicNames?.erpSchedule ?? topics.erpSchedule.topic;
  const workOrdersContract = { ...topics.workOrders, topic: options.topicNames?.workOrders ?? topics.workOrders.topic };
  const typed: TypedProducer = createTypedProducer({ producer: options.producer, codec: options.codec, logger });

  function check(document: unknown, receivedAt: number): IngestOutcome {
    const result = parseSchedule(document, xsd, options.config, { receivedAt });
    if (result.ok) return result;
    const reason = new MalformedInputError(rejectionText(result.rejection), `${scheduleTopic} (B2MML)`).message;
    return { ok: false, rejection: result.rejection, reason };
  }

  return {
    xsd,
    check,
    async ingest(documents) {
      const outcomes = documents.map(({ document, source }) => check(document, source.receivedAt));
      const rejected: OutgoingRecord[] = [];
      const accepted: WorkOrder[] = [];
      outcomes.forEach((outcome, i) => {
        const { document, source } = documents[i]!;
        const kind = source.sourceTopic.startsWith('http') ? 'http' : 'kafka';
        if (outcome.ok) {
          accepted.push(...outcome.workOrders);
          schedules.inc({ result: 'accepted', source: kind });
          logger.info({ erpMessageId: outcome.erpMessageId, format: outcome.format, workOrders: outcome.workOrders.map((w) => w.workOrder), skipped: outcome.skipped }, 'ERP schedule accepted');
          return;
        }
        schedules.inc({ result: 'rejected', source: kind });
        logger.warn({ source: source.sourceTopic, offset: source.sourceOffset, reason: outcome.reason }, 'ERP schedule rejected: dead-lettered');
        rejected.push({
          key: source.key ?? '',
          value: typeof document === 'string' ? Buffer.from(document, 'utf8') : Buffer.isBuffer(document) ? document : null,
          headers: {
            ...source.headers,
            [deadLetterHeaders.reason]: outcome.reason,
            [deadLetterHeaders.sourceTopic]: source.sourceTopic,
            [deadLetterHeaders.sourcePartition]: String(source.sourcePartition ?? -1),
            [deadLetterHeaders.sourceOffset]: source.sourceOffset ?? '-1',
            [deadLetterHeaders.consumer]: source.consumer,
            [deadLetterHeaders.time]: String(Date.now()),
          },
        });
      });
      if (rejected.length > 0) {
        await options.producer.send(options.topicNames?.deadLetter ?? deadLetterTopic, rejected);
        for (const r of rejected) deadLetters.inc({ topic: r.headers?.[deadLetterHeaders.sourceTopic] ?? scheduleTopic, consumer: r.headers?.[deadLetterHeaders.consumer] ?? '' });
      }
      if (accepted.length > 0) {
        await typed.send(workOrdersContract, accepted);
        workOrdersOut.inc(accepted.length);
      }
      return outcomes;
    },
  };
}

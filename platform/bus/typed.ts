// The typed layer every component uses above the bus port: events in, events out.
//
// Producing: the topic contract (schemas/topics.ts) names the schema and the key field; each event is validated
// and encoded through the Codec port, keyed, and sent as one batch. An invalid event throws MalformedInputError
// naming the field and nothing of the batch is sent.
//
// Consuming: every record is decoded and validated; one that fails (MalformedInputError from the codec) goes to
// the dead-letter topic with the reason and its source in headers (original key, value and headers kept), is
// counted in linepulse_dead_letters_total{topic,consumer}, and the consumer carries on: the handler gets the
// decoded events and the batch's nextOffset covers the dead-lettered records too, so the group commits past them.
// Any other decode error (e.g. a schema registry that cannot be reached) is not the record's fault: it stops the
// consumer, and the records are delivered again.
import {
  type TopicContract,
  type TopicName,
  correlationHeaders,
  deadLetterHeaders,
  deadLetterTopic,
  topics as topicTable,
} from '../../schemas/topics.ts';
import type * as Events from '../../schemas/generated/types.ts';
import type { Codec } from '../codec/port.ts';
import { MalformedInputError } from '../errors.ts';
import type { InputGuard } from './guard.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { ConsumedBatch, ConsumedRecord, Consumer, ConsumerOptions, Headers, OutgoingRecord, Producer, TopicSpec, Bus } from './port.ts';

/** The TypeScript type of each schema named in the topic table ('xml': B2MML text). */
export interface SchemaTypes {
  Alert: Events.Alert;
  BarcodeScan: Events.BarcodeScan;
  CountIncrement: Events.CountIncrement;
  CountTotal: Events.CountTotal;
  Dispatch: Events.Dispatch;
  EquipmentState: Events.EquipmentState;
  GenealogyLink: Events.GenealogyLink;
  MaterialConsumption: Events.MaterialConsumption;
  OeeWindow: Events.OeeWindow;
  PieceCount: Events.PieceCount;
  QualityMeasurement: Events.QualityMeasurement;
  Reliability: Events.Reliability;
  SpcAlarm: Events.SpcAlarm;
  SpcCapability: Events.SpcCapability;
  SpcCommand: Events.SpcCommand;
  SpcLimitsAudit: Events.SpcLimitsAudit;
  SpcPoint: Events.SpcPoint;
  Telemetry: Events.Telemetry;
  WorkOrder: Events.WorkOrder;
  WorkOrderAssignment: Events.WorkOrderAssignment;
  WorkOrderProgress: Events.WorkOrderProgress;
  xml: string;
}

/** A topic by its name in the table, or a contract of its own (tests, or a topic outside the table). */
export type TopicRef = TopicName | TopicContract;

type ContractOf<R extends TopicRef> = R extends TopicName ? (typeof topicTable)[R] : R;

/** The event type carried by a topic. */
export type EventOf<R extends TopicRef> = ContractOf<R>['schema'] extends keyof SchemaTypes ? SchemaTypes[ContractOf<R>['schema']] : unknown;

export function contractOf(ref: TopicRef): TopicContract {
  return typeof ref === 'string' ? topicTable[ref] : ref;
}

/** The topic specs of the whole table plus the dead-letter topic, for `bus.ensureTopics` at start-up. */
export function linepulseTopicSpecs(deadLetterPartitions = 3): TopicSpec[] {
  return [
    ...Object.values(topicTable).map((c: TopicContract) => ({ name: c.topic, partitions: c.partitions, ...(c.compacted ? { cleanupPolicy: 'compact' as const } : {}) })),
    { name: deadLetterTopic, partitions: deadLetterPartitions },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Keys

/** Where the record key comes from, per key kind of the topic table. */
const keyPaths: Record<TopicContract['key'], readonly string[]> = {
  equipment: ['equipment'],
  workOrder: ['workOrder'],
  characteristic: ['characteristic'],
  parentId: ['parentId'],
  source: ['origin', 'sourceId'],
};

/** The record key of `event` on `contract`; throws MalformedInputError naming the key field when it is missing. */
export function keyOf(contract: TopicContract, event: unknown, where: string): string {
  const path = keyPaths[contract.key];
  let value: unknown = event;
  for (const field of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string' || value === '')
    throw new MalformedInputError(`key field ${path.join('.')} must be a non-empty string`, where);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Producing

export interface EncodeOptions<E> {
  /** Key of each event (and its index), instead of the contract's key field (needed for 'xml' topics, whose events are text). */
  key?: (event: E, index: number) => string;
  /** Headers added to every record (the codec's own headers win). */
  headers?: Headers;
}

/** Validates, encodes and keys `events` for `topic`: the records for `Producer.send` or `TransactionContext.send`. */
export async function encodeEvents<R extends TopicRef>(
  codec: Codec,
  topic: R,
  events: readonly EventOf<R>[],
  options: EncodeOptions<EventOf<R>> = {},
): Promise<{ topic: string; records: OutgoingRecord[] }> {
  const contract = contractOf(topic);
  const records: OutgoingRecord[] = [];
  for (const [i, event] of events.entries()) {
    const where = `${contract.topic} event ${i}`;
    const key = options.key ? options.key(event, i) : keyOf(contract, event, where);
    let encoded;
    try {
      encoded = await codec.encode(contract.topic, contract.schema, event);
    } catch (error) {
      if (error instanceof MalformedInputError) throw new MalformedInputError(error.reason, error.where ? `${where}, ${error.where}` : where);
      throw error;
    }
    records.push({ key, value: encoded.value, headers: { ...options.headers, ...encoded.headers } });
  }
  return { topic: contract.topic, records };
}

export interface TypedProducer {
  /** Validates and encodes every event first (MalformedInputError names the field), then sends them as one batch. */
  send<R extends TopicRef>(topic: R, events: readonly EventOf<R>[], options?: EncodeOptions<EventOf<R>>): Promise<void>;
}

export interface TypedProducerOptions {
  /** A Producer, or a TransactionContext to send inside a transaction. */
  producer: Pick<Producer, 'send'>;
  codec: Codec;
  logger: Logger;
}

export function createTypedProducer(options: TypedProducerOptions): TypedProducer {
  const logger = options.logger.child({ component: 'typed-producer' });
  return {
    async send(topic, events, encodeOptions) {
      if (events.length === 0) return;
      const { topic: name, records } = await encodeEvents(options.codec, topic, events, encodeOptions);
      await options.producer.send(name, records);
      logger.trace({ topic: name, records: records.length }, 'sent');
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Consuming

export interface TypedRecord<E> {
  /** The decoded event; null only for a tombstone on a compacted topic. */
  event: E | null;
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
  headers: Headers;
  timestamp: number;
}

export interface TypedBatch<E> {
  contract: TopicContract;
  topic: string;
  partition: number;
  /** The decoded events in offset order (tombstones and dead-lettered records left out); may be empty. */
  events: E[];
  /** Every record that decoded, with its metadata (tombstones included). */
  records: TypedRecord<E>[];
  /** Offset to commit once handled; covers the dead-lettered records as well. */
  nextOffset: string;
  /** Records of this batch sent to the dead-letter topic. */
  deadLettered: number;
  raw: ConsumedBatch;
}

export type TypedHandler<E> = (batch: TypedBatch<E>) => Promise<void>;

export interface TypedConsumer<E> {
  /** Starts consuming. The handler is called for every batch, even one whose records were all dead-lettered, so that in-transaction consumers can commit its nextOffset. */
  start(handler: TypedHandler<E>): Promise<void>;
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

export interface DeadLetterOptions {
  producer: Pick<Producer, 'send'>;
  /** Default linepulse.deadletter.v1. */
  topic?: string;
}

export interface TypedConsumerOptions<R extends TopicRef> {
  bus: Bus;
  codec: Codec;
  groupId: string;
  topics: readonly R[];
  logger: Logger;
  metrics: Metrics;
  deadLetter: DeadLetterOptions;
  /** Commit mode, start position, batch size, isolation and rebalance callback (see ConsumerOptions). */
  consumer?: Omit<ConsumerOptions, 'groupId' | 'topics'>;
  /** Checks beyond the schema (size, clock skew, known equipment; platform/bus/guard.ts): a failing record is dead-lettered. */
  guard?: InputGuard;
}

/** A record the guard refused: dead-lettered like a malformed one, counted by reason. */
class RejectedInputError extends MalformedInputError {
  constructor(
    readonly kind: string,
    reason: string,
    where: string,
  ) {
    super(reason, where);
  }
}

export function createTypedConsumer<R extends TopicRef>(options: TypedConsumerOptions<R>): TypedConsumer<EventOf<R>> {
  type E = EventOf<R>;
  const logger = options.logger.child({ component: 'typed-consumer', groupId: options.groupId });
  const contracts = new Map(options.topics.map((ref) => { const c = contractOf(ref); return [c.topic, c] as const; }));
  const dlqTopic = options.deadLetter.topic ?? deadLetterTopic;
  const deadLetters = options.metrics.counter({
    name: 'linepulse_dead_letters_total',
    help: 'Records that could not be decoded or validated and went to the dead-letter topic.',
    labelNames: ['topic', 'consumer'] as const,
  });
  const rejectedInput = options.metrics.counter({
    name: 'linepulse_input_rejected_total',
    help: 'Records dead-lettered, by reason: malformed (decoding or schema), oversized, future-timestamp, unknown-equipment.',
    labelNames: ['topic', 'consumer', 'reason'] as const,
  });
  // Every consumer's own series, whatever it does with the events: records in, lag behind the end of each
  // partition after the last batch, and how long the handler took per batch.
  const recordsIn = options.metrics.counter({ name: 'linepulse_consumer_records_total', help: 'Records received by a consumer group (dead-lettered ones included).', labelNames: ['topic', 'consumer'] as const });
  const lag = options.metrics.gauge({ name: 'linepulse_consumer_lag', help: 'Records behind the end of the partition after the last batch, per consumer group.', labelNames: ['topic', 'partition', 'consumer'] as const });
  const batchSeconds = options.metrics.histogram({
    name: 'linepulse_consumer_batch_seconds',
    help: 'Time a consumer group took to decode and handle one batch.',
    labelNames: ['consumer'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const consumer: Consumer = options.bus.consumer({ ...options.consumer, groupId: options.groupId, topics: [...contracts.keys()] });

  async function decodeBatch(batch: ConsumedBatch): Promise<TypedBatch<E>> {
    const contract = contracts.get(batch.topic);
    if (!contract) throw new Error(`record from topic ${batch.topic}, which consumer group ${options.groupId} does not subscribe to`);
    const records: TypedRecord<E>[] = [];
    const rejected: OutgoingRecord[] = [];
    for (const record of batch.records) {
      try {
        const decoded = decodeRecord(contract, record);
        records.push({ ...metadata(record), event: decoded instanceof Promise ? await decoded : decoded });
      } catch (error) {
        if (!(error instanceof MalformedInputError)) throw error;
        rejected.push(deadLetterRecord(record, error.message, options.groupId));
        const kind = error instanceof RejectedInputError ? error.kind : 'malformed';
        rejectedInput.inc({ topic: batch.topic, consumer: options.groupId, reason: kind });
        logger.warn(
          { topic: record.topic, partition: record.partition, offset: record.offset, reason: error.message, rejection: kind, ...correlationOf(record.headers) },
          'record dead-lettered',
        );
      }
    }
    if (rejected.length > 0) {
      // Before the handler (and so before the commit): if this fails, the batch is delivered again.
      await options.deadLetter.producer.send(dlqTopic, rejected);
      deadLetters.inc({ topic: batch.topic, consumer: options.groupId }, rejected.length);
    }
    return {
      contract,
      topic: batch.topic,
      partition: batch.partition,
      events: records.flatMap((r) => (r.event === null ? [] : [r.event])),
      records,
      nextOffset: batch.nextOffset,
      deadLettered: rejected.length,
      raw: batch,
    };
  }

  const decodeSync = options.codec.decodeSync?.bind(options.codec);

  /** Synchronous when the codec can decode without I/O (no promise per record), else a promise. */
  function decodeRecord(contract: TopicContract, record: ConsumedRecord): E | null | Promise<E | null> {
    const where = `${record.topic}/${record.partition}@${record.offset}`;
    if (record.value === null) {
      if (contract.compacted) return null;
      throw new MalformedInputError('null value (a tombstone) on a topic that is not compacted', where);
    }
    const tooBig = options.guard?.checkRecord(record);
    if (tooBig) throw new RejectedInputError(tooBig.reason, tooBig.message, where);
    if (decodeSync) return accepted(decodeSync(record.topic, contract.schema, record.value, record.headers) as E, record, where);
    return options.codec.decode(record.topic, contract.schema, record.value, record.headers).then((event) => accepted(event as E, record, where));
  }

  function accepted(event: E, record: ConsumedRecord, where: string): E {
    const refused = options.guard?.checkEvent(event, record);
    if (refused) throw new RejectedInputError(refused.reason, refused.message, where);
    return event;
  }

  return {
    start: (handler) =>
      consumer.start(async (batch) => {
        const started = performance.now();
        await handler(await decodeBatch(batch));
        batchSeconds.observe({ consumer: options.groupId }, (performance.now() - started) / 1000);
        recordsIn.inc({ topic: batch.topic, consumer: options.groupId }, batch.records.length);
        const behind = Number(batch.highWatermark) - Number(batch.nextOffset);
        if (Number.isFinite(behind)) lag.set({ topic: batch.topic, partition: String(batch.partition), consumer: options.groupId }, Math.max(0, behind));
      }),
    stop: () => consumer.stop(),
    get done() {
      return consumer.done;
    },
  };
}

/** The correlation fields of a record for its log lines: the correlation id and event id headers, when present. */
export function correlationOf(headers: Headers): { correlationId?: string; eventId?: string } {
  const out: { correlationId?: string; eventId?: string } = {};
  const c = headers[correlationHeaders.correlationId];
  const e = headers[correlationHeaders.eventId];
  if (c !== undefined) out.correlationId = c;
  if (e !== undefined) out.eventId = e;
  return out;
}

function metadata(record: ConsumedRecord): Omit<TypedRecord<never>, 'event'> {
  return { key: record.key, topic: record.topic, partition: record.partition, offset: record.offset, headers: record.headers, timestamp: record.timestamp };
}

/** The dead-letter copy of `record`: original key, value and headers, plus the reason and where it came from. */
export function deadLetterRecord(record: ConsumedRecord, reason: string, consumerGroup: string, now = Date.now()): OutgoingRecord {
  return {
    key: record.key ?? '',
    value: record.value,
    timestamp: record.timestamp,
    headers: {
      ...record.headers,
      [deadLetterHeaders.reason]: reason,
      [deadLetterHeaders.sourceTopic]: record.topic,
      [deadLetterHeaders.sourcePartition]: String(record.partition),
      [deadLetterHeaders.sourceOffset]: record.offset,
      [deadLetterHeaders.consumer]: consumerGroup,
      [deadLetterHeaders.time]: String(now),
    },
  };
}

// The bus on Kafka through kafkajs (pure JavaScript, the default client).
// Idempotent producer (acks=all), transactions, consumers that commit explicitly after each handled batch, a
// range assigner that co-partitions (kafkajs ships only round robin), admin for topics and offsets, and kafkajs'
// own log lines routed to the pino logger.
import {
  AssignerProtocol,
  type Admin,
  type Assigner,
  type Consumer as KafkajsConsumer,
  type EachBatchPayload,
  type ICustomPartitioner,
  type IHeaders,
  Kafka,
  type KafkaConfig,
  type KafkaMessage,
  type logCreator,
  logLevel,
  type PartitionAssigner,
  type Producer as KafkajsProducer,
  type SASLOptions,
} from 'kafkajs';
import { ServiceUnreachableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import {
  type TopicPartition,
  Mutex,
  RebalanceSequencer,
  chunkBySize,
  closeAll,
  defaultMaxBatchSize,
  deferred,
  headerText,
  nextOffset,
  partitionBatches,
  rangeAssign,
  withTimeout,
} from './common.ts';
import { type KafkaBusOptions, brokerList, kafkaDefaults, pollUntil, topicConfig } from './kafka-connection.ts';
import { cacheTransactionCoordinators } from './kafkajs-coordinators.ts';
import { partitionFor } from './partitioner.ts';
import {
  type BatchHandler,
  type Bus,
  type ConsumedRecord,
  type Consumer,
  type ConsumerOptions,
  type Headers,
  type OutgoingRecord,
  type PartitionOffset,
  type Producer,
  type TopicSpec,
  type TransactionalProducer,
  TransactionFencedError,
} from './port.ts';

/** Connects (bounded by connectTimeoutMs) and returns the bus; ServiceUnreachableError when the cluster cannot be reached. */
export async function createKafkajsBus(options: KafkaBusOptions): Promise<Bus> {
  const logger = options.logger.child({ component: 'bus', adapter: 'kafkajs' });
  const { connection } = options;
  const config: KafkaConfig = {
    clientId: connection.clientId,
    brokers: connection.brokers,
    ...(connection.ssl ? { ssl: connection.ssl.ca ? { ca: [connection.ssl.ca] } : true } : {}),
    ...(connection.sasl ? { sasl: connection.sasl as SASLOptions } : {}),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 10_000 },
    logLevel: kafkajsLevel(logger),
    logCreator: routeLogs(logger),
  };
  cacheTransactionCoordinators();
  const kafka = new Kafka(config);
  try {
    // Attempts without kafkajs' own retries fail fast with the real cause (e.g. ECONNREFUSED).
    await reachCluster(new Kafka({ ...config, retry: { retries: 0 } }), options.connectTimeoutMs ?? kafkaDefaults.connectTimeoutMs);
  } catch (error) {
    throw new ServiceUnreachableError('Kafka', brokerList(connection), error);
  }
  const admin = kafka.admin();
  await admin.connect();
  return new KafkajsBus(kafka, admin, options, logger);
}

/** Tries to reach the cluster until `timeoutMs` has passed; rejects with the last connection error. */
async function reachCluster(kafka: Kafka, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    const probe = kafka.admin({ retry: { retries: 0 } });
    try {
      await withTimeout(
        probe.connect().then(() => probe.describeCluster()),
        Math.max(deadline - Date.now(), 1_000),
        () => new Error(`no answer within ${timeoutMs / 1000} s`),
      );
      return;
    } catch (error) {
      if (Date.now() + delay >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Logging, partitioning, assignment

/** kafkajs INFO is chatty (every join, every connect): it goes to debug; DEBUG to trace. */
function kafkajsLevel(logger: Logger): logLevel {
  if (logger.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return logLevel.INFO;
  return logLevel.WARN;
}

function routeLogs(logger: Logger): logCreator {
  const target = logger.child({ client: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      // We bound the idempotent producer's retries on purpose (a send fails instead of hanging; see
      // docs/decisions/0002-kafka-clients.md), so kafkajs' warning about it is noise.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      // Every error response of every request (e.g. heartbeats answered "rebalancing" during a normal rebalance)
      // is logged at ERROR by kafkajs' connection layer; what matters is reported again by the layer that acts on it.
      const perRequest = namespace === 'Connection' && message.startsWith('Response ');
      // An attempt kafkajs is about to retry (it carries retryCount, e.g. CONCURRENT_TRANSACTIONS between back-to-back
      // transactions) is not a fault yet: a send that finally fails rejects, and its caller reports it.
      const retried = typeof (fields as { retryCount?: unknown }).retryCount === 'number';
      const method = perRequest || retried ? 'debug' : level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : level === logLevel.INFO ? 'debug' : 'trace';
      target[method]({ namespace, ...fields }, message);
    };
}

/** Kafka's murmur2 partitioner (the same function the embedded bus and librdkafka use). */
const murmur2Partitioner: ICustomPartitioner = () => ({ partitionMetadata, message }) =>
  partitionFor(message.key === null || message.key === undefined ? '' : message.key, partitionMetadata.length);

/**
 * Kafka's range assignment for kafkajs (which ships only round robin): partition i of every subscribed topic with
 * the same partition count goes to the same member. Named 'range' with the standard subscription format, so it
 * is the protocol Java and librdkafka consumers call 'range' as well.
 */
export const rangeAssigner: PartitionAssigner = ({ cluster }) => {
  const assigner: Assigner = {
    name: 'range',
    version: 0,
    protocol: ({ topics }) => ({ name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }),
    async assign({ members, topics }) {
      const subscriptions = members.map((m) => ({ memberId: m.memberId, topics: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? topics }));
      const counts = new Map<string, number>();
      for (const topic of new Set(subscriptions.flatMap((s) => s.topics))) counts.set(topic, cluster.findTopicPartitionMetadata(topic).length);
      const plan = rangeAssign(subscriptions, counts);
      return members.map(({ memberId }) => {
        const assignment: Record<string, number[]> = {};
        for (const { topic, partition } of plan.get(memberId) ?? []) (assignment[topic] ??= []).push(partition);
        return { memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) };
      });
    },
  };
  return assigner;
};

function toKafkajsMessages(records: OutgoingRecord[]) {
  return records.map((r) => ({
    key: r.key,
    value: r.value,
    ...(r.headers ? { headers: r.headers } : {}),
    ...(r.timestamp !== undefined ? { timestamp: String(r.timestamp) } : {}),
  }));
}

function toRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value,
    headers: toHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

function toHeaders(headers: IHeaders | undefined): Headers {
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const v = headerText(value);
    if (v !== undefined) result[name] = v;
  }
  return result;
}

/** kafkajs reports a fenced transactional producer as one of these protocol errors, possibly wrapped. */
function isFenced(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const type = (e as { type?: string }).type;
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED') return true;
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.some(isFenced)) return true;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// The bus

/**
 * Errors after which an idempotent producer's sequence numbers no longer match the broker's, so that every later
 * send fails the same way: only a new producer id (a new producer) gets it going again.
 */
const producerIdErrors = /OUT_OF_ORDER_SEQUENCE_NUMBER|UNKNOWN_PRODUCER_ID|INVALID_PRODUCER_EPOCH|out of order sequence number|producer id/i;

/** True when `error` (or an error it wraps) says the producer's id or sequence numbers are out of step. */
export function needsNewProducerId(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 5) return false;
  const e = error as { type?: unknown; message?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  if (typeof e.type === 'string' && producerIdErrors.test(e.type)) return true;
  if (typeof e.message === 'string' && producerIdErrors.test(e.message)) return true;
  const inner = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((x) => needsNewProducerId(x, depth + 1));
}

interface SendingProducer<M> {
  send(message: M): Promise<unknown>;
  disconnect(): Promise<void>;
}

/**
 * An idempotent producer that replaces itself when the broker reports its sequence numbers out of step. kafkajs
 * numbers each partition's batches on the client; a batch in flight when the connection is cut (a network cut, a
 * broker killed) may or may not have reached the log, and kafkajs then keeps sending with sequence numbers the
 * broker rejects (OUT_OF_ORDER_SEQUENCE_NUMBER) on every retry, forever: the edge's outbox stopped forwarding
 * after a 10-minute cut in the fault-injection suite. The failed send still fails (the caller keeps the records and
 * retries, e.g. the outbox); the next send goes through a new producer id. Records sent again are duplicates only
 * downstream, where the processors drop them by (source, seq).
 */
export function resettingProducer<M>(first: SendingProducer<M>, create: () => Promise<SendingProducer<M>>, logger: Pick<Logger, 'warn'>): SendingProducer<M> {
  let current = first;
  let replacing: Promise<void> | null = null;
  return {
    async send(message) {
      if (replacing) await replacing.catch(() => undefined);
      const used = current;
      try {
        return await used.send(message);
      } catch (error) {
        if (needsNewProducerId(error) && used === current && !replacing) {
          replacing = (async () => {
            const next = await create();
            current = next;
            logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'producer sequence out of step with the broker: replaced by a new producer id');
            await used.disconnect().catch(() => undefined);
          })().finally(() => {
            replacing = null;
          });
          await replacing.catch(() => undefined);
        }
        throw error;
      }
    },
    async disconnect() {
      if (replacing) await replacing.catch(() => undefined);
      await current.disconnect();
    },
  };
}

const producerRetry = { initialRetryTime: 300, retries: 5, maxRetryTime: 10_000 };
/**
 * Transactional producers retry sooner: a transaction begun right after the previous one committed is answered
 * CONCURRENT_TRANSACTIONS until the coordinator has written the previous one's markers (a few ms), and waiting
 * kafkajs' usual 300 ms each time capped a processor task at a few transactions per second. 20, 40, 80 ... ms up
 * to 9 tries: the same ~10 s budget for real failures.
 */
const transactionalRetry = { initialRetryTime: 20, retries: 9, maxRetryTime: 10_000 };
/** Partitions whose batches are handled at the same time by one consumer (a processor's tasks overlap their commits). */
const partitionsConcurrently = 6;

class KafkajsBus implements Bus {
  readonly kind = 'kafkajs';
  private readonly open = new Set<{ close(): Promise<void> } | { stop(): Promise<void> }>();
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly options: KafkaBusOptions,
    private readonly logger: Logger,
  ) {}

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    // A broker that has just started answers retriable errors (e.g. UNKNOWN_TOPIC_OR_PARTITION) while kafkajs waits
    // for the new topics' leaders: list and create again until nothing is missing.
    await pollUntil(
      async () => {
        try {
          const existing = new Set(await this.admin.listTopics());
          const missing = specs.filter((s) => !existing.has(s.name));
          if (missing.length === 0) return true;
          // Returns false (no throw) when another process created them in between.
          await this.admin.createTopics({
            waitForLeaders: true,
            timeout: kafkaDefaults.topicReadyTimeoutMs,
            topics: missing.map((s) => ({
              topic: s.name,
              numPartitions: s.partitions ?? -1,
              replicationFactor: this.options.replicationFactor ?? -1,
              configEntries: Object.entries(topicConfig(s)).map(([name, value]) => ({ name, value })),
            })),
          });
          this.logger.info({ topics: missing.map((s) => s.name) }, 'topics created');
          return true;
        } catch (error) {
          if ((error as { retriable?: boolean }).retriable) return false;
          throw error;
        }
      },
      kafkaDefaults.topicReadyTimeoutMs,
      `creating ${specs.map((s) => s.name).join(', ')}`,
    );
    const names = specs.map((s) => s.name);
    await pollUntil(
      async () => {
        try {
          const { topics } = await this.admin.fetchTopicMetadata({ topics: names });
          if (!(topics.length === names.length && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))) return false;
          // On a broker that has just started, known leaders are not enough: wait until every partition answers.
          for (const name of names) await this.admin.fetchTopicOffsets(name);
          return true;
        } catch (error) {
          if ((error as { retriable?: boolean }).retriable) return false;
          throw error;
        }
      },
      kafkaDefaults.topicReadyTimeoutMs,
      `leaders of ${names.join(', ')}`,
    );
    const { topics } = await this.admin.fetchTopicMetadata({ topics: names });
    for (const spec of specs) {
      const actual = topics.find((t) => t.name === spec.name)?.partitions.length;
      if (spec.partitions !== undefined && actual !== spec.partitions)
        this.logger.warn({ topic: spec.name, partitions: actual, wanted: spec.partitions }, 'topic exists with another partition count; left as is');
    }
  }

  async producer(): Promise<Producer> {
    const create = async () => {
      const created = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: murmur2Partitioner, retry: producerRetry });
      await created.connect();
      return created;
    };
    const producer = resettingProducer(await create(), create, this.logger);
    const handle: Producer = {
      send: async (topic, records) => {
        for (const chunk of chunkBySize(records)) await producer.send({ topic, acks: -1, messages: toKafkajsMessages(chunk) });
      },
      close: async () => {
        this.open.delete(handle);
        await producer.disconnect();
      },
    };
    this.open.add(handle);
    return handle;
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const producer: KafkajsProducer = this.kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: murmur2Partitioner,
      retry: transactionalRetry,
    });
    await producer.connect();
    // kafkajs registers the transactional id (InitProducerId) lazily; doing it now fences an older instance at
    // once, as initTransactions() does in the other clients.
    await (await producer.transaction()).abort();
    const mutex = new Mutex();
    let fenced = false;
    const handle: TransactionalProducer = {
      transaction: (work) =>
        mutex.run(async () => {
          if (fenced) throw new TransactionFencedError(transactionalId);
          const txn = await producer.transaction();
          // Records sent in the transaction are held and go out together (one Produce request for every topic
          // and partition, up to the size bound) before the offsets and the commit: they are invisible until the
          // commit anyway, and a transaction of outputs + changelog + dead letters then costs one round trip.
          const held: Array<{ topic: string; records: OutgoingRecord[] }> = [];
          let heldBytes = 0;
          const flush = async () => {
            if (held.length === 0) return;
            const batch = held.splice(0);
            heldBytes = 0;
            for (const request of chunkTopicsBySize(batch)) await txn.sendBatch({ acks: -1, topicMessages: request.map(({ topic, records }) => ({ topic, messages: toKafkajsMessages(records) })) });
          };
          try {
            const result = await work({
              send: async (topic, records) => {
                if (records.length === 0) return;
                held.push({ topic, records });
                heldBytes += recordsBytes(records);
                if (heldBytes >= maxRequestBytes) await flush();
              },
              sendOffsets: async (groupId, offsets) => {
                await flush();
                await txn.sendOffsets({ consumerGroupId: groupId, topics: groupByTopic(offsets) });
              },
            });
            await flush();
            await txn.commit();
            return result;
          } catch (error) {
            if (txn.isActive()) await txn.abort().catch((abortError: unknown) => this.logger.warn({ err: abortError, transactionalId }, 'abort failed'));
            if (isFenced(error)) {
              fenced = true;
              throw new TransactionFencedError(transactionalId, error);
            }
            throw error;
          }
        }),
      close: async () => {
        this.open.delete(handle);
        await producer.disconnect();
      },
    };
    this.open.add(handle);
    return handle;
  }

  consumer(options: ConsumerOptions): Consumer {
    const consumer = new KafkajsGroupConsumer(this.kafka, options, this.options, this.logger, () => this.open.delete(consumer));
    this.open.add(consumer);
    return consumer;
  }

  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const [result] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return (result?.partitions ?? [])
      .filter((p) => BigInt(p.offset) >= 0n)
      .map((p) => ({ topic, partition: p.partition, offset: p.offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async latestOffsets(topic: string): Promise<PartitionOffset[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ topic, partition: o.partition, offset: o.high })).sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAll([...this.open], this.logger);
    await this.admin.disconnect();
  }
}

/** Bytes of records as chunkBySize counts them. */
function recordsBytes(records: OutgoingRecord[]): number {
  let bytes = 0;
  for (const r of records) {
    bytes += 64 + r.key.length + (r.value?.length ?? 0);
    if (r.headers) for (const name in r.headers) bytes += name.length + r.headers[name]!.length + 8;
  }
  return bytes;
}

const maxRequestBytes = 768 * 1024;
const maxRecordsPerTopic = 2_000;

/**
 * Cuts the sends of one transaction into Produce requests of at most maxRequestBytes. kafkajs keys a request's
 * records by topic (a topic listed twice would lose the first list), so the sends to one topic are merged in order
 * and a topic whose records need several chunks has them in successive requests.
 */
function chunkTopicsBySize(sends: Array<{ topic: string; records: OutgoingRecord[] }>): Array<Array<{ topic: string; records: OutgoingRecord[] }>> {
  const byTopic = new Map<string, OutgoingRecord[]>();
  for (const { topic, records } of sends) {
    const list = byTopic.get(topic);
    if (list) for (const r of records) list.push(r);
    else byTopic.set(topic, [...records]);
  }
  const requests: Array<Map<string, OutgoingRecord[]>> = [];
  const sizes: number[] = [];
  for (const [topic, records] of byTopic) {
    // kafkajs groups a request's records per partition in quadratic time: more than a few thousand records of
    // one topic go in several requests.
    let i = 0;
    for (const chunk of chunkBySize(records, maxRequestBytes)) {
      for (let start = 0; start < chunk.length; start += maxRecordsPerTopic) {
        const part = chunk.slice(start, start + maxRecordsPerTopic);
        const bytes = recordsBytes(part);
        while (i < requests.length && (requests[i]!.has(topic) || sizes[i]! + bytes > maxRequestBytes)) i += 1;
        if (i === requests.length) {
          requests.push(new Map());
          sizes.push(0);
        }
        requests[i]!.set(topic, part);
        sizes[i]! += bytes;
        i += 1;
      }
    }
  }
  return requests.map((request) => [...request].map(([topic, records]) => ({ topic, records })));
}

function groupByTopic(offsets: PartitionOffset[]): Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) byTopic.set(o.topic, (list = []));
    list.push({ partition: o.partition, offset: o.offset });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

// ---------------------------------------------------------------------------------------------------------------
// Consumer

class KafkajsGroupConsumer implements Consumer {
  private consumer: KafkajsConsumer | undefined;
  private readonly sequencer: RebalanceSequencer;
  private readonly finished = deferred<void>(true);
  private stopping = false;
  private failure: unknown;
  private shutdownPromise: Promise<void> | undefined;
  private readonly maxBatchSize: number;
  private readonly commitAfterBatch: boolean;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerOptions,
    private readonly busOptions: KafkaBusOptions,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    this.sequencer = new RebalanceSequencer(options.onRebalance);
    this.maxBatchSize = options.maxBatchSize ?? defaultMaxBatchSize;
    this.commitAfterBatch = (options.commit ?? 'after-batch') === 'after-batch';
  }

  get done(): Promise<void> {
    return this.finished.promise;
  }

  async start(handler: BatchHandler): Promise<void> {
    if (this.consumer) throw new Error(`consumer of group ${this.options.groupId} was already started`);
    const { groupId } = this.options;
    const consumer = this.kafka.consumer({
      groupId,
      readUncommitted: !(this.options.readCommitted ?? true),
      partitionAssigners: [rangeAssigner],
      allowAutoTopicCreation: false,
      sessionTimeout: this.busOptions.sessionTimeoutMs ?? kafkaDefaults.sessionTimeoutMs,
      heartbeatInterval: this.busOptions.heartbeatIntervalMs ?? kafkaDefaults.heartbeatIntervalMs,
      minBytes: this.options.fetch?.minBytes ?? 1,
      maxWaitTimeInMs: this.options.fetch?.maxWaitMs ?? 500,
    });
    this.consumer = consumer;
    const joined = deferred<void>(true);
    // Eager protocol: everything is given back when a rebalance starts and handed out again at the join.
    consumer.on(consumer.events.REBALANCING, () => void this.sequencer.revokeAll());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions: TopicPartition[] = Object.entries(payload.memberAssignment).flatMap(([topic, list]) => list.map((partition) => ({ topic, partition })));
      void this.sequencer.assign(partitions);
      joined.resolve();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) {
        this.logger.warn({ err: payload.error, groupId }, 'consumer crashed; kafkajs restarts it');
        return;
      }
      joined.reject(payload.error);
      this.fail(payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: partitionsConcurrently,
        eachBatch: (payload) => this.eachBatch(handler, payload),
      });
      await withTimeout(joined.promise, kafkaDefaults.joinTimeoutMs, () => new Error(`consumer group ${groupId} not joined within ${kafkaDefaults.joinTimeoutMs / 1000} s`));
    } catch (error) {
      this.stopping = true;
      await consumer.disconnect().catch(() => undefined);
      this.onClosed();
      throw error;
    }
  }

  stop(): Promise<void> {
    return this.shutdown();
  }

  private async eachBatch(handler: BatchHandler, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    if (this.stopping || this.failure !== undefined) return;
    try {
      await this.sequencer.settled();
    } catch (error) {
      this.fail(error);
      return;
    }
    const { topic, partition } = batch;
    const records = batch.messages.map((m) => toRecord(topic, partition, m));
    // The end of what this fetch covered, past trailing transaction markers and aborted records.
    const end = nextOffset(batch.lastOffset());
    for (const part of partitionBatches(topic, partition, records, this.maxBatchSize, end, batch.highWatermark)) {
      if (!isRunning() || isStale() || this.stopping || this.failure !== undefined) return;
      try {
        await handler(part);
      } catch (error) {
        this.fail(error);
        return;
      }
      resolveOffset(part.records[part.records.length - 1]!.offset);
      // A commit that fails because the group is rebalancing is kafkajs' to handle (it rejoins; the batch comes again).
      if (this.commitAfterBatch && !this.stopping) await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: part.nextOffset }] }] });
      await heartbeat();
    }
  }

  /** Stops the consumer from outside eachBatch (kafkajs' disconnect waits for the running eachBatch). */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.logger.error({ err: error, groupId: this.options.groupId }, 'consumer stopped by an error; its records will be delivered again');
    setImmediate(() => void this.shutdown());
  }

  private shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.stopping = true;
      try {
        await this.consumer?.disconnect();
      } catch (error) {
        this.logger.warn({ err: error, groupId: this.options.groupId }, 'consumer disconnect failed');
      }
      try {
        await this.sequencer.revokeAll();
      } catch (error) {
        if (this.failure === undefined) this.logger.warn({ err: error, groupId: this.options.groupId }, 'revoke callback failed on stop');
      }
      this.onClosed();
      if (this.failure === undefined) this.finished.resolve();
      else this.finished.reject(this.failure);
    })();
    return this.shutdownPromise;
  }
}

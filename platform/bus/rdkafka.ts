// The bus on Kafka through node-rdkafka (librdkafka): the throughput option, KAFKA_CLIENT=rdkafka.
// node-rdkafka is an optional dependency with a native addon: it is loaded only when this adapter is chosen, and
// a missing or unbuilt addon is a one-line ConfigError.
//
// Producer: idempotent, acks=all, librdkafka's 'murmur2_random' partitioner (Kafka's murmur2, as the other
// adapters). Consumer: 'range' assignment (co-partitioning), read_committed, bounded batches grouped by partition,
// offsets committed after each handled batch; rebalance callbacks run between batches, never during one.
import { createRequire } from 'node:module';
import type * as RdKafka from 'node-rdkafka';
import { ConfigError, ServiceUnreachableError, describeCause } from '../errors.ts';
import type { Logger } from '../log.ts';
import {
  type TopicPartition,
  Mutex,
  RebalanceSequencer,
  closeAll,
  defaultMaxBatchSize,
  deferred,
  groupByPartition,
  headerText,
  withTimeout,
  yieldToEventLoop,
} from './common.ts';
import { type KafkaBusOptions, type KafkaConnection, brokerList, kafkaDefaults, pollUntil, topicConfig } from './kafka-connection.ts';
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

type RdKafkaModule = typeof RdKafka;

/** librdkafka error codes this adapter acts on (node-rdkafka's CODES.ERRORS). */
const codes = {
  queueFull: -184,
  assignPartitions: -175,
  revokePartitions: -174,
  fenced: -144,
  topicAlreadyExists: 36,
  invalidProducerEpoch: 47,
  producerFenced: 90,
} as const;

const requestTimeoutMs = 30_000;
/** How long one consume call waits for the first record; also bounds how long stop() waits for the loop. */
const consumeWaitMs = 250;

let loaded: RdKafkaModule | undefined;

/** node-rdkafka, loaded on first use; ConfigError when it is not installed or its addon is not built. */
export function loadRdkafka(): RdKafkaModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('node-rdkafka') as RdKafkaModule;
    return loaded;
  } catch (error) {
    const reason = describeCause(error).split('\n')[0];
    throw new ConfigError('KAFKA_CLIENT', `rdkafka needs the optional package node-rdkafka, which is not installed or not built (${reason}); run \`npm rebuild node-rdkafka\` or set KAFKA_CLIENT=kafkajs`);
  }
}

/** Connects (bounded by connectTimeoutMs) and returns the bus; ServiceUnreachableError when the cluster cannot be reached. */
export async function createRdkafkaBus(options: KafkaBusOptions): Promise<Bus> {
  const rd = loadRdkafka();
  const logger = options.logger.child({ component: 'bus', adapter: 'rdkafka' });
  const base = clientConfig(options.connection, logger);
  // A plain producer serves metadata and watermark queries.
  const service = watch(new rd.Producer({ ...base, 'client.id': `${options.connection.clientId}-admin` }), logger);
  const timeoutMs = options.connectTimeoutMs ?? kafkaDefaults.connectTimeoutMs;
  try {
    await withTimeout(connect(service, timeoutMs), timeoutMs + 1_000, () => new Error(`no answer within ${timeoutMs / 1000} s`));
  } catch (error) {
    await disconnect(service);
    // librdkafka errors carry a numeric code that means nothing to a plant engineer: keep the text.
    const cause = error instanceof Error ? new Error(`${error.message} (after ${timeoutMs / 1000} s)`) : error;
    throw new ServiceUnreachableError('Kafka', brokerList(options.connection), cause);
  }
  // The admin client takes no event callbacks (its logs stay at warning level and above).
  const { event_cb: _eventCb, ...adminConfig } = base;
  const admin = rd.AdminClient.create({ ...adminConfig, 'client.id': `${options.connection.clientId}-admin` } as RdKafka.GlobalConfig);
  return new RdkafkaBus(rd, base, service, admin, options, logger);
}

// ---------------------------------------------------------------------------------------------------------------
// Configuration, logging, callbacks as promises

type Config = Record<string, string | number | boolean>;

function clientConfig(connection: KafkaConnection, logger: Logger): Config {
  const tls = connection.ssl !== undefined;
  const sasl = connection.sasl;
  return {
    'metadata.broker.list': connection.brokers.join(','),
    'client.id': connection.clientId,
    'security.protocol': sasl ? (tls ? 'sasl_ssl' : 'sasl_plaintext') : tls ? 'ssl' : 'plaintext',
    ...(connection.ssl?.caFile ? { 'ssl.ca.location': connection.ssl.caFile } : {}),
    ...(sasl ? { 'sasl.mechanisms': sasl.mechanism.toUpperCase(), 'sasl.username': sasl.username, 'sasl.password': sasl.password } : {}),
    'socket.connection.setup.timeout.ms': 5_000,
    // Logs come as 'event.log' events (routed to pino) instead of librdkafka's stderr.
    event_cb: true,
    log_level: logger.isLevelEnabled('debug') ? 7 : 4,
  };
}

/** Routes a client's log and error events to the pino logger. */
function watch<C extends RdKafka.Producer | RdKafka.KafkaConsumer>(client: C, logger: Logger): C {
  const target = logger.child({ client: 'librdkafka' });
  // The union of the two clients' overloaded `on` is not callable; both are Client<...> event emitters.
  const events = client as unknown as RdKafka.Producer;
  events.on('event.log', (event: { severity: number; fac: string; message: string }) => {
    const method = event.severity <= 3 ? 'error' : event.severity === 4 ? 'warn' : event.severity <= 6 ? 'debug' : 'trace';
    target[method]({ facility: event.fac }, event.message);
  });
  events.on('event.error', (error: RdKafka.LibrdKafkaError) => target.warn({ err: error, code: error.code }, error.message));
  return client;
}

function connect(client: RdKafka.Producer | RdKafka.KafkaConsumer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.connect({ timeout: timeoutMs, allTopics: false }, (error) => (error ? reject(error) : resolve()));
  });
}

function disconnect(client: RdKafka.Producer | RdKafka.KafkaConsumer): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isConnected()) return resolve();
    client.disconnect(() => resolve());
  });
}

/** Calls a node-rdkafka method that takes a final `(err) => void` callback. */
function call(fn: (cb: (error: RdKafka.LibrdKafkaError | null | undefined) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
}

/** node-rdkafka reports some errors with code -1, so the message is checked as well. */
function isFenced(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: number; message?: string };
  return code === codes.fenced || code === codes.producerFenced || code === codes.invalidProducerEpoch || /fenced by a newer instance/i.test(message ?? '');
}

/** Retries a read-only query for a few seconds (leaders move and metadata lags right after topic creation). */
async function retryRead<T>(query: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await query();
    } catch (error) {
      if (attempt >= 25 || (error as { isFatal?: boolean }).isFatal) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function toRecord(message: RdKafka.Message): ConsumedRecord {
  const headers: Headers = {};
  for (const header of message.headers ?? []) {
    for (const [name, value] of Object.entries(header)) {
      const v = headerText(value);
      if (v !== undefined) headers[name] = v;
    }
  }
  return {
    topic: message.topic,
    partition: message.partition,
    offset: String(message.offset),
    key: message.key === null || message.key === undefined ? null : Buffer.isBuffer(message.key) ? message.key.toString('utf8') : String(message.key),
    value: message.value,
    headers,
    timestamp: message.timestamp ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Producing

interface PendingSend {
  remaining: number;
  error: RdKafka.LibrdKafkaError | undefined;
  done: ReturnType<typeof deferred<void>>;
}

/** Delivery reports are served by polling; polls run only while a send waits for its reports. */
class DeliveryTracker {
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly client: RdKafka.Producer) {
    client.on('delivery-report', (error, report) => {
      const pending = report.opaque as PendingSend | undefined;
      if (!pending) return;
      if (error) pending.error ??= error;
      if (--pending.remaining === 0) this.settle(pending);
    });
  }

  /** Produces every record and resolves when all of them are acknowledged (acks=all). */
  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const pending: PendingSend = { remaining: records.length, error: undefined, done: deferred<void>() };
    this.startPolling();
    try {
      for (const [i, record] of records.entries()) {
        const headers = record.headers ? Object.entries(record.headers).map(([name, value]) => ({ [name]: value })) : undefined;
        for (;;) {
          try {
            this.client.produce(topic, null, record.value, record.key, record.timestamp ?? null, pending, headers);
            break;
          } catch (error) {
            if ((error as { code?: number }).code !== codes.queueFull) {
              pending.error ??= error as RdKafka.LibrdKafkaError;
              pending.remaining -= records.length - i;
              if (pending.remaining === 0) this.settle(pending);
              break;
            }
            // The local queue is full: let deliveries drain it.
            this.client.poll();
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
        if (pending.error) break;
      }
      await pending.done.promise;
    } finally {
      this.stopPolling();
    }
  }

  private settle(pending: PendingSend): void {
    if (pending.error) pending.done.reject(pending.error);
    else pending.done.resolve();
  }

  private startPolling(): void {
    if (this.waiting++ === 0) this.timer = setInterval(() => this.client.poll(), 2);
  }

  private stopPolling(): void {
    if (--this.waiting === 0) clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The bus

class RdkafkaBus implements Bus {
  readonly kind = 'rdkafka';
  private readonly open = new Set<{ close(): Promise<void> } | { stop(): Promise<void> }>();
  /** Live group members by group id, for sendOffsetsToTransaction (which takes the consumer's group metadata). */
  private readonly members = new Map<string, Set<RdkafkaGroupConsumer>>();
  /** One idle (not subscribed) consumer per group: committed-offset queries and group metadata when no member is live. */
  private readonly groupClients = new Map<string, Promise<RdKafka.KafkaConsumer>>();
  private closed = false;

  constructor(
    private readonly rd: RdKafkaModule,
    private readonly base: Config,
    private readonly service: RdKafka.Producer,
    private readonly admin: RdKafka.IAdminClient,
    private readonly options: KafkaBusOptions,
    private readonly logger: Logger,
  ) {}

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      try {
        await call((cb) =>
          this.admin.createTopic(
            {
              topic: spec.name,
              num_partitions: spec.partitions ?? -1,
              replication_factor: this.options.replicationFactor ?? -1,
              config: topicConfig(spec),
            },
            requestTimeoutMs,
            cb,
          ),
        );
        this.logger.info({ topic: spec.name }, 'topic created');
      } catch (error) {
        if ((error as { code?: number }).code !== codes.topicAlreadyExists) throw error;
      }
    }
    for (const spec of specs) {
      let actual = 0;
      await pollUntil(
        async () => {
          const partitions = await this.partitionsOf(spec.name).catch(() => []);
          actual = partitions.length;
          return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
        },
        kafkaDefaults.topicReadyTimeoutMs,
        `leaders of ${spec.name}`,
      );
      if (spec.partitions !== undefined && actual !== spec.partitions)
        this.logger.warn({ topic: spec.name, partitions: actual, wanted: spec.partitions }, 'topic exists with another partition count; left as is');
    }
  }

  async producer(): Promise<Producer> {
    const client = await this.connectProducer({});
    const tracker = new DeliveryTracker(client);
    const handle: Producer = {
      send: (topic, records) => tracker.send(topic, records),
      close: async () => {
        this.open.delete(handle);
        await disconnect(client);
      },
    };
    this.open.add(handle);
    return handle;
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const client = await this.connectProducer({ 'transactional.id': transactionalId, 'transaction.timeout.ms': 60_000 });
    // Registers the id and fences any older producer with it.
    await call((cb) => client.initTransactions(requestTimeoutMs, cb));
    const tracker = new DeliveryTracker(client);
    const mutex = new Mutex();
    let fenced = false;
    // librdkafka raises fencing as a fatal error event; the failing call itself may only say "purged".
    (client as RdKafka.Producer).on('event.error', (error) => {
      if (isFenced(error)) fenced = true;
    });
    const handle: TransactionalProducer = {
      transaction: (work) =>
        mutex.run(async () => {
          if (fenced) throw new TransactionFencedError(transactionalId);
          try {
            await call((cb) => client.beginTransaction(cb));
            const result = await work({
              send: (topic, records) => tracker.send(topic, records),
              sendOffsets: async (groupId, offsets) => {
                const consumer = await this.groupMetadataSource(groupId, offsets);
                const list = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: Number(o.offset) }));
                await call((cb) => client.sendOffsetsToTransaction(list, consumer, requestTimeoutMs, cb));
              },
            });
            await call((cb) => client.commitTransaction(requestTimeoutMs, cb));
            return result;
          } catch (error) {
            if (!fenced && !isFenced(error)) {
              await call((cb) => client.abortTransaction(requestTimeoutMs, cb)).catch((abortError: unknown) => {
                if (isFenced(abortError)) fenced = true;
                else this.logger.warn({ err: abortError, transactionalId }, 'abort failed');
              });
            }
            if (fenced || isFenced(error)) {
              fenced = true;
              throw new TransactionFencedError(transactionalId, error);
            }
            throw error;
          }
        }),
      close: async () => {
        this.open.delete(handle);
        await disconnect(client);
      },
    };
    this.open.add(handle);
    return handle;
  }

  consumer(options: ConsumerOptions): Consumer {
    const consumer: RdkafkaGroupConsumer = new RdkafkaGroupConsumer(this.rd, this.base, options, this.options, this.logger, {
      joined: () => {
        let set = this.members.get(options.groupId);
        if (!set) this.members.set(options.groupId, (set = new Set()));
        set.add(consumer);
      },
      closed: () => {
        this.members.get(options.groupId)?.delete(consumer);
        this.open.delete(consumer);
      },
    });
    this.open.add(consumer);
    return consumer;
  }

  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const client = await this.groupClient(groupId);
    const partitions = await this.partitionsOf(topic);
    const committed = await retryRead(
      () =>
        new Promise<RdKafka.TopicPartitionOffset[]>((resolve, reject) =>
          client.committed(
            partitions.map((p) => ({ topic, partition: p.id })),
            requestTimeoutMs,
            (error, result) => (error ? reject(error) : resolve(result)),
          ),
        ),
    );
    return committed
      .filter((o) => o.offset >= 0)
      .map((o) => ({ topic, partition: o.partition, offset: String(o.offset) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async latestOffsets(topic: string): Promise<PartitionOffset[]> {
    const partitions = await this.partitionsOf(topic);
    return Promise.all(
      partitions
        .map((p) => p.id)
        .sort((a, b) => a - b)
        .map(
          (partition) =>
            retryRead(
              () =>
                new Promise<PartitionOffset>((resolve, reject) =>
                  this.service.queryWatermarkOffsets(topic, partition, requestTimeoutMs, (error, offsets) =>
                    error ? reject(error) : resolve({ topic, partition, offset: String(offsets.highOffset) }),
                  ),
                ),
            ),
        ),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAll([...this.open], this.logger);
    const groupClients = await Promise.all([...this.groupClients.values()].map((p) => p.catch(() => undefined)));
    await Promise.all(groupClients.map((c) => (c ? disconnect(c) : undefined)));
    this.admin.disconnect();
    await disconnect(this.service);
  }

  private async connectProducer(extra: Config): Promise<RdKafka.Producer> {
    const client = watch(
      new this.rd.Producer(
        { ...this.base, ...extra, 'enable.idempotence': true, acks: 'all', dr_cb: true, 'linger.ms': 5 } as RdKafka.ProducerGlobalConfig,
        // Kafka's murmur2 partitioner, as the Java client and the other adapters.
        { partitioner: 'murmur2_random' },
      ),
      this.logger,
    );
    await connect(client, requestTimeoutMs);
    return client;
  }

  private async partitionsOf(topic: string): Promise<RdKafka.PartitionMetadata[]> {
    const metadata = await retryRead(
      () =>
        new Promise<RdKafka.Metadata>((resolve, reject) =>
          this.service.getMetadata({ topic, timeout: requestTimeoutMs }, (error, data) => (error ? reject(error) : resolve(data))),
        ),
    );
    return metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
  }

  private groupClient(groupId: string): Promise<RdKafka.KafkaConsumer> {
    let client = this.groupClients.get(groupId);
    if (!client) {
      client = (async () => {
        const consumer = watch(new this.rd.KafkaConsumer({ ...this.base, 'group.id': groupId, 'enable.auto.commit': false } as RdKafka.ConsumerGlobalConfig, {}), this.logger);
        await connect(consumer, requestTimeoutMs);
        return consumer;
      })();
      this.groupClients.set(groupId, client);
      client.catch(() => this.groupClients.delete(groupId));
    }
    return client;
  }

  /**
   * The consumer whose group metadata goes with sendOffsetsToTransaction: a live member of the group that owns
   * the partitions (the broker then rejects the commit if a rebalance has moved them: zombie fencing, KIP-447),
   * else the group's idle client (group id only, as kafkajs does it).
   */
  private async groupMetadataSource(groupId: string, offsets: PartitionOffset[]): Promise<RdKafka.KafkaConsumer> {
    const live = [...(this.members.get(groupId) ?? [])];
    const first = offsets[0];
    const owner = first ? live.find((m) => m.owns(first.topic, first.partition)) : undefined;
    return owner?.client ?? (await this.groupClient(groupId));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Consumer

interface PendingRebalance {
  type: 'assign' | 'revoke';
  partitions: TopicPartition[];
}

class RdkafkaGroupConsumer implements Consumer {
  client: RdKafka.KafkaConsumer | undefined;
  private state: 'new' | 'running' | 'stopping' | 'closing' | 'stopped' = 'new';
  private readonly pending: PendingRebalance[] = [];
  private readonly sequencer: RebalanceSequencer;
  private readonly joined = deferred<void>(true);
  private readonly finished = deferred<void>(true);
  private loop: Promise<void> = Promise.resolve();
  private failure: unknown;
  private shutdownPromise: Promise<void> | undefined;
  private readonly maxBatchSize: number;
  private readonly commitAfterBatch: boolean;

  constructor(
    private readonly rd: RdKafkaModule,
    private readonly base: Config,
    private readonly options: ConsumerOptions,
    private readonly busOptions: KafkaBusOptions,
    private readonly logger: Logger,
    private readonly hooks: { joined(): void; closed(): void },
  ) {
    this.sequencer = new RebalanceSequencer(options.onRebalance);
    this.maxBatchSize = options.maxBatchSize ?? defaultMaxBatchSize;
    this.commitAfterBatch = (options.commit ?? 'after-batch') === 'after-batch';
  }

  get done(): Promise<void> {
    return this.finished.promise;
  }

  owns(topic: string, partition: number): boolean {
    return this.state === 'running' && this.sequencer.owns(topic, partition);
  }

  async start(handler: BatchHandler): Promise<void> {
    if (this.state !== 'new') throw new Error(`consumer of group ${this.options.groupId} was already started`);
    const { groupId } = this.options;
    const client = watch(
      new this.rd.KafkaConsumer(
        {
          ...this.base,
          'group.id': groupId,
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          'partition.assignment.strategy': 'range',
          'isolation.level': (this.options.readCommitted ?? true) ? 'read_committed' : 'read_uncommitted',
          'enable.partition.eof': true,
          'allow.auto.create.topics': false,
          'session.timeout.ms': this.busOptions.sessionTimeoutMs ?? kafkaDefaults.sessionTimeoutMs,
          'heartbeat.interval.ms': this.busOptions.heartbeatIntervalMs ?? kafkaDefaults.heartbeatIntervalMs,
          'fetch.wait.max.ms': this.options.fetch?.maxWaitMs ?? 100,
          'fetch.min.bytes': this.options.fetch?.minBytes ?? 1,
          rebalance_cb: (error: RdKafka.LibrdKafkaError, assignment: RdKafka.TopicPartition[]) => this.onRebalance(error, assignment),
          offset_commit_cb: (error: RdKafka.LibrdKafkaError | undefined) => {
            if (error) this.logger.warn({ err: error, groupId }, 'offset commit failed; the records will be delivered again');
          },
        } as RdKafka.ConsumerGlobalConfig,
        { 'auto.offset.reset': this.options.fromBeginning === false ? 'latest' : 'earliest' },
      ),
      this.logger,
    );
    this.client = client;
    try {
      await connect(client, requestTimeoutMs);
      client.setDefaultConsumeTimeout(consumeWaitMs);
      client.subscribe(this.options.topics);
      this.state = 'running';
      this.loop = this.run(client, handler);
      await withTimeout(this.joined.promise, kafkaDefaults.joinTimeoutMs, () => new Error(`consumer group ${groupId} not joined within ${kafkaDefaults.joinTimeoutMs / 1000} s`));
      this.hooks.joined();
    } catch (error) {
      await this.shutdown();
      throw error;
    }
  }

  stop(): Promise<void> {
    return this.shutdown();
  }

  /** librdkafka's rebalance callback: queued, applied by the loop between batches (eager: revoke then assign). */
  private onRebalance(error: RdKafka.LibrdKafkaError, assignment: RdKafka.TopicPartition[]): void {
    const partitions = assignment.map(({ topic, partition }) => ({ topic, partition }));
    if (this.state === 'closing') {
      // Closing: librdkafka revokes everything and waits for the unassign.
      if (error.code === codes.revokePartitions) this.client?.unassign();
      return;
    }
    if (error.code === codes.assignPartitions) this.pending.push({ type: 'assign', partitions });
    else if (error.code === codes.revokePartitions) this.pending.push({ type: 'revoke', partitions });
    else this.logger.error({ err: error, groupId: this.options.groupId }, 'rebalance error');
  }

  private async applyRebalances(client: RdKafka.KafkaConsumer): Promise<void> {
    while (this.pending.length > 0) {
      const event = this.pending.shift()!;
      if (event.type === 'revoke') {
        await this.sequencer.revokeAll();
        client.unassign();
      } else {
        client.assign(event.partitions);
        await this.sequencer.assign(event.partitions);
        this.joined.resolve();
      }
    }
  }

  private async run(client: RdKafka.KafkaConsumer, handler: BatchHandler): Promise<void> {
    try {
      while (this.state === 'running') {
        await this.applyRebalances(client);
        const messages = await this.consume(client);
        if (this.state !== 'running') break;
        const owned = messages.filter((m) => this.sequencer.owns(m.topic, m.partition));
        for (const batch of groupByPartition(owned.map(toRecord), this.maxBatchSize)) {
          if (this.state !== 'running') break;
          await handler(batch);
          if (this.commitAfterBatch && this.state === 'running') client.commit({ topic: batch.topic, partition: batch.partition, offset: Number(batch.nextOffset) });
        }
        if (messages.length > 0) await yieldToEventLoop();
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** One bounded fetch across the assigned partitions (several partitions' worth, so each handler batch fills up). */
  private consume(client: RdKafka.KafkaConsumer): Promise<RdKafka.Message[]> {
    return new Promise((resolve, reject) =>
      client.consume(this.maxBatchSize * 4, (error, messages) => {
        if (!error) return resolve(messages);
        if (error.isFatal) return reject(error);
        this.logger.warn({ err: error, groupId: this.options.groupId }, 'consume failed; retrying');
        setTimeout(() => resolve([]), consumeWaitMs);
      }),
    );
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.logger.error({ err: error, groupId: this.options.groupId }, 'consumer stopped by an error; its records will be delivered again');
    void this.shutdown();
  }

  private shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const client = this.client;
      if (this.state === 'running') this.state = 'stopping';
      await this.loop;
      try {
        await this.sequencer.revokeAll();
      } catch (error) {
        if (this.failure === undefined) this.logger.warn({ err: error, groupId: this.options.groupId }, 'revoke callback failed on stop');
      }
      this.state = 'closing';
      if (client?.isConnected()) {
        try {
          client.unassign();
          client.unsubscribe();
        } catch (error) {
          this.logger.debug({ err: error }, 'unassign on close failed');
        }
        await disconnect(client);
      }
      this.state = 'stopped';
      this.hooks.closed();
      if (this.failure === undefined) this.finished.resolve();
      else this.finished.reject(this.failure);
    })();
    return this.shutdownPromise;
  }
}

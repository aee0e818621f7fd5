// The in-process bus of the single-machine default: what Kafka does, for one process and in memory.
// Partitioned append-only logs (Kafka's murmur2 partitioner), consumer groups with committed offsets and range
// co-partitioned assignment, eager rebalancing when members join or leave, at-least-once redelivery from the
// committed offset, and transactions (invisible to read-committed consumers until commit, aborted ones never).
// Nothing survives the process: durability across restarts is what KAFKA_BROKERS is for.
import type { Logger } from '../log.ts';
import {
  type TopicPartition,
  Mutex,
  RebalanceSequencer,
  closeAll,
  defaultMaxBatchSize,
  deferred,
  partitionKey,
  rangeAssign,
  yieldToEventLoop,
} from './common.ts';
import { partitionFor } from './partitioner.ts';
import {
  type BatchHandler,
  type Bus,
  type ConsumedBatch,
  type Consumer,
  type ConsumerOptions,
  type Headers,
  type OutgoingRecord,
  type PartitionOffset,
  type Producer,
  type TopicSpec,
  type TransactionContext,
  type TransactionalProducer,
  TransactionFencedError,
} from './port.ts';

export interface EmbeddedBusOptions {
  logger: Logger;
  /** Share one broker between several bus handles in the process (default: a broker of its own). */
  broker?: EmbeddedBroker;
}

export interface EmbeddedBrokerOptions {
  /** Partitions of a topic whose spec names none (Kafka's num.partitions). Default 1. */
  defaultPartitions?: number;
  /**
   * Memory bound: records kept per partition of a 'delete' topic; the oldest are dropped beyond it (consumers that
   * fall behind skip ahead, like Kafka's auto.offset.reset=earliest after retention). Compacted topics keep all.
   * Default 1,000,000.
   */
  maxRecordsPerPartition?: number;
}

export function createEmbeddedBroker(options: EmbeddedBrokerOptions = {}): EmbeddedBroker {
  return new EmbeddedBroker(options.defaultPartitions ?? 1, options.maxRecordsPerPartition ?? 1_000_000);
}

export function createEmbeddedBus(options: EmbeddedBusOptions): Bus {
  return new EmbeddedBus(options.broker ?? createEmbeddedBroker(), options.logger.child({ component: 'bus', adapter: 'embedded' }));
}

// ---------------------------------------------------------------------------------------------------------------
// Storage

interface Transaction {
  state: 'open' | 'committed' | 'aborted';
  offsets: Array<{ groupId: string; topic: string; partition: number; offset: number }>;
}

interface StoredRecord {
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
  txn: Transaction | undefined;
}

class PartitionLog {
  private records: StoredRecord[] = [];
  /** Offset of records[0]. */
  private base = 0;
  /** Next offset to append (the high watermark). */
  end = 0;

  constructor(private readonly retention: { maxRecords: number; retentionMs: number | undefined; compacted: boolean }) {}

  get start(): number {
    return this.base;
  }

  append(record: Omit<StoredRecord, 'offset'>): void {
    this.records.push({ ...record, offset: this.end++ });
    if (!this.retention.compacted && this.records.length % 1024 === 0) this.trim(record.timestamp);
  }

  /** Up to `max` records from `from`; `next` is where the scan stopped (past skipped aborted records). */
  read(from: number, max: number, readCommitted: boolean): { records: StoredRecord[]; next: number } {
    const records: StoredRecord[] = [];
    let i = Math.max(from, this.base) - this.base;
    while (i < this.records.length && records.length < max) {
      const record = this.records[i]!;
      if (readCommitted && record.txn) {
        if (record.txn.state === 'open') break; // the last stable offset: nothing after an open transaction
        if (record.txn.state === 'aborted') {
          i++;
          continue;
        }
      }
      records.push(record);
      i++;
    }
    return { records, next: this.base + i };
  }

  private trim(now: number): void {
    let drop = Math.max(0, this.records.length - this.retention.maxRecords);
    const retentionMs = this.retention.retentionMs;
    if (retentionMs !== undefined) {
      while (drop < this.records.length && this.records[drop]!.timestamp < now - retentionMs) drop++;
    }
    if (drop === 0) return;
    this.records.splice(0, drop);
    this.base += drop;
  }
}

/** Wakes every waiting consumer loop when something changed (records appended, transaction ended, rebalance, stop). */
class Signal {
  private waiters: Array<() => void> = [];

  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  fire(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export class EmbeddedBroker {
  /** @internal */ readonly topics = new Map<string, PartitionLog[]>();
  /** @internal */ readonly groups = new Map<string, Group>();
  /** @internal */ readonly signal = new Signal();
  /** Producer epoch per transactional id, and that producer's open transaction. */
  /** @internal */ readonly transactionalIds = new Map<string, { epoch: number; open: Transaction | undefined }>();
  private memberCounter = 0;

  constructor(
    private readonly defaultPartitions: number,
    private readonly maxRecordsPerPartition: number,
  ) {}

  /** @internal */
  createTopic(spec: TopicSpec): { created: boolean; partitions: number } {
    const existing = this.topics.get(spec.name);
    if (existing) return { created: false, partitions: existing.length };
    const count = spec.partitions ?? this.defaultPartitions;
    const retention = { maxRecords: this.maxRecordsPerPartition, retentionMs: spec.retentionMs, compacted: spec.cleanupPolicy === 'compact' };
    this.topics.set(spec.name, Array.from({ length: count }, () => new PartitionLog(retention)));
    return { created: true, partitions: count };
  }

  /** @internal */
  partitions(topic: string): PartitionLog[] {
    const logs = this.topics.get(topic);
    if (!logs) throw new Error(`topic ${topic} does not exist on the embedded bus (ensureTopics first)`);
    return logs;
  }

  /** @internal */
  append(topic: string, records: OutgoingRecord[], txn: Transaction | undefined): void {
    const logs = this.partitions(topic);
    const now = Date.now();
    for (const record of records) {
      logs[partitionFor(record.key, logs.length)]!.append({
        key: record.key,
        // Copied: the caller may reuse its buffers, as it may with a Kafka client.
        value: record.value === null ? null : Buffer.from(record.value),
        headers: { ...record.headers },
        timestamp: record.timestamp ?? now,
        txn,
      });
    }
    this.signal.fire();
  }

  /** @internal */
  group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new Group(this)));
    return group;
  }

  /** @internal */
  newMemberId(): string {
    return `member-${String(++this.memberCounter).padStart(6, '0')}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Consumer groups

class Group {
  readonly committed = new Map<string, number>();
  private members: EmbeddedConsumer[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly broker: EmbeddedBroker) {}

  join(member: EmbeddedConsumer): Promise<void> {
    this.members.push(member);
    return this.rebalance();
  }

  leave(member: EmbeddedConsumer): Promise<void> {
    if (!this.members.includes(member)) return this.chain;
    this.members = this.members.filter((m) => m !== member);
    return this.rebalance();
  }

  private rebalance(): Promise<void> {
    this.chain = this.chain.then(() => this.runRebalance());
    return this.chain;
  }

  /** Eager, like Kafka's range protocol: everyone pauses and gives everything back, then the new plan is handed out. */
  private async runRebalance(): Promise<void> {
    const members = this.members;
    for (const member of members) member.pauseForRebalance();
    await Promise.all(members.map((member) => member.idle()));
    await Promise.all(members.map((member) => member.revokeForRebalance()));
    const active = this.members.filter((member) => member.isActive());
    const counts = new Map<string, number>();
    for (const topic of new Set(active.flatMap((member) => member.topics))) counts.set(topic, this.broker.partitions(topic).length);
    const plan = rangeAssign(
      active.map((member) => ({ memberId: member.memberId, topics: member.topics })),
      counts,
    );
    for (const member of active) member.resumeWith(plan.get(member.memberId) ?? []);
    this.broker.signal.fire();
  }
}

class EmbeddedConsumer implements Consumer {
  readonly memberId: string;
  readonly topics: string[];
  private state: 'new' | 'running' | 'stopping' | 'stopped' | 'failed' = 'new';
  private paused = false;
  private assignment: TopicPartition[] = [];
  private readonly positions = new Map<string, number>();
  private cursor = 0;
  private inflight: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private readonly sequencer: RebalanceSequencer;
  private readonly finished = deferred<void>(true);
  private readonly group: Group;
  private readonly maxBatchSize: number;
  private readonly readCommitted: boolean;

  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly options: ConsumerOptions,
    private readonly logger: Logger,
    private readonly onClosed: (consumer: EmbeddedConsumer) => void,
  ) {
    this.memberId = broker.newMemberId();
    this.topics = [...new Set(options.topics)];
    this.group = broker.group(options.groupId);
    this.sequencer = new RebalanceSequencer(options.onRebalance);
    this.maxBatchSize = options.maxBatchSize ?? defaultMaxBatchSize;
    this.readCommitted = options.readCommitted ?? true;
  }

  get done(): Promise<void> {
    return this.finished.promise;
  }

  async start(handler: BatchHandler): Promise<void> {
    if (this.state !== 'new') throw new Error(`consumer ${this.memberId} of group ${this.options.groupId} was already started`);
    for (const topic of this.topics) this.broker.partitions(topic);
    this.state = 'running';
    await this.group.join(this);
    this.loop = this.run(handler);
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown(undefined);
    return this.stopping;
  }

  // -- called by the group ------------------------------------------------------------------------------------

  isActive(): boolean {
    return this.state === 'running';
  }

  pauseForRebalance(): void {
    this.paused = true;
  }

  /** Resolves when no handler is running. */
  idle(): Promise<void> {
    return this.inflight;
  }

  async revokeForRebalance(): Promise<void> {
    try {
      await this.sequencer.revokeAll();
    } catch (error) {
      this.fail(error);
    }
  }

  resumeWith(partitions: TopicPartition[]): void {
    this.assignment = partitions;
    this.positions.clear();
    this.cursor = 0;
    for (const { topic, partition } of partitions) {
      const log = this.broker.partitions(topic)[partition]!;
      const committed = this.group.committed.get(partitionKey(topic, partition));
      this.positions.set(partitionKey(topic, partition), committed ?? (this.options.fromBeginning === false ? log.end : log.start));
    }
    void this.sequencer.assign(partitions);
    this.paused = false;
  }

  // -- the fetch loop -------------------------------------------------------------------------------------------

  private async run(handler: BatchHandler): Promise<void> {
    try {
      while (this.state === 'running') {
        await this.sequencer.settled();
        if (this.state !== 'running') break;
        const work = this.paused ? undefined : this.nextBatch();
        if (!work) {
          await this.broker.signal.next();
          continue;
        }
        const step = this.handle(handler, work);
        this.inflight = step.then(
          () => undefined,
          () => undefined,
        );
        await step;
        await yieldToEventLoop();
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Round robin over the assigned partitions: the next one with something to read. */
  private nextBatch(): { key: string; next: number; batch: ConsumedBatch | undefined } | undefined {
    const count = this.assignment.length;
    for (let i = 0; i < count; i++) {
      const index = (this.cursor + i) % count;
      const { topic, partition } = this.assignment[index]!;
      const key = partitionKey(topic, partition);
      const log = this.broker.partitions(topic)[partition]!;
      const from = Math.max(this.positions.get(key)!, log.start);
      const { records, next } = log.read(from, this.maxBatchSize, this.readCommitted);
      if (next === from) continue;
      this.cursor = index + 1;
      if (records.length === 0) return { key, next, batch: undefined }; // only aborted records: just move on
      return {
        key,
        next,
        batch: {
          topic,
          partition,
          nextOffset: String(next),
          highWatermark: String(log.end),
          records: records.map((r) => ({
            topic,
            partition,
            offset: String(r.offset),
            key: r.key,
            value: r.value,
            headers: { ...r.headers },
            timestamp: r.timestamp,
          })),
        },
      };
    }
    return undefined;
  }

  private async handle(handler: BatchHandler, work: { key: string; next: number; batch: ConsumedBatch | undefined }): Promise<void> {
    if (work.batch) await handler(work.batch);
    this.positions.set(work.key, work.next);
    if ((this.options.commit ?? 'after-batch') === 'after-batch' && this.state === 'running') this.group.committed.set(work.key, work.next);
  }

  // -- leaving --------------------------------------------------------------------------------------------------

  private fail(error: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.logger.error({ err: error, groupId: this.options.groupId, memberId: this.memberId }, 'consumer stopped by an error; its records will be delivered again');
    this.stopping ??= this.shutdown(error);
  }

  private async shutdown(error: unknown): Promise<void> {
    const wasRunning = this.state === 'running' || this.state === 'failed';
    this.state = error === undefined ? 'stopping' : 'failed';
    this.broker.signal.fire();
    if (wasRunning) {
      await this.loop;
      try {
        await this.sequencer.revokeAll();
      } catch (revokeError) {
        if (error === undefined) this.logger.warn({ err: revokeError, groupId: this.options.groupId }, 'revoke callback failed on stop');
      }
      await this.group.leave(this);
    }
    this.onClosed(this);
    if (error === undefined) {
      this.state = 'stopped';
      this.finished.resolve();
    } else {
      this.finished.reject(error);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The bus

/** A huge send is appended in slices with a yield in between, so it does not hold the event loop for long. */
async function appendInSlices(broker: EmbeddedBroker, topic: string, records: OutgoingRecord[], txn: Transaction | undefined): Promise<void> {
  const slice = 5_000;
  broker.partitions(topic);
  for (let i = 0; i < records.length; i += slice) {
    if (i > 0) await yieldToEventLoop();
    broker.append(topic, records.length <= slice ? records : records.slice(i, i + slice), txn);
  }
}

class EmbeddedBus implements Bus {
  readonly kind = 'embedded';
  private readonly consumers = new Set<EmbeddedConsumer>();
  private readonly producers = new Set<{ close(): Promise<void> }>();
  private closed = false;

  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly logger: Logger,
  ) {}

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of topics) {
      const { created, partitions } = this.broker.createTopic(spec);
      if (created) this.logger.debug({ topic: spec.name, partitions }, 'topic created');
      else if (spec.partitions !== undefined && spec.partitions !== partitions)
        this.logger.warn({ topic: spec.name, partitions, wanted: spec.partitions }, 'topic exists with another partition count; left as is');
    }
  }

  async producer(): Promise<Producer> {
    this.assertOpen();
    let open = true;
    const producer: Producer = {
      send: async (topic, records) => {
        if (!open) throw new Error('producer is closed');
        await appendInSlices(this.broker, topic, records, undefined);
      },
      close: async () => {
        open = false;
        this.producers.delete(producer);
      },
    };
    this.producers.add(producer);
    return producer;
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    this.assertOpen();
    const broker = this.broker;
    // Like initTransactions(): a new epoch fences the previous producer and aborts what it left open.
    const previous = broker.transactionalIds.get(transactionalId);
    if (previous?.open) abort(previous.open);
    const epoch = (previous?.epoch ?? 0) + 1;
    const slot = { epoch, open: undefined as Transaction | undefined };
    broker.transactionalIds.set(transactionalId, slot);
    broker.signal.fire();

    const mutex = new Mutex();
    let open = true;
    const assertCurrent = () => {
      if (!open) throw new Error(`transactional producer ${transactionalId} is closed`);
      if (broker.transactionalIds.get(transactionalId)?.epoch !== epoch) throw new TransactionFencedError(transactionalId);
    };
    function abort(txn: Transaction): void {
      txn.state = 'aborted';
      broker.signal.fire();
    }

    const producer: TransactionalProducer = {
      transaction: (work) =>
        mutex.run(async () => {
          assertCurrent();
          const txn: Transaction = { state: 'open', offsets: [] };
          slot.open = txn;
          const context: TransactionContext = {
            send: async (topic, records) => {
              assertCurrent();
              await appendInSlices(broker, topic, records, txn);
            },
            sendOffsets: async (groupId, offsets) => {
              assertCurrent();
              for (const o of offsets) txn.offsets.push({ groupId, topic: o.topic, partition: o.partition, offset: Number(o.offset) });
            },
          };
          try {
            const result = await work(context);
            assertCurrent();
            txn.state = 'committed';
            for (const o of txn.offsets) broker.group(o.groupId).committed.set(partitionKey(o.topic, o.partition), o.offset);
            broker.signal.fire();
            return result;
          } catch (error) {
            if (txn.state === 'open') abort(txn);
            throw error;
          } finally {
            if (slot.open === txn) slot.open = undefined;
          }
        }),
      close: async () => {
        open = false;
        this.producers.delete(producer);
      },
    };
    this.producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    const consumer = new EmbeddedConsumer(this.broker, options, this.logger, (c) => this.consumers.delete(c));
    this.consumers.add(consumer);
    return consumer;
  }

  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const group = this.broker.groups.get(groupId);
    const result: PartitionOffset[] = [];
    this.broker.partitions(topic).forEach((_, partition) => {
      const offset = group?.committed.get(partitionKey(topic, partition));
      if (offset !== undefined) result.push({ topic, partition, offset: String(offset) });
    });
    return result;
  }

  async latestOffsets(topic: string): Promise<PartitionOffset[]> {
    return this.broker.partitions(topic).map((log, partition) => ({ topic, partition, offset: String(log.end) }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAll(this.consumers, this.logger);
    await closeAll(this.producers, this.logger);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the embedded bus is closed');
  }
}

// The bus port: the only messaging interface the rest of linepulse sees.
//
// Three adapters implement it (platform/bus/kafkajs.ts, platform/bus/rdkafka.ts, platform/bus/embedded.ts)
// and one contract suite (platform/bus/contract.ts) runs against all of them.
//
// Semantics every adapter guarantees:
// - Records with the same key go to the same partition (Kafka's murmur2 partitioner, identical across
//   adapters) and are delivered in the order they were produced.
// - A consumer group splits a topic's partitions between its members.
// - A batch handler is called per partition; the offsets of that batch are committed only after the handler
//   resolves (commit: 'after-batch'). If the handler throws, or the consumer dies before the commit, the
//   records are delivered again (at least once).
// - With commit: 'in-transaction' the consumer never commits by itself: the handler commits the offsets
//   atomically with its output records through `Bus.transaction` (exactly-once consume-transform-produce).
// - Values are bytes: encoding, validation and dead-lettering live one layer up (platform/bus/typed.ts).
// - A handler that throws is fatal to its consumer: the batch is not committed, the consumer leaves its group
//   (its partitions go to the other members, or to the consumer started next) and `done` rejects with the error.

export type Headers = Record<string, string>;

export interface OutgoingRecord {
  /** Partitioning and ordering key; for equipment events the ISA-95 equipment path. */
  key: string;
  /** Encoded value; null is a tombstone (compacted topics). */
  value: Buffer | null;
  headers?: Headers;
  /** Record timestamp in epoch ms; defaults to the time of produce. */
  timestamp?: number;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** Offset as a decimal string (Kafka offsets are int64). */
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /**
   * Offset to commit once the batch is handled: last record's offset + 1, or further when the client skipped
   * transaction markers or aborted records right after it (so a read-committed group does not lag behind them).
   */
  nextOffset: string;
  /** Highest offset in the partition at fetch time + 1, when the adapter knows it (for lag). */
  highWatermark?: string;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  /** 'compact' for changelog/state topics. */
  cleanupPolicy?: 'delete' | 'compact';
  retentionMs?: number;
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read (last handled + 1). */
  offset: string;
}

export interface Producer {
  /** Sends the records as one batch; resolves when the broker has acknowledged all of them (acks=all). */
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface TransactionContext {
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** Commits these consumer offsets for `groupId` atomically with the records sent in this transaction. */
  sendOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void>;
}

export interface TransactionalProducer {
  /** Runs `work` in one transaction: commit when it resolves, abort when it throws (the error is rethrown). */
  transaction<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. Default 'earliest'. */
  fromBeginning?: boolean;
  /**
   * 'after-batch' (default): commit after each handled batch. 'in-transaction': the handler commits. 'never': no
   * offsets at all, for a consumer that starts at the end every time (a dashboard's live feed): a commit per batch
   * would be a request per batch for nothing.
   */
  commit?: 'after-batch' | 'in-transaction' | 'never';
  /** Read only committed transactional records. Default true. */
  readCommitted?: boolean;
  /** Upper bound on records per handler call; adapters may deliver fewer. */
  maxBatchSize?: number;
  /**
   * Fetch sizing for throughput consumers: the broker answers a fetch once `minBytes` are there or `maxWaitMs` have
   * passed. Default 1 byte (answer as soon as anything arrives: lowest latency, but a consumer of a busy
   * topic then loops on tiny fetches). Kafka adapters only (fetch.min.bytes / fetch.max.wait.ms; without it each
   * adapter keeps its own wait: kafkajs 500 ms, node-rdkafka 100 ms).
   */
  fetch?: { minBytes: number; maxWaitMs: number };
  /** Called when partitions are assigned or revoked (for state restore and flush). */
  onRebalance?: (event: RebalanceEvent) => void | Promise<void>;
}

/**
 * Eager semantics on every adapter: 'revoke' lists every partition held before a rebalance (also on stop),
 * 'assign' every partition held after it (possibly none). The handler is not called for a partition before its
 * 'assign' callback has resolved; a callback that throws is fatal to the consumer.
 */
export interface RebalanceEvent {
  type: 'assign' | 'revoke';
  partitions: Array<{ topic: string; partition: number }>;
}

export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

export interface Consumer {
  /** Starts consuming; resolves once the consumer has joined its group and is fetching. */
  start(handler: BatchHandler): Promise<void>;
  /**
   * Stops fetching, waits for the handler in flight, commits nothing more, runs the 'revoke' callback, leaves the
   * group. Do not await it from inside the handler (it waits for that handler).
   */
  stop(): Promise<void>;
  /** Settles when the consumer has stopped: resolves after stop(), rejects with the error that stopped it. */
  readonly done: Promise<void>;
}

export interface Bus {
  /** Adapter name for logs and metrics: 'kafkajs' | 'rdkafka' | 'embedded'. */
  readonly kind: string;
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  producer(): Promise<Producer>;
  /** A transactional producer; `transactionalId` must be stable per processor instance and partition set. */
  transactionalProducer(transactionalId: string): Promise<TransactionalProducer>;
  consumer(options: ConsumerOptions): Consumer;
  /** Committed offsets of a group (for lag and tests); partitions without a committed offset are left out. */
  committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /** Latest offsets (high watermarks) of a topic. */
  latestOffsets(topic: string): Promise<PartitionOffset[]>;
  close(): Promise<void>;
}

/**
 * A newer producer with the same transactional id has taken over (or the broker fenced this one): the
 * transaction is aborted and this producer cannot be used any more. Processors treat it as "another instance owns
 * these partitions now" and stop.
 */
export class TransactionFencedError extends Error {
  constructor(
    readonly transactionalId: string,
    cause?: unknown,
  ) {
    super(`transactional producer ${transactionalId} was fenced by a newer instance`, { cause });
    this.name = 'TransactionFencedError';
  }
}

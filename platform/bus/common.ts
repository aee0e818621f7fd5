// Pieces the three bus adapters share: offset math, cutting fetched records into per-partition batches, the
// co-partitioning range assignment, ordered rebalance callbacks, and small async helpers.
import type { Logger } from '../log.ts';
import type { ConsumedBatch, ConsumedRecord, RebalanceEvent } from './port.ts';

export const defaultMaxBatchSize = 500;

export interface TopicPartition {
  topic: string;
  partition: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Offsets (decimal strings on the port, int64 on the wire)

/** `offset + 1`, exact for the whole int64 range. */
export function nextOffset(offset: string | number | bigint): string {
  return (BigInt(offset) + 1n).toString();
}

/** The larger of two offsets. */
export function maxOffset(a: string, b: string): string {
  return BigInt(a) >= BigInt(b) ? a : b;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Batching

/**
 * Cuts records of one partition (in offset order) into handler batches of at most `maxBatchSize`.
 * `endOffset` is where the partition read stopped (it may lie past the last record when the client skipped
 * transaction markers or aborted records); the last batch commits up to it so the group does not lag behind them.
 */
export function partitionBatches(
  topic: string,
  partition: number,
  records: ConsumedRecord[],
  maxBatchSize: number,
  endOffset?: string,
  highWatermark?: string,
): ConsumedBatch[] {
  const batches: ConsumedBatch[] = [];
  for (let start = 0; start < records.length; start += maxBatchSize) {
    const slice = records.slice(start, start + maxBatchSize);
    const isLast = start + maxBatchSize >= records.length;
    let next = nextOffset(slice[slice.length - 1]!.offset);
    if (isLast && endOffset !== undefined) next = maxOffset(next, endOffset);
    batches.push({ topic, partition, records: slice, nextOffset: next, ...(highWatermark !== undefined ? { highWatermark } : {}) });
  }
  return batches;
}

/** Groups records fetched from several partitions (each partition's records in offset order) into handler batches. */
export function groupByPartition(records: ConsumedRecord[], maxBatchSize: number): ConsumedBatch[] {
  const byPartition = new Map<string, ConsumedRecord[]>();
  for (const record of records) {
    const key = partitionKey(record.topic, record.partition);
    let list = byPartition.get(key);
    if (!list) byPartition.set(key, (list = []));
    list.push(record);
  }
  return [...byPartition.values()].flatMap((list) => partitionBatches(list[0]!.topic, list[0]!.partition, list, maxBatchSize));
}

/**
 * Splits records into sends of at most `maxBytes` (keys, values and headers, plus a per-record allowance). Kafka
 * rejects a record batch over message.max.bytes (1 MiB by default) and kafkajs does not split batches itself.
 */
export function chunkBySize<R extends { key: string; value: Buffer | null; headers?: Record<string, string> }>(records: R[], maxBytes = 768 * 1024): R[][] {
  const chunks: R[][] = [];
  let current: R[] = [];
  let size = 0;
  for (const record of records) {
    let bytes = 64 + Buffer.byteLength(record.key) + (record.value?.length ?? 0);
    for (const [name, value] of Object.entries(record.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 8;
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment

export interface Subscription {
  memberId: string;
  topics: string[];
}

/**
 * Kafka's range assignment: per topic, the subscribed members sorted by id each get a contiguous range of
 * partitions (the first `count % members` get one extra). Because the ranges depend only on the member list and the
 * partition count, partition i of every topic with the same partition count and subscribers goes to the same
 * member: that is what lets a processor join several equipment-keyed topics locally (co-partitioning).
 */
export function rangeAssign(subscriptions: Subscription[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
  const result = new Map<string, TopicPartition[]>(subscriptions.map((s) => [s.memberId, []]));
  const topics = [...new Set(subscriptions.flatMap((s) => s.topics))].sort();
  for (const topic of topics) {
    const count = partitionCounts.get(topic) ?? 0;
    const members = subscriptions
      .filter((s) => s.topics.includes(topic))
      .map((s) => s.memberId)
      .sort();
    if (members.length === 0 || count === 0) continue;
    const per = Math.floor(count / members.length);
    const extra = count % members.length;
    members.forEach((memberId, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) result.get(memberId)!.push({ topic, partition: p });
    });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Rebalance callbacks

/**
 * Runs a consumer's `onRebalance` callbacks one at a time, in order, with eager semantics: 'revoke' lists every
 * partition held before the rebalance, 'assign' every partition held after it ('assign' also fires with an empty
 * list, so a member that joined with nothing is visible). Adapters await `settled()` before calling the batch
 * handler, so the handler never sees a partition whose 'assign' callback has not finished.
 */
export class RebalanceSequencer {
  private chain: Promise<void> = Promise.resolve();
  private held: TopicPartition[] = [];

  constructor(private readonly listener: ((event: RebalanceEvent) => void | Promise<void>) | undefined) {}

  get partitions(): readonly TopicPartition[] {
    return this.held;
  }

  owns(topic: string, partition: number): boolean {
    return this.held.some((tp) => tp.topic === topic && tp.partition === partition);
  }

  /** Queues 'revoke' of everything held (nothing when nothing is held). */
  revokeAll(): Promise<void> {
    if (this.held.length === 0) return this.settled();
    const partitions = this.held;
    this.held = [];
    return this.enqueue({ type: 'revoke', partitions });
  }

  /** Queues the member's new complete assignment: 'revoke' of what it held, then 'assign'. */
  assign(partitions: TopicPartition[]): Promise<void> {
    void this.revokeAll();
    this.held = sortPartitions(partitions);
    return this.enqueue({ type: 'assign', partitions: this.held });
  }

  /** Resolves when every queued callback has run; rejects with the first callback error. */
  settled(): Promise<void> {
    return this.chain;
  }

  private enqueue(event: RebalanceEvent): Promise<void> {
    const listener = this.listener;
    if (listener) {
      this.chain = this.chain.then(() => listener(event));
      // Observed here; the consumer surfaces the failure through settled() as a fatal error.
      this.chain.catch(() => undefined);
    }
    return this.chain;
  }
}

export function sortPartitions(partitions: TopicPartition[]): TopicPartition[] {
  return [...partitions].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------------------------
// Async helpers

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  readonly settled: boolean;
}

/** A promise with its resolve/reject; `handled` marks a rejection as observed so it never crashes the process. */
export function deferred<T>(handled = false): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  let settled = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  if (handled) promise.catch(() => undefined);
  return {
    promise,
    resolve: (value) => {
      settled = true;
      resolve(value);
    },
    reject: (error) => {
      settled = true;
      reject(error);
    },
    get settled() {
      return settled;
    },
  };
}

/** Rejects with `onTimeout()` when `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs tasks one at a time (Kafka allows one open transaction per producer). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Lets pending I/O and timers run (between batches, so a busy consumer never starves the event loop). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Closes everything in `resources`, logging (not throwing) individual failures. */
export async function closeAll(resources: Iterable<{ close(): Promise<void> } | { stop(): Promise<void> }>, logger: Logger): Promise<void> {
  await Promise.all(
    [...resources].map(async (resource) => {
      try {
        await ('close' in resource ? resource.close() : resource.stop());
      } catch (error) {
        logger.warn({ err: error }, 'bus resource failed to close');
      }
    }),
  );
}

/** Header values as strings (Kafka headers are bytes; linepulse headers are UTF-8 text). */
export function headerText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return headerText(value[value.length - 1]);
  return String(value);
}

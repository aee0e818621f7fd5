// The sink process: consumes the topics of sinks/routes.ts in one consumer group through the typed consumer,
// groups the batches of every partition handled at the same time into one flush (sinks/batcher.ts: up to
// `maxRows`; at once when every handler waits and there is a backlog, else a few small flushes a second at most),
// writes each flush to ClickHouse and PostgreSQL, and only then lets the bus commit the offsets.
//
// When a store is slow or down, its write is retried with capped exponential backoff inside the handler: the
// batch is not committed, the consumer stops fetching (the handler has not returned), and writing resumes where
// it stopped once the store is back, without loss. Writes are idempotent (ReplacingMergeTree on the event key;
// PostgreSQL upserts by key and revision), so a batch written again after a crash or rebalance adds nothing.
import { hostname } from 'node:os';
import type { Bus, ConsumedBatch, ConsumedRecord, Producer } from '../platform/bus/port.ts';
import { createTypedConsumer, deadLetterRecord, linepulseTopicSpecs, type TypedConsumer } from '../platform/bus/typed.ts';
import type { Codec } from '../platform/codec/port.ts';
import { oneLine } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { TopicName } from '../schemas/topics.ts';
import { deadLetterTopic, topics as topicTable } from '../schemas/topics.ts';
import { createBatcher } from './batcher.ts';
import { insertBatch } from './clickhouse/insert.ts';
import type { ClickHouseStore } from './clickhouse/store.ts';
import type { ClickHouseTable } from './clickhouse/tables.ts';
import type { Db } from './postgres/db.ts';
import { registerEquipment } from './postgres/repository.ts';
import { sinkRoutes, type SinkRoute } from './routes.ts';

export type StoreName = 'clickhouse' | 'postgres';

/** A decoded event and the record it came from. */
interface SinkItem {
  event: unknown;
  raw: ConsumedRecord;
}

interface Rejected {
  store: StoreName;
  item: SinkItem;
  reason: string;
}

/**
 * True when the store refused a write because of what is in it (PostgreSQL data exception or constraint
 * violation, SQLSTATE classes 22 and 23; a ClickHouse parse, type or range error): the same rows would be refused
 * forever, so the culprits are isolated and dead-lettered instead of stalling the sink. Anything else (an
 * unreachable store, a missing table, a full disk) is retried until it is fixed.
 */
export function isDataError(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause as { code?: unknown; type?: unknown } | undefined;
  if (typeof cause?.code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(cause.code)) return true;
  return (
    typeof cause?.type === 'string' &&
    /^(CANNOT_PARSE|CANNOT_READ_ARRAY|TYPE_MISMATCH|CANNOT_CONVERT_TYPE|INCORRECT_DATA|VALUE_IS_OUT_OF_RANGE|CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN|TOO_LARGE_STRING_SIZE|ARGUMENT_OUT_OF_BOUND|DECIMAL_OVERFLOW)/.test(cause.type)
  );
}

export interface StoreHealth {
  up: boolean;
  /** 'chdb' | 'server' | 'pglite' | 'postgres'. */
  kind: string;
  /** Epoch ms of the last change of `up`. */
  since: number;
  /** The last write error, one line, while down. */
  error?: string;
}

export interface SinkHealth {
  clickhouse: StoreHealth;
  postgres: StoreHealth;
  /** Events waiting for the next flush. */
  waiting: number;
  /** Flushes so far, partition handlers the bus runs at once (learnt), current wait for them (ms). */
  batching: { flushes: number; concurrency: number; lingerMs: number };
}

export interface StartSinksOptions {
  bus: Bus;
  codec: Codec;
  logger: Logger;
  metrics: Metrics;
  clickhouse: ClickHouseStore;
  postgres: Db;
  /** Consumer group. Default 'linepulse-sinks'. */
  groupId?: string;
  /** Default: every route of sinks/routes.ts. */
  routes?: readonly SinkRoute[];
  /** A flush holds at most this many events. Default 20,000. */
  maxRows?: number;
  /**
   * The longest a batch waits for other partitions' batches to share its flush. Default 1,000 ms. A flush starts
   * sooner when every handler is waiting on it (sinks/batcher.ts): at once with a backlog, else at most one small
   * flush per `minIntervalMs`.
   */
  maxDelayMs?: number;
  /** Small flushes of a caught-up consumer: at most one per this many ms. Default min(200, maxDelayMs). */
  minIntervalMs?: number;
  /** Retry backoff of a failed store write: first and largest wait. Default 250 ms and 10 s. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Records per handler call. Default 5,000. */
  maxBatchSize?: number;
  /**
   * The broker answers a fetch of the sink consumer once this many bytes are waiting or `fetchMaxWaitMs` have passed.
   * Default 256 KiB / 200 ms: a sink has no use for a fetch per few records (its small flushes are spaced by
   * `minIntervalMs` anyway), and looping on tiny fetches cost a third of its CPU at 1,000 events/s
   * (benchmarks/README.md).
   */
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  /** Topic names other than the table's (tests with unique topics; a second plant on one cluster). */
  topicNames?: Partial<Record<TopicName, string>>;
}

export interface Sinks {
  health(): SinkHealth;
  /** Writes what is waiting, stops consuming (offsets of unwritten batches are not committed). */
  stop(): Promise<void>;
  /** Rejects if the consumer stops on its own (a fatal error); resolves after stop(). */
  readonly done: Promise<void>;
}

export async function startSinks(options: StartSinksOptions): Promise<Sinks> {
  const logger = options.logger.child({ component: 'sinks' });
  const routes = options.routes ?? sinkRoutes;
  const routeByTopic = new Map(routes.map((r) => [r.topic, r] as const));
  const groupId = options.groupId ?? 'linepulse-sinks';
  const retryInitialMs = options.retryInitialMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 10_000;

  const rowsWritten = options.metrics.counter({
    name: 'linepulse_sink_rows_written_total',
    help: 'Rows written by the sink, per store and table (replays count again).',
    labelNames: ['store', 'table'] as const,
  });
  const writeErrors = options.metrics.counter({
    name: 'linepulse_sink_write_errors_total',
    help: 'Failed store writes (each is retried until it succeeds).',
    labelNames: ['store'] as const,
  });
  const flushSeconds = options.metrics.histogram({
    name: 'linepulse_sink_flush_seconds',
    help: 'Time to write one batch to a store, retries included.',
    labelNames: ['store'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  const refusedRecords = options.metrics.counter({
    name: 'linepulse_sink_refused_records_total',
    help: 'Records a store refused for their content (dead-lettered).',
    labelNames: ['store', 'topic'] as const,
  });
  const deadLetters = options.metrics.counter({
    name: 'linepulse_dead_letters_total',
    help: 'Records that could not be decoded or validated and went to the dead-letter topic.',
    labelNames: ['topic', 'consumer'] as const,
  });
  const storeUp = options.metrics.gauge({
    name: 'linepulse_sink_store_up',
    help: '1 while the last write to the store succeeded.',
    labelNames: ['store'] as const,
  });

  const health: Record<StoreName, StoreHealth> = {
    clickhouse: { up: true, kind: options.clickhouse.kind, since: Date.now() },
    postgres: { up: true, kind: options.postgres.kind, since: Date.now() },
  };
  storeUp.set({ store: 'clickhouse' }, 1);
  storeUp.set({ store: 'postgres' }, 1);

  const stopping = new AbortController();
  const registered = new Set<string>();

  /** Runs `write` until it succeeds; between attempts the store is reported down. Gives up only on stop. */
  async function retrying(store: StoreName, write: () => Promise<void>): Promise<void> {
    const started = performance.now();
    let wait = retryInitialMs;
    let lastLog = 0;
    for (;;) {
      try {
        await write();
        if (!health[store].up) {
          logger.info({ store, downForMs: Date.now() - health[store].since }, `${store} is back: writing resumes`);
          health[store] = { up: true, kind: health[store].kind, since: Date.now() };
          storeUp.set({ store }, 1);
        }
        flushSeconds.observe({ store }, (performance.now() - started) / 1000);
        return;
      } catch (error) {
        writeErrors.inc({ store });
        const line = oneLine(error);
        if (health[store].up) health[store] = { up: false, kind: health[store].kind, since: Date.now(), error: line };
        else health[store].error = line;
        storeUp.set({ store }, 0);
        if (Date.now() - lastLog > 30_000) {
          lastLog = Date.now();
          logger.warn({ store, retryInMs: wait }, `${line}; offsets are not committed until the write succeeds`);
        }
        if (stopping.signal.aborted) throw error;
        await sleep(wait, stopping.signal);
        if (stopping.signal.aborted) throw error;
        wait = Math.min(wait * 2, retryMaxMs);
      }
    }
  }

  /** A refused write that names the data: bisect the batch down to the events the store refuses on their own. */
  async function isolating(store: StoreName, items: SinkItem[], attempt: (items: SinkItem[]) => Promise<void>, rejected: Rejected[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await attempt(items);
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (items.length === 1) {
        rejected.push({ store, item: items[0]!, reason: error instanceof Error ? error.message : String(error) });
        return;
      }
      const half = Math.ceil(items.length / 2);
      await isolating(store, items.slice(0, half), attempt, rejected);
      await isolating(store, items.slice(half), attempt, rejected);
    }
  }

  async function write(groups: Map<TopicName, SinkItem[]>): Promise<void> {
    const clickhouseWork: Array<{ topic: TopicName; table: SinkRoute['clickhouse'] & object; items: SinkItem[] }> = [];
    const postgresWork: Array<{ route: SinkRoute; items: SinkItem[] }> = [];
    const paths = new Set<string>();
    for (const [topic, items] of groups) {
      const route = routeByTopic.get(topic);
      if (!route) continue;
      if (route.clickhouse) clickhouseWork.push({ topic, table: route.clickhouse, items });
      if (route.postgres) postgresWork.push({ route, items });
      for (const { event } of items) {
        const equipment = (event as { equipment?: unknown }).equipment;
        if (typeof equipment === 'string' && !registered.has(equipment)) paths.add(equipment);
      }
    }
    const rejected: Rejected[] = [];

    const toClickHouse = async () => {
      for (const { table, items } of clickhouseWork) {
        // Only rows not stored yet: a replay must not reach the rollup views twice (clickhouse/insert.ts).
        const insert = (part: SinkItem[]) => insertBatch(options.clickhouse, table as ClickHouseTable<never>, part.map((i) => table.toRow(i.event as never)));
        await retrying('clickhouse', async () => {
          const found: Rejected[] = [];
          await isolating('clickhouse', items, insert, found);
          rejected.push(...found);
        });
        rowsWritten.inc({ store: 'clickhouse', table: table.name }, items.length);
      }
    };
    const toPostgres = async () => {
      if (postgresWork.length === 0 && paths.size === 0) return;
      await retrying('postgres', async () => {
        try {
          await options.postgres.transaction(async (tx) => {
            if (paths.size > 0) await registerEquipment(tx, paths);
            for (const { route, items } of postgresWork) await route.postgres?.(tx, items.map((i) => i.event) as never[]);
          });
        } catch (error) {
          if (!isDataError(error)) throw error;
          // One flush transaction was refused for its data: each route on its own, bisected to the culprits.
          const found: Rejected[] = [];
          if (paths.size > 0) await options.postgres.transaction((tx) => registerEquipment(tx, paths));
          for (const { route, items } of postgresWork)
            await isolating('postgres', items, (part) => options.postgres.transaction((tx) => route.postgres?.(tx, part.map((i) => i.event) as never[]) ?? Promise.resolve()), found);
          rejected.push(...found);
        }
      });
      for (const path of paths) registered.add(path);
      for (const { route, items } of postgresWork) rowsWritten.inc({ store: 'postgres', table: route.topic }, items.length);
    };
    // Both stores in parallel; the batch counts as written when both are.
    const results = await Promise.allSettled([toClickHouse(), toPostgres()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (rejected.length > 0) await deadLetter(rejected);
  }

  /** Records a store refuses for their content go to the dead-letter topic (before the commit), never silently away. */
  async function deadLetter(rejected: Rejected[]): Promise<void> {
    // One dead letter per source record, naming every store that refused it.
    const bySource = new Map<string, { raw: ConsumedRecord; reasons: string[] }>();
    for (const r of rejected) {
      refusedRecords.inc({ store: r.store, topic: r.item.raw.topic });
      const id = `${r.item.raw.topic}/${r.item.raw.partition}@${r.item.raw.offset}`;
      const entry = bySource.get(id) ?? { raw: r.item.raw, reasons: [] };
      entry.reasons.push(`${r.store} refused the record: ${r.reason}`);
      bySource.set(id, entry);
    }
    const letters = [...bySource.values()];
    await deadLetterProducer.send(
      deadLetterTopic,
      letters.map((l) => deadLetterRecord(l.raw, l.reasons.join('; '), groupId)),
    );
    for (const l of letters) {
      deadLetters.inc({ topic: l.raw.topic, consumer: groupId });
      logger.warn({ topic: l.raw.topic, partition: l.raw.partition, offset: l.raw.offset }, `record dead-lettered: ${l.reasons.join('; ')}`);
    }
  }

  const maxBatchSize = options.maxBatchSize ?? 5_000;
  const batcher = createBatcher<TopicName, SinkItem>({
    maxRows: options.maxRows ?? 20_000,
    maxDelayMs: options.maxDelayMs ?? 1_000,
    ...(options.minIntervalMs !== undefined ? { minIntervalMs: options.minIntervalMs } : {}),
    write: (groups) => write(groups),
  });

  const topicNames = routes.map((r) => r.topic);
  const contracts = topicNames.map((name) => ({ ...topicTable[name], topic: options.topicNames?.[name] ?? topicTable[name].topic }));
  const deadLetterProducer: Producer = await options.bus.producer();
  const consumer: TypedConsumer<unknown> = createTypedConsumer({
    bus: options.bus,
    codec: options.codec,
    groupId,
    topics: contracts,
    logger,
    metrics: options.metrics,
    deadLetter: { producer: deadLetterProducer },
    consumer: { fromBeginning: true, maxBatchSize, fetch: { minBytes: options.fetchMinBytes ?? 256 * 1024, maxWaitMs: options.fetchMaxWaitMs ?? 200 } },
  }) as TypedConsumer<unknown>;

  const topicByName = new Map<string, TopicName>(topicNames.map((name, i) => [contracts[i]!.topic, name] as const));
  // Its input topics and the dead-letter topic (idempotent; the same specs every process uses).
  await options.bus.ensureTopics([
    ...contracts.map((c) => ({ name: c.topic, partitions: c.partitions })),
    ...linepulseTopicSpecs().filter((spec) => spec.name === deadLetterTopic),
  ]);
  await consumer.start(async (batch) => {
    const name = topicByName.get(batch.topic);
    if (!name || batch.events.length === 0) return;
    // Each decoded event with its record as consumed, for a dead letter that keeps the original bytes. Both lists
    // are in offset order (the decoded one lacks the dead-lettered records): one walk pairs them.
    const raw = batch.raw.records;
    const items: SinkItem[] = [];
    let j = 0;
    for (const record of batch.records) {
      while (j < raw.length && raw[j]!.offset !== record.offset) j += 1;
      if (j === raw.length) break;
      if (record.event !== null) items.push({ event: record.event, raw: raw[j]! });
      j += 1;
    }
    await batcher.add(name, items, { more: hasMore(batch.raw, maxBatchSize) });
  });
  logger.info({ groupId, topics: topicNames, bus: options.bus.kind, member: hostname() }, 'sinks consuming');

  let stopped = false;
  const done = consumer.done.catch((error: unknown) => {
    if (stopped) return;
    logger.error({ err: error }, `sink consumer stopped: ${oneLine(error)}`);
    throw error;
  });
  done.catch(() => undefined);

  return {
    health: () => ({ clickhouse: { ...health.clickhouse }, postgres: { ...health.postgres }, waiting: batcher.waiting, batching: batcher.stats }),
    async stop() {
      if (stopped) return;
      stopped = true;
      // Write what is waiting (its handlers then commit); a store that is down gives up instead of retrying.
      const flushed = batcher.flush().catch(() => undefined);
      const abortLater = setTimeout(() => stopping.abort(), 5_000);
      abortLater.unref?.();
      if (!health.clickhouse.up || !health.postgres.up) stopping.abort();
      await flushed;
      stopping.abort();
      clearTimeout(abortLater);
      await consumer.stop().catch(() => undefined);
      await deadLetterProducer.close().catch(() => undefined);
      logger.info('sinks stopped');
    },
    done,
  };
}

/**
 * Whether the partition already holds records past this batch (a backlog): by the high watermark when the adapter
 * reports it, else by the batch being full.
 */
export function hasMore(batch: Pick<ConsumedBatch, 'highWatermark' | 'nextOffset' | 'records'>, maxBatchSize: number): boolean {
  if (batch.highWatermark !== undefined) return BigInt(batch.highWatermark) > BigInt(batch.nextOffset);
  return batch.records.length >= maxBatchSize;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

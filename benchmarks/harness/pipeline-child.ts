// One process of the benchmarked pipeline, started by benchmarks/harness/run.ts with an IPC channel
// (`node --import tsx pipeline-child.ts '<json>'`). Every topic, group and changelog carries the run's prefix, so
// a benchmark never touches the plant's topics or another run's. Roles:
//
//   processors  the live processors (`linepulse processors`) on the prefixed topics, exactly-once transactions.
//   sinks       `linepulse sinks` on the prefixed topics: ClickHouse through chDB in a throwaway data dir, PostgreSQL
//               through the server of the stack in the run's schema. Measures source -> ClickHouse visibility per
//               row: the insert has returned, so the row is queryable (chDB inserts are synchronous).
//   dashboard   `linepulse dashboard` on the prefixed topics: the live feed, the live hub and the dashboard server
//               (Socket.IO), reading PostgreSQL in the run's schema. Its own process, as in a Kafka deployment, so
//               the live path does not queue behind the sinks' inserts on one event loop.
//   drain       the counts processor alone over an existing backlog topic, until it has committed `events` inputs:
//               events/s from the start of its first batch to its last commit (the Kafka Streams peer's comparison).
//
// Messages to the parent: {type:'ready', ...}, {type:'tick', ...} each second (sinks), {type:'final', ...} after
// {type:'stop'} (or on its own for drain). The process exits after 'final'.
import { createBus } from '../../platform/bus/factory.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { readEnv } from '../../platform/config/env.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { oneLine } from '../../platform/errors.ts';
import { createLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { bindProcessors } from '../../processors/registry.ts';
import { startLiveProcessor, type LiveProcessor } from '../../processors/runtime/live.ts';
import { defaultCommitIntervalMs } from '../../processors/runtime/index.ts';
import { changelogTopicName } from '../../processors/runtime/changelog.ts';
import { LatencyHistogram } from './stats.ts';
import { prefixedNames, type ChildConfig } from './topics.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const logger = createLogger({ name: `bench-${config.role}`, level: process.env.LOG_LEVEL ?? 'warn' });
const send = (message: unknown) => process.send?.(message);

async function runProcessors(bus: Bus): Promise<() => Promise<unknown>> {
  const bound = bindProcessors(config.plant ?? {}, config.processors ?? ['counts', 'alerts']);
  const metrics = createMetrics();
  const codec = createAvroCodec();
  const running: LiveProcessor[] = [];
  let commits = 0;
  let inputs = 0;
  for (const { core, config: coreConfig } of bound) {
    running.push(
      await startLiveProcessor({
        core,
        config: coreConfig,
        bus,
        codec,
        logger,
        metrics,
        groupId: `${config.prefix}.${core.name}`,
        changelogTopic: `${config.prefix}.${changelogTopicName(core.name)}`,
        topicNames: prefixedNames(config.prefix),
        deadLetterTopic: `${config.prefix}.dlq`,
        // As `linepulse processors` runs them (processors/runtime/index.ts): one revision per window per transaction.
        coalesce: true,
        ...(config.maxBatchSize ? { maxBatchSize: config.maxBatchSize } : {}),
        commitIntervalMs: config.commitIntervalMs ?? defaultCommitIntervalMs,
        onCommit: (info) => {
          commits += 1;
          inputs += info.records;
        },
      }),
    );
  }
  send({ type: 'ready', pid: process.pid, processors: running.map((p) => p.name), groups: running.map((p) => `${config.prefix}.${p.name}`) });
  return async () => {
    await Promise.all(running.map((p) => p.stop()));
    return { commits, inputs };
  };
}

async function runDrain(bus: Bus): Promise<void> {
  const bound = bindProcessors(config.plant ?? {}, ['counts'])[0];
  if (!bound) throw new Error('counts processor not registered');
  const { core, config: coreConfig } = bound;
  const target = config.events ?? 0;
  let committed = 0;
  let firstStart: number | null = null;
  let lastCommit = 0;
  let outputs = 0;
  let transactions = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const started = performance.now();
  const processor = await startLiveProcessor({
    core,
    config: coreConfig,
    bus,
    codec: createAvroCodec(),
    logger,
    metrics: createMetrics(),
    groupId: `${config.prefix}.drain.counts`,
    changelogTopic: `${config.prefix}.drain.${changelogTopicName('counts')}`,
    topicNames: { ...prefixedNames(`${config.prefix}.drain`), counts: config.input! },
    deadLetterTopic: `${config.prefix}.dlq`,
    idle: false,
    // As in production (and as the peer's record cache does for its KTable): one revision per window per transaction.
    coalesce: true,
    ...(config.maxBatchSize ? { maxBatchSize: config.maxBatchSize } : {}),
    commitIntervalMs: config.commitIntervalMs ?? defaultCommitIntervalMs,
    onCommit: (info) => {
      const now = performance.now();
      firstStart ??= now - info.durationMs;
      committed += info.records;
      outputs += info.outputs;
      transactions += 1;
      lastCommit = now;
      if (committed >= target) resolveDone();
    },
  });
  send({ type: 'ready', pid: process.pid });
  const timeout = setTimeout(resolveDone, 300_000);
  await done;
  clearTimeout(timeout);
  await processor.stop();
  const seconds = firstStart === null ? 0 : (lastCommit - firstStart) / 1000;
  send({
    type: 'final',
    events: committed,
    outputs,
    transactions,
    seconds: Math.round(seconds * 1000) / 1000,
    eventsPerSec: seconds > 0 ? Math.round(committed / seconds) : 0,
    startupSeconds: firstStart === null ? 0 : Math.round(firstStart - started) / 1000,
    timedOut: committed < target,
  });
}

async function runSinks(bus: Bus): Promise<() => Promise<unknown>> {
  const { openStores } = await import('../../sinks/stores.ts');
  const { startSinks } = await import('../../sinks/writer.ts');
  const env = readEnv();
  const metrics = createMetrics();
  const codec = createAvroCodec();
  const stores = await openStores({
    env: { dataDir: config.dataDir!, CLICKHOUSE_URL: env.CLICKHOUSE_URL, DATABASE_URL: config.databaseUrl },
    logger,
    clickhouseDatabase: `bench_${config.prefix.replace(/[^A-Za-z0-9_]/g, '_')}`,
  });

  // Source time -> visible in ClickHouse, per row, for raw telemetry and for the processors' count increments.
  const latency = { telemetry: new LatencyHistogram(), count_increments: new LatencyHistogram() };
  const second = { telemetry: new LatencyHistogram(), count_increments: new LatencyHistogram() };
  const rows: Record<string, number> = {};
  const store = stores.clickhouse;
  const measured = new Proxy(store, {
    get(target, prop) {
      if (prop === 'insert')
        return async (table: string, batch: ReadonlyArray<Record<string, unknown>>) => {
          await target.insert(table, batch);
          const now = Date.now();
          rows[table] = (rows[table] ?? 0) + batch.length;
          const h = latency[table as keyof typeof latency];
          const s = second[table as keyof typeof second];
          if (!h || !s) return;
          for (const row of batch) {
            const t = row.event_time;
            if (typeof t === 'number') {
              h.record(now - t);
              s.record(now - t);
            }
          }
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const sinks = await startSinks({
    bus,
    codec,
    logger,
    metrics,
    clickhouse: measured,
    postgres: stores.postgres,
    groupId: `${config.prefix}.sinks`,
    topicNames: prefixedNames(config.prefix),
    ...(config.sinkDelayMs !== undefined ? { maxDelayMs: config.sinkDelayMs } : {}),
  });

  let last = { ...rows };
  const ticker = setInterval(() => {
    const delta = Object.fromEntries(Object.entries(rows).map(([t, n]) => [t, n - (last[t] ?? 0)]));
    last = { ...rows };
    send({ type: 'tick', rows: delta, chTelemetry: second.telemetry.summary(), chIncrements: second.count_increments.summary() });
    second.telemetry.reset();
    second.count_increments.reset();
  }, 1_000);
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'reset') {
      latency.telemetry.reset();
      latency.count_increments.reset();
    }
  });
  send({ type: 'ready', pid: process.pid, clickhouse: store.kind, postgres: stores.postgres.kind });
  return async () => {
    clearInterval(ticker);
    await sinks.stop();
    await stores.close();
    return { rows, chTelemetry: latency.telemetry.toSparse(), chIncrements: latency.count_increments.toSparse() };
  };
}

async function runDashboard(bus: Bus): Promise<() => Promise<unknown>> {
  const { openPostgres } = await import('../../sinks/postgres/db.ts');
  const { createPostgresQueries } = await import('../../sinks/postgres/repository.ts');
  const { createLiveHub } = await import('../../sinks/live/hub.ts');
  const { startLiveFeed } = await import('../../sinks/live/feed.ts');
  const { startDashboardServer } = await import('../../dashboard/server/server.ts');
  const metrics = createMetrics();
  // The sinks process has migrated the schema already (it is started first).
  const postgres = await openPostgres({ url: config.databaseUrl!, dataDir: '.', logger });
  const hub = createLiveHub({ logger, ...(config.hubIntervalMs !== undefined ? { minIntervalMs: config.hubIntervalMs } : {}) });
  const feed = await startLiveFeed({
    bus,
    codec: createAvroCodec(),
    logger,
    metrics,
    hub,
    groupId: `${config.prefix}.live`,
    topicNames: prefixedNames(config.prefix),
    deadLetterTopic: `${config.prefix}.dlq`,
  });
  const server = await startDashboardServer({ port: 0, host: '127.0.0.1', queries: createPostgresQueries(postgres), live: hub, logger, metrics });
  send({ type: 'ready', pid: process.pid, url: server.url });
  return async () => {
    await server.close();
    await feed.stop();
    hub.close();
    await postgres.close();
    return { hub: hub.stats() };
  };
}

async function main(): Promise<void> {
  const bus = await createBus({ env: readEnv(), logger });
  if (config.role === 'drain') {
    await runDrain(bus);
    await bus.close();
    process.exit(0);
  }
  const stop = config.role === 'sinks' ? await runSinks(bus) : config.role === 'dashboard' ? await runDashboard(bus) : await runProcessors(bus);
  let stopping = false;
  const finish = async () => {
    if (stopping) return;
    stopping = true;
    const result = await stop();
    send({ type: 'final', ...(result as object) });
    await bus.close();
    process.exit(0);
  };
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') void finish();
  });
  process.once('SIGTERM', () => void finish());
  process.once('disconnect', () => void finish());
}

main().catch((error: unknown) => {
  send({ type: 'error', message: oneLine(error) });
  console.error(`bench ${config.role}: ${oneLine(error)}`);
  process.exit(1);
});

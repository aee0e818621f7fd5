// `linepulse dashboard [--port]`: the composition root of the dashboard process: the HTTP API, the built Svelte
// app and Socket.IO on one port (127.0.0.1 by default), live updates from the bus through the live hub.
//
// Also exports what `linepulse start` (the single-machine process) calls for the tail of the pipeline:
//   const tail = await startSinksAndDashboard({ env, logger, metrics, bus, codec });
//   console.log(`open ${tail.url}`);  ...  await tail.stop();
// It opens the stores once (chDB and PGlite allow one engine per data directory per process) and shares them
// between the sink writer and the dashboard's queries.
import { InvalidArgumentError, type Command } from 'commander';
import type { Bus } from '../../platform/bus/port.ts';
import type { Codec } from '../../platform/codec/port.ts';
import type { RuntimeEnv } from '../../platform/config/env.ts';
import type { Logger } from '../../platform/log.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { HealthProbe } from '../../dashboard/server/server.ts';
import type { AuthOptions } from '../../dashboard/server/auth/index.ts';
import type { FastifyPluginAsync } from 'fastify';
import type { CountHistoryQueries, CountQueries } from '../../sinks/model.ts';
import type { ProductionQueries } from '../../sinks/queries.ts';
import type { Stores } from '../../sinks/stores.ts';
import type { ClickHouseStore } from '../../sinks/clickhouse/store.ts';
import type { SinksConfig } from '../../sinks/config.ts';
import type { Sinks } from '../../sinks/writer.ts';

interface DashboardCliOptions {
  port?: number;
  host?: string;
  config?: string;
}

const portOption = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be an integer 0..65535 (0: any free port)');
  return n;
};

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('Serve the live dashboard, its REST API (/api, OpenAPI at /api/openapi.json) and Socket.IO')
    .option('--port <port>', 'port to listen on (default: $PORT or 3000; 0 = any free port)', portOption)
    .option('--host <host>', 'address to listen on (default: $HOST or 127.0.0.1)')
    .option('--config <file>', 'plant config file (YAML or JSON); its `sinks.retention` picks the resolution of history reads (default: $LINEPULSE_CONFIG)')
    .action(async (options: DashboardCliOptions) => runDashboard(options));
}

export interface DashboardDeps {
  env: RuntimeEnv;
  logger: Logger;
  metrics: Metrics;
  bus: Bus;
  codec: Codec;
  queries: CountQueries & Partial<CountHistoryQueries>;
  /** The query API's read side (sinks/queries.ts); without it the server serves counts and health only. */
  api?: ProductionQueries;
  health: HealthProbe;
  port?: number;
  host?: string;
  /** Logins, sessions and roles (dashboard/server/auth); without it the server is open (tests only). */
  auth?: AuthOptions;
  /** Ingest gateways served on the same port (manual entry, ERP schedules). */
  extraRoutes?: ReadonlyArray<{ plugin: FastifyPluginAsync; prefix: string }>;
}

export interface RunningDashboard {
  url: string;
  stop(): Promise<void>;
}

/** Builds the app if needed, starts the live hub and feed and the server. */
export async function startDashboard(deps: DashboardDeps): Promise<RunningDashboard> {
  const { ensureDashboardBuilt } = await import('../../dashboard/server/build.ts');
  const { startDashboardServer } = await import('../../dashboard/server/server.ts');
  const { rateLimitFromEnv } = await import('../../dashboard/server/security.ts');
  const { createLiveHub } = await import('../../sinks/live/hub.ts');
  const { startLiveFeed } = await import('../../sinks/live/feed.ts');
  await ensureDashboardBuilt(deps.logger);
  const hub = createLiveHub({ logger: deps.logger });
  const feed = await startLiveFeed({ bus: deps.bus, codec: deps.codec, logger: deps.logger, metrics: deps.metrics, hub });
  let feedError: string | undefined;
  feed.done.catch((error: unknown) => {
    feedError = error instanceof Error ? error.message.split('\n')[0] : String(error);
  });
  let server;
  try {
    server = await startDashboardServer({
      port: deps.port ?? deps.env.PORT,
      host: deps.host ?? deps.env.HOST,
      queries: deps.queries,
      ...(deps.api ? { api: deps.api } : {}),
      ...(deps.auth ? { auth: deps.auth } : {}),
      ...(deps.extraRoutes ? { extraRoutes: deps.extraRoutes } : {}),
      rateLimit: rateLimitFromEnv(),
      live: hub,
      logger: deps.logger,
      metrics: deps.metrics,
      health: async () => ({
        ...(await deps.health()),
        liveFeed: feedError ? { up: false, kind: deps.bus.kind, error: `live updates stopped: ${feedError}` } : { up: true, kind: deps.bus.kind },
      }),
    });
  } catch (error) {
    await feed.stop();
    hub.close();
    throw error;
  }
  return {
    url: server.url,
    async stop() {
      await server.close();
      await feed.stop();
      hub.close();
    },
  };
}

export interface PipelineTailDeps {
  env: RuntimeEnv;
  logger: Logger;
  metrics: Metrics;
  bus: Bus;
  codec: Codec;
  /** Default: env.PORT (0 = any free port). */
  port?: number;
  /** The plant config's `sinks` section (retention, batching). Default: read from $LINEPULSE_CONFIG, else defaults. */
  sinksConfig?: SinksConfig;
  /** Environment the auth settings are read from (admin password, JWT key); false: no login (tests only). */
  authEnv?: Record<string, string | undefined> | false;
  extraRoutes?: DashboardDeps['extraRoutes'];
}

export interface PipelineTail {
  /** URL of the dashboard to open. */
  url: string;
  stores: Stores;
  sinks: Sinks;
  /** Stops the dashboard, then the sinks (writing what is waiting), then closes the stores. */
  stop(): Promise<void>;
}

/** For `linepulse start`: stores + sink writer + dashboard in this process, on the given bus. */
export async function startSinksAndDashboard(deps: PipelineTailDeps): Promise<PipelineTail> {
  const { openStores } = await import('../../sinks/stores.ts');
  const { startSinks } = await import('../../sinks/writer.ts');
  const { loadSinksConfig } = await import('./sinks.ts');
  const config = deps.sinksConfig ?? (await loadSinksConfig(deps.env.LINEPULSE_CONFIG));
  const stores = await openStores({ env: deps.env, logger: deps.logger, ...(config.retention ? { retention: config.retention } : {}) });
  let sinks: Sinks | undefined;
  try {
    sinks = await startSinks({
      bus: deps.bus,
      codec: deps.codec,
      logger: deps.logger,
      metrics: deps.metrics,
      clickhouse: stores.clickhouse,
      postgres: stores.postgres,
      ...config.batching,
    });
    const running = sinks;
    const api = (await import('../../sinks/queries.ts')).createProductionQueries(stores);
    const { authFromEnv } = await import('../../dashboard/server/auth/index.ts');
    const auth =
      deps.authEnv === false
        ? undefined
        : await authFromEnv({ env: deps.authEnv ?? process.env, db: stores.postgres, logger: deps.logger, alarmSource: async (id) => (await api.getAlarm(id))?.alarm.source ?? null });
    const dashboard = await startDashboard({
      ...deps,
      queries: stores.queries,
      api,
      ...(auth ? { auth } : {}),
      health: () => {
        const h = running.health();
        return { clickhouse: h.clickhouse, postgres: h.postgres };
      },
    });
    return {
      url: dashboard.url,
      stores,
      sinks: running,
      async stop() {
        await dashboard.stop();
        await running.stop();
        await stores.close();
      },
    };
  } catch (error) {
    await sinks?.stop().catch(() => undefined);
    await stores.close();
    throw error;
  }
}

async function runDashboard(options: DashboardCliOptions): Promise<void> {
  const { readEnv } = await import('../../platform/config/env.ts');
  const { createLogger } = await import('../../platform/log.ts');
  const { ConfigError, oneLine } = await import('../../platform/errors.ts');
  const { createCodec } = await import('../../platform/codec/factory.ts');
  const { createMetrics } = await import('../../platform/metrics.ts');
  const { openPostgres } = await import('../../sinks/postgres/db.ts');
  const { migratePostgres } = await import('../../sinks/postgres/migrate.ts');
  const { createPostgresQueries } = await import('../../sinks/postgres/repository.ts');
  const { createBus, loadSinksConfig } = await import('./sinks.ts');

  const env = readEnv();
  const logger = createLogger({ name: 'dashboard', level: env.LOG_LEVEL });
  // The embedded stores belong to the process that writes them (one engine per data directory per process).
  if (!env.KAFKA_BROKERS)
    throw new ConfigError('environment variable KAFKA_BROKERS', 'not set: a separate dashboard process reads live updates from Kafka (`linepulse start` runs everything in one process)');
  if (!env.DATABASE_URL)
    throw new ConfigError('environment variable DATABASE_URL', 'not set: a separate dashboard process reads PostgreSQL (embedded PGlite lives inside the process that writes it)');
  const config = await loadSinksConfig(options.config ?? env.LINEPULSE_CONFIG);
  const metrics = createMetrics({ defaultLabels: { process: 'dashboard' }, processMetrics: true });
  const codec = await createCodec({ env, logger });
  const bus = await createBus(env, logger);
  const postgres = await openPostgres({ url: env.DATABASE_URL, dataDir: env.dataDir, logger });
  await migratePostgres(postgres, logger);
  let queries: CountQueries & Partial<CountHistoryQueries> = createPostgresQueries(postgres);
  let clickhouse: ClickHouseStore | null = null;
  let api: ProductionQueries | undefined;
  if (env.CLICKHOUSE_URL) {
    const { openClickHouse } = await import('../../sinks/clickhouse/store.ts');
    const { createClickHouseQueries } = await import('../../sinks/clickhouse/queries.ts');
    const { createProductionQueries } = await import('../../sinks/queries.ts');
    // Read-only here: the sink process creates and migrates the tables; the retention only picks read resolutions.
    clickhouse = await openClickHouse({ url: env.CLICKHOUSE_URL, dataDir: env.dataDir, logger, ...(config.retention ? { retention: config.retention } : {}) });
    queries = { ...queries, countsOverRange: createClickHouseQueries(clickhouse).countsOverRange };
    api = createProductionQueries({ clickhouse, postgres });
  } else {
    logger.warn('CLICKHOUSE_URL not set: the dashboard serves live counts, health and current totals, not the /api history routes');
  }
  const probe = async (up: () => Promise<unknown>, kind: string) => {
    try {
      await up();
      return { up: true, kind };
    } catch (error) {
      return { up: false, kind, error: oneLine(error) };
    }
  };
  const { authFromEnv } = await import('../../dashboard/server/auth/index.ts');
  const alarmApi = api;
  const auth = await authFromEnv({
    db: postgres,
    logger,
    ...(alarmApi ? { alarmSource: async (id: string) => (await alarmApi.getAlarm(id))?.alarm.source ?? null } : {}),
  });
  const dashboard = await startDashboard({
    env,
    logger,
    metrics,
    bus,
    codec,
    queries,
    auth,
    ...(api ? { api } : {}),
    port: options.port,
    host: options.host,
    health: async () => ({
      postgres: await probe(() => postgres.query('SELECT 1'), postgres.kind),
      ...(clickhouse ? { clickhouse: await probe(async () => { if (!(await clickhouse?.ping())) throw new Error('no answer to SELECT 1'); }, clickhouse.kind) } : {}),
    }),
  });
  console.log(`linepulse dashboard: ${dashboard.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await dashboard.stop();
  await Promise.allSettled([postgres.close(), clickhouse?.close(), bus.close()]);
}

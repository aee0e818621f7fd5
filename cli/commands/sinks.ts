// `linepulse sinks`: the composition root of the sink process. Consumes the topics of sinks/routes.ts from
// Kafka and writes them to ClickHouse (CLICKHOUSE_URL, or embedded chDB under the data dir) and PostgreSQL
// (DATABASE_URL, or embedded PGlite), committing offsets only after the store write.
// `linepulse start` does the same in its single process through startSinksAndDashboard (./dashboard.ts).
import { InvalidArgumentError, type Command } from 'commander';
import type { Bus } from '../../platform/bus/port.ts';
import type { RuntimeEnv } from '../../platform/config/env.ts';
import type { Logger } from '../../platform/log.ts';
import type { SinksConfig } from '../../sinks/config.ts';
import type { ClickHouseStore } from '../../sinks/clickhouse/store.ts';

interface SinksCliOptions {
  metricsPort?: number;
  group?: string;
  config?: string;
}

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--metrics-port must be an integer 0..65535');
  return n;
};

export function registerSinks(program: Command): void {
  program
    .command('sinks')
    .description('Write derived events from Kafka to ClickHouse and PostgreSQL (batched, idempotent, commit after write)')
    .option('--metrics-port <port>', 'serve /metrics and /health on 127.0.0.1:<port>', port)
    .option('--group <id>', 'consumer group', 'linepulse-sinks')
    .option('--config <file>', 'plant config file (YAML or JSON); its `sinks` section: retention, batching (default: $LINEPULSE_CONFIG)')
    .action(async (options: SinksCliOptions) => runSinks(options));
}

async function runSinks(options: SinksCliOptions): Promise<void> {
  const { readEnv } = await import('../../platform/config/env.ts');
  const { createLogger } = await import('../../platform/log.ts');
  const { ConfigError } = await import('../../platform/errors.ts');
  const { createCodec } = await import('../../platform/codec/factory.ts');
  const { createMetrics } = await import('../../platform/metrics.ts');
  const { openStores } = await import('../../sinks/stores.ts');
  const { startSinks } = await import('../../sinks/writer.ts');

  const env = readEnv();
  const logger = createLogger({ name: 'sinks', level: env.LOG_LEVEL });
  if (!env.KAFKA_BROKERS)
    throw new ConfigError('environment variable KAFKA_BROKERS', 'not set: a separate sinks process reads Kafka (the embedded bus lives inside `linepulse start`)');
  const metrics = createMetrics({ defaultLabels: { process: 'sinks' }, processMetrics: true });
  const config = await loadSinksConfig(options.config ?? env.LINEPULSE_CONFIG);
  const codec = await createCodec({ env, logger });
  const bus = await createBus(env, logger);
  const stores = await openStores({ env, logger, ...(config.retention ? { retention: config.retention } : {}) });
  const clickhouse = await injectedOutage(stores.clickhouse, logger);
  const sinks = await startSinks({
    bus,
    codec,
    logger,
    metrics,
    clickhouse,
    postgres: stores.postgres,
    groupId: options.group,
    ...config.batching,
  });

  const { startProbeServer } = await import('../probe-server.ts');
  const probe =
    options.metricsPort === undefined
      ? null
      : await startProbeServer({
          port: options.metricsPort,
          metrics,
          health: () => {
            const health = sinks.health();
            return { ok: health.clickhouse.up && health.postgres.up, ...health };
          },
        });
  if (probe) console.error(`sinks metrics and health on ${probe.url}/metrics, /health, /ready`);
  console.error(
    `sinks running: ${bus.kind} -> ClickHouse (${stores.clickhouse.kind} ${stores.clickhouse.address}), PostgreSQL (${stores.postgres.kind} ${stores.postgres.address})`,
  );

  const failed = await new Promise<unknown>((resolve) => {
    process.once('SIGINT', () => resolve(null));
    process.once('SIGTERM', () => resolve(null));
    sinks.done.then(
      () => resolve(null),
      (error: unknown) => resolve(error),
    );
  });
  await probe?.close();
  await sinks.stop();
  await stores.close();
  await bus.close();
  if (failed) throw failed;
}

/**
 * The `sinks` section of a plant config file (retention, batching; sinks/config.ts), or every default without a
 * file. ConfigError names the file and the key.
 */
export async function loadSinksConfig(file: string | undefined): Promise<SinksConfig> {
  if (!file) return {};
  const { readPlantConfigFile } = await import('../plant-config.ts');
  const { parseSinksConfig } = await import('../../sinks/config.ts');
  return parseSinksConfig((await readPlantConfigFile(file)).sinks, file);
}

/**
 * Fault injection (test/reliability/): with LINEPULSE_FAULT_CLICKHOUSE_FILE set, ClickHouse is unavailable to the
 * writer while that file exists (sinks/clickhouse/outage.ts). Unset (always, outside that suite): the store itself.
 */
async function injectedOutage(store: ClickHouseStore, logger: Logger): Promise<ClickHouseStore> {
  const file = process.env.LINEPULSE_FAULT_CLICKHOUSE_FILE;
  if (!file) return store;
  const { existsSync } = await import('node:fs');
  const { withInjectedOutage } = await import('../../sinks/clickhouse/outage.ts');
  logger.warn({ file }, 'fault injection: ClickHouse is unavailable while this file exists');
  return withInjectedOutage(store, () => existsSync(file));
}

/** The bus of a separate process (Kafka; KAFKA_BROKERS is checked by the caller). */
export async function createBus(env: RuntimeEnv, logger: Logger): Promise<Bus> {
  const { createBus: create } = await import('../../platform/bus/factory.ts');
  return create({ env, logger });
}

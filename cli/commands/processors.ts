// `linepulse processors [--config file]`: the composition root of the processor process. Runs every registered core
// (processors/registry.ts) live over Kafka: one consumer group, changelog and set of transactional producers per
// core, exactly-once effect (docs/decisions/0003-exactly-once-and-state.md). Metrics on --metrics-port.
import type { Command } from 'commander';
import { integerOption } from '../options.ts';
import type { PlantConfigForProcessors } from '../../processors/registry.ts';

interface ProcessorsCliOptions {
  config?: string;
  processors?: string[];
  metricsPort?: number;
  commitIntervalMs?: number;
}

export function registerProcessors(program: Command): void {
  program
    .command('processors')
    .description('Run the stream processors (counts, alerts, ...) over Kafka with exactly-once effect')
    .option('--config <file>', 'plant config file (YAML or JSON) with `processors`, `calendars`, `states`, `input` sections (default: $LINEPULSE_CONFIG)')
    .option('--processors <names>', 'comma-separated subset of the processors to run (default: all)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--metrics-port <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics', (v: string) => Number(v))
    .option('--commit-interval-ms <ms>', 'shortest time between two transactions of a partition (default 100, as Kafka Streams under exactly-once; 0: one per fetched batch, lower latency at low rates, more broker load)', integerOption('--commit-interval-ms', 0, 60_000))
    .action(async (options: ProcessorsCliOptions) => {
      await runProcessors(options);
    });
}

/** Reads the plant config file (YAML or JSON) and returns the sections the processors use. */
export async function loadPlantConfigForProcessors(file: string): Promise<PlantConfigForProcessors> {
  const { readPlantConfigFile } = await import('../plant-config.ts');
  const { ConfigError } = await import('../../platform/errors.ts');
  const root = await readPlantConfigFile(file);
  if (root.processors !== undefined && (typeof root.processors !== 'object' || root.processors === null || Array.isArray(root.processors)))
    throw new ConfigError(`${file}: processors`, 'must be a mapping of processor name -> settings');
  return { processors: root.processors as Record<string, unknown> | undefined, calendars: root.calendars, states: root.states, input: root.input };
}

async function runProcessors(options: ProcessorsCliOptions): Promise<void> {
  const { readEnv } = await import('../../platform/config/env.ts');
  const { createLogger } = await import('../../platform/log.ts');
  const { ConfigError } = await import('../../platform/errors.ts');
  const { createCodec } = await import('../../platform/codec/factory.ts');
  const { createMetrics } = await import('../../platform/metrics.ts');
  const { startProcessors } = await import('../../processors/runtime/index.ts');
  const env = readEnv();
  const logger = createLogger({ name: 'processors', level: env.LOG_LEVEL });
  const file = options.config ?? env.LINEPULSE_CONFIG;
  const plant = file ? await loadPlantConfigForProcessors(file) : {};
  if (!env.KAFKA_BROKERS)
    throw new ConfigError('environment variable KAFKA_BROKERS', 'not set: a separate processors process runs over Kafka (the embedded bus lives inside `linepulse start`)');
  const codec = await createCodec({ env, logger });
  const { createBus } = await import('../../platform/bus/factory.ts');
  const bus = await createBus({ env, logger });
  const metrics = createMetrics({ defaultLabels: { process: 'processors' }, processMetrics: true });
  const running = await startProcessors({
    bus,
    codec,
    logger,
    metrics,
    plant,
    ...(options.processors ? { only: options.processors } : {}),
    ...(options.commitIntervalMs !== undefined ? { commitIntervalMs: options.commitIntervalMs } : {}),
  });

  const { startProbeServer } = await import('../probe-server.ts');
  const probe = options.metricsPort === undefined ? null : await startProbeServer({ port: options.metricsPort, metrics });
  if (probe) console.error(`processors metrics on ${probe.url}/metrics`);
  console.error(`processors running: ${running.processors.map((p) => p.name).join(', ')} on ${bus.kind}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await probe?.close();
  await running.stop();
  await bus.close();
}

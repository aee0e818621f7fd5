// `linepulse start`: the whole pipeline in one process, on embedded defaults — the composition root of the
// single-machine deployment (and what `npm start` runs):
//
//   plant simulator (OPC-UA machines, Sparkplug B sensors, GS1 scanners)
//     -> edge collectors -> outbox -> bus -> processors -> sinks (ClickHouse, PostgreSQL) -> dashboard
//
// Each part switches to the real service when its variable is set: KAFKA_BROKERS (bus), SCHEMA_REGISTRY_URL
// (codec), CLICKHOUSE_URL, DATABASE_URL (stores), MQTT_URL (broker for the Sparkplug sensors).
import type { Command } from 'commander';
import type { FastifyPluginAsync } from 'fastify';
import { integerOption as integer, portOption } from '../options.ts';

interface StartOptions {
  machines: number;
  seed: string;
  port?: number;
  config?: string;
  acceleration: number;
  timeZone: string;
  opcuaPort: number;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the whole pipeline in one process on embedded defaults (simulated plant included) and serve the dashboard')
    .option('--machines <n>', 'simulated machines', integer('--machines', 1, 500), 6)
    .option('--seed <seed>', 'simulator seed (same seed, same plant behaviour)', '42')
    .option('--acceleration <x>', 'simulated ms per wall ms', integer('--acceleration', 1, 3600), 1)
    .option('--port <port>', 'dashboard port (default: $PORT or 3000; 0 = any free port)', portOption('--port'))
    .option('--opcua-port <port>', 'simulator OPC-UA port (0 = any free port)', portOption('--opcua-port'), 0)
    .option('--time-zone <zone>', 'time zone of the demo shift calendar', Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC')
    .option('--config <file>', 'plant config file for the processors (default: derived from the simulated machines)')
    .action(async (options: StartOptions) => runStart(options));
}

async function runStart(options: StartOptions): Promise<void> {
  const started = performance.now();
  const { readEnv } = await import('../../platform/config/env.ts');
  const { createLogger } = await import('../../platform/log.ts');
  const { createMetrics } = await import('../../platform/metrics.ts');
  const { createBus } = await import('../../platform/bus/factory.ts');
  const { linepulseTopicSpecs } = await import('../../platform/bus/typed.ts');
  const { createCodec } = await import('../../platform/codec/factory.ts');
  const { startEmbeddedMqttBroker } = await import('../../platform/embedded-mqtt.ts');
  const { startPlantSimulator } = await import('../../edge/sim/index.ts');
  const { demoEdgeConfig } = await import('../../edge/sim/demo-config.ts');
  const { startEdge } = await import('../../edge/index.ts');
  const { startProcessors } = await import('../../processors/runtime/index.ts');
  const { loadPlantConfigForProcessors } = await import('./processors.ts');
  const { startSinksAndDashboard } = await import('./dashboard.ts');
  const { demoPlantConfig } = await import('../demo-plant.ts');
  const { followDispatch } = await import('../dispatch-follower.ts');
  const { ensureLocalSecrets } = await import('../local-secrets.ts');
  const { createTypedProducer } = await import('../../platform/bus/typed.ts');
  const { manualEntryRoutes } = await import('../../ingest/manual/index.ts');
  const { erpScheduleRoutes, startScheduleConsumer, erpIngestConfig } = await import('../../ingest/erp/index.ts');
  const { loadSinksConfig } = await import('./sinks.ts');
  const { ConfigError } = await import('../../platform/errors.ts');

  const env = readEnv();
  const logger = createLogger({ name: 'start', level: env.LOG_LEVEL });
  const metrics = createMetrics({ defaultLabels: { process: 'start' }, processMetrics: true });
  const stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  const stopAll = async () => {
    for (const { what, stop } of stops.reverse()) {
      await stop().catch((error: unknown) => logger.warn({ err: error }, `stopping ${what} failed`));
    }
    stops.length = 0;
  };

  try {
    const codec = await createCodec({ env, logger });
    const bus = await createBus({ env, logger });
    stops.push({ what: 'bus', stop: () => bus.close() });
    await bus.ensureTopics(linepulseTopicSpecs());

    let mqttUrl = env.MQTT_URL;
    if (!mqttUrl) {
      const broker = await startEmbeddedMqttBroker();
      stops.push({ what: 'embedded MQTT broker', stop: () => broker.close() });
      mqttUrl = broker.url;
    }

    const sim = await startPlantSimulator({
      machines: options.machines,
      seed: options.seed,
      port: options.opcuaPort,
      acceleration: options.acceleration,
      mqttUrl,
      scannerPort: 0,
      logger,
    });
    stops.push({ what: 'simulator', stop: () => sim.stop() });

    const plant = options.config ? await loadPlantConfigForProcessors(options.config) : demoPlantConfig(sim.machines, options.timeZone);
    const producer = await bus.producer();
    stops.push({ what: 'producer', stop: () => producer.close() });

    // Ingest gateways on the dashboard's port: manual measurements / SPC commands, and ERP schedules (B2MML).
    const characteristics = new Map(
      ((plant.processors?.spc as { characteristics?: Array<{ id: string; equipment: string; unit?: string | null }> } | undefined)?.characteristics ?? []).map((c) => [c.id, { equipment: c.equipment, unit: c.unit ?? null }]),
    );
    const extraRoutes: Array<{ plugin: FastifyPluginAsync; prefix: string }> = [
      { plugin: manualEntryRoutes({ publish: createTypedProducer({ producer, codec, logger }), logger, characteristics: (id) => characteristics.get(id) }), prefix: '/api' },
    ];
    try {
      const erp = await startScheduleConsumer({ bus, codec, logger, metrics, config: erpIngestConfig({}) });
      stops.push({ what: 'ERP schedule ingest', stop: () => erp.stop() });
      extraRoutes.push({ plugin: async (app) => app.register(erpScheduleRoutes, { ingest: erp.ingest }), prefix: '/api/erp' });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      logger.warn(`ERP schedule ingest is off: ${error.message}`);
    }

    // First run: a random admin password and JWT key under the data directory, unless the operator set them.
    const secrets = ensureLocalSecrets(env.dataDir);
    // Tail first, so the dashboard is there when the first events arrive.
    const tail = await startSinksAndDashboard({
      env,
      logger,
      metrics,
      bus,
      codec,
      authEnv: secrets.env,
      extraRoutes,
      sinksConfig: await loadSinksConfig(options.config ?? env.LINEPULSE_CONFIG),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    stops.push({ what: 'sinks and dashboard', stop: () => tail.stop() });
    // An accelerated simulator stamps events ahead of the wall clock: the future-timestamp check would refuse them.
    const input = options.acceleration > 1 ? { ...(plant.input as object | undefined), maxFutureSkewMs: Number.MAX_SAFE_INTEGER } : plant.input;
    const processors = await startProcessors({ bus, codec, logger, metrics, plant: { ...plant, input } });
    stops.push({ what: 'processors', stop: () => processors.stop() });

    const edge = await startEdge({
      config: demoEdgeConfig({
        machines: sim.machines.map((m) => m.id),
        endpointUrl: sim.endpointUrl,
        mqttUrl,
        scannerStations: sim.scanners?.stations.map((s) => ({ station: s.station, machineId: s.machineId, port: s.port })) ?? [],
      }),
      producer,
      codec,
      logger,
      metrics,
      dataDir: env.dataDir,
    });
    stops.push({ what: 'edge', stop: () => edge.stop() });
    const follower = await followDispatch({ bus, codec, edge, logger, metrics, deadLetterProducer: producer, groupId: 'linepulse-start-dispatch-follower' });
    stops.push({ what: 'dispatch follower', stop: () => follower.stop() });

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const services = [
      `bus ${bus.kind}`,
      `ClickHouse ${env.CLICKHOUSE_URL ? env.CLICKHOUSE_URL : 'chDB (embedded)'}`,
      `PostgreSQL ${env.DATABASE_URL ? 'server' : 'PGlite (embedded)'}`,
      `MQTT ${env.MQTT_URL ?? 'embedded'}`,
    ].join(', ');
    console.log(`linepulse is running (${options.machines} simulated machines; ${services}; data in ${env.dataDir}; started in ${seconds} s)`);
    console.log(`open ${tail.url}`);
    if (secrets.adminPasswordFile) console.log(`log in as admin with the password in ${secrets.adminPasswordFile}`);
  } catch (error) {
    await stopAll();
    throw error;
  }

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await stopAll();
}

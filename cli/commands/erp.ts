// `linepulse erp [--config file] [--http-port port]`: the composition root of ERP inbound. Consumes B2MML schedules
// from linepulse.erp.schedule.v1 and publishes WorkOrder events (ingest/erp); with --http-port it also serves the
// REST route POST /api/erp/schedules on 127.0.0.1. Config: section `erp` of the plant config file.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

interface ErpCliOptions {
  config?: string;
  httpPort?: number;
  metricsPort?: number;
  group?: string;
}

const port = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${flag} must be an integer 0..65535`);
  return n;
};

export function registerErp(program: Command): void {
  program
    .command('erp')
    .description('ERP inbound: B2MML OperationsSchedule / ProductionSchedule from Kafka (and REST) -> validated WorkOrder events')
    .option('--config <file>', 'plant config file (YAML or JSON) with an `erp` section (default: $LINEPULSE_CONFIG)')
    .option('--http-port <port>', 'also serve POST /api/erp/schedules on 127.0.0.1:<port>', port('--http-port'))
    .option('--metrics-port <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics', port('--metrics-port'))
    .option('--group <id>', 'consumer group', 'linepulse.erp-ingest')
    .action(async (options: ErpCliOptions) => runErp(options));
}

async function erpSection(file: string | undefined): Promise<unknown> {
  if (!file) return {};
  const { readPlantConfigFile } = await import('../plant-config.ts');
  return (await readPlantConfigFile(file)).erp ?? {};
}

async function runErp(options: ErpCliOptions): Promise<void> {
  const { readEnv } = await import('../../platform/config/env.ts');
  const { createLogger } = await import('../../platform/log.ts');
  const { ConfigError } = await import('../../platform/errors.ts');
  const { createCodec } = await import('../../platform/codec/factory.ts');
  const { createMetrics } = await import('../../platform/metrics.ts');
  const { createBus } = await import('../../platform/bus/factory.ts');
  const { erpIngestConfigSchema, startScheduleConsumer, erpScheduleRoutes } = await import('../../ingest/erp/index.ts');

  const env = readEnv();
  const logger = createLogger({ name: 'erp', level: env.LOG_LEVEL });
  const file = options.config ?? env.LINEPULSE_CONFIG;
  const parsed = erpIngestConfigSchema.safeParse(await erpSection(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`erp${issue?.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('') ?? ''}`, issue?.message ?? 'invalid');
  }
  if (!env.KAFKA_BROKERS) throw new ConfigError('environment variable KAFKA_BROKERS', 'not set: ERP inbound reads linepulse.erp.schedule.v1 from Kafka');
  const metrics = createMetrics({ defaultLabels: { process: 'erp' }, processMetrics: true });
  const codec = await createCodec({ env, logger });
  const bus = await createBus({ env, logger });
  const consumer = await startScheduleConsumer({ bus, codec, logger, metrics, config: parsed.data, groupId: options.group });

  const { default: fastify } = await import('fastify');
  const servers: Array<{ close(): Promise<unknown> }> = [];
  if (options.httpPort !== undefined) {
    const app = fastify({ bodyLimit: parsed.data.maxDocumentBytes });
    await app.register(erpScheduleRoutes, { prefix: '/api/erp', ingest: consumer.ingest, bodyLimit: parsed.data.maxDocumentBytes });
    await app.listen({ host: '127.0.0.1', port: options.httpPort });
    servers.push(app);
  }
  if (options.metricsPort !== undefined) {
    const app = fastify();
    app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
    await app.listen({ host: '127.0.0.1', port: options.metricsPort });
    servers.push(app);
  }
  console.error(`erp inbound running: ${bus.kind} ${consumer.ingest.xsd.dir}${options.httpPort !== undefined ? `, REST on http://127.0.0.1:${options.httpPort}/api/erp/schedules` : ''}`);

  const failed = await new Promise<unknown>((resolve) => {
    process.once('SIGINT', () => resolve(null));
    process.once('SIGTERM', () => resolve(null));
    consumer.done.then(
      () => resolve(null),
      (error: unknown) => resolve(error),
    );
  });
  for (const server of servers) await server.close().catch(() => undefined);
  await consumer.stop();
  await bus.close();
  if (failed) throw failed;
}

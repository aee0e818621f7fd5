// `linepulse edge`: the edge process (collectors -> outbox -> Kafka), and `linepulse edge browse <endpoint>`.
// Composition root: picks the bus and codec from the environment and hands them to edge/ as ports.
import type { Command } from 'commander';
import { integerOption as int, portOption } from '../options.ts';

interface EdgeRunOptions {
  config?: string;
  metricsPort?: number;
}

interface BrowseCommandOptions {
  depth: number;
  maxNodes: number;
  securityMode: 'None' | 'Sign' | 'SignAndEncrypt';
  user?: string;
  passwordEnv?: string;
  equipmentPrefix: string;
  id: string;
  trustServer?: boolean;
}

export function registerEdge(program: Command): void {
  const edge = program
    .command('edge')
    .description('Edge collectors (OPC-UA, MQTT/Sparkplug B, barcode scanners) with a durable outbox to Kafka')
    .option('--config <file>', 'plant config file (YAML) with an `edge:` section (default: $LINEPULSE_CONFIG)')
    .option('--metrics-port <port>', 'serve /metrics and /health on 127.0.0.1:<port>', portOption('--metrics-port'))
    .action(async (options: EdgeRunOptions) => runEdge(options));

  edge
    .command('browse <endpoint>')
    .description('Browse an OPC-UA server (depth-limited) and print a starter tag mapping (YAML) to edit')
    .option('--depth <n>', 'levels below the Objects folder', int('--depth', 1, 50), 6)
    .option('--max-nodes <n>', 'stop after this many nodes', int('--max-nodes', 1, 10_000_000), 200_000)
    .option('--security-mode <mode>', 'None | Sign | SignAndEncrypt (Basic256Sha256)', 'None')
    .option('--user <name>', 'user name token; the password comes from --password-env')
    .option('--password-env <var>', 'environment variable holding the password', 'OPCUA_PASSWORD')
    .option('--equipment-prefix <path>', 'ISA-95 prefix enterprise/site/area/line for the equipment paths', 'enterprise/site/area/line')
    .option('--id <id>', 'endpoint id in the mapping (source opcua:<id>)', 'plc1')
    .option('--trust-server', 'accept the server certificate without it being in the PKI trusted folder')
    .action(async (endpoint: string, options: BrowseCommandOptions) => runBrowse(endpoint, options));
}

async function runBrowse(endpoint: string, options: BrowseCommandOptions): Promise<void> {
  const { join } = await import('node:path');
  const { stringify } = await import('yaml');
  const { readEnv } = await import('../../platform/config/env.ts');
  const { ConfigError } = await import('../../platform/errors.ts');
  const { browseEndpoint, starterMapping } = await import('../../edge/opcua/browse.ts');
  if (!['None', 'Sign', 'SignAndEncrypt'].includes(options.securityMode)) throw new ConfigError('--security-mode', `must be None, Sign or SignAndEncrypt, got ${options.securityMode}`);
  const env = readEnv();
  let user: { username: string; password: string } | undefined;
  if (options.user) {
    const password = process.env[options.passwordEnv ?? 'OPCUA_PASSWORD'];
    if (password === undefined) throw new ConfigError(`environment variable ${options.passwordEnv}`, 'not set (password for --user)');
    user = { username: options.user, password };
  }
  const started = Date.now();
  const { nodes, truncated } = await browseEndpoint({
    endpoint,
    maxDepth: options.depth,
    maxNodes: options.maxNodes,
    securityMode: options.securityMode,
    user,
    pkiDir: join(env.dataDir, 'pki', 'opcua'),
    trustUnknownServerCertificate: options.trustServer,
    onProgress: (n) => {
      if (n % 10_000 < 200) process.stderr.write(`\rbrowsed ${n} nodes`);
    },
  });
  const variables = nodes.filter((n) => n.nodeClass === 'Variable').length;
  process.stderr.write(`\rbrowsed ${nodes.length} nodes (${variables} variables) in ${((Date.now() - started) / 1000).toFixed(1)} s${truncated ? `, stopped at --max-nodes ${options.maxNodes}` : ''}\n`);
  const mapping = starterMapping(nodes, { id: options.id, endpoint, equipmentPrefix: options.equipmentPrefix });
  process.stdout.write('# Starter mapping from `linepulse edge browse`: check every equipment path and role before use.\n');
  process.stdout.write(stringify({ edge: { opcua: [mapping] } }));
}

async function runEdge(options: EdgeRunOptions): Promise<void> {
  const { readEnv } = await import('../../platform/config/env.ts');
  const { createLogger } = await import('../../platform/log.ts');
  const { ConfigError } = await import('../../platform/errors.ts');
  const { createCodec } = await import('../../platform/codec/factory.ts');
  const { startEdge, loadEdgeConfig } = await import('../../edge/index.ts');
  const env = readEnv();
  const logger = createLogger({ name: 'edge', level: env.LOG_LEVEL });
  const file = options.config ?? env.LINEPULSE_CONFIG;
  if (!file) throw new ConfigError('--config', 'give the plant config file (or set LINEPULSE_CONFIG); `linepulse sim --config-out edge.yaml` writes one for the simulator');
  const config = await loadEdgeConfig(file);
  if (!env.KAFKA_BROKERS) throw new ConfigError('environment variable KAFKA_BROKERS', 'not set: a separate edge process forwards to Kafka (the embedded bus lives inside `linepulse start`)');
  const codec = await createCodec({ env, logger });
  const { createBus } = await import('../../platform/bus/factory.ts');
  const { linepulseTopicSpecs } = await import('../../platform/bus/typed.ts');
  const bus = await createBus({ env, logger });
  await bus.ensureTopics(linepulseTopicSpecs());
  const producer = await bus.producer();
  const { createMetrics } = await import('../../platform/metrics.ts');
  const metrics = createMetrics({ defaultLabels: { process: 'edge' }, processMetrics: true });
  const edge = await startEdge({ config, producer, codec, logger, metrics, dataDir: env.dataDir });
  // Scanner stations follow the work order dispatched to their equipment (one consumer group per edge host).
  const { followDispatch } = await import('../dispatch-follower.ts');
  const { hostname } = await import('node:os');
  const follower = await followDispatch({ bus, codec, edge, logger, metrics, deadLetterProducer: producer, groupId: `linepulse-edge-dispatch-${hostname()}` });
  const { startProbeServer } = await import('../probe-server.ts');
  const probe =
    options.metricsPort === undefined
      ? null
      : await startProbeServer({
          port: options.metricsPort,
          metrics,
          health: () => {
            const health = edge.health();
            return { ok: health.forwarding === 'ok', ...health };
          },
        });
  if (probe) console.error(`edge metrics and health on ${probe.url}/metrics, /health, /ready`);
  console.error(`edge running: ${config.opcua.length} OPC-UA endpoint(s), outbox ${config.outboxFile} in ${env.dataDir}`);
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
  await probe?.close();
  await follower.stop();
  await edge.stop();
  await producer.close();
  await bus.close();
}

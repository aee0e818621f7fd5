// `linepulse sim`: the plant simulator: OPC-UA machines, optionally Sparkplug B sensor nodes on MQTT (--mqtt) and
// GS1 scanner streams over TCP (--scanner-port). Runs until Ctrl-C. `--config-out` writes the matching edge config.
import type { Command } from 'commander';
import { integerOption as int, portOption, positiveNumberOption } from '../options.ts';

export interface SimCommandOptions {
  machines: number;
  seed: string;
  port: number;
  acceleration: number;
  mqtt?: string;
  scannerPort?: number;
  configOut?: string;
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Plant simulator: N machines on an OPC-UA server (127.0.0.1), deterministic for a seed')
    .option('--machines <n>', 'number of machines', int('--machines', 1, 500), 3)
    .option('--seed <seed>', 'random seed (number or text)', '1')
    .option('--port <port>', 'OPC-UA port (0: a free port)', portOption('--port'), 4840)
    .option('--acceleration <x>', 'simulated seconds per real second', positiveNumberOption('--acceleration'), 1)
    .option('--mqtt <url>', 'also publish Sparkplug B sensor nodes to this MQTT broker')
    .option('--scanner-port <port>', 'also serve GS1 scanner streams over TCP on this port', portOption('--scanner-port'))
    .option('--config-out <file>', 'write the matching edge config (YAML) to this file')
    .action(async (options: SimCommandOptions) => {
      const { readEnv } = await import('../../platform/config/env.ts');
      const { createLogger } = await import('../../platform/log.ts');
      const { join } = await import('node:path');
      const { stringify } = await import('yaml');
      const { startPlantSimulator } = await import('../../edge/sim/index.ts');
      const { demoEdgeConfig } = await import('../../edge/sim/demo-config.ts');
      const env = readEnv();
      const logger = createLogger({ name: 'sim', level: env.LOG_LEVEL });
      const seed = /^\d+$/.test(options.seed) ? Number(options.seed) : options.seed;
      const sim = await startPlantSimulator({
        machines: options.machines,
        seed,
        port: options.port,
        acceleration: options.acceleration,
        pkiDir: join(env.dataDir, 'pki', 'sim'),
        mqttUrl: options.mqtt,
        scannerPort: options.scannerPort,
        logger,
      });
      console.error(`plant simulator: ${sim.machines.length} machines at ${sim.endpointUrl} (seed ${String(seed)}, x${options.acceleration})`);
      if (sim.mqtt) console.error(`  Sparkplug B sensor nodes on ${sim.mqtt.url} (group ${sim.mqtt.groupId})`);
      for (const st of sim.scanners?.stations ?? []) console.error(`  scanner ${st.station} on tcp://127.0.0.1:${st.port}`);
      if (options.configOut) {
        const { writeFile } = await import('node:fs/promises');
        const config = demoEdgeConfig({ endpointUrl: sim.endpointUrl, machines: sim.machines.map((m) => m.id), mqttUrl: sim.mqtt?.url, scannerStations: sim.scanners?.stations });
        await writeFile(options.configOut, `# Edge config for \`linepulse sim\` (seed ${String(seed)}): linepulse edge --config ${options.configOut}\n${stringify({ edge: config })}`);
        console.error(`  edge config written to ${options.configOut}`);
      }
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sim.stop();
    });
}

// `linepulse stack up|down|status`: the real-service test stack (Kafka, PostgreSQL, Mosquitto, schema registry)
// on 127.0.0.1 without Docker. The stack module is imported only when the command runs.
import { InvalidArgumentError, type Command } from 'commander';
import { serviceNames as knownServices, type ServiceName as Service } from '../../compose/stack/types.ts';

function parseServices(value: string): Service[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names)
    if (!(knownServices as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown service "${name}" (known: ${knownServices.join(', ')})`);
  return names as Service[];
}

const servicesOption = ['--services <list>', `comma-separated subset of ${knownServices.join(',')} (default: all)`, parseServices] as const;

export function registerStack(program: Command): void {
  const stack = program.command('stack').description('Local real-service test stack on 127.0.0.1 (state in .stack/, see compose/README.md)');

  stack
    .command('up')
    .description('Start the services that are not running, wait until they answer, print the env to export')
    .option(...servicesOption)
    .action(async (options: { services?: Service[] }) => {
      const { stackUp } = await import('../../compose/stack/index.ts');
      const { createLogger } = await import('../../platform/log.ts');
      const started = Date.now();
      const result = await stackUp({ services: options.services, log: createLogger({ name: 'stack', level: process.env.LOG_LEVEL ?? 'warn' }) });
      const note = result.started.length > 0 ? `started ${result.started.join(', ')}` : 'already running';
      console.error(`stack up: ${note} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      for (const [name, value] of Object.entries(result.env)) console.log(`export ${name}=${value}`);
    });

  stack
    .command('down')
    .description('Stop the services the stack started')
    .option(...servicesOption)
    .action(async (options: { services?: Service[] }) => {
      const { stackDown } = await import('../../compose/stack/index.ts');
      const stopped = await stackDown({ services: options.services });
      console.log(`stack down: ${stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing was running'}`);
    });

  stack
    .command('status')
    .description('One line per service: state, address, pid, log file')
    .option(...servicesOption)
    .action(async (options: { services?: Service[] }) => {
      const { stackStatus } = await import('../../compose/stack/index.ts');
      for (const entry of await stackStatus({ services: options.services }))
        console.log(`${entry.service.padEnd(9)} ${entry.state.padEnd(13)} ${entry.address.padEnd(16)} ${entry.pid === undefined ? '-' : `pid ${entry.pid}`}  ${entry.log}`);
    });
}

// The `linepulse` CLI: one entry point for every process. Each command lives in cli/commands/<name>.ts,
// declares its options there, and imports its composition root only when it runs (start-up stays fast).
import { Command } from 'commander';
import { oneLine } from '../platform/errors.ts';
import { commands } from './commands/index.ts';

const program = new Command('linepulse')
  .description('Real-time production data platform: edge collectors, Kafka, OEE/SPC processors, sinks, live dashboard')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`linepulse: ${oneLine(error)}\n`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}

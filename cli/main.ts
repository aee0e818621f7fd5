// The `linepulse` CLI: one entry point for every process. Each command lives in cli/commands/<name>.ts,
// declares its options there, and imports its composition root only when it runs (start-up stays fast).
import { Command } from 'commander';
import { oneLine } from '../platform/errors.ts';
import { scrubber, secretValues } from '../platform/log.ts';
import { commands } from './commands/index.ts';

const program = new Command('linepulse')
  .description('Real-time production data platform: edge collectors, Kafka, OEE/SPC processors, sinks, live dashboard')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Scrubbed like every log line: an error may quote a connection string or a secret setting.
  const scrub = scrubber(secretValues(process.env));
  process.stderr.write(scrub(`linepulse: ${oneLine(error)}\n`));
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(scrub(`${error.stack}\n`));
  process.exit(1);
}

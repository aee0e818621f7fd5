// `linepulse replay <events.ndjson> [--config file]`: runs recorded events through every registered processor core
// with event-time semantics and prints the derived events as NDJSON on stdout (format: schemas/README.md). The same
// input and config give byte-identical output. A summary goes to stderr.
import { InvalidArgumentError, type Command } from 'commander';

interface ReplayCliOptions {
  config?: string;
  processors?: string[];
  until?: number;
  skipInvalid?: boolean;
}

function parseTime(value: string): number {
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new InvalidArgumentError('give epoch ms or an ISO 8601 time with offset, e.g. 2024-03-05T22:00:00+01:00');
  return t;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('Run recorded events (NDJSON, "-" for stdin) through the processors and print the derived events as NDJSON')
    .argument('<events>', 'NDJSON file of {"topic", "key"?, "value"} lines (see schemas/README.md), or - for stdin')
    .option('--config <file>', 'plant config file (YAML or JSON) with `processors`, `calendars`, `states` sections (default: $LINEPULSE_CONFIG)')
    .option('--processors <names>', 'comma-separated subset of the processors to run (default: all)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--until <time>', 'advance every watermark to this time at the end (epoch ms or ISO time): closes windows and timers before it', parseTime)
    .option('--skip-invalid', 'report invalid lines on stderr and go on, instead of stopping at the first one')
    .action(async (file: string, options: ReplayCliOptions) => {
      await runReplay(file, options);
    });
}

async function runReplay(file: string, options: ReplayCliOptions): Promise<void> {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const { loadPlantConfigForProcessors } = await import('./processors.ts');
  const { bindProcessors } = await import('../../processors/registry.ts');
  const { ReplaySession } = await import('../../processors/runtime/replay.ts');
  const { ConfigError } = await import('../../platform/errors.ts');

  const configFile = options.config ?? process.env.LINEPULSE_CONFIG;
  const plant = configFile ? await loadPlantConfigForProcessors(configFile) : {};
  const cores = bindProcessors(plant, options.processors);
  const session = new ReplaySession(cores, {
    until: options.until,
    skipInvalid: options.skipInvalid,
    onInvalid: (error) => process.stderr.write(`replay: skipped ${error.message}\n`),
  });

  if (file !== '-') {
    const { access } = await import('node:fs/promises');
    await access(file).catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(file, error.code === 'ENOENT' ? 'no such file' : error.message);
    });
  }
  const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  let lineNo = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) session.push(line, ++lineNo);
  const { lines, stats } = session.end();

  const out = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  await new Promise<void>((resolve, reject) => process.stdout.write(out, (error) => (error ? reject(error) : resolve())));
  process.stderr.write(
    `replay: ${stats.records} records (${stats.duplicates} duplicates, ${stats.late} late, ${stats.unused} for no processor${stats.invalidLines ? `, ${stats.invalidLines} invalid lines skipped` : ''}) -> ${stats.outputs} derived events by ${cores.map((c) => c.core.name).join(', ')}\n`,
  );
}

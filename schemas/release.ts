// `npm run schemas:release`: snapshots every changed contract as its next version in schemas/avro/history/,
// after checking that the change is BACKWARD compatible with every released version (nothing is written
// otherwise). `npm run schemas:release -- --check` only reports, and exits 1 when a release is pending or refused.
import { fileURLToPath } from 'node:url';
import { releaseSchemas } from './history.ts';

export function runRelease(args: readonly string[]): number {
  const check = args.includes('--check');
  try {
    const outcomes = releaseSchemas({ dryRun: check });
    const pending = outcomes.filter((o) => o.action === 'released');
    for (const o of outcomes)
      process.stdout.write(
        o.action === 'released'
          ? `${check ? 'pending ' : 'released'} ${o.name} v${o.version} (${o.file})\n`
          : `unchanged ${o.name} v${o.version}\n`,
      );
    if (check && pending.length > 0) {
      process.stdout.write(`${pending.length} contract(s) changed since their last release: run npm run schemas:release\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = runRelease(process.argv.slice(2));

// `linepulse spc evaluate --chart imr|xbar-r|xbar-s|p|u [--n 5] [--phase1 25] [--lsl x] [--usl y] [--rules 1,2,...]
// [--western-electric] [--constants table|exact] <file.csv|file.json>`: computes control limits, capability and rule
// hits for an offline dataset and prints them as JSON, so an engineer can check a dataset with the same code the
// live processor runs (processors/spc).
//
// Input formats: processors/spc/dataset.ts. Errors are one line (platform/errors.ts).
import { InvalidArgumentError, type Command } from 'commander';
import type { SpcEvaluateOptions } from '../../processors/spc/dataset.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a positive integer');
  return n;
}

function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('give a number');
  return n;
}

function ruleList(value: string): number[] {
  const rules = value.split(',').map((s) => Number(s.trim()));
  if (rules.some((r) => !Number.isInteger(r) || r < 1 || r > 8)) throw new InvalidArgumentError('give rule numbers 1..8, comma-separated');
  return rules;
}

export function registerSpc(program: Command): void {
  const spc = program.command('spc').description('Statistical process control tools');
  spc
    .command('evaluate')
    .description('Print control limits, capability and rule hits of an offline dataset as JSON')
    .argument('<file>', 'CSV (one value per row, subgroup rows, or count,size rows for p/u) or JSON (array of numbers or of arrays)')
    .requiredOption('--chart <type>', 'imr, xbar-r, xbar-s, p or u')
    .option('--n <size>', 'subgroup size for xbar-r / xbar-s (2..10; default 5), or the sample size when p/u rows hold counts only', positiveInt)
    .option('--phase1 <points>', 'points in the Phase I baseline (fewer: all of them)', positiveInt, 25)
    .option('--lsl <x>', 'lower specification limit', finiteNumber)
    .option('--usl <y>', 'upper specification limit', finiteNumber)
    .option('--rules <list>', 'rules to evaluate, comma-separated (default: all of the rule set)', ruleList)
    .option('--western-electric', 'use the Western Electric rules 1-4 instead of Nelson 1-8')
    .option('--constants <mode>', 'table (printed factors, textbook limits) or exact (full precision)', 'table')
    .action(async (file: string, options: SpcEvaluateOptions) => {
      const { readFile } = await import('node:fs/promises');
      const { ConfigError } = await import('../../platform/errors.ts');
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new ConfigError(file, error.code === 'ENOENT' ? 'no such file' : error.message);
      });
      const { evaluateDataset } = await import('../../processors/spc/dataset.ts');
      process.stdout.write(`${JSON.stringify(evaluateDataset(text, file, options), null, 2)}\n`);
    });
}


// Offline evaluation of a dataset (the `linepulse spc evaluate` command, cli/commands/spc.ts): parse CSV / JSON
// text, compute limits and capability with charts.ts, apply the rules with rules.ts. No I/O here.
//
// Input: CSV with one value per row, or one subgroup per row (n values), or `count,size` rows for p and u; a first
// row of names is a header; blank lines and lines starting with # are skipped. JSON: an array of numbers, an array of
// arrays (subgroups), or for p and u an array of [count, size] pairs or {count, size} objects.
import { ConfigError, MalformedInputError } from '../../platform/errors.ts';
import { analyse, type ChartData, type ChartSpec, type ChartType } from './charts.ts';
import type { ConstantsMode } from './constants.ts';
import { defaultSelection, evaluateSeries, normaliseSelection, type RuleSet } from './rules.ts';

export interface SpcEvaluateOptions {
  chart: string;
  n?: number;
  phase1: number;
  lsl?: number;
  usl?: number;
  rules?: number[];
  westernElectric?: boolean;
  constants: string;
}

const charts: Record<string, ChartType> = { imr: 'IMR', 'xbar-r': 'XBAR_R', 'xbar-s': 'XBAR_S', p: 'P', u: 'U' };

function parseNumber(token: string, where: string): number {
  const t = token.trim();
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) throw new MalformedInputError(`"${t}" is not a number`, where);
  return n;
}

/** Rows of numbers from CSV text (header and comment lines skipped). */
export function parseCsv(text: string, file: string): number[][] {
  const rows: number[][] = [];
  const lines = text.split(/\r?\n/);
  let header = false;
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const cells = trimmed.split(/[,;\t]/).map((c) => c.trim());
    while (cells.length > 1 && cells[cells.length - 1] === '') cells.pop();
    // a first row of names (no cell starting like a number) is a header
    if (rows.length === 0 && !header && cells.every((c) => !/^[-+]?(\d|\.\d)/.test(c))) {
      header = true;
      return;
    }
    rows.push(cells.map((c) => parseNumber(c, `${file} line ${i + 1}`)));
  });
  if (rows.length === 0) throw new MalformedInputError('no data rows', file);
  return rows;
}

/** Rows of numbers from JSON text: numbers become one-value rows; arrays stay rows; {count,size} objects become pairs. */
export function parseJson(text: string, file: string): number[][] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new MalformedInputError(`not valid JSON (${(error as Error).message})`, file);
  }
  if (!Array.isArray(data) || data.length === 0) throw new MalformedInputError('expected a non-empty JSON array', file);
  return data.map((item, i) => {
    const where = `${file} item ${i + 1}`;
    if (typeof item === 'number' && Number.isFinite(item)) return [item];
    if (Array.isArray(item) && item.length > 0 && item.every((v) => typeof v === 'number' && Number.isFinite(v))) return item as number[];
    if (item && typeof item === 'object' && 'count' in item && 'size' in item) {
      const { count, size } = item as { count: unknown; size: unknown };
      if (typeof count === 'number' && typeof size === 'number') return [count, size];
    }
    throw new MalformedInputError('expected a number, an array of numbers or {count, size}', where);
  });
}

/** Turns rows into chart data for the chosen chart. */
export function toChartData(rows: number[][], spec: ChartSpec, file: string, sampleSize?: number): ChartData {
  if (spec.chart === 'P' || spec.chart === 'U') {
    return {
      kind: 'attribute',
      samples: rows.map((r, i) => {
        if (r.length === 2) return { count: r[0]!, size: r[1]! };
        if (r.length === 1 && sampleSize !== undefined) return { count: r[0]!, size: sampleSize };
        throw new MalformedInputError(`${spec.chart.toLowerCase()} chart rows are count,size (or counts with --n)`, `${file} row ${i + 1}`);
      }),
    };
  }
  if (spec.chart === 'IMR') {
    const bad = rows.findIndex((r) => r.length !== 1);
    if (bad >= 0) throw new MalformedInputError(`imr takes one value per row, found ${rows[bad]!.length}`, `${file} row ${bad + 1}`);
    return { kind: 'variables', subgroups: rows };
  }
  const n = spec.subgroupSize;
  if (rows.every((r) => r.length === 1)) {
    const values = rows.map((r) => r[0]!);
    if (values.length % n !== 0) throw new MalformedInputError(`${values.length} values do not split into subgroups of ${n}`, file);
    return { kind: 'variables', subgroups: Array.from({ length: values.length / n }, (_, i) => values.slice(i * n, (i + 1) * n)) };
  }
  const bad = rows.findIndex((r) => r.length !== n);
  if (bad >= 0) throw new MalformedInputError(`subgroup of ${rows[bad]!.length} values, expected ${n} (--n)`, `${file} row ${bad + 1}`);
  return { kind: 'variables', subgroups: rows };
}

/** The whole command minus I/O: parse, compute, evaluate the rules. */
export function evaluateDataset(text: string, file: string, options: SpcEvaluateOptions) {
  const chart = charts[options.chart.toLowerCase()];
  if (!chart) throw new ConfigError('--chart', `must be one of ${Object.keys(charts).join(', ')}, got ${options.chart}`);
  const constants = options.constants.toUpperCase() as ConstantsMode;
  if (constants !== 'TABLE' && constants !== 'EXACT') throw new ConfigError('--constants', `must be table or exact, got ${options.constants}`);
  const xbar = chart === 'XBAR_R' || chart === 'XBAR_S';
  const spec: ChartSpec = { chart, subgroupSize: xbar ? (options.n ?? 5) : 1, constants };
  if (xbar && (spec.subgroupSize < 2 || spec.subgroupSize > 10)) throw new ConfigError('--n', `must be 2..10 for ${options.chart}, got ${spec.subgroupSize}`);
  const ruleSet: RuleSet = options.westernElectric ? 'WESTERN_ELECTRIC' : 'NELSON';
  let selection;
  try {
    selection = normaliseSelection({ ruleSet, rules: options.rules ?? defaultSelection(ruleSet).rules });
  } catch (error) {
    throw new ConfigError('--rules', (error as Error).message);
  }

  const json = file.toLowerCase().endsWith('.json') || /^\s*\[/.test(text);
  const rows = json ? parseJson(text, file) : parseCsv(text, file);
  const data = toChartData(rows, spec, file, chart === 'P' || chart === 'U' ? options.n : undefined);
  let analysis;
  try {
    analysis = analyse(spec, data, { phase1: options.phase1, specLimits: { lsl: options.lsl ?? null, usl: options.usl ?? null } });
  } catch (error) {
    if (error instanceof RangeError) throw new MalformedInputError(error.message, file);
    throw error;
  }
  const result = evaluateSeries(analysis.points.map((p) => p.statistic), analysis.points.map((p) => p.limits.zones), selection);
  const l = analysis.limits;
  return {
    chart: options.chart.toLowerCase(),
    constants: constants.toLowerCase(),
    subgroupSize: l.subgroupSize,
    ruleSet,
    rules: selection.rules,
    phase1: { points: analysis.baseline.points, samples: l.basis?.samples ?? null },
    limits: {
      center: l.center,
      ucl: l.ucl,
      lcl: l.lcl,
      sigma: l.sigma,
      sigmaWithin: l.sigmaWithin,
      dispersion: l.dispersion,
      note: chart === 'P' || chart === 'U' ? 'per-point limits (they depend on each sample size): see points[].ucl / lcl' : undefined,
    },
    capability: analysis.capability,
    points: analysis.points.map((p, i) => ({
      index: p.index,
      phase: p.phase,
      statistic: p.statistic,
      dispersion: p.dispersion,
      size: p.size,
      ucl: p.limits.ucl,
      lcl: p.limits.lcl,
      rules: result.points[i]!.rules,
      label: result.points[i]!.label,
      dispersionOut: p.dispersionOut,
    })),
    hits: result.hits.map((h) => ({ rule: h.rule, index: h.index, direction: h.direction, pointIndexes: h.pointIndexes, values: h.values, description: h.description })),
  };
}

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addToBaseline,
  analyse,
  attributePoint,
  capability,
  emptyBaseline,
  enterFixedLimits,
  establishLimits,
  limitsForPoint,
  recomputeLimits,
  variablesPoint,
  type Analysis,
  type ChartData,
  type ChartSpec,
  type ChartType,
} from './charts.ts';
import type { ConstantsMode } from './constants.ts';
import { evaluateSeries, type RuleSet } from './rules.ts';

interface Tolerance {
  value: number;
  tolerance: number;
}

interface Expected {
  center?: Tolerance;
  ucl?: Tolerance;
  lcl?: Tolerance;
  sigmaWithin?: Tolerance;
  dispersionCenter?: Tolerance;
  dispersionUcl?: Tolerance;
  dispersionLcl?: Tolerance;
  capability?: Record<string, Tolerance>;
  perPoint?: Array<{ index: number; ucl: Tolerance; lcl: Tolerance }>;
  ruleSet?: RuleSet;
  hits?: Record<string, number[]>;
  points?: Record<string, number[]>;
  dispersionOut?: number[];
}

interface ChartVector {
  title: string;
  source: Record<string, string>;
  chart: ChartType;
  subgroupSize: number;
  constants: ConstantsMode;
  phase1: number;
  specLimits?: { lsl?: number; usl?: number };
  data: { subgroups?: number[][]; values?: number[]; samples?: Array<{ count: number; size: number }> };
  expected: Expected;
  alsoAs?: Array<{ name?: string; chart?: ChartType; constants?: ConstantsMode; phase1?: number; removeIndexes?: number[]; source?: string; expected: Expected }>;
}

const dir = new URL('./vectors/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('rules-'));

interface Case {
  name: string;
  spec: ChartSpec;
  data: ChartData;
  phase1: number;
  specLimits?: { lsl?: number; usl?: number };
  expected: Expected;
}

function toData(v: ChartVector['data'], remove: number[] = []): ChartData {
  const keep = <T,>(xs: T[]) => xs.filter((_, i) => !remove.includes(i + 1));
  if (v.samples) return { kind: 'attribute', samples: keep(v.samples) };
  if (v.subgroups) return { kind: 'variables', subgroups: keep(v.subgroups) };
  return { kind: 'variables', subgroups: keep(v.values!).map((x) => [x]) };
}

const cases: Case[] = files.flatMap((file) => {
  const v = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as ChartVector;
  expect(v.source.publication).toBeTruthy();
  const base: Case = { name: `${file}: ${v.title}`, spec: { chart: v.chart, subgroupSize: v.subgroupSize, constants: v.constants }, data: toData(v.data), phase1: v.phase1, specLimits: v.specLimits, expected: v.expected };
  const more = (v.alsoAs ?? []).map((a) => ({
    name: `${file}: ${a.name ?? `as ${a.chart ?? v.chart} ${a.constants ?? v.constants}`}`,
    spec: { chart: a.chart ?? v.chart, subgroupSize: v.subgroupSize, constants: a.constants ?? v.constants },
    data: toData(v.data, a.removeIndexes),
    phase1: a.phase1 ?? v.phase1,
    specLimits: v.specLimits,
    expected: a.expected,
  }));
  return [base, ...more];
});

function near(actual: number | null | undefined, t: Tolerance | undefined, what: string): void {
  if (!t) return;
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - t.value), `${what}: ${actual} vs published ${t.value} +/- ${t.tolerance}`).toBeLessThanOrEqual(t.tolerance + 1e-15);
}

function check(a: Analysis, e: Expected): void {
  const first = a.points[0]!.limits;
  near(a.limits.center, e.center, 'center');
  near(first.ucl, e.ucl, 'ucl');
  near(first.lcl, e.lcl, 'lcl');
  near(a.limits.sigmaWithin, e.sigmaWithin, 'sigma within');
  near(a.limits.dispersion?.center, e.dispersionCenter, 'dispersion center');
  near(a.limits.dispersion?.ucl, e.dispersionUcl, 'dispersion ucl');
  near(a.limits.dispersion?.lcl, e.dispersionLcl, 'dispersion lcl');
  for (const [name, t] of Object.entries(e.capability ?? {})) near((a.capability as unknown as Record<string, { value: number } | null>)?.[name]?.value, t, name);
  for (const p of e.perPoint ?? []) {
    near(a.points[p.index - 1]!.limits.ucl, p.ucl, `ucl of point ${p.index}`);
    near(a.points[p.index - 1]!.limits.lcl, p.lcl, `lcl of point ${p.index}`);
  }
  if (e.hits) {
    const ruleSet = e.ruleSet ?? 'NELSON';
    const rules = ruleSet === 'NELSON' ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2, 3, 4];
    const result = evaluateSeries(a.points.map((p) => p.statistic), a.points.map((p) => p.limits.zones), { ruleSet, rules });
    for (const rule of rules) expect(result.hits.filter((h) => h.rule === rule).map((h) => h.index), `rule ${rule}`).toEqual(e.hits[String(rule)] ?? []);
    for (const [key, points] of Object.entries(e.points ?? {})) {
      const [rule, index] = key.split('@').map(Number);
      expect(result.hits.find((h) => h.rule === rule && h.index === index)?.pointIndexes, key).toEqual(points);
    }
  }
  if (e.dispersionOut) expect(a.points.filter((p) => p.dispersionOut).map((p) => p.index)).toEqual(e.dispersionOut);
}

describe('SPC > charts > published vectors', () => {
  it('found the vector files', () => expect(files.length).toBeGreaterThanOrEqual(6));
  it.each(cases)('$name', (c) => {
    check(analyse(c.spec, c.data, { phase1: c.phase1, specLimits: c.specLimits }), c.expected);
  });
});

describe('SPC > charts > statistics', () => {
  const xbarR: ChartSpec = { chart: 'XBAR_R', subgroupSize: 5, constants: 'TABLE' };
  it('X-bar/R point: mean and range; X-bar/S: mean and sample standard deviation', () => {
    expect(variablesPoint(xbarR, [1, 2, 3, 4, 5])).toEqual({ statistic: 3, dispersion: 4, size: 5 });
    expect(variablesPoint({ ...xbarR, chart: 'XBAR_S' }, [1, 2, 3, 4, 5]).dispersion).toBeCloseTo(Math.sqrt(2.5), 15);
    expect(() => variablesPoint(xbarR, [1, 2, 3])).toThrow('needs 5 values');
    expect(() => variablesPoint(xbarR, [1, 2, 3, 4, Number.NaN])).toThrow(RangeError);
  });
  it('I-MR point: moving range from the previous individual', () => {
    const imr: ChartSpec = { chart: 'IMR', subgroupSize: 1, constants: 'TABLE' };
    expect(variablesPoint(imr, [5])).toEqual({ statistic: 5, dispersion: null, size: 1 });
    expect(variablesPoint(imr, [5], 7.5)).toEqual({ statistic: 5, dispersion: 2.5, size: 1 });
  });
  it('p and u points', () => {
    expect(attributePoint({ chart: 'P', subgroupSize: 1, constants: 'TABLE' }, 3, 50).statistic).toBe(0.06);
    expect(() => attributePoint({ chart: 'P', subgroupSize: 1, constants: 'TABLE' }, 51, 50)).toThrow(RangeError);
    expect(() => attributePoint({ chart: 'U', subgroupSize: 1, constants: 'TABLE' }, 1, 0)).toThrow(RangeError);
  });
  it('rejects subgroup sizes outside 2..10 for X-bar charts', () => {
    expect(() => analyse({ chart: 'XBAR_R', subgroupSize: 11, constants: 'TABLE' }, { kind: 'variables', subgroups: [[1]] })).toThrow('2..10');
    expect(() => analyse({ chart: 'XBAR_S', subgroupSize: 1, constants: 'TABLE' }, { kind: 'variables', subgroups: [[1]] })).toThrow('2..10');
  });
});

describe('SPC > charts > limits lifecycle', () => {
  const spec: ChartSpec = { chart: 'XBAR_R', subgroupSize: 2, constants: 'TABLE' };
  const baseline = [[1, 3], [2, 2], [3, 5]].reduce((s, v, i) => addToBaseline(s, spec, i + 1, variablesPoint(spec, v), v), emptyBaseline);
  const request = { characteristic: 'bore-diameter', who: 'j.doe', when: 1_700_000_000_000, why: 'new tooling' };

  it('establishes Phase I limits as version 1 with an audit record', () => {
    const { limits, audit } = establishLimits(spec, baseline, { ...request, who: 'spc-processor', why: 'phase I baseline complete' });
    expect(limits).toMatchObject({ version: 1, source: 'PHASE1', center: 16 / 6 });
    // R-bar = (2 + 0 + 2) / 3; UCL = x-double-bar + A2 R-bar with A2(2) = 1.880
    expect(limits.ucl).toBeCloseTo(16 / 6 + 1.88 * (4 / 3), 14);
    expect(limits.sigma! * 3).toBeCloseTo(1.88 * (4 / 3), 14);
    expect(audit).toMatchObject({ action: 'ESTABLISHED', fromVersion: null, toVersion: 1, old: null });
  });

  it('recomputes only on a request naming who, when and why: version + 1, old and new in the audit', () => {
    const { limits: v1 } = establishLimits(spec, baseline, request);
    const other = [[10, 12]].reduce((s, v, i) => addToBaseline(s, spec, i + 30, variablesPoint(spec, v), v), emptyBaseline);
    const { limits: v2, audit } = recomputeLimits(v1, spec, other, request);
    expect(v2).toMatchObject({ version: 2, source: 'RECOMPUTED', center: 11 });
    expect(audit).toMatchObject({ action: 'RECOMPUTED', fromVersion: 1, toVersion: 2, who: 'j.doe', when: request.when, why: 'new tooling', old: v1, new: v2 });
    expect(() => recomputeLimits(v1, spec, other, { ...request, who: ' ' })).toThrow('who');
    expect(() => recomputeLimits(v1, spec, other, { ...request, why: '' })).toThrow('reason');
  });

  it('takes fixed limits from an engineer: sigma defaults to (UCL - LCL) / 6', () => {
    const { limits, audit } = enterFixedLimits(null, spec, { center: 10, ucl: 13, lcl: 7 }, request);
    expect(limits).toMatchObject({ version: 1, source: 'FIXED', sigma: 1, basis: null });
    expect(audit).toMatchObject({ action: 'FIXED', fromVersion: null, toVersion: 1 });
    const next = enterFixedLimits(limits, spec, { center: 10, ucl: 12, lcl: 8, sigma: 0.5 }, request);
    expect(next.limits.version).toBe(2);
    expect(() => enterFixedLimits(null, spec, { center: 10, ucl: 9, lcl: 7 }, request)).toThrow(RangeError);
  });

  it('p chart: per-point limits from the sample size, LCL floored at 0', () => {
    const p: ChartSpec = { chart: 'P', subgroupSize: 1, constants: 'TABLE' };
    const stats = [[1, 20], [3, 20]].reduce((s, [c, n], i) => addToBaseline(s, p, i + 1, attributePoint(p, c!, n!), []), emptyBaseline);
    const { limits } = establishLimits(p, stats, request);
    expect(limits.center).toBe(0.1);
    const at10 = limitsForPoint(limits, 10);
    expect(at10.sigma).toBeCloseTo(Math.sqrt(0.009), 15);
    expect(at10.lcl).toBe(0);
    expect(limitsForPoint(limits, 1000).lcl).toBeCloseTo(0.1 - 3 * Math.sqrt(0.09 / 1000), 15);
  });
});

describe('SPC > charts > capability', () => {
  const spec: ChartSpec = { chart: 'IMR', subgroupSize: 1, constants: 'TABLE' };
  const values = [10, 12, 11, 13, 12, 11];
  const a = analyse(spec, { kind: 'variables', subgroups: values.map((v) => [v]) });
  it('two-sided: Cp, Cpk from sigma within (MR-bar / 1.128), Pp, Ppk from the sample standard deviation, with sample counts', () => {
    const c = capability(a.limits, a.baseline.moments, { lsl: 8, usl: 16 })!;
    const within = (2 + 1 + 2 + 1 + 1) / 5 / 1.128;
    const mean = 69 / 6;
    const overall = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / 5);
    expect(c.cp!.value).toBeCloseTo(8 / (6 * within), 12);
    expect(c.cpk!.value).toBeCloseTo(Math.min(16 - mean, mean - 8) / (3 * within), 12);
    expect(c.pp!.value).toBeCloseTo(8 / (6 * overall), 12);
    expect(c.ppk!.value).toBeCloseTo(Math.min(16 - mean, mean - 8) / (3 * overall), 12);
    expect(c.cp!.samples).toBe(6);
    expect(c.withinMethod).toBe('MRBAR_D2');
  });
  it('one-sided specs: no Cp/Pp, Cpk = the one-sided index', () => {
    const upper = capability(a.limits, a.baseline.moments, { usl: 16 })!;
    expect(upper.cp).toBeNull();
    expect(upper.pp).toBeNull();
    expect(upper.cpl).toBeNull();
    expect(upper.cpk).toEqual(upper.cpu);
    const lower = capability(a.limits, a.baseline.moments, { lsl: 8 })!;
    expect(lower.ppk).toEqual(lower.ppl);
    expect(capability(a.limits, a.baseline.moments, {})).toBeNull();
    expect(() => capability(a.limits, a.baseline.moments, { lsl: 5, usl: 4 })).toThrow(RangeError);
  });
});

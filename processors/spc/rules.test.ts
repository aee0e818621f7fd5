import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  classify,
  defaultSelection,
  emptyWindow,
  evaluateSeries,
  normaliseSelection,
  pushPoint,
  windowSize,
  zoneLines,
  type RuleLimits,
  type RuleSet,
} from './rules.ts';

interface RuleCase {
  name: string;
  ruleSet?: RuleSet;
  rules?: number[];
  limits?: RuleLimits;
  values: number[];
  /** Rule number -> indexes (1-based) of every point the rule signals on. Selected rules not listed: none. */
  expected: Record<string, number[]>;
  expectedLabels?: Array<number | null>;
  /** "rule@index" -> the pattern's point indexes. */
  expectedPoints?: Record<string, number[]>;
  expectedDirections?: Record<string, 'UP' | 'DOWN'>;
}

interface RuleVectorFile {
  title: string;
  source: Record<string, string>;
  defaults?: { ruleSet?: RuleSet; limits?: RuleLimits };
  cases: RuleCase[];
}

function load(name: string): Array<RuleCase & { file: string }> {
  const file = JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as RuleVectorFile;
  expect(file.source).toBeTruthy();
  return file.cases.map((c) => ({ ...c, ruleSet: c.ruleSet ?? file.defaults?.ruleSet, limits: c.limits ?? file.defaults?.limits, file: name }));
}

const cases = [...load('rules-qcc.json'), ...load('rules-conventions.json')];

describe('SPC > rules > vectors', () => {
  it.each(cases)('$file: $name', (c) => {
    const ruleSet = c.ruleSet ?? 'NELSON';
    const selection = { ruleSet, rules: c.rules ?? defaultSelection(ruleSet).rules };
    const result = evaluateSeries(c.values, zoneLines(c.limits!), selection);
    for (const rule of selection.rules) {
      const signalled = result.hits.filter((h) => h.rule === rule).map((h) => h.index);
      expect(signalled, `rule ${rule}`).toEqual(c.expected[String(rule)] ?? []);
    }
    if (c.expectedLabels) expect(result.points.map((p) => p.label)).toEqual(c.expectedLabels);
    for (const [key, points] of Object.entries(c.expectedPoints ?? {})) {
      const [rule, index] = key.split('@').map(Number);
      const hit = result.hits.find((h) => h.rule === rule && h.index === index);
      expect(hit?.pointIndexes, key).toEqual(points);
      expect(hit?.values).toEqual(points.map((i) => c.values[i - 1]));
    }
    for (const [key, direction] of Object.entries(c.expectedDirections ?? {})) {
      const [rule, index] = key.split('@').map(Number);
      expect(result.hits.find((h) => h.rule === rule && h.index === index)?.direction, key).toBe(direction);
    }
  });
});

describe('SPC > rules > behaviour', () => {
  const zones = zoneLines({ center: 0, sigma: 1, ucl: 3, lcl: -3 });

  it('computes zone lines once, as centre +/- k sigma', () => {
    expect(zones).toEqual({ center: 0, ucl: 3, lcl: -3, upper2: 2, upper1: 1, lower1: -1, lower2: -2 });
    expect(Object.isFrozen(zones)).toBe(true);
    expect(() => zoneLines({ center: 0, sigma: -1, ucl: 3, lcl: -3 })).toThrow(RangeError);
    expect(() => zoneLines({ center: 0, sigma: 1, ucl: -3, lcl: 3 })).toThrow(RangeError);
  });

  it('classifies a point once against the zone lines', () => {
    expect(classify(7, 1, zones)).toEqual({ index: 7, value: 1, side: 1, out3: 0, out2: 0, out1: 0 });
    expect(classify(8, -2.5, zones)).toEqual({ index: 8, value: -2.5, side: -1, out3: 0, out2: -1, out1: -1 });
    expect(classify(9, 0, zones).side).toBe(0);
    expect(() => classify(1, Number.NaN, zones)).toThrow(RangeError);
  });

  it('keeps a bounded window: 15 points for all Nelson rules, 8 for Western Electric', () => {
    expect(windowSize(defaultSelection('NELSON'))).toBe(15);
    expect(windowSize(defaultSelection('WESTERN_ELECTRIC'))).toBe(8);
    expect(windowSize({ ruleSet: 'NELSON', rules: [1, 5] })).toBe(3);
    let window = emptyWindow;
    for (let i = 1; i <= 40; i++) window = pushPoint(window, classify(i, i % 3, zones), defaultSelection()).window;
    expect(window.points).toHaveLength(15);
    expect(window.points[0]!.index).toBe(26);
    expect(JSON.parse(JSON.stringify(window))).toEqual(window);
  });

  it('validates selections', () => {
    expect(normaliseSelection({ ruleSet: 'NELSON', rules: [5, 1, 5] }).rules).toEqual([1, 5]);
    expect(() => normaliseSelection({ ruleSet: 'WESTERN_ELECTRIC', rules: [5] })).toThrow('WESTERN_ELECTRIC has no rule 5');
    expect(() => normaliseSelection({ ruleSet: 'NELSON', rules: [9] })).toThrow(RangeError);
  });

  it('evaluates variable-n charts with one set of zone lines per point', () => {
    const perPoint = [zoneLines({ center: 0, sigma: 1, ucl: 3, lcl: -3 }), zoneLines({ center: 0, sigma: 2, ucl: 6, lcl: -6 })];
    const result = evaluateSeries([3.5, 3.5], perPoint, { ruleSet: 'NELSON', rules: [1] });
    expect(result.hits.map((h) => h.index)).toEqual([1]);
  });

  it('describes a hit for the alarm', () => {
    const { hits } = evaluateSeries([0, 2.5, 2.5], zones, { ruleSet: 'NELSON', rules: [5] });
    expect(hits[0]!.description).toBe('Nelson rule 5: 2 of 3 points in a row beyond 2 sigma on the same side (above)');
  });
});

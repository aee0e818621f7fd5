import { describe, expect, it } from 'vitest';
import { capability, chartSummary, downsamplePoints, limitSteps, spcChartOption, type ChartColors, type SpcChart, type SpcChartPointView, type SpcLimitsView } from './spc-chart.ts';

const colors: ChartColors = { text: '#000', muted: '#666', grid: '#ddd', line: '#036', center: '#090', limit: '#c00', zoneA: 'rgba(1,1,1,.1)', zoneB: 'rgba(1,1,1,.05)', hit: '#f00', surface: '#fff' };

function limits(version: number, fromIndex: number, center = 10): SpcLimitsView {
  return {
    version, center, ucl: center + 3, lcl: center - 3, sigma: 1, fromIndex, source: 'PHASE1', subgroupSize: 4,
    zones: { upper2Sigma: center + 2, upper1Sigma: center + 1, lower1Sigma: center - 1, lower2Sigma: center - 2 },
    dispersion: { center: 2, ucl: 4.5, lcl: 0 },
  };
}

/** n points of a noisy sine with a rule-1 hit every 997th point. */
function chart(n: number): SpcChart {
  const points: SpcChartPointView[] = [];
  for (let i = 1; i <= n; i += 1) {
    const hit = i % 997 === 0;
    const statistic = hit ? 14 : 10 + Math.sin(i / 50) + ((i * 7919) % 13) / 26 - 0.25;
    points.push({ index: i, t: i * 1000, statistic, dispersion: 2 + ((i * 31) % 7) / 7, rules: hit ? [1] : [], dispersionOutOfLimits: false, limitsVersion: i < n / 2 ? 1 : 2, zone: hit ? 'OUT' : 'C', workOrder: null });
  }
  return { characteristic: 'bore-diameter', equipment: 'acme/p/a/l/c/e', chart: 'XBAR_R', totalPoints: n, downsampled: false, points, limits: [limits(1, 1), limits(2, n / 2, 10.5)], hits: [] };
}

describe('spc chart > option builder', () => {
  it('> 10k points: an LTTB series of the asked size that keeps every rule hit, with limits, zones and labels', () => {
    const c = chart(10_000);
    const option = spcChartOption({ chart: c, colors, maxPoints: 1_500 });
    const series = option.series as Array<{ name: string; data: unknown[]; markArea?: { data: unknown[] } }>;
    const stat = series[0]!;
    expect(stat.data.length).toBeGreaterThanOrEqual(1_500);
    expect(stat.data.length).toBeLessThanOrEqual(1_500 + 10);
    const hits = series.find((s) => s.name === 'Rule hits')!;
    expect(hits.data).toHaveLength(10); // 997, 1994, ... 9970
    expect(series.map((s) => s.name)).toEqual(['X̄ (subgroup mean)', 'UCL', 'CL', 'LCL', 'Rule hits', 'Range', 'UCL (dispersion)', 'CL (dispersion)', 'Dispersion out of limits']);
    // 4 zone bands per limits version.
    expect(stat.markArea?.data).toHaveLength(8);
    expect((option.grid as unknown[]).length).toBe(2);
  });

  it('> limits step where a new version starts, with a break between versions', () => {
    expect(limitSteps([limits(1, 1), limits(2, 50, 11)], 100, (l) => l.ucl)).toEqual([
      [1, 13],
      [50, 13],
      [50, null],
      [50, 14],
      [100, 14],
    ]);
  });

  it('> few points are drawn as they are (with symbols); an I-MR chart without dispersion has one grid', () => {
    const c = { ...chart(100), chart: 'P', limits: [limits(1, 1)] };
    expect(downsamplePoints(c.points, 2_000)).toHaveLength(100);
    const option = spcChartOption({ chart: c, colors, maxPoints: 2_000 });
    expect((option.grid as unknown[]).length).toBe(1);
  });
});

describe('spc chart > capability and summary', () => {
  it('> Cp, Cpk from the limits sigma times root n', () => {
    const cap = capability({ center: 10, sigma: 0.5, subgroupSize: 4 }, 7, 14)!;
    expect(cap.sigmaWithin).toBe(1);
    expect(cap.cp).toBeCloseTo(7 / 6, 10);
    expect(cap.cpu).toBeCloseTo(4 / 3, 10);
    expect(cap.cpl).toBeCloseTo(1, 10);
    expect(cap.cpk).toBeCloseTo(1, 10);
    expect(capability({ center: 10, sigma: 1, subgroupSize: null }, null, 13)).toMatchObject({ cp: null, cpk: 1 });
    expect(capability({ center: 10, sigma: 0, subgroupSize: 1 }, 1, 2)).toBeNull();
  });

  it('> zones and rule counts', () => {
    const s = chartSummary(chart(2_000).points);
    expect(s.zones.OUT).toBe(2);
    expect(s.rules).toEqual([{ rule: 1, count: 2 }]);
  });
});

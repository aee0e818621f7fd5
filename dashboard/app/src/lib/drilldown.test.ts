import { describe, expect, it } from 'vitest';
import { ganttData, lossWaterfall, lossWaterfallOption, oeeTrendOption, paretoOption, planVsActualOption, sixBigLosses, stateGanttOption } from './drilldown.ts';
import { defaultPalette as p } from './palette.ts';

const hour = 3_600_000;
const press = 'acme/plant1/stamping/line1/cell1/press1';
const welder = 'acme/plant1/stamping/line1/cell1/welder1';

describe('dashboard app > drill-down > loss waterfall (six big losses)', () => {
  const losses = { breakdown: 0.5 * hour, setup: 0.25 * hour, smallStops: 0.1 * hour, reducedSpeed: 0.4 * hour, startupRejects: 0.05 * hour, productionRejects: 0.2 * hour };

  it('> goes from planned production time through the six losses, in ISO 22400 order, to fully productive time', () => {
    const steps = lossWaterfall({ plannedProductionMs: 8 * hour, losses });
    expect(steps.map((s) => s.key)).toEqual(['plannedProduction', ...sixBigLosses.map((l) => l.key), 'fullyProductive']);
    expect(steps.at(-1)!.ms).toBeCloseTo(8 * hour - 1.5 * hour);
  });

  it('> a loss the processor did not compute (no ideal cycle time) leaves the end unknown, not overstated', () => {
    const steps = lossWaterfall({ plannedProductionMs: 8 * hour, losses: { breakdown: hour, setup: 0, smallStops: 0 } });
    expect(steps.find((s) => s.key === 'reducedSpeed')!.ms).toBeNull();
    expect(steps.at(-1)!.ms).toBeNull();
  });

  it('> bars float: each loss starts where the previous one ended; a negative loss (faster than ideal) goes up', () => {
    const option = lossWaterfallOption(lossWaterfall({ plannedProductionMs: 8 * hour, losses: { ...losses, reducedSpeed: -0.5 * hour } }), p) as { series: Array<{ data: unknown[] }> };
    const base = option.series[0]!.data as number[];
    const visible = (option.series[1]!.data as Array<{ value: number; itemStyle: { color?: string } }>).map((d) => d.value);
    expect(base.slice(0, 3)).toEqual([0, 7.5, 7.25]);
    expect(visible.slice(0, 3)).toEqual([8, 0.5, 0.25]);
    // reducedSpeed -0.5 h: from 7.15 up to 7.65
    expect(base[4]).toBeCloseTo(7.15);
    expect(visible[4]).toBe(0.5);
    expect((option.series[1]!.data as Array<{ itemStyle: { color?: string } }>)[4]!.itemStyle.color).toBe(p.good);
    expect(visible.at(-1)).toBeCloseTo(7.4);
  });
});

describe('dashboard app > drill-down > charts', () => {
  it('> the trend plots percentages, with gaps for buckets without windows', () => {
    const option = oeeTrendOption([
      { from: 0, to: hour, windows: 2, availability: 0.9, performance: 0.8, quality: 0.99, oee: 0.7128 },
      { from: hour, to: 2 * hour, windows: 0, availability: null, performance: null, quality: null, oee: null },
    ], p) as { series: Array<{ name: string; data: Array<[number, number | null]> }> };
    expect(option.series.map((s) => s.name)).toEqual(['OEE', 'Availability', 'Performance', 'Quality']);
    expect(option.series[0]!.data).toEqual([[0, 71.3], [hour, null]]);
  });

  it('> the Gantt has one row per equipment and colours each interval by state category', () => {
    const data = ganttData([
      { equipment: welder, state: 'EXECUTE', reasonCode: null, reasonText: null, start: 0, end: 10, durationMs: 10, closed: true },
      { equipment: press, state: 'FAULT', reasonCode: 'JAM', reasonText: 'Jam', start: 0, end: 5, durationMs: 5, closed: true },
      { equipment: press, state: 'EXECUTE', reasonCode: null, reasonText: null, start: 5, end: 10, durationMs: 5, closed: false },
    ]);
    expect(data.equipment).toEqual([press, welder]);
    expect(data.items.map((i) => [i[0], i[3]])).toEqual([[1, 'running'], [0, 'unplannedStop'], [0, 'running']]);
    const option = stateGanttOption(data, { from: 0, to: 10 }, p) as { yAxis: { data: string[] }; series: Array<{ type: string; data: Array<{ itemStyle: { color: string } }> }> };
    expect(option.yAxis.data).toEqual(['press1', 'welder1']);
    expect(option.series[0]!.type).toBe('custom');
    expect(option.series[0]!.data[1]!.itemStyle.color).toBe(p.states.unplannedStop);
  });

  it('> the Pareto keeps the largest reasons with their cumulative share', () => {
    const option = paretoOption({ pareto: [
      { reason: 'JAM', count: 6, totalMs: 600, share: 0.6, cumulativeShare: 0.6 },
      { reason: '', count: 4, totalMs: 400, share: 0.4, cumulativeShare: 1 },
    ] }, p) as { xAxis: { data: string[] }; series: Array<{ data: Array<number | null> }> };
    expect(option.xAxis.data).toEqual(['JAM', '(no reason)']);
    expect(option.series[0]!.data).toEqual([6, 4]);
    expect(option.series[1]!.data).toEqual([60, 100]);
  });

  it('> plan vs actual shows plan, good and reject per equipment (no plan: a gap)', () => {
    const option = planVsActualOption([
      { equipment: press, good: 700, reject: 10, plan: 800.4, planSource: 'workOrders', attainment: 0.875 },
      { equipment: welder, good: 50, reject: 0, plan: null, planSource: null, attainment: null },
    ], p) as { series: Array<{ name: string; data: Array<number | null> }> };
    expect(option.series.map((s) => [s.name, s.data])).toEqual([['Plan', [800, null]], ['Good', [700, 50]], ['Reject', [10, 0]]]);
  });
});

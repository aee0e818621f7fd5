// ECharts options for control charts, as pure functions of the API's chart data (GET /api/spc/chart): the plotted
// statistic (downsampled with LTTB to what the canvas can show; points with a rule hit always kept), centre line and
// control limits per limits version (steps where limits changed), zones A/B/C as bands, rule hits marked with the
// rule number, and the dispersion chart (R, S or MR) below. Plus the capability figures for entered spec limits.
import { lttb } from '../../../../sinks/lttb.ts';
import type { SpcChart, SpcChartPointView, SpcLimitsView } from '../../../../sinks/clickhouse/history.ts';

export type { SpcChart, SpcChartPointView, SpcLimitsView };

export interface ChartColors {
  text: string;
  muted: string;
  grid: string;
  line: string;
  center: string;
  limit: string;
  zoneA: string;
  zoneB: string;
  hit: string;
  surface: string;
}

export const chartNames: Record<string, { location: string; dispersion: string; title: string }> = {
  IMR: { location: 'Individuals', dispersion: 'Moving range', title: 'I-MR' },
  XBAR_R: { location: 'X̄ (subgroup mean)', dispersion: 'Range', title: 'X̄-R' },
  XBAR_S: { location: 'X̄ (subgroup mean)', dispersion: 'Std deviation', title: 'X̄-S' },
  P: { location: 'Proportion', dispersion: '', title: 'p' },
  U: { location: 'Rate per unit', dispersion: '', title: 'u' },
};

/** At most `maxPoints` points (LTTB on index/statistic), keeping every point with a rule hit or out-of-limits dispersion. */
export function downsamplePoints(points: readonly SpcChartPointView[], maxPoints: number): SpcChartPointView[] {
  if (points.length <= maxPoints) return [...points];
  return lttb(points, maxPoints, (p) => ({ x: p.index, y: p.statistic }), (p) => p.rules.length > 0 || p.dispersionOutOfLimits);
}

type Pair = [number, number | null];

/** A step line of one limit across versions: [index, value] pairs, a break (null) where a version has no value. */
export function limitSteps(limits: readonly SpcLimitsView[], lastIndex: number, pick: (l: SpcLimitsView) => number | null): Pair[] {
  const out: Pair[] = [];
  limits.forEach((l, i) => {
    const end = i + 1 < limits.length ? limits[i + 1]!.fromIndex : lastIndex;
    const v = pick(l);
    out.push([l.fromIndex, v], [end, v]);
    if (i + 1 < limits.length) out.push([end, null]);
  });
  return out;
}

/** Zone bands (B: 1-2 sigma, A: 2-3 sigma, both sides) per limits version, as markArea data. */
export function zoneAreas(limits: readonly SpcLimitsView[], lastIndex: number, colors: Pick<ChartColors, 'zoneA' | 'zoneB'>): unknown[] {
  const areas: unknown[] = [];
  limits.forEach((l, i) => {
    const end = i + 1 < limits.length ? limits[i + 1]!.fromIndex : lastIndex;
    const z = l.zones;
    const u1 = z.upper1Sigma ?? l.center + l.sigma;
    const u2 = z.upper2Sigma ?? l.center + 2 * l.sigma;
    const l1 = z.lower1Sigma ?? l.center - l.sigma;
    const l2 = z.lower2Sigma ?? l.center - 2 * l.sigma;
    const band = (y0: number, y1: number, color: string) => [{ xAxis: l.fromIndex, yAxis: y0, itemStyle: { color } }, { xAxis: end, yAxis: y1 }];
    areas.push(band(u2, l.ucl, colors.zoneA), band(u1, u2, colors.zoneB), band(l2, l1, colors.zoneB), band(l.lcl, l2, colors.zoneA));
  });
  return areas;
}

export interface SpcOptionInput {
  chart: SpcChart;
  colors: ChartColors;
  /** Points drawn at most (about 2 per horizontal pixel is plenty). */
  maxPoints: number;
  /** Point index to highlight (the selected alarm). */
  focusIndex?: number | null;
}

/** The full ECharts option (location chart on top, dispersion below when the chart has one). */
export function spcChartOption(input: SpcOptionInput): Record<string, unknown> {
  const { chart, colors } = input;
  const points = downsamplePoints(chart.points, input.maxPoints);
  const names = chartNames[chart.chart ?? 'IMR'] ?? chartNames.IMR!;
  const lastIndex = points.at(-1)?.index ?? 0;
  const firstIndex = points[0]?.index ?? 0;
  const hasDispersion = names.dispersion !== '' && points.some((p) => p.dispersion !== null);
  const stat: Pair[] = points.map((p) => [p.index, p.statistic]);
  const hits = points.filter((p) => p.rules.length > 0);
  const limitLine = (name: string, pick: (l: SpcLimitsView) => number | null, color: string, type: 'solid' | 'dashed', axis = 0) => ({
    name,
    type: 'line',
    xAxisIndex: axis,
    yAxisIndex: axis,
    data: limitSteps(chart.limits, lastIndex, pick),
    showSymbol: false,
    silent: true,
    connectNulls: false,
    lineStyle: { color, width: type === 'solid' ? 1.5 : 1.2, type },
    z: 3,
    animation: false,
  });
  const series: unknown[] = [
    {
      name: names.location,
      type: 'line',
      data: stat,
      showSymbol: points.length <= 300,
      symbolSize: 4,
      sampling: undefined,
      lineStyle: { color: colors.line, width: 1.2 },
      itemStyle: { color: colors.line },
      large: true,
      animation: false,
      z: 4,
      markArea: { silent: true, data: zoneAreas(chart.limits, lastIndex, colors) },
      ...(input.focusIndex != null ? { markLine: { silent: true, symbol: 'none', label: { show: false }, lineStyle: { color: colors.hit, type: 'dotted', width: 1.5 }, data: [{ xAxis: input.focusIndex }] } } : {}),
    },
    limitLine('UCL', (l) => l.ucl, colors.limit, 'dashed'),
    limitLine('CL', (l) => l.center, colors.center, 'solid'),
    limitLine('LCL', (l) => l.lcl, colors.limit, 'dashed'),
    {
      name: 'Rule hits',
      type: 'scatter',
      data: hits.map((p) => ({ value: [p.index, p.statistic], rules: p.rules })),
      symbolSize: 9,
      itemStyle: { color: colors.hit, borderColor: colors.surface, borderWidth: 1.5 },
      label: { show: true, position: 'top', color: colors.hit, fontWeight: 700, fontSize: 11, formatter: (p: { data: { rules: number[] } }) => p.data.rules.join(',') },
      z: 6,
      animation: false,
    },
  ];
  if (hasDispersion) {
    series.push(
      {
        name: names.dispersion,
        type: 'line',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: points.map((p) => [p.index, p.dispersion]),
        showSymbol: false,
        lineStyle: { color: colors.line, width: 1 },
        large: true,
        animation: false,
      },
      limitLine('UCL (dispersion)', (l) => l.dispersion.ucl, colors.limit, 'dashed', 1),
      limitLine('CL (dispersion)', (l) => l.dispersion.center, colors.center, 'solid', 1),
      {
        name: 'Dispersion out of limits',
        type: 'scatter',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: points.filter((p) => p.dispersionOutOfLimits).map((p) => [p.index, p.dispersion]),
        symbolSize: 8,
        itemStyle: { color: colors.hit },
        label: { show: true, position: 'top', color: colors.hit, fontWeight: 700, fontSize: 11, formatter: 'D1' },
        animation: false,
      },
    );
  }
  const axisCommon = { axisLine: { lineStyle: { color: colors.grid } }, axisLabel: { color: colors.muted }, splitLine: { lineStyle: { color: colors.grid } } };
  const xAxis = (gridIndex: number, show: boolean) => ({ type: 'value', gridIndex, min: firstIndex, max: lastIndex, ...axisCommon, axisLabel: { ...axisCommon.axisLabel, show }, splitLine: { show: false } });
  const yAxis = (gridIndex: number, name: string) => ({ type: 'value', gridIndex, scale: true, name, nameTextStyle: { color: colors.muted, align: 'left' }, ...axisCommon });
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: colors.text },
    grid: hasDispersion
      ? [
          { left: 64, right: 72, top: 28, height: '56%' },
          { left: 64, right: 72, top: '72%', bottom: 28 },
        ]
      : [{ left: 64, right: 72, top: 28, bottom: 28 }],
    xAxis: hasDispersion ? [xAxis(0, false), xAxis(1, true)] : [xAxis(0, true)],
    yAxis: hasDispersion ? [yAxis(0, names.location), yAxis(1, names.dispersion)] : [yAxis(0, names.location)],
    tooltip: { trigger: 'axis', axisPointer: { type: 'line' }, valueFormatter: (v: number) => (typeof v === 'number' ? v.toPrecision(5) : '–') },
    dataZoom: [{ type: 'inside', xAxisIndex: hasDispersion ? [0, 1] : [0] }],
    series,
  };
}

export interface Capability {
  sigmaWithin: number;
  cp: number | null;
  cpk: number | null;
  cpl: number | null;
  cpu: number | null;
}

/**
 * Capability of the current limits for entered spec limits: sigma within = sigma of the plotted mean × √n (n = the
 * subgroup size, 1 for individuals); Cp = (USL − LSL) / 6σ, Cpk = min(Cpu, Cpl), Cpu = (USL − μ) / 3σ, Cpl = (μ − LSL) / 3σ.
 */
export function capability(limits: Pick<SpcLimitsView, 'center' | 'sigma' | 'subgroupSize'>, lsl: number | null, usl: number | null): Capability | null {
  const n = limits.subgroupSize && limits.subgroupSize > 0 ? limits.subgroupSize : 1;
  const sigmaWithin = limits.sigma * Math.sqrt(n);
  if (!(sigmaWithin > 0)) return null;
  const cpu = usl !== null ? (usl - limits.center) / (3 * sigmaWithin) : null;
  const cpl = lsl !== null ? (limits.center - lsl) / (3 * sigmaWithin) : null;
  const cp = usl !== null && lsl !== null ? (usl - lsl) / (6 * sigmaWithin) : null;
  const cpk = cpu !== null && cpl !== null ? Math.min(cpu, cpl) : (cpu ?? cpl);
  return { sigmaWithin, cp, cpk, cpl, cpu };
}

/** Share of plotted points per zone and the rule hits per rule number. */
export function chartSummary(points: readonly SpcChartPointView[]): { zones: Record<'C' | 'B' | 'A' | 'OUT', number>; rules: Array<{ rule: number; count: number }> } {
  const zones = { C: 0, B: 0, A: 0, OUT: 0 };
  const rules = new Map<number, number>();
  for (const p of points) {
    if (p.zone) zones[p.zone] += 1;
    for (const r of p.rules) rules.set(r, (rules.get(r) ?? 0) + 1);
  }
  return { zones, rules: [...rules.entries()].sort((a, b) => a[0] - b[0]).map(([rule, count]) => ({ rule, count })) };
}

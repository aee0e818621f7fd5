// ECharts options of the line / equipment drill-down, as pure functions of the API's answers:
//   - OEE trend (GET /api/oee/trend): OEE, availability, performance, quality per bucket;
//   - loss waterfall (GET /api/oee, `total`): planned production time minus the ISO 22400 six big losses, as the
//     OEE processor computes them (processors/oee/README.md "The six big losses"), down to fully productive time;
//   - state timeline (GET /api/states): a Gantt chart, one row per equipment (custom series);
//   - micro-stop Pareto (GET /api/microstops): stops per reason, largest first, with the cumulative share;
//   - plan vs actual (GET /api/counts/plan): good pieces against the plan per equipment.
import type { MicroStops, OeeFigures, StateInterval } from '../../../../sinks/clickhouse/history.ts';
import { equipmentName } from './format.ts';
import type { Palette } from './palette.ts';
import { categoryLabels, stateCategory, type StateCategory } from './wall.ts';

export type { MicroStops, OeeFigures, StateInterval };
type Option = Record<string, unknown>;

export interface TrendPoint {
  from: number;
  to: number;
  windows: number;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
}

export interface PlanRow {
  equipment: string;
  good: number;
  reject: number;
  plan: number | null;
  planSource: 'workOrders' | 'idealRate' | null;
  attainment: number | null;
}

const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v * 1000) / 10);
const axisText = (p: Palette) => ({ color: p.muted, fontFamily: 'inherit' });
const splitLine = (p: Palette) => ({ lineStyle: { color: p.grid } });
const tooltip = (p: Palette, extra: Option = {}) => ({ backgroundColor: p.surface, borderColor: p.grid, textStyle: { color: p.text }, confine: true, ...extra });

// ---- OEE trend ------------------------------------------------------------------------------------------------

export function oeeTrendOption(points: readonly TrendPoint[], p: Palette): Option {
  // A bucket without closed windows is a gap, not a zero.
  const series = (name: string, key: keyof TrendPoint, color: string, width: number) => ({
    name,
    type: 'line',
    showSymbol: points.length <= 24,
    symbolSize: 5,
    connectNulls: false,
    lineStyle: { width, color },
    itemStyle: { color },
    data: points.map((pt) => [pt.from, pct(pt[key] as number | null)]),
  });
  return {
    animation: false,
    grid: { left: 44, right: 16, top: 34, bottom: 28 },
    legend: { top: 0, textStyle: { color: p.muted }, itemWidth: 14, itemHeight: 8 },
    tooltip: tooltip(p, { trigger: 'axis', valueFormatter: (v: number | null) => (v === null || v === undefined ? '–' : `${v.toFixed(1)} %`) }),
    xAxis: { type: 'time', axisLabel: axisText(p), axisLine: { lineStyle: { color: p.grid } } },
    yAxis: { type: 'value', min: 0, max: (v: { max: number }) => Math.max(100, Math.ceil(v.max / 10) * 10), axisLabel: { ...axisText(p), formatter: '{value} %' }, splitLine: splitLine(p) },
    series: [series('OEE', 'oee', p.accent, 3), series('Availability', 'availability', p.states.running, 1.5), series('Performance', 'performance', p.plan, 1.5), series('Quality', 'quality', p.warn, 1.5)],
  };
}

// ---- Loss waterfall -------------------------------------------------------------------------------------------

/** The six big losses in ISO 22400 / Nakajima order, with the keys the OEE processor writes. */
export const sixBigLosses = [
  { key: 'breakdown', label: 'Breakdowns', factor: 'availability' },
  { key: 'setup', label: 'Setup & adjustments', factor: 'availability' },
  { key: 'smallStops', label: 'Small stops', factor: 'performance' },
  { key: 'reducedSpeed', label: 'Reduced speed', factor: 'performance' },
  { key: 'startupRejects', label: 'Startup rejects', factor: 'quality' },
  { key: 'productionRejects', label: 'Production rejects', factor: 'quality' },
] as const;

export interface WaterfallStep {
  key: string;
  label: string;
  /** ms: the start and end totals are positive; a loss is the time it removes (negative: it adds, e.g. speed above the ideal rate). */
  ms: number | null;
  kind: 'total' | 'loss';
}

/**
 * Planned production time, each loss, then what is left (fully productive time). A loss the processor could not
 * compute (no ideal cycle time: performance and the reject losses are absent) is null, and then the end total is
 * null too rather than a made-up figure.
 */
export function lossWaterfall(figures: Pick<OeeFigures, 'plannedProductionMs' | 'losses'>): WaterfallStep[] {
  const steps: WaterfallStep[] = [{ key: 'plannedProduction', label: 'Planned production', ms: figures.plannedProductionMs, kind: 'total' }];
  let left: number | null = figures.plannedProductionMs;
  for (const loss of sixBigLosses) {
    const ms = figures.losses[loss.key];
    const value = typeof ms === 'number' && Number.isFinite(ms) ? ms : null;
    steps.push({ key: loss.key, label: loss.label, ms: value, kind: 'loss' });
    left = left === null || value === null ? null : left - value;
  }
  steps.push({ key: 'fullyProductive', label: 'Fully productive', ms: left, kind: 'total' });
  return steps;
}

const hours = (ms: number) => Math.round((ms / 3_600_000) * 100) / 100;

/** A waterfall as stacked bars: an invisible base plus the visible part, in hours. */
export function lossWaterfallOption(steps: readonly WaterfallStep[], p: Palette): Option {
  const base: Array<number | null> = [];
  const visible: Array<{ value: number | null; itemStyle: Option }> = [];
  let level = 0;
  const colors: Record<string, string> = { availability: p.states.unplannedStop, performance: p.states.idle, quality: p.reject };
  for (const step of steps) {
    if (step.ms === null) {
      base.push(null);
      visible.push({ value: null, itemStyle: {} });
      continue;
    }
    if (step.kind === 'total') {
      base.push(0);
      visible.push({ value: hours(step.ms), itemStyle: { color: step.key === 'fullyProductive' ? p.good : p.plan } });
      level = step.ms;
    } else {
      const after = level - step.ms;
      base.push(hours(Math.min(level, after)));
      const factor = sixBigLosses.find((l) => l.key === step.key)?.factor ?? 'availability';
      visible.push({ value: hours(Math.abs(step.ms)), itemStyle: { color: step.ms < 0 ? p.good : colors[factor] } });
      level = after;
    }
  }
  return {
    animation: false,
    grid: { left: 48, right: 12, top: 16, bottom: 56 },
    tooltip: tooltip(p, {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (items: Array<{ dataIndex: number }>) => {
        const step = steps[items[0]?.dataIndex ?? 0]!;
        return `${step.label}: ${step.ms === null ? 'not computed (no ideal cycle time)' : `${step.kind === 'loss' && step.ms > 0 ? '−' : ''}${hours(Math.abs(step.ms)).toFixed(2)} h`}`;
      },
    }),
    xAxis: { type: 'category', data: steps.map((s) => s.label), axisLabel: { ...axisText(p), interval: 0, rotate: 30, fontSize: 11 }, axisLine: { lineStyle: { color: p.grid } } },
    yAxis: { type: 'value', name: 'h', nameTextStyle: { color: p.muted }, axisLabel: axisText(p), splitLine: splitLine(p) },
    series: [
      { name: 'base', type: 'bar', stack: 'waterfall', silent: true, itemStyle: { color: 'transparent' }, data: base },
      { name: 'time', type: 'bar', stack: 'waterfall', barMaxWidth: 48, data: visible },
    ],
  };
}

// ---- State timeline (Gantt) -----------------------------------------------------------------------------------

export interface GanttData {
  equipment: string[];
  /** [row, start, end, category, state, reason] per interval. */
  items: Array<[number, number, number, StateCategory, string, string]>;
}

export function ganttData(intervals: readonly StateInterval[]): GanttData {
  const equipment = [...new Set(intervals.map((i) => i.equipment))].sort();
  const row = new Map(equipment.map((e, i) => [e, i]));
  const items = intervals.map((i) => [row.get(i.equipment)!, i.start, i.end, stateCategory(i.equipment, i.state, i.reasonCode), i.state, i.reasonText ?? i.reasonCode ?? ''] as [number, number, number, StateCategory, string, string]);
  return { equipment, items };
}

/** Row height in px of the Gantt (the view sizes the chart with it, so a row never gets squeezed). */
export const ganttRowPx = 26;

export function stateGanttOption(data: GanttData, range: { from: number; to: number }, p: Palette): Option {
  return {
    animation: false,
    grid: { left: 120, right: 16, top: 8, bottom: 28 },
    tooltip: tooltip(p, {
      formatter: (item: { value: [number, number, number, StateCategory, string, string] }) => {
        const [row, start, end, category, state, reason] = item.value;
        const minutes = Math.round((end - start) / 60_000);
        return `${equipmentName(data.equipment[row] ?? '')}<br/>${categoryLabels[category]} (${state}${reason ? ` · ${reason}` : ''})<br/>${minutes} min`;
      },
    }),
    xAxis: { type: 'time', min: range.from, max: range.to, axisLabel: axisText(p), axisLine: { lineStyle: { color: p.grid } }, splitLine: splitLine(p) },
    yAxis: { type: 'category', data: data.equipment.map(equipmentName), inverse: true, axisLabel: { ...axisText(p), width: 110, overflow: 'truncate' }, axisTick: { show: false } },
    series: [
      {
        type: 'custom',
        encode: { x: [1, 2], y: 0 },
        data: data.items.map((item) => ({ value: item, itemStyle: { color: p.states[item[3]] } })),
        renderItem: (params: unknown, api: { value(i: number): number; coord(v: [number, number]): [number, number]; size(v: [number, number]): [number, number]; style(): Option }) => {
          const row = api.value(0);
          const start = api.coord([api.value(1), row]);
          const end = api.coord([api.value(2), row]);
          const height = api.size([0, 1])[1] * 0.7;
          const coordSys = (params as { coordSys: { x: number; y: number; width: number; height: number } }).coordSys;
          const x = Math.max(start[0], coordSys.x);
          const width = Math.min(end[0], coordSys.x + coordSys.width) - x;
          if (width <= 0) return null;
          return { type: 'rect', shape: { x, y: start[1] - height / 2, width: Math.max(width, 1), height }, style: api.style() };
        },
      },
    ],
  };
}

// ---- Micro-stop Pareto ----------------------------------------------------------------------------------------

export function paretoOption(stops: Pick<MicroStops, 'pareto'>, p: Palette, top = 10): Option {
  const rows = stops.pareto.slice(0, top);
  return {
    animation: false,
    grid: { left: 44, right: 44, top: 30, bottom: 56 },
    legend: { top: 0, textStyle: { color: p.muted }, itemWidth: 14, itemHeight: 8 },
    tooltip: tooltip(p, { trigger: 'axis', axisPointer: { type: 'shadow' } }),
    xAxis: { type: 'category', data: rows.map((r) => r.reason || '(no reason)'), axisLabel: { ...axisText(p), interval: 0, rotate: rows.length > 5 ? 30 : 0, fontSize: 11 }, axisLine: { lineStyle: { color: p.grid } } },
    yAxis: [
      { type: 'value', name: 'stops', nameTextStyle: { color: p.muted }, minInterval: 1, axisLabel: axisText(p), splitLine: splitLine(p) },
      { type: 'value', min: 0, max: 100, axisLabel: { ...axisText(p), formatter: '{value} %' }, splitLine: { show: false } },
    ],
    series: [
      { name: 'Stops', type: 'bar', barMaxWidth: 40, itemStyle: { color: p.states.idle }, data: rows.map((r) => r.count) },
      { name: 'Cumulative share of time', type: 'line', yAxisIndex: 1, symbolSize: 5, itemStyle: { color: p.accent }, lineStyle: { color: p.accent }, data: rows.map((r) => pct(r.cumulativeShare)) },
    ],
  };
}

// ---- Plan vs actual -------------------------------------------------------------------------------------------

export function planVsActualOption(rows: readonly PlanRow[], p: Palette): Option {
  return {
    animation: false,
    grid: { left: 52, right: 12, top: 30, bottom: 56 },
    legend: { top: 0, textStyle: { color: p.muted }, itemWidth: 14, itemHeight: 8 },
    tooltip: tooltip(p, { trigger: 'axis', axisPointer: { type: 'shadow' } }),
    xAxis: { type: 'category', data: rows.map((r) => equipmentName(r.equipment)), axisLabel: { ...axisText(p), interval: 0, rotate: rows.length > 6 ? 30 : 0, fontSize: 11 }, axisLine: { lineStyle: { color: p.grid } } },
    yAxis: { type: 'value', name: 'pieces', nameTextStyle: { color: p.muted }, axisLabel: axisText(p), splitLine: splitLine(p) },
    series: [
      { name: 'Plan', type: 'bar', barMaxWidth: 28, itemStyle: { color: p.plan, opacity: 0.45 }, data: rows.map((r) => (r.plan === null ? null : Math.round(r.plan))) },
      { name: 'Good', type: 'bar', barMaxWidth: 28, itemStyle: { color: p.good }, data: rows.map((r) => r.good) },
      { name: 'Reject', type: 'bar', barMaxWidth: 28, itemStyle: { color: p.reject }, data: rows.map((r) => r.reject) },
    ],
  };
}

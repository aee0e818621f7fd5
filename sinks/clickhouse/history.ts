// History queries over ClickHouse for the query API (dashboard/server/api): telemetry ranges with the resolution
// picked by range and retention, state timelines, OEE drill-down with loss buckets, micro-stops, quality
// breakdown, MTBF/MTTR, SPC chart data. Reads use FINAL (replayed rows not merged yet are never seen twice) or the
// rollups with -Merge. Every value is bound as a `{name:Type}` parameter; results are bounded (limits, buckets).
import { lttb } from '../lttb.ts';
import type { ClickHouseStore } from './store.ts';

// 64-bit integers come back as strings from a server and as numbers from chDB.
const num = (v: number | string): number => Number(v);
const numOrNull = (v: number | string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

const scopeClause = (column = 'equipment') =>
  `({scope:String} = '' OR ${column} = {scope:String} OR startsWith(${column}, concat({scope:String}, '/')))`;
const rangeClause = (column: string) =>
  `${column} >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ${column} < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
const ms = (column: string) => `toUnixTimestamp64Milli(toDateTime64(${column}, 3, 'UTC'))`;

export interface TimeRange {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Telemetry

export type TelemetryResolution = 'raw' | 'minute' | 'hour';

export interface TelemetryQuery extends TimeRange {
  equipment: string;
  tag: string;
  /** Default 'auto': raw up to 6 h, 1 minute up to 14 days, else 1 hour; coarser when the range is past retention. */
  resolution?: TelemetryResolution | 'auto';
  /** Raw rows returned at most (the newest are cut). Default 20 000. */
  limit?: number;
  /** Wall clock for the retention check (tests). Default Date.now(). */
  now?: number;
}

export interface TelemetryPoint {
  /** Sample time (raw) or bucket start, epoch ms. */
  t: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
  samples: number;
  /** Raw only: text value and quality. */
  text?: string | null;
  quality?: string;
}

export interface TelemetrySeries {
  equipment: string;
  tag: string;
  resolution: TelemetryResolution;
  points: TelemetryPoint[];
  /** True when `limit` cut raw rows. */
  truncated: boolean;
}

export const autoResolution = { rawUpToMs: 6 * 3600_000, minuteUpToMs: 14 * 86_400_000 } as const;

/** The resolution a range is answered at: by its length, then by what retention still holds at its start. */
export function pickResolution(range: TimeRange, retention: { rawDays: number; minuteDays: number }, now: number, asked: TelemetryResolution | 'auto' = 'auto'): TelemetryResolution {
  const order: TelemetryResolution[] = ['raw', 'minute', 'hour'];
  const length = range.to - range.from;
  let pick: TelemetryResolution =
    asked !== 'auto' ? asked : length <= autoResolution.rawUpToMs ? 'raw' : length <= autoResolution.minuteUpToMs ? 'minute' : 'hour';
  const age = now - range.from;
  if (age > retention.rawDays * 86_400_000 && pick === 'raw') pick = 'minute';
  if (age > retention.minuteDays * 86_400_000 && order.indexOf(pick) < 2) pick = 'hour';
  return pick;
}

// ---------------------------------------------------------------------------------------------------------------
// State timeline

export interface StateInterval {
  equipment: string;
  state: string;
  reasonCode: string | null;
  reasonText: string | null;
  /** Epoch ms, clipped to the range. */
  start: number;
  /** Epoch ms, clipped to the range (the range end, or the last event time seen, for the open interval). */
  end: number;
  durationMs: number;
  /** False for the last interval of an equipment: its state still holds at `end`. */
  closed: boolean;
}

export interface StateTimelineQuery extends TimeRange {
  scope: string;
  /** Intervals returned at most (pagination). Default 5 000. */
  limit?: number;
  offset?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// OEE

export type OeeKind = 'LIVE_SHIFT' | 'HOUR' | 'SHIFT' | 'DAY' | 'WORK_ORDER';

export interface OeeQuery {
  scope: string;
  windowKind: OeeKind;
  /** Windows starting in [from, to). */
  from?: number;
  to?: number;
  /** One window id (a shift '2025-03-03/A', a day, a work order). */
  windowId?: string;
  /** ISA-95 level to group by: children of the scope by default. */
  groupBy?: 'site' | 'area' | 'line' | 'cell' | 'equipment';
}

export interface OeeFigures {
  windows: number;
  scheduledMs: number;
  plannedStopMs: number;
  plannedProductionMs: number;
  runMs: number;
  unplannedStopMs: number;
  setupMs: number;
  idleMs: number;
  unknownMs: number;
  microStopMs: number;
  microStopCount: number;
  totalCount: number;
  goodCount: number;
  rejectCount: number;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  /** Six big losses, ms of lost time, summed. */
  losses: Record<string, number>;
  plannedStopByKind: Record<string, number>;
}

export interface OeeGroup extends OeeFigures {
  /** Path prefix of the group (the scope for the total). */
  path: string;
}

export interface OeeTrendQuery extends TimeRange {
  scope: string;
  /** Bucket length (ms); buckets start at `from`. The windows are closed HOUR windows, by their start. */
  bucketMs: number;
}

export interface OeeTrendPoint extends OeeFigures {
  /** Bucket start and end (the last one ends at the range end), epoch ms. */
  from: number;
  to: number;
}

export interface OeeDrillDown {
  scope: string;
  windowKind: OeeKind;
  groupBy: string;
  total: OeeFigures;
  groups: OeeGroup[];
}

const levels = ['enterprise', 'site', 'area', 'line', 'cell', 'equipment'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Counts, micro-stops, quality, reliability, SPC

export interface MicroStopQuery extends TimeRange {
  scope: string;
  /** Stops shorter than this are micro-stops. Default 120 000 (the OEE processor's default). */
  thresholdMs?: number;
  /** Raw states that mean "running" (everything else is a stop). Default EXECUTE, RUNNING, RUN, PRODUCING. */
  runningStates?: readonly string[];
}

export interface MicroStops {
  thresholdMs: number;
  count: number;
  totalMs: number;
  /** Per reason (reason code, else the raw state), largest total first, with the cumulative share. */
  pareto: Array<{ reason: string; count: number; totalMs: number; share: number; cumulativeShare: number }>;
  /** The OEE processor's own count and time of the windows (HOUR) starting in the range, for comparison. */
  oee: { microStopCount: number; microStopMs: number };
}

export interface QualityBreakdown {
  good: number;
  reject: number;
  /** Rejects per reason ('' when none was given), largest first. */
  reasons: Array<{ reason: string; reject: number; share: number }>;
  perEquipment: Array<{ equipment: string; good: number; reject: number }>;
}

export interface ReliabilityRow {
  equipment: string;
  windows: number;
  failures: number;
  repairs: number;
  operatingMs: number;
  repairMs: number;
  mtbfMs: number | null;
  mttrMs: number | null;
  /** From the alerts themselves: DOWNTIME alerts raised in the range and their mean duration once cleared. */
  downtimeAlerts: number;
  meanDowntimeMs: number | null;
}

export interface SpcChartQuery extends TimeRange {
  characteristic: string;
  /** Points returned at most (LTTB on the statistic; points with a rule hit are always kept). Default 2 000. */
  maxPoints?: number;
}

export interface SpcLimitsView {
  version: number;
  center: number;
  ucl: number;
  lcl: number;
  sigma: number;
  zones: { upper2Sigma: number | null; upper1Sigma: number | null; lower1Sigma: number | null; lower2Sigma: number | null };
  dispersion: { center: number | null; ucl: number | null; lcl: number | null };
  source: string | null;
  subgroupSize: number | null;
  /** First point index these limits were used on. */
  fromIndex: number;
}

export interface SpcChartPointView {
  index: number;
  t: number;
  statistic: number;
  dispersion: number | null;
  rules: number[];
  dispersionOutOfLimits: boolean;
  limitsVersion: number | null;
  /** A, B, C (within 1 sigma) or beyond the limits, 'OUT'; null without limits. */
  zone: 'C' | 'B' | 'A' | 'OUT' | null;
  workOrder: string | null;
}

export interface SpcChart {
  characteristic: string;
  equipment: string | null;
  chart: string | null;
  totalPoints: number;
  downsampled: boolean;
  points: SpcChartPointView[];
  limits: SpcLimitsView[];
  hits: Array<{ eventId: string; index: number; t: number; rule: number; ruleSet: string; description: string; direction: string | null; chartPart: string }>;
}

export function zoneOf(statistic: number, l: { center: number; ucl: number; lcl: number; sigma: number } | null): SpcChartPointView['zone'] {
  if (!l) return null;
  if (statistic > l.ucl || statistic < l.lcl) return 'OUT';
  const d = Math.abs(statistic - l.center);
  return d <= l.sigma ? 'C' : d <= 2 * l.sigma ? 'B' : 'A';
}

function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

interface OeeRow {
  path: string;
  windows: number | string;
  scheduled_ms: number | string;
  planned_stop_ms: number | string;
  planned_production_ms: number | string;
  run_ms: number | string;
  unplanned_stop_ms: number | string;
  setup_ms: number | string;
  idle_ms: number | string;
  unknown_ms: number | string;
  micro_stop_ms: number | string;
  micro_stop_count: number | string;
  pieces: number | string;
  good_count: number | string;
  reject_count: number | string;
  ideal_ms: number | string;
  without_ideal: number | string;
  loss_keys: string[];
  loss_values: Array<number | string>;
  stop_keys: string[];
  stop_values: Array<number | string>;
}

function oeeFigures(r: OeeRow): OeeFigures {
  const planned = num(r.planned_production_ms);
  const run = num(r.run_ms);
  const total = num(r.pieces);
  const good = num(r.good_count);
  const availability = ratio(run, planned);
  // Performance is unknown as soon as one window had pieces without an ideal cycle time (a partial sum is wrong).
  const performance = num(r.without_ideal) > 0 ? null : ratio(num(r.ideal_ms), run);
  const quality = ratio(good, total);
  const oee =
    availability !== null && performance !== null && quality !== null ? availability * performance * quality : planned > 0 && total === 0 ? 0 : null;
  return {
    windows: num(r.windows),
    scheduledMs: num(r.scheduled_ms),
    plannedStopMs: num(r.planned_stop_ms),
    plannedProductionMs: planned,
    runMs: run,
    unplannedStopMs: num(r.unplanned_stop_ms),
    setupMs: num(r.setup_ms),
    idleMs: num(r.idle_ms),
    unknownMs: num(r.unknown_ms),
    microStopMs: num(r.micro_stop_ms),
    microStopCount: num(r.micro_stop_count),
    totalCount: total,
    goodCount: good,
    rejectCount: num(r.reject_count),
    availability,
    performance,
    quality,
    oee,
    losses: Object.fromEntries(r.loss_keys.map((k, i) => [k, num(r.loss_values[i]!)])),
    plannedStopByKind: Object.fromEntries(r.stop_keys.map((k, i) => [k, num(r.stop_values[i]!)])),
  };
}

/** One capability record as stored (the SpcCapability event, indexes as { value, samples } or null). */
export interface SpcCapabilityView {
  eventId: string;
  eventTime: number;
  equipment: string;
  characteristic: string;
  chart: string;
  index: number;
  limitsVersion: number;
  firstIndex: number;
  points: number;
  samples: number;
  mean: number;
  lsl: number | null;
  usl: number | null;
  sigmaWithin: number | null;
  withinMethod: string | null;
  constants: string;
  sigmaOverall: number;
  indexes: Record<'cp' | 'cpl' | 'cpu' | 'cpk' | 'pp' | 'ppl' | 'ppu' | 'ppk', { value: number; samples: number } | null>;
}

export interface HistoryQueries {
  telemetry(query: TelemetryQuery): Promise<TelemetrySeries>;
  stateTimeline(query: StateTimelineQuery): Promise<{ intervals: StateInterval[]; total: number }>;
  oeeDrillDown(query: OeeQuery): Promise<OeeDrillDown>;
  /** OEE of the scope per time bucket (every bucket of the range, empty ones with `windows: 0`), in one query. */
  oeeTrend(query: OeeTrendQuery): Promise<OeeTrendPoint[]>;
  microStops(query: MicroStopQuery): Promise<MicroStops>;
  qualityBreakdown(query: TimeRange & { scope: string }): Promise<QualityBreakdown>;
  reliability(query: TimeRange & { scope: string; windowKind?: 'SHIFT' | 'DAY' }): Promise<ReliabilityRow[]>;
  spcChart(query: SpcChartQuery): Promise<SpcChart>;
  /** Capability records of a characteristic in the range, oldest first (at most `limit`, default 1,000). */
  spcCapabilityHistory(query: TimeRange & { characteristic: string; limit?: number }): Promise<SpcCapabilityView[]>;
  /** The latest capability record of each characteristic measured on equipment in the scope ('' = all). */
  latestSpcCapability(query: { scope: string; characteristic?: string }): Promise<SpcCapabilityView[]>;
  /** Pieces per equipment in the range, from the 1-minute rollup (minute resolution; raw counts expire). */
  countsByEquipment(query: TimeRange & { scope: string; bucket?: 'hour' }): Promise<Array<{ equipment: string; bucketStart: number | null; good: number; reject: number }>>;
  /** OEE windows (SHIFT) of the range: planned production time / ideal cycle time = pieces at the ideal rate. */
  idealRatePlan(query: TimeRange & { scope: string }): Promise<Array<{ equipment: string; pieces: number | null }>>;
}

export function createHistoryQueries(store: ClickHouseStore): HistoryQueries {
  const db = store.database;

  async function telemetry(q: TelemetryQuery): Promise<TelemetrySeries> {
    const resolution = pickResolution(q, store.retention, q.now ?? Date.now(), q.resolution ?? 'auto');
    const params = { equipment: q.equipment, tag: q.tag, from: q.from, to: q.to };
    if (resolution === 'raw') {
      const limit = q.limit ?? 20_000;
      const rows = await store.query<{ t: number | string; value: number | null; text: string | null; quality: string }>(
        `SELECT ${ms('event_time')} AS t, value, text, quality
         FROM ${db}.telemetry FINAL
         WHERE equipment = {equipment:String} AND tag = {tag:String} AND ${rangeClause('event_time')}
         ORDER BY event_time LIMIT {limit:UInt32}`,
        { ...params, limit: limit + 1 },
      );
      const truncated = rows.length > limit;
      return {
        equipment: q.equipment,
        tag: q.tag,
        resolution,
        truncated,
        points: rows.slice(0, limit).map((r) => ({ t: num(r.t), avg: r.value, min: r.value, max: r.value, last: r.value, samples: 1, text: r.text, quality: r.quality })),
      };
    }
    const table = resolution === 'minute' ? 'telemetry_1m' : 'telemetry_1h';
    const rows = await store.query<{ t: number | string; samples: number | string; avg: number; min: number; max: number; last: number }>(
      `SELECT toUnixTimestamp(bucket) * 1000 AS t, countMerge(samples) AS samples, avgMerge(avg_value) AS avg,
              minMerge(min_value) AS min, maxMerge(max_value) AS max, argMaxMerge(last_value) AS last
       FROM ${db}.${table}
       WHERE equipment = {equipment:String} AND tag = {tag:String}
         AND bucket >= toStartOf${resolution === 'minute' ? 'Minute' : 'Hour'}(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
         AND bucket < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       GROUP BY bucket ORDER BY bucket`,
      params,
    );
    return {
      equipment: q.equipment,
      tag: q.tag,
      resolution,
      truncated: false,
      points: rows.map((r) => ({ t: num(r.t), avg: r.avg, min: r.min, max: r.max, last: r.last, samples: num(r.samples) })),
    };
  }

  async function stateTimeline(q: StateTimelineQuery): Promise<{ intervals: StateInterval[]; total: number }> {
    // The state each equipment was in at `from` (its last change before), then every change in the range.
    const rows = await store.query<{ equipment: string; t: number | string; state: string; reason_code: string | null; reason_text: string | null }>(
      `SELECT equipment, t, state, reason_code, reason_text FROM (
         SELECT equipment, ${ms('max(event_time)')} AS t, argMax(state, (event_time, event_id)) AS state,
                argMax(reason_code, (event_time, event_id)) AS reason_code, argMax(reason_text, (event_time, event_id)) AS reason_text
         FROM ${db}.state_events FINAL
         WHERE ${scopeClause()} AND event_time < fromUnixTimestamp64Milli({from:Int64}, 'UTC')
         GROUP BY equipment
         UNION ALL
         SELECT equipment, ${ms('event_time')} AS t, state, reason_code, reason_text
         FROM ${db}.state_events FINAL
         WHERE ${scopeClause()} AND ${rangeClause('event_time')}
       ) ORDER BY equipment, t`,
      { scope: q.scope, from: q.from, to: q.to },
    );
    const intervals: StateInterval[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const next = rows[i + 1];
      const sameNext = next && next.equipment === r.equipment ? next : undefined;
      // Consecutive reports of the same state (and reason) are one interval.
      const prev = intervals.at(-1);
      const start = Math.max(num(r.t), q.from);
      const end = sameNext ? Math.min(num(sameNext.t), q.to) : q.to;
      if (prev && prev.equipment === r.equipment && prev.state === r.state && prev.reasonCode === r.reason_code) {
        prev.end = end;
        prev.durationMs = prev.end - prev.start;
        prev.closed = Boolean(sameNext);
        continue;
      }
      intervals.push({ equipment: r.equipment, state: r.state, reasonCode: r.reason_code, reasonText: r.reason_text, start, end, durationMs: end - start, closed: Boolean(sameNext) });
    }
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 5_000;
    return { intervals: intervals.slice(offset, offset + limit), total: intervals.length };
  }

  const oeeSums = `count() AS windows, sum(scheduled_ms) AS scheduled_ms, sum(planned_stop_ms) AS planned_stop_ms,
      sum(planned_production_ms) AS planned_production_ms, sum(run_ms) AS run_ms, sum(unplanned_stop_ms) AS unplanned_stop_ms,
      sum(setup_ms) AS setup_ms, sum(idle_ms) AS idle_ms, sum(unknown_ms) AS unknown_ms, sum(micro_stop_ms) AS micro_stop_ms,
      sum(micro_stop_count) AS micro_stop_count, sum(total_count) AS pieces, sum(good_count) AS good_count,
      sum(reject_count) AS reject_count, sum(ideal_production_ms) AS ideal_ms,
      countIf(performance IS NULL AND total_count > 0) AS without_ideal,
      sumMap(losses) AS loss_map, mapKeys(loss_map) AS loss_keys, mapValues(loss_map) AS loss_values,
      sumMap(planned_stop_by_kind) AS stop_map, mapKeys(stop_map) AS stop_keys, mapValues(stop_map) AS stop_values`;
  const emptyOee = (path: string): OeeRow => ({
    path, windows: 0, scheduled_ms: 0, planned_stop_ms: 0, planned_production_ms: 0, run_ms: 0, unplanned_stop_ms: 0, setup_ms: 0,
    idle_ms: 0, unknown_ms: 0, micro_stop_ms: 0, micro_stop_count: 0, pieces: 0, good_count: 0, reject_count: 0, ideal_ms: 0,
    without_ideal: 0, loss_keys: [], loss_values: [], stop_keys: [], stop_values: [],
  });

  async function oeeDrillDown(q: OeeQuery): Promise<OeeDrillDown> {
    const depth = q.scope === '' ? 0 : q.scope.split('/').length;
    const groupBy = q.groupBy ?? levels[Math.min(depth, levels.length - 1)]!;
    const groupDepth = levels.indexOf(groupBy) + 1;
    const select = oeeSums;
    const where = `window_kind = {kind:String} AND ${scopeClause()} AND NOT has(flags, 'RETRACTED')
      AND ({windowId:String} = '' OR window_id = {windowId:String})
      AND window_start >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND window_start < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
    const params = { kind: q.windowKind, scope: q.scope, windowId: q.windowId ?? '', from: q.from ?? 0, to: q.to ?? 8_000_000_000_000, depth: groupDepth };
    const rows = await store.query<OeeRow & { grp: number | string }>(
      `SELECT arrayStringConcat(arraySlice(splitByChar('/', equipment), 1, {depth:UInt8}), '/') AS path, 0 AS grp, ${select}
       FROM ${db}.oee_windows FINAL WHERE ${where} GROUP BY path
       UNION ALL
       SELECT {scope:String} AS path, 1 AS grp, ${select}
       FROM ${db}.oee_windows FINAL WHERE ${where}
       ORDER BY grp, path`,
      params,
    );
    const totalRow = rows.find((r) => num(r.grp) === 1);
    return {
      scope: q.scope,
      windowKind: q.windowKind,
      groupBy,
      total: oeeFigures(totalRow && num(totalRow.windows) > 0 ? totalRow : emptyOee(q.scope)),
      groups: rows.filter((r) => num(r.grp) === 0).map((r) => ({ path: r.path, ...oeeFigures(r) })),
    };
  }

  async function oeeTrend(q: OeeTrendQuery): Promise<OeeTrendPoint[]> {
    const rows = await store.query<OeeRow & { bucket: number | string }>(
      `SELECT intDiv(${ms('window_start')} - {from:Int64}, {bucketMs:Int64}) AS bucket, '' AS path, ${oeeSums}
       FROM ${db}.oee_windows FINAL
       WHERE window_kind = 'HOUR' AND ${scopeClause()} AND NOT has(flags, 'RETRACTED') AND ${rangeClause('window_start')}
       GROUP BY bucket ORDER BY bucket`,
      { scope: q.scope, from: q.from, to: q.to, bucketMs: q.bucketMs },
    );
    const byBucket = new Map(rows.map((r) => [num(r.bucket), r]));
    const points: OeeTrendPoint[] = [];
    for (let i = 0, from = q.from; from < q.to; i += 1, from += q.bucketMs) {
      points.push({ from, to: Math.min(from + q.bucketMs, q.to), ...oeeFigures(byBucket.get(i) ?? emptyOee(q.scope)) });
    }
    return points;
  }

  async function microStops(q: MicroStopQuery): Promise<MicroStops> {
    const thresholdMs = q.thresholdMs ?? 120_000;
    const running = new Set((q.runningStates ?? ['EXECUTE', 'RUNNING', 'RUN', 'PRODUCING']).map((s) => s.toUpperCase()));
    const { intervals } = await stateTimeline({ scope: q.scope, from: q.from, to: q.to, limit: Number.MAX_SAFE_INTEGER });
    const byReason = new Map<string, { count: number; totalMs: number }>();
    let count = 0;
    let totalMs = 0;
    for (const i of intervals) {
      // A stop still open at the range end, or cut by the range start, has no known length.
      if (!i.closed || i.start === q.from || running.has(i.state.toUpperCase()) || i.durationMs >= thresholdMs) continue;
      const reason = i.reasonCode ?? i.state;
      const entry = byReason.get(reason) ?? { count: 0, totalMs: 0 };
      entry.count += 1;
      entry.totalMs += i.durationMs;
      byReason.set(reason, entry);
      count += 1;
      totalMs += i.durationMs;
    }
    let cumulative = 0;
    const pareto = [...byReason.entries()]
      .sort((a, b) => b[1].totalMs - a[1].totalMs || b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
      .map(([reason, e]) => {
        cumulative += e.totalMs;
        return { reason, count: e.count, totalMs: e.totalMs, share: totalMs > 0 ? e.totalMs / totalMs : 0, cumulativeShare: totalMs > 0 ? cumulative / totalMs : 0 };
      });
    const [oee] = await store.query<{ c: number | string; m: number | string }>(
      `SELECT sum(micro_stop_count) AS c, sum(micro_stop_ms) AS m FROM ${db}.oee_windows FINAL
       WHERE window_kind = 'HOUR' AND ${scopeClause()} AND NOT has(flags, 'RETRACTED') AND ${rangeClause('window_start')}`,
      { scope: q.scope, from: q.from, to: q.to },
    );
    return { thresholdMs, count, totalMs, pareto, oee: { microStopCount: num(oee?.c ?? 0), microStopMs: num(oee?.m ?? 0) } };
  }

  async function qualityBreakdown(q: TimeRange & { scope: string }): Promise<QualityBreakdown> {
    const rows = await store.query<{ equipment: string; reason: string; good: number | string; reject: number | string }>(
      `SELECT equipment, reject_reason AS reason, sumMerge(good) AS good, sumMerge(reject) AS reject
       FROM ${db}.counts_1m
       WHERE ${scopeClause()} AND bucket >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
         AND bucket < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       GROUP BY equipment, reason`,
      { scope: q.scope, from: q.from, to: q.to },
    );
    const reasons = new Map<string, number>();
    const perEquipment = new Map<string, { equipment: string; good: number; reject: number }>();
    let good = 0;
    let reject = 0;
    for (const r of rows) {
      const g = num(r.good);
      const x = num(r.reject);
      good += g;
      reject += x;
      if (x > 0) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + x);
      const e = perEquipment.get(r.equipment) ?? { equipment: r.equipment, good: 0, reject: 0 };
      e.good += g;
      e.reject += x;
      perEquipment.set(r.equipment, e);
    }
    return {
      good,
      reject,
      reasons: [...reasons.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([reason, n]) => ({ reason, reject: n, share: reject > 0 ? n / reject : 0 })),
      perEquipment: [...perEquipment.values()].sort((a, b) => (a.equipment < b.equipment ? -1 : 1)),
    };
  }

  async function reliability(q: TimeRange & { scope: string; windowKind?: 'SHIFT' | 'DAY' }): Promise<ReliabilityRow[]> {
    type WindowFigures = { equipment: string; wid: string; f: number | string; r: number | string; o: number | string; rt: number | string };
    const params = { scope: q.scope, from: q.from, to: q.to, kind: q.windowKind ?? 'DAY' };
    // The reliability topic's records (highest revision per window) first; the figures the alerts carried only for
    // windows it has no record of (data from before the topic, or a processor that does not emit it).
    const [own, fromAlerts] = await Promise.all([
      store.query<WindowFigures>(
        `SELECT equipment, window_id AS wid, failures AS f, repairs AS r, operating_ms AS o, repair_ms AS rt
         FROM ${db}.reliability_windows FINAL
         WHERE ${scopeClause()} AND window_kind = {kind:String} AND ${rangeClause('window_start')}`,
        params,
      ),
      store.query<WindowFigures>(
        `SELECT equipment, rel.window_id AS wid,
                argMax(rel.failures, event_time) AS f, argMax(rel.repairs, event_time) AS r,
                argMax(rel.operating_ms, event_time) AS o, argMax(rel.repair_ms, event_time) AS rt
         FROM ${db}.alert_events FINAL ARRAY JOIN reliability AS rel
         WHERE kind = 'DOWNTIME' AND ${scopeClause()} AND rel.window_kind = {kind:String}
           AND ${rangeClause('rel.window_start')}
         GROUP BY equipment, wid`,
        params,
      ),
    ]);
    const windows = new Map<string, WindowFigures>();
    for (const w of fromAlerts) windows.set(`${w.equipment}\u0000${w.wid}`, w);
    for (const w of own) windows.set(`${w.equipment}\u0000${w.wid}`, w);
    const figures = new Map<string, { equipment: string; windows: number; failures: number; repairs: number; operating: number; repair: number }>();
    for (const w of windows.values()) {
      const f = figures.get(w.equipment) ?? { equipment: w.equipment, windows: 0, failures: 0, repairs: 0, operating: 0, repair: 0 };
      f.windows += 1;
      f.failures += num(w.f);
      f.repairs += num(w.r);
      f.operating += num(w.o);
      f.repair += num(w.rt);
      figures.set(w.equipment, f);
    }
    const alerts = await store.query<{ equipment: string; raised: number | string; mean: number | null }>(
      `SELECT equipment, uniqExactIf(alert_id, action = 'RAISED') AS raised, avgIf(duration_ms, action = 'CLEARED') AS mean
       FROM ${db}.alert_events FINAL
       WHERE kind = 'DOWNTIME' AND ${scopeClause()} AND ${rangeClause('start_time')}
       GROUP BY equipment`,
      { scope: q.scope, from: q.from, to: q.to },
    );
    const byEquipment = new Map<string, ReliabilityRow>();
    const row = (equipment: string): ReliabilityRow =>
      byEquipment.get(equipment) ??
      byEquipment
        .set(equipment, { equipment, windows: 0, failures: 0, repairs: 0, operatingMs: 0, repairMs: 0, mtbfMs: null, mttrMs: null, downtimeAlerts: 0, meanDowntimeMs: null })
        .get(equipment)!;
    for (const f of figures.values()) {
      const r = row(f.equipment);
      r.windows = num(f.windows);
      r.failures = num(f.failures);
      r.repairs = num(f.repairs);
      r.operatingMs = num(f.operating);
      r.repairMs = num(f.repair);
      r.mtbfMs = ratio(r.operatingMs, r.failures);
      r.mttrMs = ratio(r.repairMs, r.repairs);
    }
    for (const a of alerts) {
      const r = row(a.equipment);
      r.downtimeAlerts = num(a.raised);
      r.meanDowntimeMs = a.mean === null || Number.isNaN(Number(a.mean)) ? null : Number(a.mean);
    }
    return [...byEquipment.values()].sort((a, b) => (a.equipment < b.equipment ? -1 : 1));
  }

  async function spcChart(q: SpcChartQuery): Promise<SpcChart> {
    const params = { characteristic: q.characteristic, from: q.from, to: q.to };
    const points = await store.query<{
      index: number | string; t: number | string; equipment: string; chart: string; statistic: number; dispersion: number | null; rules: number[];
      dool: boolean; limits_version: number | null; center: number | null; ucl: number | null; lcl: number | null; sigma: number | null;
      upper2_sigma: number | null; upper1_sigma: number | null; lower1_sigma: number | null; lower2_sigma: number | null;
      dispersion_center: number | null; dispersion_ucl: number | null; dispersion_lcl: number | null; limits_source: string | null;
      subgroup_size: number | null; work_order: string | null;
    }>(
      `SELECT point_index AS index, ${ms('event_time')} AS t, equipment, chart, statistic, dispersion, rules,
              dispersion_out_of_limits AS dool, limits_version, center, ucl, lcl, sigma, upper2_sigma, upper1_sigma,
              lower1_sigma, lower2_sigma, dispersion_center, dispersion_ucl, dispersion_lcl, limits_source, subgroup_size, work_order
       FROM ${db}.spc_points FINAL
       WHERE characteristic = {characteristic:String} AND ${rangeClause('event_time')}
       ORDER BY point_index`,
      params,
    );
    const hits = await store.query<{ event_id: string; index: number | string; t: number | string; rule: number; rule_set: string; description: string; direction: string | null; chart_part: string }>(
      `SELECT event_id, point_indexes[-1] AS index, ${ms('event_time')} AS t, rule, rule_set, description, direction, chart_part
       FROM ${db}.spc_alarms FINAL
       WHERE characteristic = {characteristic:String} AND ${rangeClause('event_time')}
       ORDER BY event_time, event_id`,
      params,
    );
    const limits: SpcLimitsView[] = [];
    for (const p of points) {
      if (p.limits_version === null || p.center === null || p.ucl === null || p.lcl === null || p.sigma === null) continue;
      const last = limits.at(-1);
      if (last && last.version === num(p.limits_version) && last.center === p.center && last.ucl === p.ucl && last.lcl === p.lcl) continue;
      limits.push({
        version: num(p.limits_version),
        center: p.center,
        ucl: p.ucl,
        lcl: p.lcl,
        sigma: p.sigma,
        zones: { upper2Sigma: p.upper2_sigma, upper1Sigma: p.upper1_sigma, lower1Sigma: p.lower1_sigma, lower2Sigma: p.lower2_sigma },
        dispersion: { center: p.dispersion_center, ucl: p.dispersion_ucl, lcl: p.dispersion_lcl },
        source: p.limits_source,
        subgroupSize: p.subgroup_size === null ? null : num(p.subgroup_size),
        fromIndex: num(p.index),
      });
    }
    const views: SpcChartPointView[] = points.map((p) => ({
      index: num(p.index),
      t: num(p.t),
      statistic: p.statistic,
      dispersion: p.dispersion,
      rules: p.rules.map(Number),
      dispersionOutOfLimits: Boolean(p.dool),
      limitsVersion: numOrNull(p.limits_version),
      zone:
        p.center === null || p.ucl === null || p.lcl === null || p.sigma === null
          ? null
          : zoneOf(p.statistic, { center: p.center, ucl: p.ucl, lcl: p.lcl, sigma: p.sigma }),
      workOrder: p.work_order,
    }));
    const maxPoints = q.maxPoints ?? 2_000;
    const kept = views.length > maxPoints ? lttb(views, maxPoints, (p) => ({ x: p.index, y: p.statistic }), (p) => p.rules.length > 0 || p.dispersionOutOfLimits) : views;
    return {
      characteristic: q.characteristic,
      equipment: points[0]?.equipment ?? null,
      chart: points[0]?.chart ?? null,
      totalPoints: views.length,
      downsampled: kept.length < views.length,
      points: kept,
      limits,
      hits: hits.map((h) => ({ eventId: h.event_id, index: num(h.index), t: num(h.t), rule: Number(h.rule), ruleSet: h.rule_set, description: h.description, direction: h.direction, chartPart: h.chart_part })),
    };
  }

  async function countsByEquipment(q: TimeRange & { scope: string; bucket?: 'hour' }) {
    const bucket = q.bucket === 'hour' ? 'toUnixTimestamp(toStartOfHour(bucket)) * 1000' : 'NULL';
    const rows = await store.query<{ equipment: string; b: number | string | null; good: number | string; reject: number | string }>(
      `SELECT equipment, ${bucket} AS b, sumMerge(good) AS good, sumMerge(reject) AS reject
       FROM ${db}.counts_1m
       WHERE ${scopeClause()} AND bucket >= toStartOfMinute(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
         AND bucket < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       GROUP BY equipment, b ORDER BY equipment, b`,
      { scope: q.scope, from: q.from, to: q.to },
    );
    return rows.map((r) => ({ equipment: r.equipment, bucketStart: numOrNull(r.b), good: num(r.good), reject: num(r.reject) }));
  }

  async function idealRatePlan(q: TimeRange & { scope: string }) {
    const rows = await store.query<{ equipment: string; pieces: number | null; unknown: number | string }>(
      `SELECT equipment, sumIf(planned_production_ms / ideal_cycle_time_ms, ideal_cycle_time_ms > 0) AS pieces,
              countIf(ideal_cycle_time_ms IS NULL OR ideal_cycle_time_ms <= 0) AS unknown
       FROM ${db}.oee_windows FINAL
       WHERE window_kind = 'SHIFT' AND ${scopeClause()} AND NOT has(flags, 'RETRACTED') AND ${rangeClause('window_start')}
       GROUP BY equipment ORDER BY equipment`,
      { scope: q.scope, from: q.from, to: q.to },
    );
    return rows.map((r) => ({ equipment: r.equipment, pieces: num(r.unknown) > 0 ? null : Math.floor(Number(r.pieces ?? 0)) }));
  }

  const capabilityIndexNames = ['cp', 'cpl', 'cpu', 'cpk', 'pp', 'ppl', 'ppu', 'ppk'] as const;
  const capabilityColumns = `event_id, ${ms('event_time')} AS t, equipment, characteristic, chart, point_index, limits_version, first_index, points, samples,
    mean, lsl, usl, sigma_within, within_method, constants, sigma_overall, ${capabilityIndexNames.map((i) => `${i}, ${i}_samples`).join(', ')}`;
  type CapabilityRow = Record<string, number | string | null> & { event_id: string; equipment: string; characteristic: string; chart: string; constants: string };
  const capabilityView = (r: CapabilityRow): SpcCapabilityView => ({
    eventId: r.event_id,
    eventTime: num(r.t!),
    equipment: r.equipment,
    characteristic: r.characteristic,
    chart: r.chart,
    index: num(r.point_index!),
    limitsVersion: num(r.limits_version!),
    firstIndex: num(r.first_index!),
    points: num(r.points!),
    samples: num(r.samples!),
    mean: num(r.mean!),
    lsl: numOrNull(r.lsl),
    usl: numOrNull(r.usl),
    sigmaWithin: numOrNull(r.sigma_within),
    withinMethod: (r.within_method as string | null) ?? null,
    constants: r.constants,
    sigmaOverall: num(r.sigma_overall!),
    indexes: Object.fromEntries(
      capabilityIndexNames.map((i) => [i, r[i] === null || r[i] === undefined ? null : { value: num(r[i]), samples: num(r[`${i}_samples`] ?? 0) }]),
    ) as SpcCapabilityView['indexes'],
  });

  async function spcCapabilityHistory(q: TimeRange & { characteristic: string; limit?: number }): Promise<SpcCapabilityView[]> {
    const rows = await store.query<CapabilityRow>(
      `SELECT ${capabilityColumns} FROM ${db}.spc_capability FINAL
       WHERE characteristic = {characteristic:String} AND ${rangeClause('event_time')}
       ORDER BY event_time, point_index LIMIT {limit:UInt32}`,
      { characteristic: q.characteristic, from: q.from, to: q.to, limit: Math.min(q.limit ?? 1_000, 100_000) },
    );
    return rows.map(capabilityView);
  }

  async function latestSpcCapability(q: { scope: string; characteristic?: string }): Promise<SpcCapabilityView[]> {
    const rows = await store.query<CapabilityRow>(
      `SELECT ${capabilityColumns} FROM ${db}.spc_capability FINAL
       WHERE ${scopeClause()} AND ({characteristic:String} = '' OR characteristic = {characteristic:String})
       ORDER BY characteristic, event_time DESC, point_index DESC LIMIT 1 BY characteristic`,
      { scope: q.scope, characteristic: q.characteristic ?? '' },
    );
    return rows.map(capabilityView);
  }

  return {
    telemetry,
    stateTimeline,
    oeeDrillDown,
    oeeTrend,
    microStops,
    qualityBreakdown,
    reliability,
    spcChart,
    spcCapabilityHistory,
    latestSpcCapability,
    countsByEquipment,
    idealRatePlan,
  };
}

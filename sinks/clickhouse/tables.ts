// ClickHouse tables of linepulse: one entry per table with its DDL and the mapping from the event contract
// (schemas/generated/types.ts) to a row. Adding a table = one entry here plus one route in sinks/routes.ts.
//
// Design rules:
// - Idempotency: every table is a ReplacingMergeTree whose sorting key identifies the event (the event id, or
//   (equipment, windowKind, windowId) for revisioned totals with `revision` as version). Replaying a batch, in
//   any grouping, adds rows that collapse on merge; queries read with FINAL (or argMax) so they never see the
//   duplicates in the meantime.
// - Sorting keys start with equipment and time: per-equipment time-range scans read one contiguous range.
// - Monthly partitions on event time. A replayed row has the same event time, so it lands in the same partition
//   as its original and collapses with it.
// - Retention (./retention.ts, config): raw tables carry `TTL event_time + rawDays`; the telemetry rollups
//   (1 minute, 1 hour: AggregatingMergeTree filled by materialized views with -State functions, read with -Merge)
//   keep minuteDays / hourDays; derived, small tables (OEE windows, SPC alarms, alerts) keep hourDays.
// - Tables with rollups (`dedupeBeforeInsert`) must not feed a replayed row to the views a second time (a view
//   sees every inserted block, and count/avg are not idempotent): the writer inserts only rows whose event id
//   is not stored yet (./insert.ts).
// - LowCardinality for repeated names (equipment, tag, unit, state, enums kept as text so a new enum symbol
//   in the Avro contract never makes an insert fail); Delta on timestamps and sequences, Gorilla on float
//   samples, ZSTD on top.
import type {
  Alert,
  CountIncrement,
  CountTotal,
  EquipmentState,
  OeeWindow,
  Reliability,
  SpcAlarm,
  SpcCapability,
  SpcCapabilityIndex,
  SpcLimits,
  SpcPoint,
  Telemetry,
} from '../../schemas/generated/types.ts';
import { retentionDays, ttlClause, type ClickHouseRetention, type RetentionClass } from './retention.ts';

export type Row = Record<string, unknown>;

export interface ClickHouseTable<E> {
  /** Table name inside the store's database. */
  readonly name: string;
  /** CREATE TABLE IF NOT EXISTS statement for database `db` (TTL from `retention`). */
  ddl(db: string, retention: ClickHouseRetention): string;
  /** Retention class and the time column the TTL ages rows by; none: kept forever. */
  readonly ttl?: { readonly cls: RetentionClass; readonly column: string };
  /**
   * Materialized views read this table's inserts: the writer inserts only rows whose `event_id` is not stored yet,
   * so a replay never reaches the views twice (the time column names the range to look in).
   */
  readonly dedupeBeforeInsert?: { readonly timeColumn: string };
  /** One event -> one row (column name -> JSON value; times as epoch ms, which DateTime64(3) reads as ms). */
  toRow(event: E): Row;
}

const time = `DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1))`;

function ttl(spec: { cls: RetentionClass; column: string }, retention: ClickHouseRetention): string {
  return ttlClause(spec.column, retentionDays(retention, spec.cls));
}
const originColumns = `
  source_id LowCardinality(String),
  seq UInt64 CODEC(Delta, ZSTD(1)),
  edge_time ${time},
  server_time Nullable(DateTime64(3, 'UTC')) CODEC(ZSTD(1)),
  historical Bool`;

function originRow(origin: Telemetry['origin']): Row {
  return {
    source_id: origin.sourceId,
    seq: origin.seq,
    edge_time: origin.edgeTime,
    server_time: origin.serverTime,
    historical: origin.historical,
  };
}

const telemetryTtl = { cls: 'raw', column: 'event_time' } as const;
export const telemetryTable: ClickHouseTable<Telemetry> = {
  name: 'telemetry',
  ttl: telemetryTtl,
  dedupeBeforeInsert: { timeColumn: 'event_time' },
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.telemetry (
  event_id String CODEC(ZSTD(1)),
  event_time ${time},
  equipment LowCardinality(String),
  tag LowCardinality(String),
  value Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
  text Nullable(String) CODEC(ZSTD(1)),
  unit LowCardinality(Nullable(String)),
  quality LowCardinality(String),
  status_code Nullable(UInt32),
  out_of_range Bool,${originColumns}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (equipment, tag, event_time, event_id)
${ttl(telemetryTtl, r)}
SETTINGS ttl_only_drop_parts = 1`,
  toRow: (e) => ({
    event_id: e.eventId,
    event_time: e.eventTime,
    equipment: e.equipment,
    tag: e.tag,
    value: e.value,
    text: e.text,
    unit: e.unit,
    quality: e.quality,
    status_code: e.statusCode,
    out_of_range: e.outOfRange,
    ...originRow(e.origin),
  }),
};

// State changes are few (hundreds a day per machine) and they are the state timeline itself: kept as long as the
// 1-minute aggregates.
const stateTtl = { cls: 'minute', column: 'event_time' } as const;
export const stateEventsTable: ClickHouseTable<EquipmentState> = {
  name: 'state_events',
  ttl: stateTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.state_events (
  event_id String CODEC(ZSTD(1)),
  event_time ${time},
  equipment LowCardinality(String),
  state LowCardinality(String),
  reason_code LowCardinality(Nullable(String)),
  reason_text Nullable(String) CODEC(ZSTD(1)),
  quality LowCardinality(String),${originColumns}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (equipment, event_time, event_id)
${ttl(stateTtl, r)}
SETTINGS ttl_only_drop_parts = 1`,
  toRow: (e) => ({
    event_id: e.eventId,
    event_time: e.eventTime,
    equipment: e.equipment,
    state: e.state,
    reason_code: e.reasonCode,
    reason_text: e.reasonText,
    quality: e.quality,
    ...originRow(e.origin),
  }),
};

const incrementsTtl = { cls: 'raw', column: 'event_time' } as const;
export const countIncrementsTable: ClickHouseTable<CountIncrement> = {
  name: 'count_increments',
  ttl: incrementsTtl,
  dedupeBeforeInsert: { timeColumn: 'event_time' },
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.count_increments (
  event_id String CODEC(ZSTD(1)),
  event_time ${time},
  equipment LowCardinality(String),
  good UInt32 CODEC(T64, ZSTD(1)),
  reject UInt32 CODEC(T64, ZSTD(1)),
  work_order LowCardinality(Nullable(String)),
  reject_reason LowCardinality(Nullable(String)),
  source_event_id String CODEC(ZSTD(1)),
  note LowCardinality(Nullable(String))
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (equipment, event_time, event_id)
${ttl(incrementsTtl, r)}
SETTINGS ttl_only_drop_parts = 1`,
  toRow: (e) => ({
    event_id: e.eventId,
    event_time: e.eventTime,
    equipment: e.equipment,
    good: e.good,
    reject: e.reject,
    work_order: e.workOrder,
    reject_reason: e.rejectReason,
    source_event_id: e.sourceEventId,
    note: e.note,
  }),
};

const totalsTtl = { cls: 'hour', column: 'event_time' } as const;
export const countTotalsTable: ClickHouseTable<CountTotal> = {
  name: 'count_totals',
  ttl: totalsTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.count_totals (
  equipment LowCardinality(String),
  window_kind LowCardinality(String),
  window_id String,
  window_start Nullable(DateTime64(3, 'UTC')),
  window_end Nullable(DateTime64(3, 'UTC')),
  good UInt64,
  reject UInt64,
  revision UInt64,
  event_id String CODEC(ZSTD(1)),
  event_time ${time}
) ENGINE = ReplacingMergeTree(revision)
ORDER BY (equipment, window_kind, window_id)
${ttl(totalsTtl, r)}`,
  toRow: (e) => ({
    equipment: e.equipment,
    window_kind: e.windowKind,
    window_id: e.windowId,
    window_start: e.windowStart,
    window_end: e.windowEnd,
    good: e.good,
    reject: e.reject,
    revision: e.revision,
    event_id: e.eventId,
    event_time: e.eventTime,
  }),
};

// OEE windows: the processor re-emits a window with revision + 1 when late data changes it; the highest revision
// wins (ReplacingMergeTree(revision) on the window's key), whatever the arrival order. Reads use FINAL.
const oeeTtl = { cls: 'hour', column: 'window_start' } as const;
export const oeeWindowsTable: ClickHouseTable<OeeWindow> = {
  name: 'oee_windows',
  ttl: oeeTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.oee_windows (
  equipment LowCardinality(String),
  window_kind LowCardinality(String),
  window_id String,
  window_start ${time},
  window_end DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
  closed Bool,
  revision UInt64,
  shift LowCardinality(Nullable(String)),
  work_order LowCardinality(Nullable(String)),
  product LowCardinality(Nullable(String)),
  scheduled_ms Int64 CODEC(T64, ZSTD(1)),
  planned_stop_ms Int64 CODEC(T64, ZSTD(1)),
  planned_production_ms Int64 CODEC(T64, ZSTD(1)),
  run_ms Int64 CODEC(T64, ZSTD(1)),
  unplanned_stop_ms Int64 CODEC(T64, ZSTD(1)),
  setup_ms Int64 CODEC(T64, ZSTD(1)),
  idle_ms Int64 CODEC(T64, ZSTD(1)),
  micro_stop_ms Int64 CODEC(T64, ZSTD(1)),
  micro_stop_count Int64 CODEC(T64, ZSTD(1)),
  unknown_ms Int64 CODEC(T64, ZSTD(1)),
  not_scheduled_ms Int64 CODEC(T64, ZSTD(1)),
  run_outside_schedule_ms Int64 CODEC(T64, ZSTD(1)),
  total_count Int64 CODEC(T64, ZSTD(1)),
  good_count Int64 CODEC(T64, ZSTD(1)),
  reject_count Int64 CODEC(T64, ZSTD(1)),
  startup_reject_count Int64 CODEC(T64, ZSTD(1)),
  ideal_production_ms Float64 CODEC(Gorilla, ZSTD(1)),
  ideal_cycle_time_ms Nullable(Float64),
  availability Nullable(Float64),
  performance Nullable(Float64),
  quality Nullable(Float64),
  oee Nullable(Float64),
  losses Map(LowCardinality(String), Float64),
  planned_stop_by_kind Map(LowCardinality(String), Int64),
  flags Array(LowCardinality(String)),
  event_id String CODEC(ZSTD(1)),
  event_time ${time}
) ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYear(window_start)
ORDER BY (equipment, window_kind, window_id)
${ttl(oeeTtl, r)}`,
  toRow: (e) => ({
    equipment: e.equipment,
    window_kind: e.windowKind,
    window_id: e.windowId,
    window_start: e.windowStart,
    window_end: e.windowEnd,
    closed: e.closed,
    revision: e.revision,
    shift: e.shift,
    work_order: e.workOrder,
    product: e.product,
    scheduled_ms: e.scheduledTimeMs,
    planned_stop_ms: e.plannedStopMs,
    planned_production_ms: e.plannedProductionTimeMs,
    run_ms: e.runTimeMs,
    unplanned_stop_ms: e.unplannedStopMs,
    setup_ms: e.setupMs,
    idle_ms: e.idleMs,
    micro_stop_ms: e.microStopMs,
    micro_stop_count: e.microStopCount,
    unknown_ms: e.unknownMs,
    not_scheduled_ms: e.notScheduledMs,
    run_outside_schedule_ms: e.runOutsideScheduleMs,
    total_count: e.totalCount,
    good_count: e.goodCount,
    reject_count: e.rejectCount,
    startup_reject_count: e.startupRejectCount,
    ideal_production_ms: e.idealProductionTimeMs,
    ideal_cycle_time_ms: e.idealCycleTimeMs,
    availability: e.availability,
    performance: e.performance,
    quality: e.quality,
    oee: e.oee,
    losses: e.losses,
    planned_stop_by_kind: e.plannedStopByKind,
    flags: e.flags,
    event_id: e.eventId,
    event_time: e.eventTime,
  }),
};

const limitsColumns = `
  limits_version Nullable(UInt32),
  center Nullable(Float64),
  ucl Nullable(Float64),
  lcl Nullable(Float64),
  sigma Nullable(Float64),
  upper2_sigma Nullable(Float64),
  upper1_sigma Nullable(Float64),
  lower1_sigma Nullable(Float64),
  lower2_sigma Nullable(Float64),
  dispersion_center Nullable(Float64),
  dispersion_ucl Nullable(Float64),
  dispersion_lcl Nullable(Float64),
  limits_source LowCardinality(Nullable(String)),
  subgroup_size Nullable(UInt32)`;

function limitsRow(l: SpcLimits | null): Row {
  return {
    limits_version: l?.version ?? null,
    center: l?.center ?? null,
    ucl: l?.ucl ?? null,
    lcl: l?.lcl ?? null,
    sigma: l?.sigma ?? null,
    upper2_sigma: l?.upper2Sigma ?? null,
    upper1_sigma: l?.upper1Sigma ?? null,
    lower1_sigma: l?.lower1Sigma ?? null,
    lower2_sigma: l?.lower2Sigma ?? null,
    dispersion_center: l?.dispersionCenter ?? null,
    dispersion_ucl: l?.dispersionUcl ?? null,
    dispersion_lcl: l?.dispersionLcl ?? null,
    limits_source: l?.source ?? null,
    subgroup_size: l?.subgroupSize ?? null,
  };
}

// SPC points: one row per plotted point with the limits it was judged against (zones included) and the rules it
// triggered. Charts are read per characteristic over time, so the key starts with the characteristic.
const spcPointsTtl = { cls: 'raw', column: 'event_time' } as const;
export const spcPointsTable: ClickHouseTable<SpcPoint> = {
  name: 'spc_points',
  ttl: spcPointsTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.spc_points (
  event_id String CODEC(ZSTD(1)),
  event_time ${time},
  equipment LowCardinality(String),
  characteristic LowCardinality(String),
  chart LowCardinality(String),
  point_index UInt64 CODEC(Delta, ZSTD(1)),
  subgroup_id Nullable(String) CODEC(ZSTD(1)),
  values Array(Float64) CODEC(ZSTD(1)),
  statistic Float64 CODEC(Gorilla, ZSTD(1)),
  dispersion Nullable(Float64) CODEC(Gorilla, ZSTD(1)),${limitsColumns},
  rules Array(UInt8),
  dispersion_out_of_limits Bool,
  work_order LowCardinality(Nullable(String)),
  serials Array(String) CODEC(ZSTD(1)),
  lots Array(String) CODEC(ZSTD(1))
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (characteristic, event_time, event_id)
${ttl(spcPointsTtl, r)}
SETTINGS ttl_only_drop_parts = 1`,
  toRow: (e) => ({
    event_id: e.eventId,
    event_time: e.eventTime,
    equipment: e.equipment,
    characteristic: e.characteristic,
    chart: e.chart,
    point_index: e.index,
    subgroup_id: e.subgroupId,
    values: e.values,
    statistic: e.statistic,
    dispersion: e.dispersion,
    ...limitsRow(e.limits),
    rules: e.rules,
    dispersion_out_of_limits: e.dispersionOutOfLimits,
    work_order: e.workOrder,
    serials: e.serials,
    lots: e.lots,
  }),
};

// SPC alarms as signalled (history; their lifecycle lives in PostgreSQL, migrations 0005).
const spcAlarmsTtl = { cls: 'hour', column: 'event_time' } as const;
export const spcAlarmsTable: ClickHouseTable<SpcAlarm> = {
  name: 'spc_alarms',
  ttl: spcAlarmsTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.spc_alarms (
  event_id String CODEC(ZSTD(1)),
  event_time ${time},
  equipment LowCardinality(String),
  characteristic LowCardinality(String),
  rule UInt8,
  rule_set LowCardinality(String),
  label UInt8,
  description LowCardinality(String),
  direction LowCardinality(Nullable(String)),
  chart_part LowCardinality(String),
  point_indexes Array(UInt64),
  values Array(Float64),${limitsColumns},
  work_order LowCardinality(Nullable(String)),
  serials Array(String) CODEC(ZSTD(1)),
  lots Array(String) CODEC(ZSTD(1))
) ENGINE = ReplacingMergeTree
PARTITION BY toYear(event_time)
ORDER BY (characteristic, event_time, event_id)
${ttl(spcAlarmsTtl, r)}`,
  toRow: (e) => ({
    event_id: e.eventId,
    event_time: e.eventTime,
    equipment: e.equipment,
    characteristic: e.characteristic,
    rule: e.rule,
    rule_set: e.ruleSet,
    label: e.label,
    description: e.description,
    direction: e.direction,
    chart_part: e.chartPart,
    point_indexes: e.pointIndexes,
    values: e.values,
    ...limitsRow(e.limits),
    work_order: e.workOrder,
    serials: e.serials,
    lots: e.lots,
  }),
};

// Downtime and sensor alert events (RAISED, CLEARED) as history, with the MTBF/MTTR figures the alerts processor
// attaches to DOWNTIME alerts (one row per event; the current lifecycle is in PostgreSQL `alerts`).
const alertsTtl = { cls: 'hour', column: 'event_time' } as const;
export const alertEventsTable: ClickHouseTable<Alert> = {
  name: 'alert_events',
  ttl: alertsTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.alert_events (
  event_id String CODEC(ZSTD(1)),
  event_time ${time},
  equipment LowCardinality(String),
  alert_id String CODEC(ZSTD(1)),
  kind LowCardinality(String),
  action LowCardinality(String),
  severity LowCardinality(String),
  start_time DateTime64(3, 'UTC'),
  end_time Nullable(DateTime64(3, 'UTC')),
  duration_ms Nullable(Int64),
  reason_code LowCardinality(Nullable(String)),
  reason_text Nullable(String) CODEC(ZSTD(1)),
  tag LowCardinality(Nullable(String)),
  value Nullable(Float64),
  threshold LowCardinality(Nullable(String)),
  work_order LowCardinality(Nullable(String)),
  message String CODEC(ZSTD(1)),
  reliability Nested(
    window_kind LowCardinality(String),
    window_id String,
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    failures Int64,
    repairs Int64,
    operating_ms Int64,
    repair_ms Int64
  )
) ENGINE = ReplacingMergeTree
PARTITION BY toYear(event_time)
ORDER BY (equipment, event_time, event_id)
${ttl(alertsTtl, r)}`,
  toRow: (e) => ({
    event_id: e.eventId,
    event_time: e.eventTime,
    equipment: e.equipment,
    alert_id: e.alertId,
    kind: e.kind,
    action: e.action,
    severity: e.severity,
    start_time: e.startTime,
    end_time: e.endTime,
    duration_ms: e.durationMs,
    reason_code: e.reasonCode,
    reason_text: e.reasonText,
    tag: e.tag,
    value: e.value,
    threshold: e.threshold,
    work_order: e.workOrder,
    message: e.message,
    'reliability.window_kind': e.reliability.map((f) => f.windowKind),
    'reliability.window_id': e.reliability.map((f) => f.windowId),
    'reliability.window_start': e.reliability.map((f) => f.windowStart),
    'reliability.window_end': e.reliability.map((f) => f.windowEnd),
    'reliability.failures': e.reliability.map((f) => f.failures),
    'reliability.repairs': e.reliability.map((f) => f.repairs),
    'reliability.operating_ms': e.reliability.map((f) => f.operatingTimeMs),
    'reliability.repair_ms': e.reliability.map((f) => f.repairTimeMs),
  }),
};

// SPC capability (Cp, Cpk, Pp, Ppk and their one-sided parts) of a characteristic, emitted every N plotted points:
// the whole history, one row per record (keyed by the event like the points); the latest per characteristic is
// read with LIMIT 1 BY (history.ts). Small and derived: the 1-hour class (25 y).
const capabilityIndexes = ['cp', 'cpl', 'cpu', 'cpk', 'pp', 'ppl', 'ppu', 'ppk'] as const;
type CapabilityIndexName = (typeof capabilityIndexes)[number];
const spcCapabilityTtl = { cls: 'hour', column: 'event_time' } as const;
export const spcCapabilityTable: ClickHouseTable<SpcCapability> = {
  name: 'spc_capability',
  ttl: spcCapabilityTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.spc_capability (
  event_id String CODEC(ZSTD(1)),
  event_time ${time},
  equipment LowCardinality(String),
  characteristic LowCardinality(String),
  chart LowCardinality(String),
  point_index UInt64 CODEC(Delta, ZSTD(1)),
  limits_version UInt32,
  first_index UInt64,
  points UInt64,
  samples UInt64,
  mean Float64,
  lsl Nullable(Float64),
  usl Nullable(Float64),
  sigma_within Nullable(Float64),
  within_method LowCardinality(Nullable(String)),
  constants LowCardinality(String),
  sigma_overall Float64,
${capabilityIndexes.map((i) => `  ${i} Nullable(Float64),\n  ${i}_samples Nullable(UInt64)`).join(',\n')}
) ENGINE = ReplacingMergeTree
PARTITION BY toYear(event_time)
ORDER BY (characteristic, event_time, event_id)
${ttl(spcCapabilityTtl, r)}`,
  toRow: (e) => {
    const row: Row = {
      event_id: e.eventId,
      event_time: e.eventTime,
      equipment: e.equipment,
      characteristic: e.characteristic,
      chart: e.chart,
      point_index: e.index,
      limits_version: e.limitsVersion,
      first_index: e.firstIndex,
      points: e.points,
      samples: e.samples,
      mean: e.mean,
      lsl: e.lsl,
      usl: e.usl,
      sigma_within: e.sigmaWithin,
      within_method: e.withinMethod,
      constants: e.constants,
      sigma_overall: e.sigmaOverall,
    };
    for (const name of capabilityIndexes) {
      const index: SpcCapabilityIndex | null = e[name as CapabilityIndexName];
      row[name] = index?.value ?? null;
      row[`${name}_samples`] = index?.samples ?? null;
    }
    return row;
  },
};

// MTBF / MTTR per equipment and closed window (topic linepulse.reliability.v1): revision 1 follows revision 0 when
// failures were still under repair at the window end; the highest revision wins (ReplacingMergeTree(revision) on
// the window's key, read with FINAL). 1-hour class, by window start.
const reliabilityTtl = { cls: 'hour', column: 'window_start' } as const;
export const reliabilityTable: ClickHouseTable<Reliability> = {
  name: 'reliability_windows',
  ttl: reliabilityTtl,
  ddl: (db, r) => `
CREATE TABLE IF NOT EXISTS ${db}.reliability_windows (
  equipment LowCardinality(String),
  window_kind LowCardinality(String),
  window_id String,
  window_start ${time},
  window_end DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
  revision UInt64,
  failures Int64,
  repairs Int64,
  open_repairs Int64,
  operating_ms Int64,
  repair_ms Int64,
  mtbf_ms Nullable(Float64),
  mttr_ms Nullable(Float64),
  event_id String CODEC(ZSTD(1)),
  event_time ${time}
) ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYear(window_start)
ORDER BY (equipment, window_kind, window_id)
${ttl(reliabilityTtl, r)}`,
  toRow: (e) => ({
    equipment: e.equipment,
    window_kind: e.windowKind,
    window_id: e.windowId,
    window_start: e.windowStart,
    window_end: e.windowEnd,
    revision: e.revision,
    failures: e.failures,
    repairs: e.repairs,
    open_repairs: e.openRepairs,
    operating_ms: e.operatingTimeMs,
    repair_ms: e.repairTimeMs,
    mtbf_ms: e.mtbfMs,
    mttr_ms: e.mttrMs,
    event_id: e.eventId,
    event_time: e.eventTime,
  }),
};

/** Every table the sink writes, in creation order. */
export const clickhouseTables: ReadonlyArray<ClickHouseTable<never>> = [
  telemetryTable,
  stateEventsTable,
  countIncrementsTable,
  countTotalsTable,
  oeeWindowsTable,
  spcPointsTable,
  spcAlarmsTable,
  alertEventsTable,
  spcCapabilityTable,
  reliabilityTable,
] as ReadonlyArray<ClickHouseTable<never>>;

// Downsampling: per bucket of 1 minute and 1 hour, aggregate states (-State) that merge across inserts and parts
// (read with -Merge). Two views read every insert into the raw table directly (not a chain), so each rollup is
// complete on its own, and each rollup has its own TTL. Only numeric samples are aggregated (text values stay raw).
export interface Rollup {
  /** Target table. */
  readonly name: string;
  readonly source: string;
  readonly bucket: 'minute' | 'hour';
  readonly cls: RetentionClass;
  /** Target DDL, then the view. */
  statements(db: string, retention: ClickHouseRetention): string[];
}

function telemetryRollup(bucket: 'minute' | 'hour'): Rollup {
  const name = bucket === 'minute' ? 'telemetry_1m' : 'telemetry_1h';
  const cls: RetentionClass = bucket === 'minute' ? 'minute' : 'hour';
  const start = bucket === 'minute' ? 'toStartOfMinute(event_time)' : 'toStartOfHour(event_time)';
  return {
    name,
    source: 'telemetry',
    bucket,
    cls,
    statements: (db, r) => [
      `CREATE TABLE IF NOT EXISTS ${db}.${name} (
  equipment LowCardinality(String),
  tag LowCardinality(String),
  bucket DateTime('UTC') CODEC(Delta, ZSTD(1)),
  samples AggregateFunction(count, Float64),
  avg_value AggregateFunction(avg, Float64),
  min_value AggregateFunction(min, Float64),
  max_value AggregateFunction(max, Float64),
  last_value AggregateFunction(argMax, Float64, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY ${bucket === 'minute' ? 'toYYYYMM(bucket)' : 'toYear(bucket)'}
ORDER BY (equipment, tag, bucket)
${ttlClause('bucket', retentionDays(r, cls))}
SETTINGS ttl_only_drop_parts = 1`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name}_mv TO ${db}.${name} AS
SELECT equipment, tag, toDateTime(${start}, 'UTC') AS bucket,
       countState(assumeNotNull(value)) AS samples,
       avgState(assumeNotNull(value)) AS avg_value,
       minState(assumeNotNull(value)) AS min_value,
       maxState(assumeNotNull(value)) AS max_value,
       argMaxState(assumeNotNull(value), event_time) AS last_value
FROM ${db}.telemetry
WHERE value IS NOT NULL AND isFinite(assumeNotNull(value))
GROUP BY equipment, tag, bucket`,
    ],
  };
}

function countsRollup(bucket: 'minute' | 'hour'): Rollup {
  const name = bucket === 'minute' ? 'counts_1m' : 'counts_1h';
  const cls: RetentionClass = bucket === 'minute' ? 'minute' : 'hour';
  const start = bucket === 'minute' ? 'toStartOfMinute(event_time)' : 'toStartOfHour(event_time)';
  return {
    name,
    source: 'count_increments',
    bucket,
    cls,
    statements: (db, r) => [
      `CREATE TABLE IF NOT EXISTS ${db}.${name} (
  equipment LowCardinality(String),
  bucket DateTime('UTC') CODEC(Delta, ZSTD(1)),
  reject_reason LowCardinality(String),
  good AggregateFunction(sum, UInt32),
  reject AggregateFunction(sum, UInt32)
) ENGINE = AggregatingMergeTree
PARTITION BY ${bucket === 'minute' ? 'toYYYYMM(bucket)' : 'toYear(bucket)'}
ORDER BY (equipment, bucket, reject_reason)
${ttlClause('bucket', retentionDays(r, cls))}
SETTINGS ttl_only_drop_parts = 1`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name}_mv TO ${db}.${name} AS
SELECT equipment, toDateTime(${start}, 'UTC') AS bucket, ifNull(reject_reason, '') AS reject_reason,
       sumState(good) AS good, sumState(reject) AS reject
FROM ${db}.count_increments
GROUP BY equipment, bucket, reject_reason`,
    ],
  };
}

export const telemetry1m = telemetryRollup('minute');
export const telemetry1h = telemetryRollup('hour');
export const counts1m = countsRollup('minute');
export const counts1h = countsRollup('hour');
export const clickhouseRollups: readonly Rollup[] = [telemetry1m, telemetry1h, counts1m, counts1h];

export function databaseStatement(db: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${db}`;
}

/** Tables, then rollup tables and their views (a view after its source and target). */
export function createTableStatements(db: string, retention: ClickHouseRetention): string[] {
  return [...clickhouseTables.map((table) => table.ddl(db, retention).trim()), ...clickhouseRollups.flatMap((r) => r.statements(db, retention))];
}

/** Every table with a TTL and what its TTL should be: migrate() moves a table whose TTL differs. */
export function expectedTtls(retention: ClickHouseRetention): Array<{ table: string; column: string; days: number }> {
  return [
    ...clickhouseTables.filter((t) => t.ttl).map((t) => ({ table: t.name, column: t.ttl!.column, days: retentionDays(retention, t.ttl!.cls) })),
    ...clickhouseRollups.map((r) => ({ table: r.name, column: 'bucket', days: retentionDays(retention, r.cls) })),
  ];
}

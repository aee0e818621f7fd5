// Generated from schemas/avro/*.avsc by schemas/codegen.ts. Do not edit: run `npm run schemas:gen`.

export type AlertKind = 'DOWNTIME' | 'SENSOR';

export type AlertAction = 'RAISED' | 'CLEARED';

export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL';

/** Downtime or sensor alert lifecycle from the processors. Topic linepulse.alerts.v1, key = equipment path. */
export interface Alert {
  eventId: string;
  eventTime: number;
  equipment: string;
  /** Stable across RAISED and CLEARED of one occurrence. */
  alertId: string;
  kind: AlertKind;
  action: AlertAction;
  severity: AlertSeverity;
  startTime: number;
  endTime: null | number;
  durationMs: null | number;
  reasonCode: null | string;
  reasonText: null | string;
  tag: null | string;
  value: null | number;
  /** Rule that fired, e.g. 'temperature > 80 for 30s'. */
  threshold: null | string;
  workOrder: null | string;
  message: string;
}

export type ScanStatus = 'ACCEPTED' | 'REJECTED';

export interface Gs1Fields {
  /** AI (01) */
  gtin: null | string;
  /** AI (10) */
  lot: null | string;
  /** AI (21) */
  serial: null | string;
  /** AI (17) as ISO date YYYY-MM-DD */
  expiry: null | string;
  /** AI (30) variable count or (37) count of trade items */
  quantity: null | number;
  /** Any other AIs, by AI. */
  other: Record<string, string>;
}

/** A barcode read at a station, parsed. Rejected scans carry the reason for the operator terminal. Topic linepulse.scans.v1, key = equipment path of the station. */
export interface BarcodeScan {
  eventId: string;
  eventTime: number;
  equipment: string;
  station: string;
  /** The scanned text; the GS1 group separator is kept as \u001d. */
  raw: string;
  status: ScanStatus;
  rejectReason: null | string;
  gs1: null | Gs1Fields;
  /** Plain (non-GS1) identifier, e.g. Code 128. */
  code: null | string;
  /** Work order active at the station when scanned. */
  workOrder: null | string;
  origin: Origin;
}

/** Pieces produced, normalised from counter readings or discrete counts by the count processor (never negative). Topic linepulse.count-increments.v1, key = equipment path. */
export interface CountIncrement {
  /** Deterministic: derived from the input event id. */
  eventId: string;
  eventTime: number;
  equipment: string;
  good: number;
  reject: number;
  workOrder: null | string;
  rejectReason: null | string;
  sourceEventId: string;
  /** ROLLOVER, RESET, FIRST_READING when the counter logic applied. */
  note: null | string;
}

export type CountWindowKind = 'SHIFT' | 'HOUR' | 'DAY' | 'WORK_ORDER' | 'ALL_TIME';

/** Running piece totals per equipment and window; consumers keep the highest revision per (equipment, windowKind, windowStart). Topic linepulse.count-totals.v1, key = equipment path. */
export interface CountTotal {
  eventId: string;
  eventTime: number;
  equipment: string;
  windowKind: CountWindowKind;
  /** Shift id, hour/day start as ISO text, work order id, or 'all'. */
  windowId: string;
  windowStart: null | number;
  windowEnd: null | number;
  good: number;
  reject: number;
  revision: number;
}

/** Which work order is active on which equipment from eventTime on (null workOrder: none). Topic linepulse.dispatch.v1, key = equipment path. */
export interface Dispatch {
  eventId: string;
  eventTime: number;
  equipment: string;
  workOrder: null | string;
  product: null | string;
  operation: null | string;
  idealCycleTimeMs: null | number;
  targetQuantity: null | number;
}

/** A machine state change as the machine reports it. Topic linepulse.state.v1, key = equipment path. Mapping raw states to OEE categories is config, applied by processors. */
export interface EquipmentState {
  eventId: string;
  eventTime: number;
  equipment: string;
  /** Raw state value as text (PackML-like name or numeric code). */
  state: string;
  reasonCode: null | string;
  reasonText: null | string;
  quality: Quality;
  origin: Origin;
}

export type MaterialKind = 'LOT' | 'SERIAL' | 'CONTAINER';

export type GenealogyRelation = 'MADE_FROM' | 'CONSUMED_INTO' | 'CONTAINED_IN';

/** One material genealogy edge: child went into / was made from / is contained in parent. Topic linepulse.genealogy.v1, key = parent id. */
export interface GenealogyLink {
  eventId: string;
  eventTime: number;
  parentKind: MaterialKind;
  parentId: string;
  childKind: MaterialKind;
  childId: string;
  relation: GenealogyRelation;
  quantity: null | number;
  unit: null | string;
  workOrder: null | string;
  equipment: null | string;
  sourceEventId: null | string;
}

export type OeeWindowKind = 'LIVE_SHIFT' | 'HOUR' | 'SHIFT' | 'DAY' | 'WORK_ORDER';

/** OEE of one equipment over one window (ISO 22400-2). Re-emitted with a higher revision when late data changes a window; consumers keep the highest revision per (equipment, windowKind, windowId). Topic linepulse.oee.v1, key = equipment path. */
export interface OeeWindow {
  /** Deterministic: equipment, window and revision. */
  eventId: string;
  /** Event time up to which the window is computed. */
  eventTime: number;
  equipment: string;
  windowKind: OeeWindowKind;
  windowId: string;
  windowStart: number;
  windowEnd: number;
  closed: boolean;
  revision: number;
  shift: null | string;
  workOrder: null | string;
  product: null | string;
  scheduledTimeMs: number;
  plannedStopMs: number;
  plannedProductionTimeMs: number;
  runTimeMs: number;
  unplannedStopMs: number;
  setupMs: number;
  idleMs: number;
  microStopMs: number;
  microStopCount: number;
  unknownMs: number;
  totalCount: number;
  goodCount: number;
  rejectCount: number;
  /** Sum over pieces of their ideal cycle time. */
  idealProductionTimeMs: number;
  availability: null | number;
  performance: null | number;
  quality: null | number;
  oee: null | number;
  /** Six big losses in ms of lost time: breakdown, setup, smallStops, reducedSpeed, startupRejects, productionRejects. */
  losses: Record<string, number>;
  /** e.g. PERFORMANCE_OVER_100 (usually a wrong ideal cycle time). */
  flags: Array<string>;
}

/** Where and when an edge event was captured. Shared by every raw event. */
export interface Origin {
  /** Collector source, e.g. opcua:line1-press, mqtt:sensors-a, scanner:st-10. */
  sourceId: string;
  /** Per-source sequence number, gap-free, increasing; downstream drops duplicates by (sourceId, seq). */
  seq: number;
  /** Epoch ms stamped by the device server (OPC-UA serverTimestamp), if any. */
  serverTime: null | number;
  /** Epoch ms when the edge collector received the value. */
  edgeTime: number;
  /** True when forwarded late from the edge store-and-forward backlog or flagged historical by the device. */
  historical: boolean;
}

export type CountKind = 'GOOD' | 'REJECT' | 'TOTAL';

/** Produced pieces: a counter tag reading (counterValue) or a discrete count (increment). Topic linepulse.counts.v1, key = equipment path. */
export interface PieceCount {
  eventId: string;
  eventTime: number;
  equipment: string;
  /** TOTAL counters count good + reject. */
  kind: CountKind;
  /** Monotonic counter reading; processors derive increments, handling rollover and reset. */
  counterValue: null | number;
  /** Counter rollover value (e.g. 65535), when known. */
  counterMax: null | number;
  /** Discrete count of pieces. */
  increment: null | number;
  rejectReason: null | string;
  workOrder: null | string;
  quality: Quality;
  origin: Origin;
}

/** Data quality mapped from OPC-UA StatusCode / Sparkplug quality. */
export type Quality = 'GOOD' | 'UNCERTAIN' | 'BAD';

export type MeasurementEntry = 'TAG' | 'MANUAL';

/** A measured value of a quality characteristic (CMM result, gauge, manual entry). Topic linepulse.measurements.v1, key = equipment path. */
export interface QualityMeasurement {
  eventId: string;
  eventTime: number;
  equipment: string;
  /** Characteristic id as configured for SPC. */
  characteristic: string;
  value: number;
  unit: null | string;
  /** Explicit subgroup, when subgroups form per part serial or by the sender. */
  subgroupId: null | string;
  serial: null | string;
  lot: null | string;
  workOrder: null | string;
  /** Who entered it, for manual entries. */
  operator: null | string;
  entry: MeasurementEntry;
  origin: Origin;
}

export type SpcRuleSet = 'NELSON' | 'WESTERN_ELECTRIC';

/** A Nelson / Western Electric rule hit on a characteristic. Topic linepulse.spc-alarms.v1, key = characteristic id. */
export interface SpcAlarm {
  /** Deterministic: characteristic, point index, rule. */
  eventId: string;
  eventTime: number;
  equipment: string;
  characteristic: string;
  rule: number;
  ruleSet: SpcRuleSet;
  /** Lowest rule number that fired on the same point. */
  label: number;
  description: string;
  pointIndexes: Array<number>;
  values: Array<number>;
  limits: SpcLimits;
  workOrder: null | string;
  serials: Array<string>;
  lots: Array<string>;
}

export type SpcLimitSource = 'PHASE1' | 'FIXED' | 'RECOMPUTED';

/** Control limits of a chart (location chart and dispersion chart). */
export interface SpcLimits {
  /** Increments on every audited recomputation or engineer entry. */
  version: number;
  center: number;
  ucl: number;
  lcl: number;
  /** Sigma of the plotted statistic; zone lines are center +/- 1 and 2 sigma. */
  sigma: number;
  dispersionCenter: null | number;
  dispersionUcl: null | number;
  dispersionLcl: null | number;
  source: SpcLimitSource;
}

export type SpcChartType = 'IMR' | 'XBAR_R' | 'XBAR_S' | 'P' | 'U';

/** One plotted point of a control chart, with the rules it triggered. Topic linepulse.spc-points.v1, key = characteristic id. */
export interface SpcPoint {
  eventId: string;
  eventTime: number;
  equipment: string;
  characteristic: string;
  chart: SpcChartType;
  /** Point number on the chart, from 1. */
  index: number;
  subgroupId: null | string;
  values: Array<number>;
  /** Plotted value: individual, subgroup mean, proportion or rate. */
  statistic: number;
  /** Moving range, range or standard deviation. */
  dispersion: null | number;
  /** Null while phase I is still collecting its baseline. */
  limits: null | SpcLimits;
  /** Nelson rules that fired on this point. */
  rules: Array<number>;
  workOrder: null | string;
  serials: Array<string>;
  lots: Array<string>;
  sourceEventIds: Array<string>;
}

/** One sampled value of a machine or sensor tag. Topic linepulse.telemetry.v1, key = equipment path. */
export interface Telemetry {
  eventId: string;
  /** Epoch ms of the source timestamp, taken at the machine or the edge (never at the bus). */
  eventTime: number;
  /** ISA-95 path enterprise/site/area/line/cell/equipment. */
  equipment: string;
  tag: string;
  value: null | number;
  /** Non-numeric value, as text. */
  text: null | string;
  unit: null | string;
  quality: Quality;
  /** Raw OPC-UA StatusCode or Sparkplug quality, for diagnosis. */
  statusCode: null | number;
  /** Value outside the configured engineering range: flagged, not discarded. */
  outOfRange: boolean;
  origin: Origin;
}

export type WorkOrderStatus = 'PLANNED' | 'RELEASED' | 'RUNNING' | 'COMPLETED' | 'CANCELLED';

export interface WorkOrderOperation {
  operation: string;
  equipment: null | string;
  /** Ideal (design) cycle time per piece. */
  idealCycleTimeMs: null | number;
  quantity: null | number;
}

/** A work order received from ERP (B2MML OperationsSchedule / ProductionSchedule), normalised. Topic linepulse.workorders.v1, key = work order id. */
export interface WorkOrder {
  eventId: string;
  eventTime: number;
  workOrder: string;
  product: string;
  quantity: number;
  unit: null | string;
  status: WorkOrderStatus;
  plannedStart: null | number;
  plannedEnd: null | number;
  operations: Array<WorkOrderOperation>;
  erpMessageId: null | string;
}

// Generated from schemas/avro/*.avsc by schemas/codegen.ts. Do not edit: run `npm run schemas:gen`.

export type AlertKind = 'DOWNTIME' | 'SENSOR';

export type AlertAction = 'RAISED' | 'CLEARED';

export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL';

/** MTBF and MTTR of the equipment over one window so far (ISO 22400-2 terms; conventions in processors/alerts/README.md). */
export interface ReliabilityFigures {
  /** SHIFT or DAY. */
  windowKind: string;
  /** Shift id (<local date>/<shift>) or the local day start as ISO text. */
  windowId: string;
  windowStart: number;
  windowEnd: number;
  /** Failure events (FE): unplanned stops that started in the window. */
  failures: number;
  /** Of those failures, the ones whose repair is complete (running again). */
  repairs: number;
  /** Running time inside the window so far. */
  operatingTimeMs: number;
  /** Sum of the times to repair (TTR) of the completed repairs. */
  repairTimeMs: number;
  /** operatingTimeMs / failures; null without failures. */
  mtbfMs: null | number;
  /** repairTimeMs / repairs; null without completed repairs. */
  mttrMs: null | number;
}

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
  /** On DOWNTIME alerts: MTBF/MTTR of the equipment over the windows containing the alert's event time (empty on SENSOR alerts). */
  reliability: Array<ReliabilityFigures>;
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

/** Running piece totals per equipment and window; consumers keep the highest revision per (equipment, windowKind, windowId) (windowStart may be null, e.g. ALL_TIME, so it cannot identify a window). Topic linepulse.count-totals.v1, key = equipment path. */
export interface CountTotal {
  /** Deterministic: equipment, window kind, window id and revision. */
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
  /** Increases each time the totals of the window change; the highest revision wins. */
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

export type GenealogyLinkStatus = 'ACCEPTED' | 'REJECTED';

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
  /** REJECTED: the link was refused (it would close a cycle); it is not part of the genealogy and rejectReason says why, for the operator terminal. */
  status: GenealogyLinkStatus;
  rejectReason: null | string;
}

/** Material (a lot, a serial or a container) consumed at an equipment, optionally into a produced lot or serial. Topic linepulse.material-consumption.v1, key = equipment path. */
export interface MaterialConsumption {
  eventId: string;
  eventTime: number;
  equipment: string;
  workOrder: null | string;
  /** Material definition (item / part number), e.g. the GTIN or the ERP material id. */
  material: null | string;
  materialKind: MaterialKind;
  /** Lot id, serial number or container id (SSCC) of what was consumed. */
  materialId: string;
  quantity: number;
  unit: null | string;
  intoKind: null | MaterialKind;
  /** The lot or serial it went into, when known (a genealogy link is made then). */
  intoId: null | string;
  origin: Origin;
}

export type OeeWindowKind = 'LIVE_SHIFT' | 'HOUR' | 'SHIFT' | 'DAY' | 'WORK_ORDER';

/** OEE of one equipment over one window (ISO 22400-2 time model; definitions and conventions in processors/oee/README.md). SHIFT, HOUR, DAY and WORK_ORDER records are emitted when the window closes and re-emitted with revision + 1 when late data changes them; LIVE_SHIFT records are partial views of the open shift, revision + 1 at each update. Consumers keep the highest revision per (equipment, windowKind, windowId). Time invariant: runTimeMs + unplannedStopMs + setupMs + idleMs + unknownMs + plannedStopMs = scheduledTimeMs. Topic linepulse.oee.v1, key = equipment path. */
export interface OeeWindow {
  /** Deterministic: oee:<equipment>:<windowKind>:<windowId>:r<revision>. */
  eventId: string;
  /** Event time up to which the window is computed (the window end once closed). */
  eventTime: number;
  equipment: string;
  windowKind: OeeWindowKind;
  /** SHIFT / LIVE_SHIFT: shift id <local start date>/<shift name>; HOUR, DAY: local start as ISO text with offset (the ids of processors/calendar, shared with CountTotal); WORK_ORDER: the work order id. */
  windowId: string;
  windowStart: number;
  /** Exclusive. WORK_ORDER: end of the last dispatch of the order on this equipment (the current event time while it is still dispatched). */
  windowEnd: number;
  /** False for LIVE_SHIFT updates of a shift that has not ended, and for a WORK_ORDER window dispatched again after it was emitted closed (a later closed revision follows). */
  closed: boolean;
  revision: number;
  /** Shift name, when the window lies in exactly one shift name. */
  shift: null | string;
  /** Work order, when exactly one was dispatched in the window. */
  workOrder: null | string;
  /** Product, when exactly one was dispatched in the window. */
  product: null | string;
  /** Shift time (breaks included) plus run time outside the schedule (runOutsideScheduleMs). */
  scheduledTimeMs: number;
  /** Scheduled time removed from planned production time: breaks, planned maintenance, no orders (detail in plannedStopByKind). */
  plannedStopMs: number;
  /** scheduledTimeMs - plannedStopMs (ISO 22400-2 planned busy time). */
  plannedProductionTimeMs: number;
  /** Running time including micro-stops (ISO 22400-2 actual production time as used by availability). */
  runTimeMs: number;
  /** Breakdowns and other unplanned stops at or above the micro-stop threshold. */
  unplannedStopMs: number;
  setupMs: number;
  /** Idle, starved, blocked at or above the micro-stop threshold. */
  idleMs: number;
  /** Unplanned and idle stops shorter than the micro-stop threshold: part of runTimeMs (a performance loss). */
  microStopMs: number;
  microStopCount: number;
  /** Scheduled time with no known machine state: an availability loss. */
  unknownMs: number;
  totalCount: number;
  goodCount: number;
  rejectCount: number;
  /** Sum over pieces of their ideal cycle time. */
  idealProductionTimeMs: number;
  /** runTimeMs / plannedProductionTimeMs; null when the denominator is 0. */
  availability: null | number;
  /** idealProductionTimeMs / runTimeMs; null when run time is 0 or a piece has no ideal cycle time. Not clamped. */
  performance: null | number;
  /** goodCount / totalCount; null without pieces. */
  quality: null | number;
  /** availability x performance x quality; 0 when planned production time passed without a piece; null otherwise when a factor is null. */
  oee: null | number;
  /** Six big losses in ms of lost time: breakdown, setup, smallStops, reducedSpeed, startupRejects, productionRejects; they sum to plannedProductionTimeMs x (1 - oee). reducedSpeed and the reject losses are absent when performance is null. */
  losses: Record<string, number>;
  /** Sorted. PERFORMANCE_OVER_100 (usually a wrong ideal cycle time), NO_IDEAL_CYCLE_TIME, UNKNOWN_STATE_TIME, RUN_OUTSIDE_SCHEDULE, COUNTS_WITHOUT_RUN_TIME, PROVISIONAL (a live view with a stop not yet classified), RETRACTED (late data removed the window: ignore it). */
  flags: Array<string>;
  /** Time of the window outside every shift with the machine not running (not part of scheduledTimeMs): for utilisation / TEEP. */
  notScheduledMs: number;
  /** Run time during breaks or outside shifts, counted in scheduled, planned production and run time. */
  runOutsideScheduleMs: number;
  /** plannedStopMs by kind: the break kinds of the calendar (BREAK unless configured), PLANNED_STOP (machine-reported), NO_ORDERS, IDLE (when idle counts as planned). */
  plannedStopByKind: Record<string, number>;
  /** Rejects classified as startup rejects (part of rejectCount). */
  startupRejectCount: number;
  /** The ideal cycle time of the pieces when it was the same for all of them, else null. */
  idealCycleTimeMs: null | number;
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

export type ReliabilityWindowKind = 'SHIFT' | 'DAY';

/** MTBF and MTTR of one equipment over one closed window, in the maintenance terms of ISO 22400-2 (failure event FE, time between failures TBF, time to repair TTR; conventions in processors/alerts/README.md). Emitted by the alert processor when the window ends (revision 0); when failures counted in the window were still under repair then, once more when the last of them is repaired (revision 1). Consumers keep the highest revision per (equipment, windowKind, windowId). Topic linepulse.reliability.v1, key = equipment path. */
export interface Reliability {
  /** Deterministic: reliability:<equipment>:<windowKind>:<windowId>:r<revision>. */
  eventId: string;
  /** When the figures became final: the window end (revision 0), or the end of the last repair of a failure counted in the window. */
  eventTime: number;
  equipment: string;
  windowKind: ReliabilityWindowKind;
  /** SHIFT: shift id <local start date>/<shift name>; DAY: local midnight as ISO text with offset (the ids of processors/calendar, shared with OeeWindow and CountTotal). */
  windowId: string;
  windowStart: number;
  /** Exclusive. */
  windowEnd: number;
  revision: number;
  /** Failure events (FE): unplanned stops of at least reliability.minFailureMs that started in the window. */
  failures: number;
  /** Of those failures, the ones repaired (the equipment running again) when the record was emitted. */
  repairs: number;
  /** failures - repairs: failures still under repair at emission (0 on the last revision). */
  openRepairs: number;
  /** Running time inside the window (the numerator of MTBF). */
  operatingTimeMs: number;
  /** Sum of the times to repair (TTR, failure start to running again) of the repaired failures; a repair that outlasts the window counts in full here. */
  repairTimeMs: number;
  /** Mean operating time between failures: operatingTimeMs / failures; null without failures. */
  mtbfMs: null | number;
  /** Mean time to repair: repairTimeMs / repairs; null without a repaired failure. */
  mttrMs: null | number;
}

export type SpcRuleSet = 'NELSON' | 'WESTERN_ELECTRIC';

export type SpcDirection = 'UP' | 'DOWN';

export type SpcChartPart = 'LOCATION' | 'DISPERSION';

/** A Nelson / Western Electric rule hit on a characteristic (or a dispersion statistic beyond its limits). Topic linepulse.spc-alarms.v1, key = characteristic id. */
export interface SpcAlarm {
  /** Deterministic: spc-alarm:<characteristic>:<point index>:<rule> (rule prefixed with D on the dispersion chart). */
  eventId: string;
  eventTime: number;
  equipment: string;
  characteristic: string;
  rule: number;
  ruleSet: SpcRuleSet;
  /** Lowest rule number that fired on the same point. */
  label: number;
  description: string;
  /** UP: above the centre line or rising (rule 3); DOWN: below or falling; null for rules without a side (Nelson 4, 7, 8). */
  direction: null | SpcDirection;
  /** LOCATION: the rule fired on the plotted statistic; DISPERSION: the moving range / range / standard deviation is beyond its limits (rule 1 only). */
  chartPart: SpcChartPart;
  /** Every point of the pattern, oldest first; the signal is marked on the last one. */
  pointIndexes: Array<number>;
  /** The plotted values of those points. */
  values: Array<number>;
  /** Limits of the point the signal is marked on. */
  limits: SpcLimits;
  /** Work order of the point the signal is marked on. */
  workOrder: null | string;
  /** Serials of every point of the pattern (containment starts at the first one). */
  serials: Array<string>;
  lots: Array<string>;
}

export type SpcWithinMethod = 'MRBAR_D2' | 'RBAR_D2' | 'SBAR_C4';

export interface SpcCapabilityIndex {
  value: number;
  /** Individual values behind the index. */
  samples: number;
}

/** Process capability of a characteristic over the points plotted since its current limits version took effect (Phase I and recomputed limits: from the first baseline point; fixed limits: from the first point after their entry). Emitted every N plotted points (processors.spc characteristics[].capability.everyPoints). Topic linepulse.spc-capability.v1, key = characteristic id. */
export interface SpcCapability {
  /** Deterministic: spc-capability:<characteristic>:<point index>. */
  eventId: string;
  /** Event time of the point it was computed at. */
  eventTime: number;
  equipment: string;
  characteristic: string;
  chart: SpcChartType;
  /** The point it was computed at. */
  index: number;
  /** The limits version whose points it covers. */
  limitsVersion: number;
  /** First point covered. */
  firstIndex: number;
  /** Plotted points covered (firstIndex..index). */
  points: number;
  /** Individual values covered. */
  samples: number;
  mean: number;
  lsl: null | number;
  usl: null | number;
  /** Estimated from the same points: MR-bar / d2(2), R-bar / d2 or S-bar / c4. */
  sigmaWithin: null | number;
  withinMethod: null | SpcWithinMethod;
  /** Which d2 / c4 values: TABLE (printed) or EXACT. */
  constants: SpcConstants;
  /** Sample standard deviation (n - 1) of every individual value covered. */
  sigmaOverall: number;
  /** (USL - LSL) / 6 sigma within; both specs only. */
  cp: null | SpcCapabilityIndex;
  cpl: null | SpcCapabilityIndex;
  cpu: null | SpcCapabilityIndex;
  /** min(Cpl, Cpu); with one spec, the one-sided index. */
  cpk: null | SpcCapabilityIndex;
  /** (USL - LSL) / 6 sigma overall. */
  pp: null | SpcCapabilityIndex;
  ppl: null | SpcCapabilityIndex;
  ppu: null | SpcCapabilityIndex;
  ppk: null | SpcCapabilityIndex;
}

export type SpcCommandKind = 'RECOMPUTE_LIMITS' | 'SET_FIXED_LIMITS' | 'RESET_PHASE1';

/** Limits entered by an engineer (location chart; dispersion chart optional). */
export interface SpcFixedLimits {
  center: number;
  ucl: number;
  lcl: number;
  /** Sigma of the plotted statistic; default (ucl - lcl) / 6. */
  sigma: null | number;
  dispersionCenter: null | number;
  dispersionUcl: null | number;
  dispersionLcl: null | number;
  /** Sigma within subgroups, if the engineer knows it. */
  sigmaWithin: null | number;
}

/** A quality engineer's request to change the control limits of a characteristic (from the SPC commands API). Topic linepulse.spc-commands.v1, key = the characteristic's equipment path: the SPC processor keeps its state per equipment (the key of linepulse.measurements.v1), so commands are co-partitioned with the measurements they apply to. The outcome (accepted or rejected, with the reason) is a SpcLimitsAudit record. */
export interface SpcCommand {
  /** Stable: spc-cmd:key:<client idempotency key>, or spc-cmd:<hash of the request, user and time>; a resend carries the same id. */
  eventId: string;
  /** When the engineer asked (time of receipt by the API, epoch ms). The processor applies the command at this place in the event-time order of the equipment's measurements. */
  eventTime: number;
  /** ISA-95 equipment path the characteristic is measured on (as configured for SPC). */
  equipment: string;
  characteristic: string;
  /** RECOMPUTE_LIMITS: collect a new baseline of the next `points` points, the current limits stay in force until it is complete; SET_FIXED_LIMITS: put `fixedLimits` in force at once; RESET_PHASE1: drop the limits and run Phase I again (points carry no limits until the new baseline is complete). */
  kind: SpcCommandKind;
  /** SET_FIXED_LIMITS only. */
  fixedLimits: null | SpcFixedLimits;
  /** RECOMPUTE_LIMITS, RESET_PHASE1: plotted points in the new baseline; default the characteristic's phase1Subgroups. */
  points: null | number;
  /** Who asked (user id). */
  user: string;
  /** Why (free text, required). */
  reason: string;
}

export type SpcLimitSource = 'PHASE1' | 'FIXED' | 'RECOMPUTED';

/** Control limits of a chart (location chart and dispersion chart) as they apply to one point, with the zone lines the rules compared against (computed once per limits version and sample size, never re-derived from rounded figures). */
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
  /** PHASE1: computed from the baseline; RECOMPUTED: from a new baseline on an audited request; FIXED: entered by an engineer. */
  source: SpcLimitSource;
  /** Sample size the limits apply to: the subgroup size, or the point's sample size / inspection units on p and u charts (per-point limits). */
  subgroupSize: null | number;
  /** Zone line center + 2 sigma, exactly as the rules used it. */
  upper2Sigma: null | number;
  /** Zone line center + 1 sigma, exactly as the rules used it. */
  upper1Sigma: null | number;
  /** Zone line center - 1 sigma, exactly as the rules used it. */
  lower1Sigma: null | number;
  /** Zone line center - 2 sigma, exactly as the rules used it. */
  lower2Sigma: null | number;
}

export type SpcAuditAction = 'ESTABLISHED' | 'RECOMPUTE_REQUESTED' | 'RECOMPUTED' | 'FIXED' | 'PHASE1_RESET' | 'REJECTED';

export type SpcConstants = 'TABLE' | 'EXACT';

/** A version of a chart's limits as a whole (p and u charts: centre only, limits per point from the sample size). */
export interface SpcChartLimits {
  chart: SpcChartType;
  version: number;
  source: SpcLimitSource;
  /** TABLE: printed factors (textbook); EXACT: full precision. */
  constants: SpcConstants;
  /** n of the X-bar subgroups, 1 for I-MR, null for p and u. */
  subgroupSize: null | number;
  center: number;
  /** Sigma of the plotted statistic (variables charts, fixed attribute limits). */
  sigma: null | number;
  ucl: null | number;
  lcl: null | number;
  dispersionCenter: null | number;
  dispersionUcl: null | number;
  dispersionLcl: null | number;
  sigmaWithin: null | number;
  /** Plotted points of the baseline the limits come from (null for fixed limits). */
  basisPoints: null | number;
  /** Individual values (variables charts) or inspected units (p, u) in that baseline. */
  basisSamples: null | number;
  basisFirstIndex: null | number;
  basisLastIndex: null | number;
}

/** Append-only history of the control limits of a characteristic: every limits version (Phase I, recomputed, fixed), every accepted request and every rejected one, with who, when, why and the old and new limits. Topic linepulse.spc-audit.v1, key = characteristic id. */
export interface SpcLimitsAudit {
  /** Deterministic: spc-audit:<characteristic>:v<version> for a new limits version (ESTABLISHED, RECOMPUTED, FIXED); spc-audit:<characteristic>:cmd:<command eventId> for the immediate outcome of a command (RECOMPUTE_REQUESTED, PHASE1_RESET, REJECTED). */
  eventId: string;
  /** The command's event time, or the event time of the point that completed a baseline. */
  eventTime: number;
  equipment: string;
  characteristic: string;
  /** ESTABLISHED: Phase I limits frozen (first time or after a reset); RECOMPUTE_REQUESTED: a recomputation was accepted and a new baseline is being collected; RECOMPUTED: its new limits are in force; FIXED: engineer-entered limits in force; PHASE1_RESET: limits dropped, Phase I starts again; REJECTED: the command was not applied (see rejection). */
  action: SpcAuditAction;
  /** Event id of the SpcCommand behind this record (null for the automatic Phase I establishment). */
  commandId: null | string;
  commandKind: null | SpcCommandKind;
  /** Who: the requesting user, or spc (the processor) for an automatic establishment. */
  user: string;
  /** Why, as given by the user (or generated by the processor). */
  reason: string;
  /** When the change was asked for (the command's event time), epoch ms. */
  requestedAt: null | number;
  /** Limits version in force before. */
  fromVersion: null | number;
  /** Limits version in force after (null while a Phase I runs, or when rejected). */
  toVersion: null | number;
  oldLimits: null | SpcChartLimits;
  newLimits: null | SpcChartLimits;
  /** RECOMPUTE_REQUESTED, PHASE1_RESET: plotted points the new baseline will hold. */
  pendingPoints: null | number;
  /** REJECTED: why the command was not applied. */
  rejection: null | string;
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
  /** Rules (numbered within the characteristic's rule set, Nelson 1-8 or Western Electric 1-4) that fired on this point, ascending; the first is the point's label. */
  rules: Array<number>;
  /** The dispersion statistic (moving range, range, standard deviation) is beyond its control limits (exclusive). */
  dispersionOutOfLimits: boolean;
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
  /** Earliest start of the operation. */
  plannedStart: null | number;
  /** Latest end (due date) of the operation. */
  plannedEnd: null | number;
}

/** A work order received from ERP (B2MML OperationsSchedule / ProductionSchedule), normalised. Topic linepulse.workorders.v1, key = work order id. */
export interface WorkOrder {
  /** Deterministic: hash of the ERP message id, the work order and its revision (ingest/erp/README.md). */
  eventId: string;
  eventTime: number;
  workOrder: string;
  product: string;
  quantity: number;
  unit: null | string;
  status: WorkOrderStatus;
  plannedStart: null | number;
  /** Due date: the latest end the ERP asks for. */
  plannedEnd: null | number;
  operations: Array<WorkOrderOperation>;
  erpMessageId: null | string;
  /** Revision of the work order in ERP (epoch ms of the schedule's PublishedDate, else 0); consumers keep the highest. */
  revision: number;
  /** The B2MML RequestState as sent (Forecast, Released, Held, ...), status is its normalised form. */
  erpState: null | string;
}

/** One operation of a work order planned on one equipment: the work orders projected by equipment, so dispatch can give OEE and counts the product, ideal cycle time and target. Topic linepulse.workorder-assignments.v1, key = equipment path. */
export interface WorkOrderAssignment {
  /** Deterministic: the WorkOrder event id and the equipment. */
  eventId: string;
  eventTime: number;
  equipment: string;
  workOrder: string;
  product: string;
  operation: null | string;
  idealCycleTimeMs: null | number;
  targetQuantity: null | number;
  status: WorkOrderStatus;
  revision: number;
}

export interface MaterialActualTotal {
  materialKind: MaterialKind;
  materialId: string;
  material: null | string;
  quantity: number;
  unit: null | string;
}

/** What one equipment did for one work order so far (its segment response): pieces, actual start and end, material consumed per lot. Emitted on dispatch changes and periodically while running. Topic linepulse.workorder-progress.v1, key = work order id. */
export interface WorkOrderProgress {
  /** Deterministic: work order, equipment and revision. */
  eventId: string;
  eventTime: number;
  workOrder: string;
  equipment: string;
  operation: null | string;
  product: null | string;
  /** True while the work order is dispatched on the equipment. */
  running: boolean;
  actualStart: null | number;
  /** Set while not running: when it was last undispatched. */
  actualEnd: null | number;
  good: number;
  reject: number;
  materials: Array<MaterialActualTotal>;
  /** Increases with each emission for (work order, equipment); the highest wins. */
  revision: number;
}

// Event builders for the sinks' and dashboard's tests: valid contract values with deterministic ids.
import type {
  Alert,
  CountIncrement,
  CountTotal,
  EquipmentState,
  OeeWindow,
  Origin,
  Reliability,
  SpcAlarm,
  SpcCapability,
  SpcChartLimits,
  SpcLimits,
  SpcLimitsAudit,
  SpcPoint,
  Telemetry,
} from '../../schemas/generated/types.ts';

export const T0 = Date.UTC(2025, 2, 3, 6, 0, 0); // 2025-03-03 06:00:00 UTC, a shift start

export const press = 'acme/plant1/stamping/line1/cell1/press1';
export const welder = 'acme/plant1/welding/line2/cell1/welder1';

function origin(seq: number, time: number): Origin {
  return { sourceId: 'opcua:test', seq, serverTime: time, edgeTime: time + 5, historical: false };
}

export function countIncrement(n: number, overrides: Partial<CountIncrement> = {}): CountIncrement {
  return {
    eventId: `inc-${overrides.equipment ?? press}-${n}`,
    eventTime: T0 + n * 1000,
    equipment: press,
    good: 1,
    reject: 0,
    workOrder: 'WO-1001',
    rejectReason: null,
    sourceEventId: `count-${n}`,
    note: null,
    ...overrides,
  };
}

export function countTotal(revision: number, overrides: Partial<CountTotal> = {}): CountTotal {
  const equipment = overrides.equipment ?? press;
  const windowKind = overrides.windowKind ?? 'SHIFT';
  const windowId = overrides.windowId ?? '2025-03-03/A';
  return {
    eventId: `total-${equipment}-${windowKind}-${windowId}-${revision}`,
    eventTime: T0 + revision * 1000,
    equipment,
    windowKind,
    windowId,
    windowStart: T0,
    windowEnd: T0 + 8 * 3600_000,
    good: revision * 10,
    reject: revision,
    revision,
    ...overrides,
  };
}

export function telemetry(n: number, overrides: Partial<Telemetry> = {}): Telemetry {
  const eventTime = T0 + n * 1000;
  return {
    eventId: `tel-${n}`,
    eventTime,
    equipment: press,
    tag: 'temperature',
    value: 60 + (n % 10) / 10,
    text: null,
    unit: 'degC',
    quality: 'GOOD',
    statusCode: 0,
    outOfRange: false,
    origin: origin(n, eventTime),
    ...overrides,
  };
}

export function equipmentState(n: number, state: string, overrides: Partial<EquipmentState> = {}): EquipmentState {
  const eventTime = T0 + n * 1000;
  return {
    eventId: `state-${n}`,
    eventTime,
    equipment: press,
    state,
    reasonCode: null,
    reasonText: null,
    quality: 'GOOD',
    origin: origin(n, eventTime),
    ...overrides,
  };
}

export function alert(action: Alert['action'], overrides: Partial<Alert> = {}): Alert {
  const raised = action === 'RAISED';
  return {
    eventId: `alert-1-${action}`,
    eventTime: raised ? T0 + 60_000 : T0 + 360_000,
    equipment: press,
    alertId: 'alert-1',
    kind: 'DOWNTIME',
    action,
    severity: 'WARNING',
    startTime: T0 + 60_000,
    endTime: raised ? null : T0 + 360_000,
    durationMs: raised ? null : 300_000,
    reasonCode: 'JAM',
    reasonText: 'Material jam',
    tag: null,
    value: null,
    threshold: 'stopped > 60s',
    workOrder: 'WO-1001',
    message: raised ? 'press1 stopped for more than 60 s' : 'press1 running again',
    reliability: [],
    ...overrides,
  };
}

export function oeeWindow(revision: number, overrides: Partial<OeeWindow> = {}): OeeWindow {
  const equipment = overrides.equipment ?? press;
  const windowKind = overrides.windowKind ?? 'SHIFT';
  const windowId = overrides.windowId ?? '2025-03-03/A';
  return {
    eventId: `oee:${equipment}:${windowKind}:${windowId}:r${revision}`,
    eventTime: T0 + 8 * 3600_000,
    equipment,
    windowKind,
    windowId,
    windowStart: T0,
    windowEnd: T0 + 8 * 3600_000,
    closed: true,
    revision,
    shift: 'A',
    workOrder: 'WO-1001',
    product: 'BRKT-200',
    scheduledTimeMs: 28_800_000,
    plannedStopMs: 1_800_000,
    plannedProductionTimeMs: 27_000_000,
    runTimeMs: 21_600_000,
    unplannedStopMs: 3_600_000,
    setupMs: 1_800_000,
    idleMs: 0,
    microStopMs: 600_000,
    microStopCount: 12,
    unknownMs: 0,
    totalCount: 1_000 + revision,
    goodCount: 950,
    rejectCount: 50 + revision,
    idealProductionTimeMs: 18_000_000,
    availability: 0.8,
    performance: 18_000_000 / 21_600_000,
    quality: 0.95,
    oee: 0.8 * (18_000_000 / 21_600_000) * 0.95,
    losses: { breakdown: 3_600_000, setup: 1_800_000, smallStops: 600_000, reducedSpeed: 3_000_000, startupRejects: 0, productionRejects: 900_000 },
    flags: [],
    notScheduledMs: 0,
    runOutsideScheduleMs: 0,
    plannedStopByKind: { BREAK: 1_800_000 },
    startupRejectCount: 0,
    idealCycleTimeMs: 18_000,
    ...overrides,
  };
}

export const limits: SpcLimits = {
  version: 1,
  center: 10,
  ucl: 13,
  lcl: 7,
  sigma: 1,
  dispersionCenter: 1.128,
  dispersionUcl: 3.686,
  dispersionLcl: 0,
  source: 'PHASE1',
  subgroupSize: 1,
  upper2Sigma: 12,
  upper1Sigma: 11,
  lower1Sigma: 9,
  lower2Sigma: 8,
};

export const characteristic = 'acme/plant1/stamping/line1/cell1/press1/bore-diameter';

export function spcPoint(index: number, overrides: Partial<SpcPoint> = {}): SpcPoint {
  const value = 10 + Math.sin(index / 5);
  return {
    eventId: `spc-point:${characteristic}:${index}`,
    eventTime: T0 + index * 60_000,
    equipment: press,
    characteristic,
    chart: 'IMR',
    index,
    subgroupId: null,
    values: [value],
    statistic: value,
    dispersion: index === 1 ? null : 0.2,
    limits,
    rules: [],
    dispersionOutOfLimits: false,
    workOrder: 'WO-1001',
    serials: [`SN-${index}`],
    lots: ['LOT-7'],
    sourceEventIds: [`m-${index}`],
    ...overrides,
  };
}

export function spcAlarm(index: number, rule: number, overrides: Partial<SpcAlarm> = {}): SpcAlarm {
  return {
    eventId: `spc-alarm:${characteristic}:${index}:${rule}`,
    eventTime: T0 + index * 60_000,
    equipment: press,
    characteristic,
    rule,
    ruleSet: 'NELSON',
    label: rule,
    description: rule === 1 ? 'one point beyond 3 sigma' : 'nine points on one side of the centre line',
    direction: 'UP',
    chartPart: 'LOCATION',
    pointIndexes: [index],
    values: [13.5],
    limits,
    workOrder: 'WO-1001',
    serials: [`SN-${index}`],
    lots: ['LOT-7'],
    ...overrides,
  };
}

export function spcCapability(index: number, overrides: Partial<SpcCapability> = {}): SpcCapability {
  const cpk = 1 + index / 100;
  return {
    eventId: `spc-capability:${characteristic}:${index}`,
    eventTime: T0 + index * 60_000,
    equipment: press,
    characteristic,
    chart: 'IMR',
    index,
    limitsVersion: 1,
    firstIndex: 1,
    points: index,
    samples: index,
    mean: 10.01,
    lsl: 9,
    usl: 11,
    sigmaWithin: 0.3,
    withinMethod: 'MRBAR_D2',
    constants: 'TABLE',
    sigmaOverall: 0.32,
    cp: { value: 1.11, samples: index },
    cpl: { value: 1.12, samples: index },
    cpu: { value: cpk, samples: index },
    cpk: { value: cpk, samples: index },
    pp: { value: 1.04, samples: index },
    ppl: null,
    ppu: null,
    ppk: { value: 1.0, samples: index },
    ...overrides,
  };
}

export function reliabilityWindow(revision: number, overrides: Partial<Reliability> = {}): Reliability {
  const windowId = overrides.windowId ?? '2025-03-03';
  return {
    eventId: `reliability:${overrides.equipment ?? press}:DAY:${windowId}:r${revision}`,
    eventTime: T0 + 18 * 3600_000 + revision * 600_000,
    equipment: press,
    windowKind: 'DAY',
    windowId,
    windowStart: T0 - 6 * 3600_000,
    windowEnd: T0 + 18 * 3600_000,
    revision,
    failures: 2,
    repairs: revision === 0 ? 1 : 2,
    openRepairs: revision === 0 ? 1 : 0,
    operatingTimeMs: 8_000_000,
    repairTimeMs: revision === 0 ? 300_000 : 900_000,
    mtbfMs: 4_000_000,
    mttrMs: revision === 0 ? 300_000 : 450_000,
    ...overrides,
  };
}

export function spcLimitsAudit(version: number, overrides: Partial<SpcLimitsAudit> = {}): SpcLimitsAudit {
  const chartLimits = (v: number, center: number): SpcChartLimits => ({
    chart: 'IMR',
    version: v,
    source: v === 1 ? 'PHASE1' : 'FIXED',
    constants: 'TABLE',
    subgroupSize: 1,
    center,
    sigma: 1,
    ucl: center + 3,
    lcl: center - 3,
    dispersionCenter: 1.128,
    dispersionUcl: 3.686,
    dispersionLcl: 0,
    sigmaWithin: 1,
    basisPoints: v === 1 ? 25 : null,
    basisSamples: v === 1 ? 25 : null,
    basisFirstIndex: v === 1 ? 1 : null,
    basisLastIndex: v === 1 ? 25 : null,
  });
  return {
    eventId: `spc-audit:${characteristic}:v${version}`,
    eventTime: T0 + version * 3600_000,
    equipment: press,
    characteristic,
    action: version === 1 ? 'ESTABLISHED' : 'FIXED',
    commandId: version === 1 ? null : `spc-cmd:key:${version}`,
    commandKind: version === 1 ? null : 'SET_FIXED_LIMITS',
    user: version === 1 ? 'spc' : 'quality.engineer',
    reason: version === 1 ? 'Phase I baseline complete' : 'new tooling, limits from the capability study',
    requestedAt: version === 1 ? null : T0 + version * 3600_000 - 1000,
    fromVersion: version === 1 ? null : version - 1,
    toVersion: version,
    oldLimits: version === 1 ? null : chartLimits(version - 1, 10),
    newLimits: chartLimits(version, 10 + version / 10),
    pendingPoints: null,
    rejection: null,
    ...overrides,
  };
}

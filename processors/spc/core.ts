// The SPC processor core: quality measurements and engineers' limits commands (key = equipment) -> plotted points,
// rule alarms, capability and the limits audit trail (key = characteristic). Pure and deterministic
// (processors/contract.ts): subgroups form on event order or on event-time windows closed by the watermark, limits
// come from a Phase I baseline (or are entered by an engineer) and stay frozen until an audited change, and the state
// keeps only what the rules need (the last 15 points) plus baseline and capability statistics. Conventions: README.md.
import type {
  QualityMeasurement,
  SpcAlarm,
  SpcCapability,
  SpcChartLimits,
  SpcCommand,
  SpcCommandKind,
  SpcLimits,
  SpcLimitsAudit,
  SpcPoint,
} from '../../schemas/generated/types.ts';
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import {
  addToBaseline,
  attributePoint,
  capabilityOfStats,
  emptyBaseline,
  enterFixedLimits,
  establishLimits,
  fixedLimits,
  limitsForPoint,
  recomputeLimits,
  variablesPoint,
  type BaselineStats,
  type ChangeRequest,
  type ChartLimits,
  type ChartSpec,
  type FixedLimitsInput,
  type LimitsAudit,
  type PointLimits,
  type PointStatistic,
} from './charts.ts';
import type { CharacteristicConfig, SpcConfig } from './config.ts';
import { classify, defaultSelection, emptyWindow, normaliseSelection, pushPoint, type RuleHit, type RuleSelection, type RuleWindow } from './rules.ts';

/** What an alarm needs to know about a point besides its value. */
export interface PointMeta {
  readonly eventTime: number;
  readonly workOrder: string | null;
  readonly serials: readonly string[];
  readonly lots: readonly string[];
}

/** A subgroup being filled. */
export interface OpenSubgroup {
  /** Subgroup id (PER_SERIAL) or null. */
  readonly id: string | null;
  /** Window start (TIME_WINDOW) or null. */
  readonly windowStart: number | null;
  readonly values: readonly number[];
  readonly eventIds: readonly string[];
  readonly serials: readonly string[];
  readonly lots: readonly string[];
  readonly workOrder: string | null;
  readonly lastTime: number;
}

/** A Phase I point kept until the limits exist, so the rules can be applied to the baseline retrospectively. */
export interface BaselinePoint {
  readonly index: number;
  readonly point: PointStatistic;
  readonly meta: PointMeta;
}

export interface CharacteristicState {
  readonly nextIndex: number;
  readonly open: OpenSubgroup | null;
  /** TIME_WINDOW: open windows, oldest first. */
  readonly windows: readonly OpenSubgroup[];
  /** TIME_WINDOW: windows ending at or before this are closed; later events for them are late. */
  readonly closedThrough: number | null;
  readonly previousIndividual: number | null;
  readonly limits: ChartLimits | null;
  readonly lastAudit: LimitsAudit | null;
  /** Baseline being collected: Phase I, or a recomputation asked for in `pendingChange`. */
  readonly baseline: BaselineStats | null;
  readonly baselineTarget: number;
  readonly pendingChange: ChangeRequest | null;
  readonly phase1Points: readonly BaselinePoint[];
  readonly window: RuleWindow;
  /** Aligned with window.points. */
  readonly meta: readonly PointMeta[];
  readonly counters: { readonly incomplete: number; readonly late: number; readonly invalid: number; readonly extra: number; readonly duplicate?: number };
  // Optional so that snapshots written before they existed restore (missing = the initial value).
  /** Highest limits version ever used: versions never repeat, even after a Phase I reset. */
  readonly lastVersion?: number;
  /** Statistics of every point since the limits in force took effect (or since Phase I began): the capability basis. */
  readonly capStats?: BaselineStats;
  /** The command behind the baseline being collected (a recomputation or a Phase I reset). */
  readonly pendingCommand?: { readonly id: string; readonly kind: SpcCommandKind } | null;
  /** Event ids of the last commands handled for this characteristic (a redelivered command is ignored). */
  readonly recentCommands?: readonly string[];
  /**
   * Event ids of the last MANUAL measurements: a manual entry retried after the gateway restarted comes from a new
   * origin source, which the runtime's sequence filter cannot recognise (ingest/manual/sequencer.ts).
   */
  readonly recentManual?: readonly string[];
}

export interface SpcState {
  readonly key: string;
  readonly characteristics: Readonly<Record<string, CharacteristicState>>;
  readonly stats: { readonly unconfigured: number; readonly wrongEquipment: number };
}

export const SPC_PROCESSOR = 'spc';

/** How many command ids a characteristic remembers to ignore redeliveries (on top of the runtime's dedup horizon). */
export const REMEMBERED_COMMANDS = 32;
/** How many MANUAL measurement ids a characteristic remembers to ignore re-entered duplicates. */
export const REMEMBERED_MANUAL = 256;

const byConfig = new WeakMap<SpcConfig, Map<string, CharacteristicConfig>>();
function characteristicOf(config: SpcConfig, id: string): CharacteristicConfig | undefined {
  let map = byConfig.get(config);
  if (!map) {
    map = new Map(config.characteristics.map((c) => [c.id, c]));
    byConfig.set(config, map);
  }
  return map.get(id);
}

export function specOf(c: CharacteristicConfig): ChartSpec {
  return { chart: c.chart, subgroupSize: c.chart === 'IMR' ? 1 : c.subgroupSize, constants: c.constants };
}

const selections = new WeakMap<CharacteristicConfig, RuleSelection>();
export function selectionOf(c: CharacteristicConfig): RuleSelection {
  let s = selections.get(c);
  if (!s) {
    s = normaliseSelection({ ruleSet: c.ruleSet, rules: c.rules ?? defaultSelection(c.ruleSet).rules });
    selections.set(c, s);
  }
  return s;
}

/** Point limits of a variables chart are the same for every point of a limits version: computed once per version. */
const variablesLimits = new WeakMap<ChartLimits, PointLimits>();
function pointLimits(limits: ChartLimits, size: number): PointLimits {
  if (limits.chart === 'P' || limits.chart === 'U') return limitsForPoint(limits, size);
  let pl = variablesLimits.get(limits);
  if (!pl) {
    pl = limitsForPoint(limits, size);
    variablesLimits.set(limits, pl);
  }
  return pl;
}

function initialCharacteristic(c: CharacteristicConfig): CharacteristicState {
  const fixed = c.fixedLimits ? fixedLimits(c.chart, c.chart === 'P' || c.chart === 'U' ? null : specOf(c).subgroupSize, c.constants, c.fixedLimits, 1) : null;
  return {
    nextIndex: 1,
    open: null,
    windows: [],
    closedThrough: null,
    previousIndividual: null,
    limits: fixed,
    lastAudit: null,
    baseline: fixed ? null : emptyBaseline,
    baselineTarget: c.phase1Subgroups,
    pendingChange: null,
    phase1Points: [],
    window: emptyWindow,
    meta: [],
    counters: { incomplete: 0, late: 0, invalid: 0, extra: 0 },
    lastVersion: fixed ? 1 : 0,
    capStats: emptyBaseline,
    pendingCommand: null,
    recentCommands: [],
  };
}

function count(cs: CharacteristicState, what: keyof CharacteristicState['counters']): CharacteristicState {
  return { ...cs, counters: { ...cs.counters, [what]: (cs.counters[what] ?? 0) + 1 } };
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

function joinSubgroup(open: OpenSubgroup | null, m: QualityMeasurement, id: string | null, windowStart: number | null): OpenSubgroup {
  return {
    id,
    windowStart,
    values: [...(open?.values ?? []), m.value],
    eventIds: [...(open?.eventIds ?? []), m.eventId],
    serials: m.serial === null ? [...(open?.serials ?? [])] : [...(open?.serials ?? []), m.serial],
    lots: m.lot === null ? [...(open?.lots ?? [])] : [...(open?.lots ?? []), m.lot],
    workOrder: m.workOrder ?? open?.workOrder ?? null,
    lastTime: Math.max(open?.lastTime ?? m.eventTime, m.eventTime),
  };
}

function avroLimits(pl: PointLimits): SpcLimits {
  return {
    version: pl.version,
    center: pl.center,
    ucl: pl.ucl,
    lcl: pl.lcl,
    sigma: pl.sigma,
    dispersionCenter: pl.dispersion?.center ?? null,
    dispersionUcl: pl.dispersion?.ucl ?? null,
    dispersionLcl: pl.dispersion?.lcl ?? null,
    source: pl.source,
    subgroupSize: pl.size,
    upper2Sigma: pl.zones.upper2,
    upper1Sigma: pl.zones.upper1,
    lower1Sigma: pl.zones.lower1,
    lower2Sigma: pl.zones.lower2,
  };
}

interface Evaluated {
  cs: CharacteristicState;
  limits: PointLimits;
  hits: RuleHit[];
  dispersionOut: boolean;
  alarms: CoreOutput[];
}

/** Applies the current limits and the rules to one point; returns the alarms to emit. */
function evaluate(cs: CharacteristicState, c: CharacteristicConfig, equipment: string, bp: BaselinePoint): Evaluated {
  const limits = pointLimits(cs.limits!, bp.point.size);
  const step = pushPoint(cs.window, classify(bp.index, bp.point.statistic, limits.zones), selectionOf(c));
  const meta = [...cs.meta, bp.meta].slice(-step.window.points.length);
  const next = { ...cs, window: step.window, meta };
  const byIndex = new Map(step.window.points.map((p, i) => [p.index, meta[i]!]));
  const label = step.hits.length > 0 ? step.hits[0]!.rule : 0;
  const avro = avroLimits(limits);
  const alarms: CoreOutput[] = step.hits.map((hit) => {
    const metas = hit.pointIndexes.map((i) => byIndex.get(i)!);
    const alarm: SpcAlarm = {
      eventId: `spc-alarm:${c.id}:${hit.index}:${hit.rule}`,
      eventTime: bp.meta.eventTime,
      equipment,
      characteristic: c.id,
      rule: hit.rule,
      ruleSet: hit.ruleSet,
      label,
      description: hit.description,
      direction: hit.direction,
      chartPart: 'LOCATION',
      pointIndexes: [...hit.pointIndexes],
      values: [...hit.values],
      limits: avro,
      workOrder: bp.meta.workOrder,
      serials: unique(metas.flatMap((m) => m.serials)),
      lots: unique(metas.flatMap((m) => m.lots)),
    };
    return { topic: 'spcAlarms', key: c.id, value: alarm };
  });
  const d = limits.dispersion;
  const dispersionOut = d !== null && bp.point.dispersion !== null && (bp.point.dispersion > d.ucl || bp.point.dispersion < d.lcl);
  if (dispersionOut && c.dispersionAlarms) {
    const name = c.chart === 'IMR' ? 'moving range' : c.chart === 'XBAR_R' ? 'range' : 'standard deviation';
    const above = bp.point.dispersion! > d!.ucl;
    const alarm: SpcAlarm = {
      eventId: `spc-alarm:${c.id}:${bp.index}:D1`,
      eventTime: bp.meta.eventTime,
      equipment,
      characteristic: c.id,
      rule: 1,
      ruleSet: c.ruleSet,
      label: 1,
      description: `Dispersion: ${name} ${above ? 'above its UCL' : 'below its LCL'}`,
      direction: above ? 'UP' : 'DOWN',
      chartPart: 'DISPERSION',
      pointIndexes: [bp.index],
      values: [bp.point.dispersion!],
      limits: avro,
      workOrder: bp.meta.workOrder,
      serials: unique([...bp.meta.serials]),
      lots: unique([...bp.meta.lots]),
    };
    alarms.push({ topic: 'spcAlarms', key: c.id, value: alarm });
  }
  return { cs: next, limits, hits: step.hits, dispersionOut, alarms };
}

/** Plots a closed subgroup: statistic, baseline, limits, rules, outputs. */
function plot(cs0: CharacteristicState, c: CharacteristicConfig, equipment: string, sub: OpenSubgroup): { cs: CharacteristicState; outputs: CoreOutput[] } {
  const spec = specOf(c);
  let cs = cs0;
  let values = sub.values;
  let point: PointStatistic;
  if (c.chart === 'P' || c.chart === 'U') {
    point = attributePoint(spec, values.reduce((a, b) => a + b, 0), values.length);
  } else if (c.chart === 'IMR') {
    point = variablesPoint(spec, values, cs.previousIndividual);
    cs = { ...cs, previousIndividual: values[0]! };
  } else {
    if (values.length < spec.subgroupSize) return { cs: count(cs, 'incomplete'), outputs: [] };
    if (values.length > spec.subgroupSize) {
      cs = count(cs, 'extra');
      values = values.slice(0, spec.subgroupSize);
    }
    point = variablesPoint(spec, values);
  }
  const index = cs.nextIndex;
  const meta: PointMeta = { eventTime: sub.lastTime, workOrder: sub.workOrder, serials: unique(sub.serials), lots: unique(sub.lots) };
  const bp: BaselinePoint = { index, point, meta };
  cs = { ...cs, nextIndex: index + 1, capStats: addToBaseline(cs.capStats ?? emptyBaseline, spec, index, point, values) };
  const outputs: CoreOutput[] = [];
  const audits: CoreOutput[] = [];
  const phase1 = cs.limits === null;

  let baselineDone = false;
  if (cs.baseline) {
    const baseline = addToBaseline(cs.baseline, spec, index, point, values);
    cs = { ...cs, baseline, phase1Points: phase1 ? [...cs.phase1Points, bp] : cs.phase1Points };
    baselineDone = baseline.points >= cs.baselineTarget;
  }

  let own: Evaluated | null = null;
  if (phase1 && baselineDone) {
    // Phase I complete: freeze the limits, then apply the rules to the whole baseline (retrospective analysis).
    const version = (cs.lastVersion ?? 0) + 1;
    const { limits, audit } = establishLimits(spec, cs.baseline!, { characteristic: c.id, who: SPC_PROCESSOR, when: meta.eventTime, why: `Phase I baseline of ${cs.baseline!.points} points complete` }, version);
    audits.push(auditOutput(auditRecord(audit, equipment, meta.eventTime, cs.pendingCommand ?? null)));
    cs = { ...cs, limits, lastAudit: audit, capStats: cs.baseline!, baseline: null, lastVersion: version, pendingCommand: null };
    for (const p of cs.phase1Points) {
      const e = evaluate(cs, c, equipment, p);
      cs = e.cs;
      outputs.push(...e.alarms);
      if (p.index === index) own = e;
    }
    cs = { ...cs, phase1Points: [] };
  } else if (!phase1) {
    own = evaluate(cs, c, equipment, bp);
    cs = own.cs;
    outputs.push(...own.alarms);
    if (baselineDone && cs.pendingChange) {
      // an audited recomputation has its new baseline: new limits version, rules start afresh
      const { limits, audit } = recomputeLimits(cs.limits!, spec, cs.baseline!, cs.pendingChange);
      audits.push(auditOutput(auditRecord(audit, equipment, meta.eventTime, cs.pendingCommand ?? null)));
      cs = { ...cs, limits, lastAudit: audit, capStats: cs.baseline!, baseline: null, pendingChange: null, window: emptyWindow, meta: [], lastVersion: limits.version, pendingCommand: null };
    }
  }

  const spcPoint: SpcPoint = {
    eventId: `spc:${c.id}:${index}`,
    eventTime: meta.eventTime,
    equipment,
    characteristic: c.id,
    chart: c.chart,
    index,
    subgroupId: sub.id ?? (sub.windowStart === null ? null : `window:${sub.windowStart}`),
    values: [...values],
    statistic: point.statistic,
    dispersion: point.dispersion,
    limits: own ? avroLimits(own.limits) : null,
    rules: own ? own.hits.map((h) => h.rule) : [],
    dispersionOutOfLimits: own?.dispersionOut ?? false,
    workOrder: meta.workOrder,
    serials: [...meta.serials],
    lots: [...meta.lots],
    sourceEventIds: [...sub.eventIds],
  };
  const capability = capabilityOutput(cs, c, equipment, index, meta.eventTime);
  return { cs, outputs: [{ topic: 'spcPoints', key: c.id, value: spcPoint }, ...audits, ...outputs, ...capability] };
}

/** The capability record due at point `index` (every `capability.everyPoints` points, once limits are in force). */
function capabilityOutput(cs: CharacteristicState, c: CharacteristicConfig, equipment: string, index: number, eventTime: number): CoreOutput[] {
  const every = c.capability.everyPoints;
  if (cs.limits === null || every === 0 || index % every !== 0 || (c.lsl === null && c.usl === null) || !cs.capStats) return [];
  const stats = cs.capStats;
  const cap = capabilityOfStats(specOf(c), stats, { lsl: c.lsl, usl: c.usl });
  if (!cap || stats.firstIndex === null) return [];
  const value: SpcCapability = {
    eventId: `spc-capability:${c.id}:${index}`,
    eventTime,
    equipment,
    characteristic: c.id,
    chart: c.chart,
    index,
    limitsVersion: cs.limits.version,
    firstIndex: stats.firstIndex,
    points: stats.points,
    samples: stats.moments.n,
    mean: cap.mean,
    lsl: cap.lsl,
    usl: cap.usl,
    sigmaWithin: cap.sigmaWithin,
    withinMethod: cap.withinMethod,
    constants: c.constants,
    sigmaOverall: cap.sigmaOverall,
    cp: cap.cp,
    cpl: cap.cpl,
    cpu: cap.cpu,
    cpk: cap.cpk,
    pp: cap.pp,
    ppl: cap.ppl,
    ppu: cap.ppu,
    ppk: cap.ppk,
  };
  return [{ topic: 'spcCapability', key: c.id, value }];
}

// --- Limits audit records --------------------------------------------------------------------------------------

function chartLimitsRecord(l: ChartLimits): SpcChartLimits {
  return {
    chart: l.chart,
    version: l.version,
    source: l.source,
    constants: l.constants,
    subgroupSize: l.subgroupSize,
    center: l.center,
    sigma: l.sigma,
    ucl: l.ucl,
    lcl: l.lcl,
    dispersionCenter: l.dispersion?.center ?? null,
    dispersionUcl: l.dispersion?.ucl ?? null,
    dispersionLcl: l.dispersion?.lcl ?? null,
    sigmaWithin: l.sigmaWithin,
    basisPoints: l.basis?.points ?? null,
    basisSamples: l.basis?.samples ?? null,
    basisFirstIndex: l.basis?.firstIndex ?? null,
    basisLastIndex: l.basis?.lastIndex ?? null,
  };
}

/** The audit record of a new limits version (id spc-audit:<characteristic>:v<version>). */
function auditRecord(audit: LimitsAudit, equipment: string, eventTime: number, command: { id: string; kind: SpcCommandKind } | null): SpcLimitsAudit {
  return {
    eventId: `spc-audit:${audit.characteristic}:v${audit.toVersion}`,
    eventTime,
    equipment,
    characteristic: audit.characteristic,
    action: audit.action,
    commandId: command?.id ?? null,
    commandKind: command?.kind ?? null,
    user: audit.who,
    reason: audit.why,
    requestedAt: audit.when,
    fromVersion: audit.fromVersion,
    toVersion: audit.toVersion,
    oldLimits: audit.old ? chartLimitsRecord(audit.old) : null,
    newLimits: chartLimitsRecord(audit.new),
    pendingPoints: null,
    rejection: null,
  };
}

const auditOutput = (value: SpcLimitsAudit): CoreOutput => ({ topic: 'spcAudit', key: value.characteristic === '' ? '-' : value.characteristic, value });

function validValue(c: CharacteristicConfig, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  if (c.chart === 'P') return v === 0 || v === 1;
  if (c.chart === 'U') return v >= 0;
  return true;
}

function withCharacteristic(state: SpcState, id: string, cs: CharacteristicState): SpcState {
  return { ...state, characteristics: { ...state.characteristics, [id]: cs } };
}

function processMeasurement(state: SpcState, input: CoreInput, config: SpcConfig): CoreResult<SpcState> {
  const m = input.value as QualityMeasurement;
  const c = characteristicOf(config, m.characteristic);
  if (!c) return { state: { ...state, stats: { ...state.stats, unconfigured: state.stats.unconfigured + 1 } }, outputs: [] };
  if (m.equipment !== c.equipment || input.key !== c.equipment)
    return { state: { ...state, stats: { ...state.stats, wrongEquipment: state.stats.wrongEquipment + 1 } }, outputs: [] };
  let cs = state.characteristics[c.id] ?? initialCharacteristic(c);
  if (m.entry === 'MANUAL') {
    const recent = cs.recentManual ?? [];
    if (recent.includes(m.eventId)) return { state: withCharacteristic(state, c.id, { ...cs, counters: { ...cs.counters, duplicate: (cs.counters.duplicate ?? 0) + 1 } }), outputs: [] };
    cs = { ...cs, recentManual: [...recent, m.eventId].slice(-REMEMBERED_MANUAL) };
  }
  if (!validValue(c, m.value)) return { state: withCharacteristic(state, c.id, count(cs, 'invalid')), outputs: [] };
  const outputs: CoreOutput[] = [];
  const size = c.chart === 'IMR' ? 1 : c.subgroupSize;
  const mode = c.subgroups;
  if (mode.mode === 'TIME_WINDOW') {
    const start = Math.floor(m.eventTime / mode.windowMs) * mode.windowMs;
    if (cs.closedThrough !== null && start + mode.windowMs <= cs.closedThrough) return { state: withCharacteristic(state, c.id, count(cs, 'late')), outputs: [] };
    const existing = cs.windows.find((w) => w.windowStart === start) ?? null;
    const joined = joinSubgroup(existing, m, null, start);
    const windows = existing ? cs.windows.map((w) => (w === existing ? joined : w)) : [...cs.windows, joined].sort((a, b) => a.windowStart! - b.windowStart!);
    cs = { ...cs, windows };
  } else {
    let open = cs.open;
    let id: string | null = null;
    if (mode.mode === 'PER_SERIAL') {
      id = m.subgroupId ?? m.serial;
      if (id === null) return { state: withCharacteristic(state, c.id, count(cs, 'invalid')), outputs: [] };
      if (open && open.id !== id) {
        cs = count(cs, 'incomplete');
        open = null;
      }
    }
    const joined = joinSubgroup(open, m, id, null);
    if (joined.values.length >= size) {
      const r = plot({ ...cs, open: null }, c, m.equipment, joined);
      cs = r.cs;
      outputs.push(...r.outputs);
    } else {
      cs = { ...cs, open: joined };
    }
  }
  return { state: withCharacteristic(state, c.id, cs), outputs };
}

function closeWindows(state: SpcState, watermark: number, config: SpcConfig): CoreResult<SpcState> {
  let next = state;
  const outputs: CoreOutput[] = [];
  for (const id of Object.keys(state.characteristics).sort()) {
    const c = characteristicOf(config, id);
    if (!c || c.subgroups.mode !== 'TIME_WINDOW') continue;
    const w = c.subgroups.windowMs;
    let cs = next.characteristics[id]!;
    const through = Math.floor(watermark / w) * w;
    if (cs.closedThrough !== null && through <= cs.closedThrough) continue;
    const closing = cs.windows.filter((x) => x.windowStart! + w <= watermark);
    cs = { ...cs, windows: cs.windows.filter((x) => x.windowStart! + w > watermark), closedThrough: through };
    for (const sub of closing) {
      const r = plot(cs, c, c.equipment, sub);
      cs = r.cs;
      outputs.push(...r.outputs);
    }
    next = withCharacteristic(next, id, cs);
  }
  return { state: next, outputs };
}

export const spcCore: ProcessorCore<SpcState, SpcConfig> = {
  name: SPC_PROCESSOR,
  // Both keyed by equipment (co-partitioned): a command reaches the state of its characteristic's equipment.
  inputs: ['measurements', 'spcCommands'],
  outputs: ['spcPoints', 'spcAlarms', 'spcAudit', 'spcCapability'],
  reorderMs: (config) => config.reorderMs,
  initialState: (key) => ({ key, characteristics: {}, stats: { unconfigured: 0, wrongEquipment: 0 } }),
  process: (state, input, config) =>
    input.topic === 'measurements' ? processMeasurement(state, input, config) : input.topic === 'spcCommands' ? applyCommand(state, input.value as SpcCommand, config) : { state, outputs: [] },
  onWatermark: (state, _key, watermark, config) => closeWindows(state, watermark, config),
};

// --- Audited limits changes (driven by the API of the alarm workflow; pure) ------------------------------------

function requireCharacteristic(state: SpcState, config: SpcConfig, id: string): { c: CharacteristicConfig; cs: CharacteristicState } {
  const c = characteristicOf(config, id);
  if (!c) throw new RangeError(`unknown characteristic ${id}`);
  if (c.equipment !== state.key) throw new RangeError(`characteristic ${id} belongs to ${c.equipment}, not ${state.key}`);
  return { c, cs: state.characteristics[id] ?? initialCharacteristic(c) };
}

/**
 * Asks for the limits to be recomputed from the next `points` plotted points (default: the Phase I size). The old
 * limits stay in force until then; the new ones come with version + 1 and an audit record naming who, when, why.
 */
export function requestRecompute(state: SpcState, config: SpcConfig, request: ChangeRequest, points?: number): SpcState {
  const { c, cs } = requireCharacteristic(state, config, request.characteristic);
  if (!cs.limits) throw new RangeError(`characteristic ${c.id} is still in Phase I`);
  checkWhoWhy(request);
  if (cs.pendingChange) {
    const p = cs.pendingChange;
    throw new RangeError(`a recomputation asked for by ${p.who} at ${p.when} is still collecting its baseline (${cs.baseline?.points ?? 0} of ${cs.baselineTarget} points)`);
  }
  const target = baselineSize(c, points, 'a recomputation');
  return withCharacteristic(state, c.id, { ...cs, baseline: emptyBaseline, baselineTarget: target, pendingChange: request });
}

/** Replaces the limits with engineer-entered ones at once (version + 1, audited); the rules start afresh. */
export function applyFixedLimits(state: SpcState, config: SpcConfig, input: FixedLimitsInput, request: ChangeRequest): { state: SpcState; audit: LimitsAudit } {
  const { c, cs } = requireCharacteristic(state, config, request.characteristic);
  const version = Math.max(cs.limits?.version ?? 0, cs.lastVersion ?? 0) + 1;
  const { limits, audit } = enterFixedLimits(cs.limits, specOf(c), input, request, version);
  const next: CharacteristicState = {
    ...cs,
    limits,
    lastAudit: audit,
    baseline: null,
    pendingChange: null,
    phase1Points: [],
    window: emptyWindow,
    meta: [],
    lastVersion: version,
    capStats: emptyBaseline,
    pendingCommand: null,
  };
  return { state: withCharacteristic(state, c.id, next), audit };
}

/**
 * Drops the limits and starts Phase I again with a baseline of `points` (default the Phase I size): points carry no
 * limits until it is complete, then the new limits come as the next version (source PHASE1), and the rules are applied
 * to the new baseline retrospectively, as at the start.
 */
export function resetPhase1(state: SpcState, config: SpcConfig, request: ChangeRequest, points?: number | null): { state: SpcState; old: ChartLimits | null; target: number } {
  const { c, cs } = requireCharacteristic(state, config, request.characteristic);
  checkWhoWhy(request);
  const target = baselineSize(c, points, 'a Phase I baseline');
  const next: CharacteristicState = {
    ...cs,
    limits: null,
    baseline: emptyBaseline,
    baselineTarget: target,
    pendingChange: null,
    phase1Points: [],
    window: emptyWindow,
    meta: [],
    lastVersion: Math.max(cs.limits?.version ?? 0, cs.lastVersion ?? 0),
    capStats: emptyBaseline,
    pendingCommand: null,
  };
  return { state: withCharacteristic(state, c.id, next), old: cs.limits, target };
}

function checkWhoWhy(request: ChangeRequest): void {
  if (request.who.trim() === '' || request.why.trim() === '') throw new RangeError('a limits change needs who and why');
  if (!Number.isFinite(request.when)) throw new RangeError('a limits change needs when it was asked for (epoch ms)');
}

function baselineSize(c: CharacteristicConfig, points: number | undefined | null, what: string): number {
  const target = points ?? c.phase1Subgroups;
  if (!Number.isInteger(target) || target < 2 || target > 1000) throw new RangeError(`${what} needs 2..1000 points, got ${target}`);
  return target;
}

function fixedInput(command: SpcCommand): FixedLimitsInput {
  const f = command.fixedLimits;
  if (!f) throw new RangeError('SET_FIXED_LIMITS needs fixedLimits');
  const d = [f.dispersionCenter, f.dispersionUcl, f.dispersionLcl];
  if (d.some((x) => x !== null) && d.some((x) => x === null)) throw new RangeError('dispersion limits need all of dispersionCenter, dispersionUcl and dispersionLcl');
  for (const [name, x] of Object.entries(f)) if (x !== null && !Number.isFinite(x)) throw new RangeError(`fixedLimits.${name} must be a finite number`);
  return {
    center: f.center,
    ucl: f.ucl,
    lcl: f.lcl,
    sigma: f.sigma,
    sigmaWithin: f.sigmaWithin,
    dispersion: f.dispersionCenter === null ? null : { center: f.dispersionCenter, ucl: f.dispersionUcl!, lcl: f.dispersionLcl! },
  };
}

/**
 * Applies an engineer's command (linepulse.spc-commands.v1) to the state of its equipment and returns the audit
 * record: a new limits version (FIXED), an accepted request whose limits come later (RECOMPUTE_REQUESTED,
 * PHASE1_RESET), or REJECTED with the reason (unknown characteristic, another equipment, still in Phase I, no reason
 * given, invalid limits, ...). Never throws for a bad command. A command id already handled for the characteristic
 * (among its last REMEMBERED_COMMANDS) is ignored.
 */
export function applyCommand(state: SpcState, command: SpcCommand, config: SpcConfig): CoreResult<SpcState> {
  const request: ChangeRequest = { characteristic: command.characteristic, who: command.user, when: command.eventTime, why: command.reason };
  const ref = { id: command.eventId, kind: command.kind };
  const c = characteristicOf(config, command.characteristic);
  const before = c ? state.characteristics[c.id] : undefined;
  const commandRecord = (action: SpcLimitsAudit['action'], extra: Partial<SpcLimitsAudit>): SpcLimitsAudit => ({
    eventId: `spc-audit:${command.characteristic}:cmd:${command.eventId}`,
    eventTime: command.eventTime,
    equipment: command.equipment,
    characteristic: command.characteristic,
    action,
    commandId: command.eventId,
    commandKind: command.kind,
    user: command.user,
    reason: command.reason,
    requestedAt: command.eventTime,
    fromVersion: before?.limits?.version ?? null,
    toVersion: null,
    oldLimits: before?.limits ? chartLimitsRecord(before.limits) : null,
    newLimits: null,
    pendingPoints: null,
    rejection: null,
    ...extra,
  });
  const reject = (why: string, next = state): CoreResult<SpcState> => ({ state: next, outputs: [auditOutput(commandRecord('REJECTED', { toVersion: before?.limits?.version ?? null, rejection: why }))] });
  if (!c) return reject(`unknown characteristic ${JSON.stringify(command.characteristic)}`);
  if (c.equipment !== state.key || command.equipment !== c.equipment)
    return reject(`characteristic ${c.id} is measured on ${c.equipment}, not on ${command.equipment}`);
  const cs0 = before ?? initialCharacteristic(c);
  const recent = cs0.recentCommands ?? [];
  if (recent.includes(command.eventId)) return { state, outputs: [] };
  const remember = (s: SpcState): SpcState => {
    const cs = s.characteristics[c.id] ?? cs0;
    return withCharacteristic(s, c.id, { ...cs, recentCommands: [...(cs.recentCommands ?? []), command.eventId].slice(-REMEMBERED_COMMANDS) });
  };
  try {
    switch (command.kind) {
      case 'SET_FIXED_LIMITS': {
        const r = applyFixedLimits(state, config, fixedInput(command), request);
        return { state: remember(r.state), outputs: [auditOutput(auditRecord(r.audit, c.equipment, command.eventTime, ref))] };
      }
      case 'RECOMPUTE_LIMITS': {
        const next = requestRecompute(state, config, request, command.points ?? undefined);
        const cs = next.characteristics[c.id]!;
        const withRef = withCharacteristic(next, c.id, { ...cs, pendingCommand: ref });
        return { state: remember(withRef), outputs: [auditOutput(commandRecord('RECOMPUTE_REQUESTED', { toVersion: cs.limits?.version ?? null, pendingPoints: cs.baselineTarget }))] };
      }
      case 'RESET_PHASE1': {
        const r = resetPhase1(state, config, request, command.points);
        const cs = r.state.characteristics[c.id]!;
        const withRef = withCharacteristic(r.state, c.id, { ...cs, pendingCommand: ref });
        return { state: remember(withRef), outputs: [auditOutput(commandRecord('PHASE1_RESET', { pendingPoints: r.target }))] };
      }
      default:
        return reject(`unknown command kind ${String(command.kind)}`, remember(state));
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return reject(error.message, remember(state));
  }
}

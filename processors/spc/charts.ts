// Control charts: I-MR, X-bar/R, X-bar/S (subgroup size 2-10), p and u (variable sample size, per-point limits);
// Phase I limits from a baseline, frozen afterwards; audited recomputation and engineer-entered fixed limits;
// capability (Cp, Cpk, Pp, Ppk). Formulas and their sources: README.md, section "Charts".
//
// Two ways to compute limits (`ConstantsMode`, constants.ts): TABLE reproduces textbook hand calculations with the
// printed factors (UCL = x-double-bar + A2 R-bar, ...); EXACT uses full-precision factors (as R's qcc and Minitab).
// In both, `sigma` is the sigma of the plotted statistic the zone lines are drawn with, and the control limits are
// the 3-sigma lines: for TABLE, sigma = A2 R-bar / 3 (resp. A3 S-bar / 3), so the zones are thirds of the distance
// from the centre line to the limits, as the Western Electric handbook draws them.
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { factors, type ConstantsMode } from './constants.ts';
import { zoneLines, type ZoneLines } from './rules.ts';

export type ChartType = 'IMR' | 'XBAR_R' | 'XBAR_S' | 'P' | 'U';
export type LimitSource = 'PHASE1' | 'FIXED' | 'RECOMPUTED';

export const MIN_XBAR_SUBGROUP = 2;
export const MAX_XBAR_SUBGROUP = 10;

/** What a chart needs to know to compute its statistics and limits. */
export interface ChartSpec {
  readonly chart: ChartType;
  /** Subgroup size for X-bar charts (2..10); 1 for I-MR; ignored for p and u (sizes vary per point). */
  readonly subgroupSize: number;
  readonly constants: ConstantsMode;
}

export function validateSpec(spec: ChartSpec): void {
  if (spec.chart === 'XBAR_R' || spec.chart === 'XBAR_S') {
    if (!Number.isInteger(spec.subgroupSize) || spec.subgroupSize < MIN_XBAR_SUBGROUP || spec.subgroupSize > MAX_XBAR_SUBGROUP)
      throw new RangeError(`${spec.chart} needs a subgroup size of ${MIN_XBAR_SUBGROUP}..${MAX_XBAR_SUBGROUP}, got ${spec.subgroupSize}`);
  } else if (spec.chart === 'IMR' && spec.subgroupSize !== 1) {
    throw new RangeError(`IMR plots individual values: subgroup size must be 1, got ${spec.subgroupSize}`);
  }
}

// --- Plotted statistics ----------------------------------------------------------------------------------------

/** One plotted point: the statistic on the location chart and the one on the dispersion chart. */
export interface PointStatistic {
  /** Individual value, subgroup mean, proportion or rate. */
  readonly statistic: number;
  /** Moving range (null for the first individual), range or standard deviation; null for p and u. */
  readonly dispersion: number | null;
  /** Values in the subgroup (1 for I-MR), or the sample size / number of units for p and u. */
  readonly size: number;
}

function requireFinite(values: readonly number[], what: string): void {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${what}: ${v} is not a finite number`);
}

/** The statistic of a subgroup of measured values (I-MR: one value, and the previous individual for the moving range). */
export function variablesPoint(spec: ChartSpec, values: readonly number[], previousIndividual: number | null = null): PointStatistic {
  requireFinite(values, 'measurement');
  if (spec.chart === 'IMR') {
    if (values.length !== 1) throw new RangeError(`IMR plots one value per point, got ${values.length}`);
    const x = values[0]!;
    return { statistic: x, dispersion: previousIndividual === null ? null : Math.abs(x - previousIndividual), size: 1 };
  }
  if (spec.chart === 'XBAR_R' || spec.chart === 'XBAR_S') {
    if (values.length !== spec.subgroupSize) throw new RangeError(`${spec.chart} subgroup needs ${spec.subgroupSize} values, got ${values.length}`);
    const dispersion = spec.chart === 'XBAR_R' ? Math.max(...values) - Math.min(...values) : sampleStandardDeviation([...values]);
    return { statistic: mean([...values]), dispersion, size: values.length };
  }
  throw new RangeError(`${spec.chart} is an attribute chart: use attributePoint`);
}

/**
 * p chart: `count` nonconforming units out of `size` inspected; u chart: `count` nonconformities on `size`
 * inspection units.
 */
export function attributePoint(spec: ChartSpec, count: number, size: number): PointStatistic {
  if (spec.chart !== 'P' && spec.chart !== 'U') throw new RangeError(`${spec.chart} is not an attribute chart`);
  if (!Number.isFinite(count) || count < 0) throw new RangeError(`count must be a non-negative number, got ${count}`);
  if (!Number.isFinite(size) || size <= 0) throw new RangeError(`sample size must be positive, got ${size}`);
  if (spec.chart === 'P' && count > size) throw new RangeError(`p chart: ${count} nonconforming out of ${size} inspected`);
  return { statistic: count / size, dispersion: null, size };
}

// --- Phase I baseline statistics (bounded: sums, not the data) -------------------------------------------------

/** Neumaier-compensated running sum, JSON-serialisable. */
export interface RunningSum {
  readonly s: number;
  readonly c: number;
}

export const zeroSum: RunningSum = { s: 0, c: 0 };

export function addTo(sum: RunningSum, x: number): RunningSum {
  const t = sum.s + x;
  const c = Math.abs(sum.s) >= Math.abs(x) ? sum.c + (sum.s - t + x) : sum.c + (x - t + sum.s);
  return { s: t, c };
}

export const total = (sum: RunningSum): number => sum.s + sum.c;

/** Welford's running mean and sum of squared deviations of every individual value (overall sigma, Pp/Ppk). */
export interface RunningMoments {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
}

export const noMoments: RunningMoments = { n: 0, mean: 0, m2: 0 };

export function addMoment(m: RunningMoments, x: number): RunningMoments {
  const n = m.n + 1;
  const delta = x - m.mean;
  const next = m.mean + delta / n;
  return { n, mean: next, m2: m.m2 + delta * (x - next) };
}

/** Everything Phase I needs to compute limits and capability. */
export interface BaselineStats {
  /** Plotted points in the baseline. */
  readonly points: number;
  /** Sum of the plotted statistics (I-MR, X-bar) or of the counts (p, u). */
  readonly sumStatistic: RunningSum;
  /** Sum of the dispersion statistics (moving ranges, ranges, standard deviations). */
  readonly sumDispersion: RunningSum;
  readonly dispersionCount: number;
  /** Sum of the sample sizes (p, u). */
  readonly sumSize: RunningSum;
  /** Every individual measured value (variables charts). */
  readonly moments: RunningMoments;
  readonly firstIndex: number | null;
  readonly lastIndex: number | null;
}

export const emptyBaseline: BaselineStats = {
  points: 0,
  sumStatistic: zeroSum,
  sumDispersion: zeroSum,
  dispersionCount: 0,
  sumSize: zeroSum,
  moments: noMoments,
  firstIndex: null,
  lastIndex: null,
};

/** Adds one plotted point (with its raw values, for variables charts) to the baseline. */
export function addToBaseline(stats: BaselineStats, spec: ChartSpec, index: number, point: PointStatistic, values: readonly number[]): BaselineStats {
  const attribute = spec.chart === 'P' || spec.chart === 'U';
  let moments = stats.moments;
  if (!attribute) for (const v of values) moments = addMoment(moments, v);
  const hasDispersion = point.dispersion !== null;
  return {
    points: stats.points + 1,
    sumStatistic: addTo(stats.sumStatistic, attribute ? point.statistic * point.size : point.statistic),
    sumDispersion: hasDispersion ? addTo(stats.sumDispersion, point.dispersion!) : stats.sumDispersion,
    dispersionCount: stats.dispersionCount + (hasDispersion ? 1 : 0),
    sumSize: addTo(stats.sumSize, point.size),
    moments,
    firstIndex: stats.firstIndex ?? index,
    lastIndex: index,
  };
}

// --- Limits ----------------------------------------------------------------------------------------------------

export interface DispersionLimits {
  readonly center: number;
  readonly ucl: number;
  readonly lcl: number;
}

/** A version of a chart's limits: frozen after Phase I, replaced only by an audited change. JSON-serialisable. */
export interface ChartLimits {
  readonly chart: ChartType;
  readonly version: number;
  readonly source: LimitSource;
  readonly constants: ConstantsMode;
  /** n of the X-bar subgroups, 1 for I-MR, null for p and u. */
  readonly subgroupSize: number | null;
  /** Centre line: x-bar, x-double-bar, p-bar or u-bar. */
  readonly center: number;
  /** Sigma of the plotted statistic (variables charts); p and u derive it per point from their sample size. */
  readonly sigma: number | null;
  readonly ucl: number | null;
  readonly lcl: number | null;
  readonly dispersion: DispersionLimits | null;
  /** Sigma within subgroups (R-bar/d2, S-bar/c4, MR-bar/d2(2)), for Cp and Cpk; null when unknown. */
  readonly sigmaWithin: number | null;
  /** The baseline the limits come from (null for fixed limits). */
  readonly basis: { readonly points: number; readonly samples: number; readonly firstIndex: number | null; readonly lastIndex: number | null } | null;
}

/** The limits that apply to one point, and its zone lines (computed here, once). */
export interface PointLimits {
  readonly version: number;
  readonly source: LimitSource;
  readonly center: number;
  readonly ucl: number;
  readonly lcl: number;
  readonly sigma: number;
  readonly dispersion: DispersionLimits | null;
  /** The sample size the limits were computed for (variable-n charts), or the subgroup size. */
  readonly size: number | null;
  readonly zones: ZoneLines;
}

/** Phase I (or recomputed) limits from baseline statistics. */
export function limitsFromBaseline(spec: ChartSpec, stats: BaselineStats, version: number, source: LimitSource): ChartLimits {
  validateSpec(spec);
  const basis = { points: stats.points, samples: spec.chart === 'P' || spec.chart === 'U' ? total(stats.sumSize) : stats.moments.n, firstIndex: stats.firstIndex, lastIndex: stats.lastIndex };
  const common = { chart: spec.chart, version, source, constants: spec.constants, basis };
  switch (spec.chart) {
    case 'IMR': {
      if (stats.points < 2 || stats.dispersionCount < 1) throw new RangeError('an I-MR baseline needs at least 2 values');
      const center = total(stats.sumStatistic) / stats.points;
      const mrBar = total(stats.sumDispersion) / stats.dispersionCount;
      const f = factors(2, spec.constants);
      const sigma = mrBar / f.d2;
      return {
        ...common,
        subgroupSize: 1,
        center,
        sigma,
        ucl: center + 3 * sigma,
        lcl: center - 3 * sigma,
        dispersion: { center: mrBar, ucl: f.D4 * mrBar, lcl: f.D3 * mrBar },
        sigmaWithin: sigma,
      };
    }
    case 'XBAR_R':
    case 'XBAR_S': {
      if (stats.points < 1) throw new RangeError('an X-bar baseline needs at least 1 subgroup');
      const n = spec.subgroupSize;
      const f = factors(n, spec.constants);
      const center = total(stats.sumStatistic) / stats.points;
      const bar = total(stats.sumDispersion) / stats.dispersionCount;
      const isR = spec.chart === 'XBAR_R';
      const sigmaWithin = isR ? bar / f.d2 : bar / f.c4;
      // TABLE: the textbook limits x-double-bar +/- A2 R-bar (A3 S-bar), zones in thirds; EXACT: +/- 3 sigma / sqrt(n).
      const halfWidth = spec.constants === 'TABLE' ? (isR ? f.A2 : f.A3) * bar : (3 * sigmaWithin) / Math.sqrt(n);
      const sigma = spec.constants === 'TABLE' ? halfWidth / 3 : sigmaWithin / Math.sqrt(n);
      const dispersion = isR ? { center: bar, ucl: f.D4 * bar, lcl: f.D3 * bar } : { center: bar, ucl: f.B4 * bar, lcl: f.B3 * bar };
      return { ...common, subgroupSize: n, center, sigma, ucl: center + halfWidth, lcl: center - halfWidth, dispersion, sigmaWithin };
    }
    case 'P':
    case 'U': {
      const size = total(stats.sumSize);
      if (stats.points < 1 || size <= 0) throw new RangeError(`a ${spec.chart} baseline needs at least one sample`);
      const center = total(stats.sumStatistic) / size;
      if (spec.chart === 'P' && (center <= 0 || center >= 1)) throw new RangeError(`p chart baseline proportion ${center}: limits need 0 < p-bar < 1`);
      if (spec.chart === 'U' && center <= 0) throw new RangeError(`u chart baseline rate ${center}: limits need u-bar > 0`);
      return { ...common, subgroupSize: null, center, sigma: null, ucl: null, lcl: null, dispersion: null, sigmaWithin: null };
    }
  }
}

/** The limits (and zone lines) for one point; `size` is the point's sample size on p and u charts. */
export function limitsForPoint(limits: ChartLimits, size: number | null): PointLimits {
  let center = limits.center;
  let sigma: number;
  let ucl: number;
  let lcl: number;
  if (limits.chart === 'P' || limits.chart === 'U') {
    if (size === null || !(size > 0)) throw new RangeError(`${limits.chart} chart point needs a positive sample size`);
    if (limits.sigma !== null && limits.ucl !== null && limits.lcl !== null) {
      // fixed attribute limits entered by an engineer: used as entered, whatever the sample size
      sigma = limits.sigma;
      ucl = limits.ucl;
      lcl = limits.lcl;
    } else {
      sigma = limits.chart === 'P' ? Math.sqrt((center * (1 - center)) / size) : Math.sqrt(center / size);
      ucl = center + 3 * sigma;
      lcl = Math.max(0, center - 3 * sigma);
    }
  } else {
    if (limits.sigma === null || limits.ucl === null || limits.lcl === null) throw new RangeError('variables chart limits need sigma, ucl and lcl');
    sigma = limits.sigma;
    ucl = limits.ucl;
    lcl = limits.lcl;
    center = limits.center;
  }
  return {
    version: limits.version,
    source: limits.source,
    center,
    ucl,
    lcl,
    sigma,
    dispersion: limits.dispersion,
    size: limits.chart === 'P' || limits.chart === 'U' ? size : limits.subgroupSize,
    zones: zoneLines({ center, sigma, ucl, lcl }),
  };
}

// --- Audited changes -------------------------------------------------------------------------------------------

export interface ChangeRequest {
  readonly characteristic: string;
  /** Who asked (user id). */
  readonly who: string;
  /** When, epoch ms: passed in, never read from a clock. */
  readonly when: number;
  readonly why: string;
}

export interface LimitsAudit {
  readonly characteristic: string;
  readonly action: 'ESTABLISHED' | 'RECOMPUTED' | 'FIXED';
  readonly fromVersion: number | null;
  readonly toVersion: number;
  readonly who: string;
  readonly when: number;
  readonly why: string;
  readonly old: ChartLimits | null;
  readonly new: ChartLimits;
}

function checkRequest(request: ChangeRequest): void {
  if (request.who.trim() === '') throw new RangeError('a limits change needs who asked for it');
  if (request.why.trim() === '') throw new RangeError('a limits change needs a reason');
  if (!Number.isFinite(request.when)) throw new RangeError('a limits change needs when it was asked for (epoch ms)');
}

/** The automatic Phase I establishment, recorded like any other change (who = the processor). */
export function establishLimits(spec: ChartSpec, stats: BaselineStats, request: ChangeRequest, version = 1): { limits: ChartLimits; audit: LimitsAudit } {
  checkRequest(request);
  const limits = limitsFromBaseline(spec, stats, version, 'PHASE1');
  return { limits, audit: { ...request, action: 'ESTABLISHED', fromVersion: null, toVersion: version, old: null, new: limits } };
}

/**
 * Recomputes frozen limits from a new baseline: only on an explicit request naming who, when and why. Returns the
 * new limits (version + 1, source RECOMPUTED) and the audit record with the old and new limits.
 */
export function recomputeLimits(current: ChartLimits, spec: ChartSpec, stats: BaselineStats, request: ChangeRequest): { limits: ChartLimits; audit: LimitsAudit } {
  checkRequest(request);
  if (spec.chart !== current.chart) throw new RangeError(`cannot recompute ${current.chart} limits as ${spec.chart}`);
  const limits = limitsFromBaseline(spec, stats, current.version + 1, 'RECOMPUTED');
  return { limits, audit: { ...request, action: 'RECOMPUTED', fromVersion: current.version, toVersion: limits.version, old: current, new: limits } };
}

/** Limits entered by an engineer. sigma defaults to (ucl - lcl) / 6. */
export interface FixedLimitsInput {
  readonly center: number;
  readonly ucl: number;
  readonly lcl: number;
  readonly sigma?: number | null;
  readonly dispersion?: DispersionLimits | null;
  readonly sigmaWithin?: number | null;
}

export function fixedLimits(chart: ChartType, subgroupSize: number | null, constants: ConstantsMode, input: FixedLimitsInput, version: number): ChartLimits {
  const sigma = input.sigma ?? (input.ucl - input.lcl) / 6;
  if (!(input.ucl > input.center && input.center > input.lcl) && !(input.lcl === 0 && input.center > 0 && input.ucl > input.center))
    throw new RangeError(`fixed limits need lcl < center < ucl, got ${input.lcl} / ${input.center} / ${input.ucl}`);
  if (!(sigma > 0)) throw new RangeError(`fixed limits need a positive sigma, got ${sigma}`);
  zoneLines({ center: input.center, sigma, ucl: input.ucl, lcl: input.lcl });
  return {
    chart,
    version,
    source: 'FIXED',
    constants,
    subgroupSize,
    center: input.center,
    sigma,
    ucl: input.ucl,
    lcl: input.lcl,
    dispersion: input.dispersion ?? null,
    sigmaWithin: input.sigmaWithin ?? null,
    basis: null,
  };
}

/**
 * Replaces the current limits (or none) with engineer-entered ones: version + 1 (or `version`, when versions were
 * used before and no limits are in force, e.g. after a Phase I reset), audited.
 */
export function enterFixedLimits(current: ChartLimits | null, spec: ChartSpec, input: FixedLimitsInput, request: ChangeRequest, version = (current?.version ?? 0) + 1): { limits: ChartLimits; audit: LimitsAudit } {
  checkRequest(request);
  const subgroupSize = spec.chart === 'P' || spec.chart === 'U' ? null : spec.subgroupSize;
  const limits = fixedLimits(spec.chart, subgroupSize, spec.constants, input, version);
  return { limits, audit: { ...request, action: 'FIXED', fromVersion: current?.version ?? null, toVersion: limits.version, old: current, new: limits } };
}

// --- Capability ------------------------------------------------------------------------------------------------

export interface SpecLimits {
  readonly lsl?: number | null;
  readonly usl?: number | null;
}

export interface IndexValue {
  readonly value: number;
  /** Individual values behind it. */
  readonly samples: number;
}

export interface Capability {
  readonly mean: number;
  readonly lsl: number | null;
  readonly usl: number | null;
  /** Sigma within subgroups and how it was estimated. */
  readonly sigmaWithin: number | null;
  readonly withinMethod: 'MRBAR_D2' | 'RBAR_D2' | 'SBAR_C4' | null;
  /** Sample standard deviation of every individual value. */
  readonly sigmaOverall: number;
  /** Both specs only. */
  readonly cp: IndexValue | null;
  readonly cpl: IndexValue | null;
  readonly cpu: IndexValue | null;
  /** min(Cpl, Cpu); with one spec, the one-sided index. */
  readonly cpk: IndexValue | null;
  readonly pp: IndexValue | null;
  readonly ppl: IndexValue | null;
  readonly ppu: IndexValue | null;
  readonly ppk: IndexValue | null;
}

export type WithinMethod = NonNullable<Capability['withinMethod']>;

const withinMethodOf = (chart: ChartType): WithinMethod | null => (chart === 'IMR' ? 'MRBAR_D2' : chart === 'XBAR_R' ? 'RBAR_D2' : chart === 'XBAR_S' ? 'SBAR_C4' : null);

/**
 * Sigma within subgroups estimated from baseline-style statistics of any run of points: MR-bar / d2(2), R-bar / d2(n)
 * or S-bar / c4(n), with the constants of the chart's mode (the same estimate `limitsFromBaseline` puts in
 * `sigmaWithin`). Null for p and u charts or when no dispersion statistic is available yet.
 */
export function withinSigma(spec: ChartSpec, stats: BaselineStats): number | null {
  if (stats.dispersionCount < 1) return null;
  const bar = total(stats.sumDispersion) / stats.dispersionCount;
  switch (spec.chart) {
    case 'IMR':
      return bar / factors(2, spec.constants).d2;
    case 'XBAR_R':
      return bar / factors(spec.subgroupSize, spec.constants).d2;
    case 'XBAR_S':
      return bar / factors(spec.subgroupSize, spec.constants).c4;
    default:
      return null;
  }
}

/**
 * Capability of a run of points (e.g. every point since the current limits version took effect): sigma within from
 * their own dispersion statistics (`withinSigma`), sigma overall from their individual values.
 */
export function capabilityOfStats(spec: ChartSpec, stats: BaselineStats, specLimits: SpecLimits): Capability | null {
  if (spec.chart === 'P' || spec.chart === 'U') return null;
  return capabilityWith(spec.chart, withinSigma(spec, stats), stats.moments, specLimits);
}

/** Cp/Cpk from sigma within, Pp/Ppk from the overall sample sigma (Montgomery, ch. 8; AIAG SPC manual). */
export function capability(limits: ChartLimits, moments: RunningMoments, spec: SpecLimits): Capability | null {
  return capabilityWith(limits.chart, limits.sigmaWithin, moments, spec);
}

function capabilityWith(chart: ChartType, within: number | null, moments: RunningMoments, spec: SpecLimits): Capability | null {
  const lsl = spec.lsl ?? null;
  const usl = spec.usl ?? null;
  if (lsl === null && usl === null) return null;
  if (lsl !== null && usl !== null && !(usl > lsl)) throw new RangeError(`USL ${usl} must be above LSL ${lsl}`);
  if (chart === 'P' || chart === 'U' || moments.n < 2) return null;
  const mu = moments.mean;
  const overall = Math.sqrt(moments.m2 / (moments.n - 1));
  const samples = moments.n;
  const indexes = (sigma: number | null) => {
    if (sigma === null || !(sigma > 0)) return { both: null, lower: null, upper: null, k: null };
    const lower = lsl === null ? null : { value: (mu - lsl) / (3 * sigma), samples };
    const upper = usl === null ? null : { value: (usl - mu) / (3 * sigma), samples };
    const both = lsl !== null && usl !== null ? { value: (usl - lsl) / (6 * sigma), samples } : null;
    const k = lower && upper ? (lower.value <= upper.value ? lower : upper) : (lower ?? upper);
    return { both, lower, upper, k };
  };
  const w = indexes(within);
  const o = indexes(overall);
  return {
    mean: mu,
    lsl,
    usl,
    sigmaWithin: within,
    withinMethod: within === null ? null : withinMethodOf(chart),
    sigmaOverall: overall,
    cp: w.both,
    cpl: w.lower,
    cpu: w.upper,
    cpk: w.k,
    pp: o.both,
    ppl: o.lower,
    ppu: o.upper,
    ppk: o.k,
  };
}

// --- Offline analysis (CLI, vectors) ---------------------------------------------------------------------------

export type ChartData = { readonly kind: 'variables'; readonly subgroups: ReadonlyArray<readonly number[]> } | { readonly kind: 'attribute'; readonly samples: ReadonlyArray<{ readonly count: number; readonly size: number }> };

export interface AnalysedPoint {
  readonly index: number;
  readonly statistic: number;
  readonly dispersion: number | null;
  readonly size: number;
  readonly limits: PointLimits;
  /** True when the dispersion statistic is beyond its limits (exclusive). */
  readonly dispersionOut: boolean;
  readonly phase: 'PHASE1' | 'PHASE2';
}

export interface Analysis {
  readonly limits: ChartLimits;
  readonly baseline: BaselineStats;
  readonly points: AnalysedPoint[];
  readonly capability: Capability | null;
}

/**
 * Computes a chart from a whole dataset: the first `phase1` points (default 25, or all when fewer) form the
 * baseline, or `fixed` limits are used as entered. Rules are applied by the caller (rules.ts) on `points`.
 */
export function analyse(spec: ChartSpec, data: ChartData, options: { phase1?: number; fixed?: FixedLimitsInput; specLimits?: SpecLimits } = {}): Analysis {
  validateSpec(spec);
  const stats: PointStatistic[] = [];
  const raw: Array<readonly number[]> = [];
  if (data.kind === 'variables') {
    if (spec.chart === 'P' || spec.chart === 'U') throw new RangeError(`${spec.chart} charts take counts and sample sizes`);
    let previous: number | null = null;
    for (const values of data.subgroups) {
      const point = variablesPoint(spec, values, previous);
      previous = spec.chart === 'IMR' ? values[0]! : null;
      stats.push(point);
      raw.push(values);
    }
  } else {
    for (const s of data.samples) {
      stats.push(attributePoint(spec, s.count, s.size));
      raw.push([]);
    }
  }
  if (stats.length === 0) throw new RangeError('no data points');
  const phase1 = Math.min(options.phase1 ?? 25, stats.length);
  if (!(phase1 >= 1)) throw new RangeError(`phase 1 size must be at least 1, got ${options.phase1}`);
  let baseline = emptyBaseline;
  for (let i = 0; i < phase1; i++) baseline = addToBaseline(baseline, spec, i + 1, stats[i]!, raw[i]!);
  // Overall moments for Pp/Ppk use the baseline values, like the limits.
  const limits = options.fixed ? fixedLimits(spec.chart, spec.chart === 'P' || spec.chart === 'U' ? null : spec.subgroupSize, spec.constants, options.fixed, 1) : limitsFromBaseline(spec, baseline, 1, 'PHASE1');
  const points = stats.map((s, i) => {
    const pl = limitsForPoint(limits, s.size);
    const d = pl.dispersion;
    const dispersionOut = d !== null && s.dispersion !== null && (s.dispersion > d.ucl || s.dispersion < d.lcl);
    return { index: i + 1, statistic: s.statistic, dispersion: s.dispersion, size: s.size, limits: pl, dispersionOut, phase: (i < phase1 && !options.fixed ? 'PHASE1' : 'PHASE2') as 'PHASE1' | 'PHASE2' };
  });
  return { limits, baseline, points, capability: options.specLimits ? capability(limits, baseline.moments, options.specLimits) : null };
}

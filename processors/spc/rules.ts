// Run rules for Shewhart charts: Nelson's eight tests (Nelson 1984, Journal of Quality Technology 16(4) 237-239)
// and the four Western Electric rules (Western Electric, Statistical Quality Control Handbook, 1956). Conventions
// (README.md, section "Rules"):
// - a signal is marked on the last point of the pattern, and again on every later point that completes the
//   pattern anew (a run of 10 on one side signals rule 2 on its 9th and 10th point);
// - a point exactly on the centre line is on neither side: it breaks a same-side run (rules 2, WE 4) and counts
//   as "within 1 sigma" (rule 7), never as "beyond" (rule 8);
// - rule 3: six points in a row steadily rising or falling = five consecutive differences of one sign; a tie breaks
//   it. Rule 4: fourteen points alternating = thirteen non-zero differences alternating in sign; a tie breaks it;
// - rules 5 and 6 (WE 2 and 3): the last point must be one of the points beyond the zone line (otherwise the same
//   pattern was already signalled on an earlier point);
// - "beyond" a line is strict everywhere: a point exactly on a control limit is not a rule-1 signal, a point exactly
//   on the 2-sigma line is not beyond it, and for rule 7 the +/-1 sigma boundary counts as within;
// - rule 8 needs points on both sides of the centre line (Nelson: "on both sides ... with none in zone C").
//
// Exactness: zone lines are computed once per limits (`zoneLines`), each point is classified once against those
// numbers (`classify`), and the rules only look at the classification and at exact comparisons of values (a > b,
// never a - b, so tiny differences cannot underflow to a tie). Nothing is rounded.

export type RuleSet = 'NELSON' | 'WESTERN_ELECTRIC';
export type Direction = 'UP' | 'DOWN';

export const NELSON_RULES = [1, 2, 3, 4, 5, 6, 7, 8] as const;
export const WESTERN_ELECTRIC_RULES = [1, 2, 3, 4] as const;

/** What a rule set needs from limits: the centre, sigma of the plotted statistic, and the control limits. */
export interface RuleLimits {
  readonly center: number;
  readonly sigma: number;
  readonly ucl: number;
  readonly lcl: number;
}

/** The lines the rules compare against, computed once per limits (and per point size for variable-n charts). */
export interface ZoneLines {
  readonly center: number;
  readonly ucl: number;
  readonly lcl: number;
  /** center + 2 sigma */
  readonly upper2: number;
  /** center + sigma */
  readonly upper1: number;
  /** center - sigma */
  readonly lower1: number;
  /** center - 2 sigma */
  readonly lower2: number;
}

/**
 * The one definition of the zone lines. Upper lines are center + k sigma, lower lines center - k sigma (so mirrored
 * limits give exactly mirrored lines: IEEE rounding is symmetric under negation).
 */
export function zoneLines(limits: RuleLimits): ZoneLines {
  const { center, sigma, ucl, lcl } = limits;
  if (!Number.isFinite(center) || !Number.isFinite(sigma) || sigma < 0 || !(ucl >= lcl))
    throw new RangeError(`invalid limits: center ${center}, sigma ${sigma}, lcl ${lcl}, ucl ${ucl}`);
  return Object.freeze({
    center,
    ucl,
    lcl,
    upper2: center + 2 * sigma,
    upper1: center + sigma,
    lower1: center - sigma,
    lower2: center - 2 * sigma,
  });
}

type Sign = -1 | 0 | 1;

/** A point as the rules see it: its value and where it lies relative to its own zone lines. */
export interface RulePoint {
  readonly index: number;
  readonly value: number;
  /** +1 above the centre line, -1 below, 0 exactly on it. */
  readonly side: Sign;
  /** +1 above the UCL, -1 below the LCL (exclusive limits). */
  readonly out3: Sign;
  /** +1 above center + 2 sigma, -1 below center - 2 sigma (strict). */
  readonly out2: Sign;
  /** +1 above center + sigma, -1 below center - sigma (strict); 0 = within zone C, boundary included. */
  readonly out1: Sign;
}

export function classify(index: number, value: number, zones: ZoneLines): RulePoint {
  if (!Number.isFinite(value)) throw new RangeError(`point ${index}: value ${value} is not a finite number`);
  return {
    index,
    value,
    side: value > zones.center ? 1 : value < zones.center ? -1 : 0,
    out3: value > zones.ucl ? 1 : value < zones.lcl ? -1 : 0,
    out2: value > zones.upper2 ? 1 : value < zones.lower2 ? -1 : 0,
    out1: value > zones.upper1 ? 1 : value < zones.lower1 ? -1 : 0,
  };
}

export interface RuleHit {
  readonly ruleSet: RuleSet;
  /** Rule number within its set. */
  readonly rule: number;
  /** UP: above the centre / rising; DOWN: below / falling; null for rules without a direction (4, 7, 8). */
  readonly direction: Direction | null;
  /** Index of the point the signal is marked on (the last point of the pattern). */
  readonly index: number;
  /** Every point of the pattern, oldest first; the last one is `index`. */
  readonly pointIndexes: readonly number[];
  readonly values: readonly number[];
  readonly description: string;
}

interface RuleDef {
  /** How many points of history the rule looks at. */
  readonly span: number;
  readonly text: string;
  /** Returns the pattern's points (oldest first) and direction, or null. `w` ends with the newest point. */
  readonly test: (w: readonly RulePoint[]) => { points: readonly RulePoint[]; direction: Direction | null } | null;
}

const dir = (s: Sign): Direction => (s > 0 ? 'UP' : 'DOWN');

function beyond(limit: 'out3' | 'out2' | 'out1', need: number, of: number): RuleDef['test'] {
  return (w) => {
    if (w.length < of) return null;
    const window = w.slice(w.length - of);
    const s = window[of - 1]![limit];
    if (s === 0) return null; // the last point must be one of the points beyond
    let count = 0;
    let first = -1;
    for (let i = 0; i < of; i++) {
      if (window[i]![limit] === s) {
        count++;
        if (first < 0) first = i;
      }
    }
    return count >= need ? { points: window.slice(first), direction: dir(s) } : null;
  };
}

function sameSide(run: number): RuleDef['test'] {
  return (w) => {
    if (w.length < run) return null;
    const window = w.slice(w.length - run);
    const s = window[0]!.side;
    if (s === 0) return null;
    return window.every((p) => p.side === s) ? { points: window, direction: dir(s) } : null;
  };
}

function trend(run: number): RuleDef['test'] {
  return (w) => {
    if (w.length < run) return null;
    const window = w.slice(w.length - run);
    let rising = true;
    let falling = true;
    for (let i = 1; i < run; i++) {
      const a = window[i - 1]!.value;
      const b = window[i]!.value;
      if (!(b > a)) rising = false;
      if (!(b < a)) falling = false;
    }
    return rising ? { points: window, direction: 'UP' } : falling ? { points: window, direction: 'DOWN' } : null;
  };
}

function alternating(run: number): RuleDef['test'] {
  return (w) => {
    if (w.length < run) return null;
    const window = w.slice(w.length - run);
    let previous: Sign = 0;
    for (let i = 1; i < run; i++) {
      const a = window[i - 1]!.value;
      const b = window[i]!.value;
      const step: Sign = b > a ? 1 : b < a ? -1 : 0;
      if (step === 0 || step === previous) return null;
      previous = step;
    }
    return { points: window, direction: null };
  };
}

function withinOneSigma(run: number): RuleDef['test'] {
  return (w) => {
    if (w.length < run) return null;
    const window = w.slice(w.length - run);
    return window.every((p) => p.out1 === 0) ? { points: window, direction: null } : null;
  };
}

function outsideOneSigmaBothSides(run: number): RuleDef['test'] {
  return (w) => {
    if (w.length < run) return null;
    const window = w.slice(w.length - run);
    if (!window.every((p) => p.out1 !== 0)) return null;
    const up = window.some((p) => p.out1 > 0);
    const down = window.some((p) => p.out1 < 0);
    return up && down ? { points: window, direction: null } : null;
  };
}

const beyondLimits: RuleDef['test'] = (w) => {
  const last = w[w.length - 1];
  return last && last.out3 !== 0 ? { points: [last], direction: dir(last.out3) } : null;
};

const nelson: Readonly<Record<number, RuleDef>> = {
  1: { span: 1, text: '1 point beyond the control limits', test: beyondLimits },
  2: { span: 9, text: '9 points in a row on the same side of the centre line', test: sameSide(9) },
  3: { span: 6, text: '6 points in a row steadily rising or falling', test: trend(6) },
  4: { span: 14, text: '14 points in a row alternating up and down', test: alternating(14) },
  5: { span: 3, text: '2 of 3 points in a row beyond 2 sigma on the same side', test: beyond('out2', 2, 3) },
  6: { span: 5, text: '4 of 5 points in a row beyond 1 sigma on the same side', test: beyond('out1', 4, 5) },
  7: { span: 15, text: '15 points in a row within 1 sigma of the centre line', test: withinOneSigma(15) },
  8: { span: 8, text: '8 points in a row beyond 1 sigma on both sides of the centre line', test: outsideOneSigmaBothSides(8) },
};

const westernElectric: Readonly<Record<number, RuleDef>> = {
  1: { span: 1, text: '1 point beyond the 3-sigma control limits', test: beyondLimits },
  2: { span: 3, text: '2 of 3 points in a row beyond 2 sigma on the same side', test: beyond('out2', 2, 3) },
  3: { span: 5, text: '4 of 5 points in a row beyond 1 sigma on the same side', test: beyond('out1', 4, 5) },
  4: { span: 8, text: '8 points in a row on the same side of the centre line', test: sameSide(8) },
};

function definitions(ruleSet: RuleSet): Readonly<Record<number, RuleDef>> {
  return ruleSet === 'NELSON' ? nelson : westernElectric;
}

/** Which rules of which set to evaluate. */
export interface RuleSelection {
  readonly ruleSet: RuleSet;
  readonly rules: readonly number[];
}

export function defaultSelection(ruleSet: RuleSet = 'NELSON'): RuleSelection {
  return { ruleSet, rules: ruleSet === 'NELSON' ? [...NELSON_RULES] : [...WESTERN_ELECTRIC_RULES] };
}

/** Validates a selection and returns its rules sorted, without duplicates. */
export function normaliseSelection(selection: RuleSelection): RuleSelection {
  const defs = definitions(selection.ruleSet);
  const rules = [...new Set(selection.rules)].sort((a, b) => a - b);
  for (const r of rules) if (!defs[r]) throw new RangeError(`${selection.ruleSet} has no rule ${r}`);
  return { ruleSet: selection.ruleSet, rules };
}

/** How many points of history a selection needs (the bounded window a streaming evaluator keeps). */
export function windowSize(selection: RuleSelection): number {
  const defs = definitions(selection.ruleSet);
  return selection.rules.reduce((max, r) => Math.max(max, defs[r]?.span ?? 1), 1);
}

export function ruleText(ruleSet: RuleSet, rule: number): string {
  const def = definitions(ruleSet)[rule];
  if (!def) throw new RangeError(`${ruleSet} has no rule ${rule}`);
  return def.text;
}

/**
 * Evaluates the selected rules on the newest point of `window` (oldest first, newest last). Returns the hits marked on
 * that point, lowest rule number first.
 */
export function evaluateLast(window: readonly RulePoint[], selection: RuleSelection): RuleHit[] {
  const defs = definitions(selection.ruleSet);
  const last = window[window.length - 1];
  if (!last) return [];
  const hits: RuleHit[] = [];
  for (const rule of selection.rules) {
    const def = defs[rule];
    if (!def) continue;
    const found = def.test(window);
    if (!found) continue;
    const setName = selection.ruleSet === 'NELSON' ? 'Nelson' : 'Western Electric';
    const where = found.direction === null ? '' : rule === 3 && selection.ruleSet === 'NELSON' ? (found.direction === 'UP' ? ' (rising)' : ' (falling)') : found.direction === 'UP' ? ' (above)' : ' (below)';
    hits.push({
      ruleSet: selection.ruleSet,
      rule,
      direction: found.direction,
      index: last.index,
      pointIndexes: found.points.map((p) => p.index),
      values: found.points.map((p) => p.value),
      description: `${setName} rule ${rule}: ${def.text}${where}`,
    });
  }
  return hits;
}

/** A bounded history for streaming evaluation: JSON-serialisable, at most `windowSize(selection)` points. */
export interface RuleWindow {
  readonly points: readonly RulePoint[];
}

export const emptyWindow: RuleWindow = { points: [] };

/** Adds a classified point and evaluates the rules on it. Pure: returns a new window. */
export function pushPoint(window: RuleWindow, point: RulePoint, selection: RuleSelection): { window: RuleWindow; hits: RuleHit[] } {
  const keep = windowSize(selection);
  const prior = window.points.length >= keep ? window.points.slice(window.points.length - keep + 1) : window.points;
  const points = [...prior, point];
  return { window: { points }, hits: evaluateLast(points, selection) };
}

export interface PointVerdict {
  readonly index: number;
  readonly value: number;
  /** Rule numbers that fired on this point, ascending. */
  readonly rules: readonly number[];
  /** Lowest rule number that fired, or null. */
  readonly label: number | null;
}

export interface SeriesResult {
  readonly hits: RuleHit[];
  readonly points: PointVerdict[];
}

/**
 * Evaluates a whole series: `zones` is one set of zone lines for every point, or one per point (variable-n charts).
 * Point indexes start at `firstIndex` (1 by default, as on a chart).
 */
export function evaluateSeries(values: readonly number[], zones: ZoneLines | readonly ZoneLines[], selection: RuleSelection, firstIndex = 1): SeriesResult {
  const normalised = normaliseSelection(selection);
  const perPoint = Array.isArray(zones);
  if (perPoint && (zones as readonly ZoneLines[]).length !== values.length) throw new RangeError('one set of zone lines per point is needed');
  let window = emptyWindow;
  const hits: RuleHit[] = [];
  const points: PointVerdict[] = [];
  values.forEach((value, i) => {
    const z = perPoint ? (zones as readonly ZoneLines[])[i]! : (zones as ZoneLines);
    const step = pushPoint(window, classify(firstIndex + i, value, z), normalised);
    window = step.window;
    hits.push(...step.hits);
    const rules = step.hits.map((h) => h.rule);
    points.push({ index: firstIndex + i, value, rules, label: rules.length > 0 ? rules[0]! : null });
  });
  return { hits, points };
}

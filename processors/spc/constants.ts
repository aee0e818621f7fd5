// Control chart constants for subgroup sizes n = 2..25, in two forms:
//
// - TABLE: the factors as printed in Montgomery, Introduction to Statistical Quality Control, Appendix VI
//   "Factors for Constructing Variables Control Charts" (the same figures appear in ASTM E2587 and the AIAG SPC
//   manual). Hand calculations, textbooks and the NIST/SEMATECH e-Handbook use these rounded figures, so charts
//   that must reproduce them use this form.
// - EXACT: full precision. c4 from its gamma-function formula (computed here, exactly up to double rounding);
//   d2 and d3 from their integral definitions (the expected value and the standard deviation of the range of n
//   standard normal observations), evaluated once by numerical quadrature to about 1e-12 and stored below;
//   every other factor derived from them. R's qcc package and Minitab compute limits this way.
//
// constants.test.ts recomputes c4 from closed-form gamma values, d2 and d3 by quadrature and by the closed forms
// Wardell (2025, Mathematics 13(9) 1537) gives for n = 2..5, and checks every printed figure against the exact one.
// The printed table is not always correctly rounded: see `publishedRoundingExceptions`.

export const MIN_SUBGROUP = 2;
export const MAX_SUBGROUP = 25;

export type ConstantsMode = 'TABLE' | 'EXACT';

/** The factors of one subgroup size. */
export interface ChartFactors {
  readonly n: number;
  /** X-bar chart from R-bar: limits x-double-bar +/- A2 R-bar; A2 = 3 / (d2 sqrt n). */
  readonly A2: number;
  /** X-bar chart from S-bar: limits x-double-bar +/- A3 S-bar; A3 = 3 / (c4 sqrt n). */
  readonly A3: number;
  /** E(S) = c4 sigma. */
  readonly c4: number;
  /** S chart LCL factor: max(0, 1 - 3 sqrt(1 - c4^2) / c4). */
  readonly B3: number;
  /** S chart UCL factor: 1 + 3 sqrt(1 - c4^2) / c4. */
  readonly B4: number;
  /** E(R) = d2 sigma. */
  readonly d2: number;
  /** SD(R) = d3 sigma. */
  readonly d3: number;
  /** R chart LCL factor: max(0, 1 - 3 d3 / d2). */
  readonly D3: number;
  /** R chart UCL factor: 1 + 3 d3 / d2. */
  readonly D4: number;
}

/**
 * Montgomery, Introduction to Statistical Quality Control, Appendix VI (identical in the 6th edition, 2009,
 * and the 7th edition, 2013; the page differs by edition). Columns: n, A2, A3, c4, B3, B4, d2, d3, D3, D4.
 */
const printed: ReadonlyArray<readonly [number, number, number, number, number, number, number, number, number, number]> = [
  [2, 1.88, 2.659, 0.7979, 0, 3.267, 1.128, 0.853, 0, 3.267],
  [3, 1.023, 1.954, 0.8862, 0, 2.568, 1.693, 0.888, 0, 2.574],
  [4, 0.729, 1.628, 0.9213, 0, 2.266, 2.059, 0.88, 0, 2.282],
  [5, 0.577, 1.427, 0.94, 0, 2.089, 2.326, 0.864, 0, 2.114],
  [6, 0.483, 1.287, 0.9515, 0.03, 1.97, 2.534, 0.848, 0, 2.004],
  [7, 0.419, 1.182, 0.9594, 0.118, 1.882, 2.704, 0.833, 0.076, 1.924],
  [8, 0.373, 1.099, 0.965, 0.185, 1.815, 2.847, 0.82, 0.136, 1.864],
  [9, 0.337, 1.032, 0.9693, 0.239, 1.761, 2.97, 0.808, 0.184, 1.816],
  [10, 0.308, 0.975, 0.9727, 0.284, 1.716, 3.078, 0.797, 0.223, 1.777],
  [11, 0.285, 0.927, 0.9754, 0.321, 1.679, 3.173, 0.787, 0.256, 1.744],
  [12, 0.266, 0.886, 0.9776, 0.354, 1.646, 3.258, 0.778, 0.283, 1.717],
  [13, 0.249, 0.85, 0.9794, 0.382, 1.618, 3.336, 0.77, 0.307, 1.693],
  [14, 0.235, 0.817, 0.981, 0.406, 1.594, 3.407, 0.763, 0.328, 1.672],
  [15, 0.223, 0.789, 0.9823, 0.428, 1.572, 3.472, 0.756, 0.347, 1.653],
  [16, 0.212, 0.763, 0.9835, 0.448, 1.552, 3.532, 0.75, 0.363, 1.637],
  [17, 0.203, 0.739, 0.9845, 0.466, 1.534, 3.588, 0.744, 0.378, 1.622],
  [18, 0.194, 0.718, 0.9854, 0.482, 1.518, 3.64, 0.739, 0.391, 1.608],
  [19, 0.187, 0.698, 0.9862, 0.497, 1.503, 3.689, 0.734, 0.403, 1.597],
  [20, 0.18, 0.68, 0.9869, 0.51, 1.49, 3.735, 0.729, 0.415, 1.585],
  [21, 0.173, 0.663, 0.9876, 0.523, 1.477, 3.778, 0.724, 0.425, 1.575],
  [22, 0.167, 0.647, 0.9882, 0.534, 1.466, 3.819, 0.72, 0.434, 1.566],
  [23, 0.162, 0.633, 0.9887, 0.545, 1.455, 3.858, 0.716, 0.443, 1.557],
  [24, 0.157, 0.619, 0.9892, 0.555, 1.445, 3.895, 0.712, 0.451, 1.548],
  [25, 0.153, 0.606, 0.9896, 0.565, 1.435, 3.931, 0.708, 0.459, 1.541],
];

/** Decimal places printed for each factor (c4 has four, the others three). */
export const printedDecimals: Readonly<Record<Exclude<keyof ChartFactors, 'n'>, number>> = {
  A2: 3, A3: 3, c4: 4, B3: 3, B4: 3, d2: 3, d3: 3, D3: 3, D4: 3,
};

/**
 * Printed figures that are not the exact value correctly rounded (each within one unit of the last printed
 * digit; they come from computing with already rounded d2 and d3). Found by constants.test.ts, listed so that
 * any other difference fails the test.
 */
export const publishedRoundingExceptions: ReadonlyArray<{ n: number; factor: keyof ChartFactors; printed: number; exact: string }> = [
  { n: 3, factor: 'D4', printed: 2.574, exact: '2.57459' },
  { n: 18, factor: 'D4', printed: 1.608, exact: '1.60872' },
  { n: 19, factor: 'd3', printed: 0.734, exact: '0.73348' },
  { n: 19, factor: 'D3', printed: 0.403, exact: '0.40351' },
  { n: 19, factor: 'D4', printed: 1.597, exact: '1.59649' },
  { n: 22, factor: 'D3', printed: 0.434, exact: '0.43453' },
  { n: 22, factor: 'D4', printed: 1.566, exact: '1.56547' },
  { n: 24, factor: 'D3', printed: 0.451, exact: '0.45160' },
];

/**
 * d2 and d3 at full precision, n = 2..25: d2 = integral of 1 - Phi(x)^n - (1 - Phi(x))^n over the real line;
 * d3 = sqrt(E(R^2) - d2^2) with E(R^2) = 2 integral_0^inf r (1 - F_R(r)) dr and
 * F_R(r) = n integral phi(t) (Phi(t + r) - Phi(t))^(n-1) dt. Evaluated by composite Simpson / trapezoid rules on a
 * step of 0.005 over [-10, 10] (d2 accurate to ~1e-14, d3 to ~1e-11); the test re-derives both.
 */
const d2d3: ReadonlyArray<readonly [number, number, number]> = [
  [2, 1.128379167096, 0.85250246643],
  [3, 1.692568750643, 0.88836800405],
  [4, 2.058750746008, 0.87980820283],
  [5, 2.325928947281, 0.8640819411],
  [6, 2.534412721223, 0.84803968612],
  [7, 2.704356751214, 0.83320533562],
  [8, 2.847200612091, 0.81983148979],
  [9, 2.970026324418, 0.80783427455],
  [10, 3.07750546167, 0.79705067352],
  [11, 3.172872703816, 0.78731462055],
  [12, 3.258455279744, 0.7784783412],
  [13, 3.335980354098, 0.77041620206],
  [14, 3.4067631082, 0.76302309562],
  [15, 3.471826889882, 0.75621142973],
  [16, 3.53198278611, 0.74990808941],
  [17, 3.587883961765, 0.74405178396],
  [18, 3.640063757937, 0.73859085338],
  [19, 3.688963023208, 0.73348149552],
  [20, 3.734950119597, 0.72868634571],
  [21, 3.778335829843, 0.72417334072],
  [22, 3.819384643363, 0.71991480843],
  [23, 3.858323423285, 0.71588673549],
  [24, 3.895348148451, 0.71206817515],
  [25, 3.930629219507, 0.70844076589],
];

/**
 * c4(n) = sqrt(2 / (n - 1)) * Gamma(n / 2) / Gamma((n - 1) / 2), computed through the recurrence of the gamma
 * ratio r(n) = Gamma(n/2) / Gamma((n-1)/2): r(2) = 1 / sqrt(pi), r(n + 1) = ((n - 1) / 2) / r(n).
 */
export function c4(n: number): number {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`c4 needs an integer n >= 2, got ${n}`);
  let ratio = 1 / Math.sqrt(Math.PI);
  for (let k = 2; k < n; k++) ratio = (k - 1) / 2 / ratio;
  return Math.sqrt(2 / (n - 1)) * ratio;
}

function exactFactors(n: number, d2: number, d3: number): ChartFactors {
  const c = c4(n);
  const sRatio = (3 * Math.sqrt(1 - c * c)) / c;
  return {
    n,
    A2: 3 / (d2 * Math.sqrt(n)),
    A3: 3 / (c * Math.sqrt(n)),
    c4: c,
    B3: Math.max(0, 1 - sRatio),
    B4: 1 + sRatio,
    d2,
    d3,
    D3: Math.max(0, 1 - (3 * d3) / d2),
    D4: 1 + (3 * d3) / d2,
  };
}

const tableByN = new Map<number, ChartFactors>(
  printed.map(([n, A2, A3, c, B3, B4, d2, d3, D3, D4]) => [n, Object.freeze({ n, A2, A3, c4: c, B3, B4, d2, d3, D3, D4 })]),
);
const exactByN = new Map<number, ChartFactors>(d2d3.map(([n, d2, d3]) => [n, Object.freeze(exactFactors(n, d2, d3))]));

/** The factors for subgroup size n (2..25) in the chosen form. */
export function factors(n: number, mode: ConstantsMode = 'TABLE'): ChartFactors {
  const found = (mode === 'TABLE' ? tableByN : exactByN).get(n);
  if (!found) throw new RangeError(`control chart constants exist for n = ${MIN_SUBGROUP}..${MAX_SUBGROUP}, got ${n}`);
  return found;
}

/** Every printed row, for tests and documentation. */
export function printedTable(): ChartFactors[] {
  return [...tableByN.values()];
}

/** Every full-precision row. */
export function exactTable(): ChartFactors[] {
  return [...exactByN.values()];
}

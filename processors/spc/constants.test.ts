import { describe, expect, it } from 'vitest';
import { c4, exactTable, factors, printedDecimals, printedTable, publishedRoundingExceptions, type ChartFactors } from './constants.ts';

// --- Independent references -------------------------------------------------------------------------------------

/**
 * c4(n) = sqrt(2/(n-1)) Gamma(n/2) / Gamma((n-1)/2), with the gamma values in closed form:
 * Gamma(k) = (k-1)!, Gamma(k + 1/2) = (2k)! sqrt(pi) / (4^k k!). The ratio is an exact rational (BigInt) times
 * sqrt(pi) or 1/sqrt(pi); only the final division and square roots round.
 */
function c4FromGamma(n: number): number {
  const fact = (k: number): bigint => {
    let f = 1n;
    for (let i = 2n; i <= BigInt(k); i++) f *= i;
    return f;
  };
  const ratioToNumber = (num: bigint, den: bigint): number => {
    const scale = 10n ** 40n;
    return Number((num * scale) / den) / 1e40;
  };
  let gammaRatio: number;
  if (n % 2 === 0) {
    // Gamma(k) / Gamma(k - 1/2), k = n/2: (k-1)! * 4^(k-1) (k-1)! / ((2k-2)! sqrt(pi))
    const k = n / 2;
    gammaRatio = ratioToNumber(fact(k - 1) * 4n ** BigInt(k - 1) * fact(k - 1), fact(2 * k - 2)) / Math.sqrt(Math.PI);
  } else {
    // Gamma(k + 1/2) / Gamma(k), k = (n-1)/2: (2k)! sqrt(pi) / (4^k k! (k-1)!)
    const k = (n - 1) / 2;
    gammaRatio = ratioToNumber(fact(2 * k), 4n ** BigInt(k) * fact(k) * fact(k - 1)) * Math.sqrt(Math.PI);
  }
  return Math.sqrt(2 / (n - 1)) * gammaRatio;
}

// Standard normal CDF on a uniform grid, by integrating the density with 5-point Gauss-Legendre on every step.
const h = 0.01;
const lo = -10;
const gridSize = Math.round((2 * -lo) / h);
const gl = [
  [0, 0.5688888888888889],
  [0.5384693101056831, 0.4786286704993665],
  [-0.5384693101056831, 0.4786286704993665],
  [0.906179845938664, 0.2369268850561891],
  [-0.906179845938664, 0.2369268850561891],
] as const;
const density = (x: number): number => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
const phiGrid = new Float64Array(gridSize + 1);
const cdfGrid = new Float64Array(gridSize + 1);
for (let i = 0; i <= gridSize; i++) {
  const x = lo + i * h;
  phiGrid[i] = density(x);
  if (i > 0) {
    const mid = x - h / 2;
    let step = 0;
    for (const [node, weight] of gl) step += weight * density(mid + (node * h) / 2);
    cdfGrid[i] = cdfGrid[i - 1]! + (step * h) / 2;
  }
}

function simpson(values: ArrayLike<number>, step: number): number {
  const n = values.length - 1;
  let sum = values[0]! + values[n]!;
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * values[i]!;
  return (sum * step) / 3;
}

function d2ByQuadrature(n: number): number {
  const f = new Float64Array(gridSize + 1);
  for (let i = 0; i <= gridSize; i++) f[i] = 1 - cdfGrid[i]! ** n - (1 - cdfGrid[i]!) ** n;
  return simpson(f, h);
}

/** d3 on a coarser grid (every `stride`-th node) to keep the double integral fast. */
function d3ByQuadrature(n: number, d2: number, stride = 2): number {
  const step = h * stride;
  const nodes = Math.floor(gridSize / stride);
  const outer = Math.round(12 / step);
  const f = new Float64Array(outer + 1);
  for (let k = 0; k <= outer; k++) {
    let s = 0;
    for (let i = 0; i <= nodes; i++) {
      const j = i + k;
      const upper = j <= nodes ? cdfGrid[j * stride]! : 1;
      s += phiGrid[i * stride]! * (upper - cdfGrid[i * stride]!) ** (n - 1);
    }
    f[k] = k * step * (1 - n * s * step);
  }
  return Math.sqrt(2 * simpson(f, step) - d2 * d2);
}

// Closed forms for n = 2..5, Wardell (2025), Mathematics 13(9) 1537 (as quoted in R qcc's tests/testthat/test-constants.R).
const pi = Math.PI;
const wardellD2 = [2 / Math.sqrt(pi), 3 / Math.sqrt(pi), (12 / (pi * Math.sqrt(pi))) * Math.atan(Math.sqrt(2)), (30 / pi ** 1.5) * Math.atan(Math.sqrt(2)) - 5 / Math.sqrt(pi)];
const wardellD3 = [
  Math.sqrt(2 - 4 / pi),
  Math.sqrt((2 * pi + 3 * Math.sqrt(3) - 9) / pi),
  Math.sqrt((2 * pi + 2 * Math.sqrt(3) + 6) / pi - wardellD2[2]! ** 2),
  Math.sqrt((2 * pi ** 2 + 10 * Math.sqrt(3) * (Math.atan(Math.sqrt(5 / 3)) + 2 * Math.sqrt(3) * Math.atan(Math.sqrt(1 / 5)))) / pi ** 2 - wardellD2[3]! ** 2),
];

const sizes = Array.from({ length: 24 }, (_, i) => i + 2);

describe('SPC > constants > c4', () => {
  it.each(sizes)('n = %i: c4 from the gamma recurrence equals the closed-form gamma ratio', (n) => {
    expect(Math.abs(c4(n) - c4FromGamma(n))).toBeLessThan(1e-15);
    expect(factors(n, 'EXACT').c4).toBe(c4(n));
  });

  it('known values: c4(2) = sqrt(2/pi), c4(3) = sqrt(pi)/2', () => {
    expect(c4(2)).toBeCloseTo(Math.sqrt(2 / pi), 15);
    expect(c4(3)).toBeCloseTo(Math.sqrt(pi) / 2, 15);
  });
});

describe('SPC > constants > d2 and d3', () => {
  it.each([2, 3, 4, 5])('n = %i: stored d2, d3 match the closed forms (Wardell 2025)', (n) => {
    const f = factors(n, 'EXACT');
    expect(Math.abs(f.d2 - wardellD2[n - 2]!)).toBeLessThan(1e-12);
    expect(Math.abs(f.d3 - wardellD3[n - 2]!)).toBeLessThan(1e-10);
  });

  it.each(sizes)('n = %i: stored d2 matches quadrature of its integral definition', (n) => {
    expect(Math.abs(factors(n, 'EXACT').d2 - d2ByQuadrature(n))).toBeLessThan(1e-11);
  });

  it.each([2, 3, 5, 7, 10, 16, 25])('n = %i: stored d3 matches quadrature of its integral definition', (n) => {
    const f = factors(n, 'EXACT');
    expect(Math.abs(f.d3 - d3ByQuadrature(n, f.d2))).toBeLessThan(1e-7);
  });
});

describe('SPC > constants > derived factors are consistent', () => {
  it.each(exactTable())('EXACT n = $n: A2 = 3/(d2 sqrt n), A3 = 3/(c4 sqrt n), D3/D4 = 1 -/+ 3 d3/d2, B3/B4 = 1 -/+ 3 sqrt(1-c4^2)/c4', (f) => {
    const rn = Math.sqrt(f.n);
    expect(f.A2 * f.d2 * rn).toBeCloseTo(3, 14);
    expect(f.A3 * f.c4 * rn).toBeCloseTo(3, 14);
    expect(f.D4).toBeCloseTo(1 + (3 * f.d3) / f.d2, 14);
    expect(f.D3).toBeCloseTo(Math.max(0, 1 - (3 * f.d3) / f.d2), 14);
    expect(f.B4).toBeCloseTo(1 + (3 * Math.sqrt(1 - f.c4 ** 2)) / f.c4, 14);
    expect(f.B3).toBeCloseTo(Math.max(0, 1 - (3 * Math.sqrt(1 - f.c4 ** 2)) / f.c4), 14);
  });

  it.each(printedTable())('TABLE n = $n: printed A2 and A3 agree with 3/(d2 sqrt n) and 3/(c4 sqrt n) from the printed d2, c4 to the printed precision', (f) => {
    const rn = Math.sqrt(f.n);
    expect(Math.abs(f.A2 - 3 / (f.d2 * rn))).toBeLessThan(1.5e-3);
    expect(Math.abs(f.A3 - 3 / (f.c4 * rn))).toBeLessThan(1.5e-3);
  });
});

describe('SPC > constants > the printed table (Montgomery, Appendix VI)', () => {
  const keys = Object.keys(printedDecimals) as Array<Exclude<keyof ChartFactors, 'n'>>;
  const cases = printedTable().flatMap((row) => keys.map((key) => ({ n: row.n, key, printed: row[key], exact: factors(row.n, 'EXACT')[key] })));

  it.each(cases)('n = $n $key: printed $printed is the exact value rounded (or a listed exception within one last-digit unit)', ({ n, key, printed, exact }) => {
    const unit = 10 ** -printedDecimals[key];
    const rounded = Math.round(exact / unit) * unit;
    const exception = publishedRoundingExceptions.find((e) => e.n === n && e.factor === key);
    if (exception) {
      expect(Math.abs(printed - rounded)).toBeGreaterThan(unit / 2);
      expect(Math.abs(printed - exact)).toBeLessThan(unit);
      expect(exception.printed).toBe(printed);
    } else {
      expect(Math.abs(printed - rounded)).toBeLessThan(unit / 2);
    }
  });

  it('covers n = 2..25 in both forms and rejects other sizes', () => {
    expect(printedTable().map((f) => f.n)).toEqual(sizes);
    expect(exactTable().map((f) => f.n)).toEqual(sizes);
    expect(() => factors(1)).toThrow(RangeError);
    expect(() => factors(26, 'EXACT')).toThrow(RangeError);
  });
});

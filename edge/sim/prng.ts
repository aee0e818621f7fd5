// Seeded pseudo-random numbers for the plant simulator: the same seed gives the same plant, run after run.
// sfc32 (Chris Doty-Humphrey's small fast counter): 128-bit state, good statistical quality, trivially portable.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** Standard normal (Box-Muller). */
  normal(mean?: number, sd?: number): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** Picks one element. */
  pick<T>(items: readonly T[]): T;
  /** A child generator with an independent stream, derived from this one's seed and `label`. */
  fork(label: string): Rng;
}

function hashString(text: string): number {
  // FNV-1a 32-bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function createRng(seed: number | string): Rng {
  const s = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = s;
  const raw = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i += 1) raw();
  let spare: number | null = null;
  const rng: Rng = {
    next: raw,
    int: (min, max) => min + Math.floor(raw() * (max - min + 1)),
    normal: (mean = 0, sd = 1) => {
      if (spare !== null) {
        const z = spare;
        spare = null;
        return mean + sd * z;
      }
      let u = raw();
      while (u <= Number.EPSILON) u = raw();
      const v = raw();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
    exponential: (mean) => {
      let u = raw();
      while (u <= Number.EPSILON) u = raw();
      return -Math.log(u) * mean;
    },
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(raw() * items.length)] as (typeof items)[number];
    },
    fork: (label) => createRng(`${s}:${label}`),
  };
  return rng;
}

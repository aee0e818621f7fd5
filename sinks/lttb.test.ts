import { describe, expect, it } from 'vitest';
import { lttb, lttbIndexes } from './lttb.ts';

const series = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ x: i, y: f(i) }));

describe('LTTB downsampling', () => {
  it('> returns every point when the threshold is not below the length', () => {
    expect(lttbIndexes(series(5, (i) => i), 5)).toEqual([0, 1, 2, 3, 4]);
    expect(lttbIndexes(series(2, (i) => i), 1)).toEqual([0, 1]);
    expect(lttbIndexes([], 10)).toEqual([]);
  });

  it('> keeps exactly `threshold` points, first and last included, ascending', () => {
    const idx = lttbIndexes(series(10_000, (i) => Math.sin(i / 100)), 500);
    expect(idx).toHaveLength(500);
    expect(idx[0]).toBe(0);
    expect(idx.at(-1)).toBe(9_999);
    expect(idx.every((v, i) => i === 0 || v > idx[i - 1]!)).toBe(true);
  });

  it('> picks the spike of a flat series (largest triangle)', () => {
    const points = series(1_000, (i) => (i === 421 ? 50 : 0));
    const idx = lttbIndexes(points, 20);
    expect(idx).toContain(421);
  });

  it('> one point per bucket on a worked example', () => {
    // 8 points, threshold 4: buckets {1,2,3} and {4,5,6}; a = 0, next average of bucket 2 = (4..6)
    const ys = [0, 1, 5, 1, 0, -4, 0, 0];
    const idx = lttbIndexes(ys.map((y, x) => ({ x, y })), 4);
    expect(idx).toEqual([0, 2, 5, 7]);
  });

  it('> always keeps the points marked to keep (rule hits), even where LTTB would drop them', () => {
    const items = series(1_000, () => 1).map((p, i) => ({ ...p, hit: i === 500 || i === 501 }));
    const kept = lttb(items, 10, (p) => p, (p) => p.hit);
    expect(kept.filter((p) => p.hit).map((p) => p.x)).toEqual([500, 501]);
    expect(kept.length).toBeLessThanOrEqual(12);
  });
});

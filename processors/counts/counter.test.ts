import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { counterDelta, defaultCounterRules } from './counter.ts';

describe('counts > counter readings', () => {
  it.each<[number | null, number, number | null, number, string | null, string]>([
    // [previous, value, counterMax, pieces, note, why]
    [null, 500, null, 0, 'FIRST_READING', 'the first reading is a baseline'],
    [500, 512, null, 12, null, 'monotonic difference'],
    [500, 500, null, 0, null, 'no change'],
    [65_530, 5, 65_535, 11, 'ROLLOVER', '65530 -> 65535 -> 0 -> 5: 5 + 1 + 5'],
    [65_530, 5, null, 11, 'ROLLOVER', 'max inferred as 65535 (16-bit unsigned)'],
    [32_760, -32_760, null, 16, 'ROLLOVER', 'signed 16-bit: 7 up to 32767, 1 to -32768, 8 up to -32760'],
    [9_990, 3, 9_999, 13, 'ROLLOVER', 'declared max 9999'],
    [40_000, 7, 65_535, 7, 'RESET', 'drop from mid-range to a small value: reset, counted from 0'],
    [40_000, 0, null, 0, 'RESET', 'reset to 0'],
    [40_000, 30_000, null, 0, 'RESET', 'drop to a large value: new baseline, no pieces'],
    [65_530, 20_000, 65_535, 0, 'RESET', 'a big drop from near the max to mid-range is not a rollover'],
    [29_491, -36_046, null, 0, 'RESET', 'below the signed minimum of the inferred 16-bit range: not a rollover (found by the property below)'],
  ])('%s -> %s (max %s) = %s pieces %s: %s', (previous, value, max, pieces, note) => {
    expect(counterDelta(previous, value, max)).toEqual({ pieces, note });
  });

  it('property: never negative, whatever the readings', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 32 }), { nil: null }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
        fc.option(fc.integer({ min: 1, max: 2 ** 32 }), { nil: null }),
        (previous, value, max) => {
          const d = counterDelta(previous, value, max, defaultCounterRules);
          expect(d.pieces).toBeGreaterThanOrEqual(0);
          expect(Number.isInteger(d.pieces)).toBe(true);
        },
      ),
    );
  });

  it('property: a counter that wraps at its max loses no piece, when it moves less than the rollover band between readings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 70_000 }), fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 99 }), (max, steps, startFrac) => {
        let counter = Math.floor((max * startFrac) / 100);
        let previous: number | null = counter;
        let total = 0;
        for (const step of steps) {
          counter = (counter + step) % (max + 1);
          total += counterDelta(previous, counter, max).pieces;
          previous = counter;
        }
        expect(total).toBe(steps.reduce((a, b) => a + b, 0));
      }),
    );
  });
});

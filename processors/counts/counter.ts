// Counter tag readings -> pieces. Pure. A counter is monotonic until it rolls over (wraps from its maximum to 0)
// or is reset (set back, usually to 0). Neither ever yields negative production. Conventions in README.md.

export interface CounterRules {
  /** A drop from the top `nearMaxFraction` of the counter range to the bottom `nearMaxFraction` is a rollover. */
  nearMaxFraction: number;
  /** A drop to at most this value (that is not a rollover) is a reset that counted from 0: pieces = new value. */
  resetMaxValue: number;
  /** Counter maxima to assume when a reading carries no counterMax (smallest one at or above the last value). */
  inferredMaxima: readonly number[];
}

export const defaultCounterRules: CounterRules = {
  nearMaxFraction: 0.1,
  resetMaxValue: 1000,
  // signed/unsigned 16 and 32 bit PLC counters
  inferredMaxima: [32_767, 65_535, 2_147_483_647, 4_294_967_295],
};

export type CounterNote = 'FIRST_READING' | 'ROLLOVER' | 'RESET';

export interface CounterDelta {
  pieces: number;
  note: CounterNote | null;
}

/**
 * Pieces between two readings of one counter. `previous` null: first reading, a baseline (0 pieces).
 * - value >= previous: value - previous.
 * - a drop from near the maximum to near the minimum (0, or -(max + 1) for a signed counter that reads negative):
 *   rollover, (max - previous) + (value - min) + 1.
 * - another drop to a small value (<= resetMaxValue): reset, value pieces (counted up from 0 since the reset).
 * - any other drop: reset to an unknown preset, 0 pieces; the value becomes the new baseline.
 */
export function counterDelta(previous: number | null, value: number, counterMax: number | null, rules: CounterRules = defaultCounterRules): CounterDelta {
  if (previous === null) return { pieces: 0, note: 'FIRST_READING' };
  if (value >= previous) return { pieces: value - previous, note: null };
  const max = counterMax !== null && counterMax > 0 && counterMax >= previous ? counterMax : (rules.inferredMaxima.find((m) => m >= previous) ?? null);
  if (max !== null) {
    // Unsigned counters wrap to 0; a signed one (a negative reading) wraps to -(max + 1).
    const min = value < 0 ? -(max + 1) : 0;
    const band = max * rules.nearMaxFraction;
    // A value below the signed minimum is outside the counter's range: not a rollover (it would count negative).
    if (previous >= max - band && value >= min && value - min <= band) return { pieces: max - previous + (value - min) + 1, note: 'ROLLOVER' };
  }
  if (value <= rules.resetMaxValue) return { pieces: Math.max(0, value), note: 'RESET' };
  return { pieces: 0, note: 'RESET' };
}

import { describe, expect, it } from 'vitest';
import { customRange, isRangePreset, presetRange, queryString, toLocalInput } from './range.ts';

describe('dashboard app > time range', () => {
  it('> presets end now (inclusive)', () => {
    expect(presetRange('8h', 10 * 3_600_000)).toEqual({ from: 2 * 3_600_000, to: 10 * 3_600_000 + 1 });
    expect(isRangePreset('24h')).toBe(true);
    expect(isRangePreset('3w')).toBe(false);
  });

  it('> a typed range must be ordered and at most 31 days', () => {
    expect(customRange('2025-03-03T06:00', '2025-03-03T14:00')).toEqual({ from: Date.parse('2025-03-03T06:00'), to: Date.parse('2025-03-03T14:00') });
    expect(customRange('2025-03-03T14:00', '2025-03-03T06:00')).toBe('the end must be after the start');
    expect(customRange('', '2025-03-03T06:00')).toBe('give a start and an end');
    expect(customRange('2025-01-01T00:00', '2025-03-03T06:00')).toBe('at most 31 days');
  });

  it('> datetime-local values and query strings', () => {
    expect(toLocalInput(Date.UTC(2025, 2, 3, 6, 30), 0)).toBe('2025-03-03T06:30');
    expect(toLocalInput(Date.UTC(2025, 2, 3, 6, 30), -60)).toBe('2025-03-03T07:30');
    expect(queryString({ scope: 'a/b', from: 1, to: undefined, x: '', y: null })).toBe('scope=a%2Fb&from=1');
  });
});

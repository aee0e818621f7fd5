import { describe, expect, it } from 'vitest';
import { pickResolution, zoneOf } from './history.ts';
import { defaultRetention } from './retention.ts';

const day = 86_400_000;
const now = Date.UTC(2026, 0, 1);

describe('history > telemetry resolution', () => {
  it('> picks raw up to 6 h, 1 minute up to 14 days, 1 hour beyond', () => {
    expect(pickResolution({ from: now - 6 * 3600_000, to: now }, defaultRetention, now)).toBe('raw');
    expect(pickResolution({ from: now - 6 * 3600_000 - 1, to: now }, defaultRetention, now)).toBe('minute');
    expect(pickResolution({ from: now - 14 * day, to: now }, defaultRetention, now)).toBe('minute');
    expect(pickResolution({ from: now - 15 * day, to: now }, defaultRetention, now)).toBe('hour');
  });

  it('> moves to a coarser rollup when the range starts past the retention of the finer data', () => {
    expect(pickResolution({ from: now - 91 * day, to: now - 91 * day + 60_000 }, defaultRetention, now)).toBe('minute');
    expect(pickResolution({ from: now - 91 * day, to: now - 91 * day + 60_000 }, defaultRetention, now, 'raw')).toBe('minute');
    expect(pickResolution({ from: now - 1827 * day, to: now - 1827 * day + 60_000 }, defaultRetention, now)).toBe('hour');
    expect(pickResolution({ from: now - day, to: now }, defaultRetention, now, 'hour')).toBe('hour');
  });
});

describe('history > SPC zones', () => {
  const l = { center: 10, ucl: 13, lcl: 7, sigma: 1 };
  it('> C within 1 sigma, B within 2, A within 3, OUT beyond the limits, null without limits', () => {
    expect([10, 11, 8.5, 12.5, 7, 13.01, 6].map((v) => zoneOf(v, l))).toEqual(['C', 'C', 'B', 'A', 'A', 'OUT', 'OUT']);
    expect(zoneOf(10, null)).toBeNull();
  });
});

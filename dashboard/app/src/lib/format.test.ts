import { describe, expect, it } from 'vitest';
import { equipmentContext, equipmentName, formatAge, formatClock, formatDateTime, formatCount, formatPercent, rejectRate, shortShiftId, windowLabel } from './format.ts';

const T = Date.UTC(2025, 2, 3, 6, 0, 0);

describe('dashboard format', () => {
  it('> date and time of a timeline entry (24 h, seconds)', () => {
    expect(formatDateTime(T + 5 * 60_000 + 7_000, 'UTC')).toBe('03 Mar, 06:05:07');
  });

  it('> counts: thousands separators, whole pieces, a dash for nothing', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12.6)).toBe('13');
    expect(formatCount(1234567, 'de-DE')).toBe('1.234.567');
    expect(formatCount(null)).toBe('–');
    expect(formatCount(Number.NaN)).toBe('–');
  });

  it('> reject rate and percent', () => {
    expect(rejectRate(0, 0)).toBeNull();
    expect(rejectRate(990, 10)).toBe(0.01);
    expect(formatPercent(0.01)).toBe('1.0 %');
    expect(formatPercent(0)).toBe('0.0 %');
    expect(formatPercent(0.0004)).toBe('0.04 %');
    expect(formatPercent(null)).toBe('–');
  });

  it('> ages', () => {
    expect(formatAge(T, T + 2_000)).toBe('just now');
    expect(formatAge(T, T + 12_000)).toBe('12 s ago');
    expect(formatAge(T, T + 3 * 60_000)).toBe('3 min ago');
    expect(formatAge(T, T + 5 * 3_600_000)).toBe('5 h ago');
    expect(formatAge(T, T + 4 * 86_400_000)).toBe('4 d ago');
    expect(formatAge(T + 5_000, T)).toBe('just now');
  });

  it('> window labels in the plant time zone', () => {
    const shift = { windowKind: 'SHIFT' as const, windowId: '2025-03-03/A', windowStart: T, windowEnd: T + 8 * 3_600_000 };
    expect(windowLabel(shift, 'UTC')).toBe('Shift A · 06:00–14:00');
    expect(windowLabel(shift, 'Europe/Berlin')).toBe('Shift A · 07:00–15:00');
    expect(windowLabel({ windowKind: 'HOUR', windowId: '2025-03-03T06', windowStart: T, windowEnd: T + 3_600_000 }, 'UTC')).toBe('Hour · 06:00–07:00');
    expect(windowLabel({ windowKind: 'DAY', windowId: '2025-03-03', windowStart: T, windowEnd: null }, 'UTC')).toBe('Day · 03 Mar');
    expect(windowLabel({ windowKind: 'WORK_ORDER', windowId: 'WO-1001', windowStart: null, windowEnd: null })).toBe('Work order WO-1001');
    expect(windowLabel({ windowKind: 'ALL_TIME', windowId: 'all', windowStart: null, windowEnd: null })).toBe('All time');
    expect(formatClock(T, 'UTC')).toBe('06:00');
  });

  it('> shift ids keep the name people use', () => {
    expect(shortShiftId('2025-03-03/A')).toBe('A');
    expect(shortShiftId('2025-03-03-early')).toBe('early');
    expect(shortShiftId('night')).toBe('night');
  });

  it('> equipment names and context from the ISA-95 path', () => {
    const path = 'acme/plant1/stamping/line1/cell1/press1';
    expect(equipmentName(path)).toBe('press1');
    expect(equipmentContext(path)).toBe('cell1');
    expect(equipmentContext('acme/plant1/stamping/line1/press9')).toBe('');
    expect(equipmentName('press')).toBe('press');
  });
});

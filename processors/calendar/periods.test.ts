import { describe, expect, it } from 'vitest';
import { alwaysScheduled, periodAt, scheduleAt, shiftAt, shiftCalendarSchema, type CalendarPeriod, type ShiftCalendar } from './calendar.ts';

const at = (iso: string) => Date.parse(iso);
const H = 3_600_000;

const threeShifts = (timeZone: string) =>
  shiftCalendarSchema.parse({
    timeZone,
    shifts: [
      { name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:30', kind: 'MEAL' }] },
      { name: 'late', start: '14:00', end: '22:00', breaks: [{ start: '18:00', end: '18:15' }] },
      { name: 'night', start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30', kind: 'MEAL' }] },
    ],
  });

/** Walks [from, to) period by period. */
function walk(calendar: ShiftCalendar, from: number, to: number): CalendarPeriod[] {
  const out: CalendarPeriod[] = [];
  for (let t = from; t < to; ) {
    const p = periodAt(calendar, t);
    expect(p.start).toBeLessThanOrEqual(t);
    expect(p.end).toBeGreaterThan(t);
    out.push(p);
    t = p.end;
  }
  return out;
}

function totals(periods: CalendarPeriod[], from: number, to: number) {
  const sum = { scheduled: 0, breaks: 0, notScheduled: 0 };
  for (const p of periods) {
    const d = Math.min(p.end, to) - Math.max(p.start, from);
    if (p.shift === null) sum.notScheduled += d;
    else if (p.breakKind !== null) sum.breaks += d;
    else sum.scheduled += d;
  }
  return sum;
}

describe('calendar > periods', () => {
  it('a period never spans an hour, a day, a shift or a break boundary, and walking covers time exactly', () => {
    const cal = threeShifts('Europe/Berlin');
    const from = at('2024-03-05T00:00:00+01:00');
    const periods = walk(cal, from, from + 24 * H);
    for (const p of periods) {
      expect(p.start).toBeGreaterThanOrEqual(p.hour.start);
      expect(p.end).toBeLessThanOrEqual(p.hour.end);
      expect(p.end).toBeLessThanOrEqual(p.day.end);
      if (p.shift) expect(p.end).toBeLessThanOrEqual(p.shift.end);
    }
    expect(totals(periods, from, from + 24 * H)).toEqual({ scheduled: 24 * H - 75 * 60_000, breaks: 75 * 60_000, notScheduled: 0 });
    expect(periodAt(cal, at('2024-03-05T10:15:00+01:00'))).toMatchObject({ breakKind: 'MEAL', shift: { id: '2024-03-05/early' } });
    expect(periodAt(cal, at('2024-03-05T18:05:00+01:00')).breakKind).toBe('BREAK');
  });

  it.each([
    ['Europe/Berlin', '2024-03-30T12:00:00+01:00', '2024-03-30/night', 7, 23],
    ['Europe/Berlin', '2024-10-26T12:00:00+02:00', '2024-10-26/night', 9, 25],
    ['America/New_York', '2024-03-09T12:00:00-05:00', '2024-03-09/night', 7, 23],
    ['America/New_York', '2024-11-02T12:00:00-04:00', '2024-11-02/night', 9, 25],
  ])('DST %s: the night shift starting %s lasts %s+ hours; walking the change day adds up', (zone, noon, night, nightHours, dayHours) => {
    const cal = threeShifts(zone);
    const shift = shiftAt(cal, at(noon) + 12 * H)!;
    expect(shift.id).toBe(night);
    expect((shift.end - shift.start) / H).toBe(nightHours);
    // Breaks keep their length across the change (02:00-02:30 moves to 03:00-03:30 on spring forward).
    expect(shift.breaks.map((b) => b.end - b.start)).toEqual([30 * 60_000]);
    const periods = walk(cal, shift.start, shift.end);
    const sum = totals(periods, shift.start, shift.end);
    expect(sum.scheduled + sum.breaks).toBe(nightHours * H);
    expect(sum.notScheduled).toBe(0);
    const day = periodAt(cal, shift.end).day;
    expect((day.end - day.start) / H).toBe(dayHours);
  });

  it('the repeated hour on fall back: two hour windows, both periods of the night shift', () => {
    const cal = threeShifts('Europe/Berlin');
    const first = periodAt(cal, at('2024-10-27T02:40:00+02:00'));
    const second = periodAt(cal, at('2024-10-27T02:40:00+01:00'));
    expect([first.hour.id, second.hour.id]).toEqual(['2024-10-27T02:00:00.000+02:00', '2024-10-27T02:00:00.000+01:00']);
    expect(first.shift!.id).toBe('2024-10-26/night');
    // Ambiguous local times resolve to the later instant: the 02:00-02:30 break is in the second 02:00 hour.
    expect(first.breakKind).toBeNull();
    expect(periodAt(cal, at('2024-10-27T02:10:00+01:00')).breakKind).toBe('MEAL');
  });

  it('holidays: no shift starts on them; weekday lists', () => {
    const cal = shiftCalendarSchema.parse({
      timeZone: 'Europe/Berlin',
      shifts: [{ name: 'day', start: '08:00', end: '16:00', days: [1, 2, 3, 4, 5] }],
      holidays: ['2024-12-25'],
    });
    expect(scheduleAt(cal, at('2024-12-25T09:00:00+01:00'))).toBe('NOT_SCHEDULED');
    expect(scheduleAt(cal, at('2024-12-24T09:00:00+01:00'))).toBe('SCHEDULED');
    expect(scheduleAt(cal, at('2024-12-28T09:00:00+01:00'))).toBe('NOT_SCHEDULED'); // Saturday
  });

  it('always scheduled: one 24-hour shift a day', () => {
    const cal = alwaysScheduled('Europe/Berlin');
    expect(periodAt(cal, at('2024-03-31T12:00:00+02:00')).shift).toMatchObject({ id: '2024-03-31/day', name: 'day' });
    const s = shiftAt(cal, at('2024-03-31T12:00:00+02:00'))!;
    expect((s.end - s.start) / H).toBe(23);
  });

  it('rejects breaks outside their shift, overlapping breaks and duplicate shift names', () => {
    const parse = (shifts: unknown) => shiftCalendarSchema.safeParse({ timeZone: 'UTC', shifts });
    expect(parse([{ name: 'a', start: '06:00', end: '14:00', breaks: [{ start: '05:00', end: '05:15' }] }]).success).toBe(false);
    expect(parse([{ name: 'a', start: '06:00', end: '14:00', breaks: [{ start: '09:00', end: '09:30' }, { start: '09:15', end: '09:45' }] }]).success).toBe(false);
    expect(parse([{ name: 'a', start: '06:00', end: '14:00' }, { name: 'a', start: '14:00', end: '22:00' }]).success).toBe(false);
    expect(parse([{ name: 'n', start: '22:00', end: '06:00', breaks: [{ start: '23:45', end: '00:15' }, { start: '02:00', end: '02:30' }] }]).success).toBe(true);
  });
});

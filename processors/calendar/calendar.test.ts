import { describe, expect, it } from 'vitest';
import { calendarFor, calendarsSchema, dayAt, hourAt, overlapMs, shiftAt, shiftCalendarSchema, shiftsOverlapping } from './calendar.ts';

const berlin = shiftCalendarSchema.parse({
  timeZone: 'Europe/Berlin',
  shifts: [
    { name: 'early', start: '06:00', end: '14:00', breaks: [{ name: 'lunch', start: '10:00', end: '10:30' }] },
    { name: 'late', start: '14:00', end: '22:00' },
    { name: 'night', start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:15' }] },
  ],
});

const at = (iso: string) => Date.parse(iso);
const hours = (ms: number) => ms / 3_600_000;

describe('calendar > shifts', () => {
  it('finds the shift containing a time, with its local date and breaks', () => {
    const s = shiftAt(berlin, at('2024-03-05T09:00:00+01:00'))!;
    expect(s.id).toBe('2024-03-05/early');
    expect(s.start).toBe(at('2024-03-05T06:00:00+01:00'));
    expect(s.end).toBe(at('2024-03-05T14:00:00+01:00'));
    expect(s.breaks).toEqual([{ name: 'lunch', kind: 'BREAK', start: at('2024-03-05T10:00:00+01:00'), end: at('2024-03-05T10:30:00+01:00') }]);
  });

  it('a night shift belongs to the date it starts on; its breaks after midnight are on the next day', () => {
    const s = shiftAt(berlin, at('2024-03-06T03:00:00+01:00'))!;
    expect(s.id).toBe('2024-03-05/night');
    expect(s.breaks[0]!.start).toBe(at('2024-03-06T02:00:00+01:00'));
  });

  it('shift boundaries: start inclusive, end exclusive', () => {
    expect(shiftAt(berlin, at('2024-03-05T14:00:00+01:00'))!.id).toBe('2024-03-05/late');
    expect(shiftAt(berlin, at('2024-03-05T13:59:59.999+01:00'))!.id).toBe('2024-03-05/early');
  });

  it('DST spring forward: the night shift from 30 to 31 March 2024 lasts 7 hours', () => {
    const s = shiftAt(berlin, at('2024-03-31T01:00:00+01:00'))!;
    expect(s.id).toBe('2024-03-30/night');
    expect(hours(s.end - s.start)).toBe(7);
  });

  it('DST fall back: the night shift from 26 to 27 October 2024 lasts 9 hours', () => {
    const s = shiftAt(berlin, at('2024-10-27T01:00:00+02:00'))!;
    expect(s.id).toBe('2024-10-26/night');
    expect(hours(s.end - s.start)).toBe(9);
  });

  it('weekday restrictions leave gaps (no shift)', () => {
    const weekdays = shiftCalendarSchema.parse({ timeZone: 'UTC', shifts: [{ name: 'day', start: '08:00', end: '16:00', days: [1, 2, 3, 4, 5] }] });
    expect(shiftAt(weekdays, at('2024-03-09T09:00:00Z'))).toBeNull(); // Saturday
    expect(shiftAt(weekdays, at('2024-03-08T09:00:00Z'))!.id).toBe('2024-03-08/day');
    expect(shiftAt(weekdays, at('2024-03-08T17:00:00Z'))).toBeNull();
  });

  it('lists the shifts overlapping an interval', () => {
    const list = shiftsOverlapping(berlin, at('2024-03-05T12:00:00+01:00'), at('2024-03-05T23:00:00+01:00'));
    expect(list.map((s) => s.id)).toEqual(['2024-03-05/early', '2024-03-05/late', '2024-03-05/night']);
  });

  it('an empty calendar has no shifts', () => {
    expect(shiftAt(shiftCalendarSchema.parse({}), 0)).toBeNull();
  });

  it('rejects an unknown time zone and a bad local time', () => {
    expect(() => shiftCalendarSchema.parse({ timeZone: 'Mars/Olympus' })).toThrow(/time zone/);
    expect(() => shiftCalendarSchema.parse({ shifts: [{ name: 'x', start: '25:00', end: '06:00' }] })).toThrow(/HH:MM/);
  });
});

describe('calendar > hours and days', () => {
  it('a day lasts 23 hours on spring forward and 25 on fall back', () => {
    expect(hours(dayAt('Europe/Berlin', at('2024-03-31T12:00:00+02:00')).end - dayAt('Europe/Berlin', at('2024-03-31T12:00:00+02:00')).start)).toBe(23);
    const fall = dayAt('Europe/Berlin', at('2024-10-27T12:00:00+01:00'));
    expect(hours(fall.end - fall.start)).toBe(25);
    expect(fall.id).toBe('2024-10-27T00:00:00.000+02:00');
  });

  it('the repeated hour on fall back gives two distinct hour windows', () => {
    const first = hourAt('Europe/Berlin', at('2024-10-27T02:30:00+02:00'));
    const second = hourAt('Europe/Berlin', at('2024-10-27T02:30:00+01:00'));
    expect(first.id).toBe('2024-10-27T02:00:00.000+02:00');
    expect(second.id).toBe('2024-10-27T02:00:00.000+01:00');
    expect(second.start - first.start).toBe(3_600_000);
  });

  it('overlapMs sums the overlap with intervals', () => {
    expect(overlapMs(0, 100, [{ start: 10, end: 20 }, { start: 90, end: 200 }])).toBe(20);
  });
});

describe('calendar > per site', () => {
  it('uses the site calendar (second path segment), else the default', () => {
    const cals = calendarsSchema.parse({ default: { timeZone: 'UTC' }, sites: { plant2: { timeZone: 'America/Chicago' } } });
    expect(calendarFor(cals, 'acme/plant2/a/l/c/e').timeZone).toBe('America/Chicago');
    expect(calendarFor(cals, 'acme/plant1/a/l/c/e').timeZone).toBe('UTC');
    expect(calendarsSchema.parse({}).default.timeZone).toBe('UTC');
  });

  it('reads the site segment of short paths and never an inherited property', () => {
    const cals = calendarsSchema.parse({ default: { timeZone: 'UTC' }, sites: { plant2: { timeZone: 'America/Chicago' } } });
    expect(calendarFor(cals, 'acme/plant2').timeZone).toBe('America/Chicago');
    expect(calendarFor(cals, 'acme').timeZone).toBe('UTC');
    expect(calendarFor(cals, 'acme/constructor/a').timeZone).toBe('UTC');
    expect(calendarFor(cals, 'acme/toString').timeZone).toBe('UTC');
  });
});

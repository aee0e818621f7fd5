// Shift calendars and calendar windows (hour, day) in a site's time zone. Pure: time is always an argument.
//
// A calendar lists shifts by local start/end time ("06:00"-"14:00"; an end at or before the start means the shift
// ends the next day), optionally restricted to ISO weekdays of the start date, with breaks in local time. Instances
// are computed in the calendar's IANA time zone with luxon, so a shift across a DST change lasts 7 or 9 hours and a
// day lasts 23 or 25 hours. Local times that do not exist (spring forward) move forward to the first valid instant.
//
// Time outside every shift is "not scheduled"; a shift's breaks are planned stops of a `kind` (BREAK, MEAL,
// MAINTENANCE, ... free text, default BREAK) inside the shift. `holidays` are local dates on which no shift starts.
// Local times that are ambiguous (fall back) resolve to the later instant (standard time), luxon's rule.
//
// `periodAt` gives the maximal interval around a time in which hour, day, shift and break do not change: processors
// that account time (OEE) walk time period by period and call luxon only at period boundaries.
//
// Shared by every processor that windows by shift (counts, OEE, alerts): import it, never copy it. README.md.
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

const localTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a local time HH:MM (00:00-23:59)' });

export const breakSchema = z.object({
  name: z.string().optional(),
  start: localTime,
  end: localTime,
  /** What the planned stop is, for drill-down (OEE plannedStopByKind): BREAK, MEAL, MAINTENANCE, MEETING, ... */
  kind: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { message: 'letters, digits, _ . - (max 32)' }).default('BREAK'),
});

export const shiftSchema = z.object({
  /** Short name, part of the shift id: `<local start date>/<name>`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, { message: 'letters, digits, _ . - (max 32)' }),
  start: localTime,
  /** At or before `start`: the shift ends the next day. */
  end: localTime,
  /** ISO weekdays (1 = Monday ... 7 = Sunday) of the start date on which the shift runs; default every day. */
  days: z.array(z.number().int().min(1).max(7)).optional(),
  /** Planned breaks inside the shift, in local time; a time before the shift start is on the next day. */
  breaks: z.array(breakSchema).default([]),
});

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a local date YYYY-MM-DD' });

export const shiftCalendarSchema = z
  .object({
    /** IANA time zone of the site, e.g. Europe/Berlin. */
    timeZone: z
      .string()
      .default('UTC')
      .refine((zone) => IANAZone.isValidZone(zone), { message: 'unknown IANA time zone' }),
    shifts: z.array(shiftSchema).default([]),
    /** Local dates (YYYY-MM-DD) on which no shift starts (plant holidays). */
    holidays: z.array(isoDate).default([]),
  })
  .superRefine((calendar, ctx) => {
    const names = new Set<string>();
    calendar.shifts.forEach((shift, i) => {
      if (names.has(shift.name)) ctx.addIssue({ code: 'custom', path: ['shifts', i, 'name'], message: `duplicate shift name ${shift.name}` });
      names.add(shift.name);
      const [start, end] = nominalSpan(shift.start, shift.end);
      let previousEnd = start;
      const spans = shift.breaks.map((b) => breakSpan(start, b.start, b.end)).sort((a, b) => a[0] - b[0]);
      spans.forEach(([bStart, bEnd]) => {
        if (bStart < start || bEnd > end)
          ctx.addIssue({ code: 'custom', path: ['shifts', i, 'breaks'], message: `a break of shift ${shift.name} is not inside ${shift.start}-${shift.end}` });
        if (bStart < previousEnd)
          ctx.addIssue({ code: 'custom', path: ['shifts', i, 'breaks'], message: `breaks of shift ${shift.name} overlap` });
        previousEnd = Math.max(previousEnd, bEnd);
      });
    });
  });

/** Calendars per site (the second segment of the equipment path), with a default for every other site. */
export const calendarsSchema = z.object({
  default: shiftCalendarSchema.prefault({}),
  sites: z.record(z.string(), shiftCalendarSchema).default({}),
});

export type ShiftDefinition = z.infer<typeof shiftSchema>;
export type ShiftCalendar = z.infer<typeof shiftCalendarSchema>;
export type Calendars = z.infer<typeof calendarsSchema>;

export interface Interval {
  start: number;
  end: number;
}

export interface ShiftInstance extends Interval {
  /** `<local start date>/<name>`, e.g. `2024-03-30/night`: unique per calendar. */
  id: string;
  name: string;
  /** Local date (ISO) of the shift start. */
  date: string;
  /** In time order, clipped to the shift. */
  breaks: Array<Interval & { name: string | null; kind: string }>;
}

export interface CalendarWindow extends Interval {
  /** The local start as ISO text with offset, e.g. `2024-03-31T03:00:00.000+02:00`. */
  id: string;
}

/** The calendar that applies to an equipment path enterprise/site/...: the site's own, else the default. */
export function calendarFor(calendars: Calendars, equipment: string): ShiftCalendar {
  // Called per event by several cores: the site segment without splitting the whole path.
  const first = equipment.indexOf('/');
  if (first < 0) return calendars.default;
  const end = equipment.indexOf('/', first + 1);
  const site = equipment.slice(first + 1, end < 0 ? undefined : end);
  return (Object.hasOwn(calendars.sites, site) ? calendars.sites[site] : undefined) ?? calendars.default;
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** A shift as minutes from local midnight of its start date: [start, end), end > start (next day when needed). */
function nominalSpan(startHhmm: string, endHhmm: string): [number, number] {
  const start = minutes(startHhmm);
  const end = minutes(endHhmm);
  return [start, end <= start ? end + 1440 : end];
}

/** A break in the same minutes as its shift: a time before the shift start is on the next day. */
function breakSpan(shiftStart: number, startHhmm: string, endHhmm: string): [number, number] {
  let start = minutes(startHhmm);
  if (start < shiftStart) start += 1440;
  let end = minutes(endHhmm) + (start >= 1440 ? 1440 : 0);
  if (end <= start) end += 1440;
  return [start, end];
}

function atLocal(date: DateTime, hhmm: string, dayOffset: number): number {
  const d = date.plus({ days: dayOffset });
  return DateTime.fromObject(
    { year: d.year, month: d.month, day: d.day, hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3, 5)) },
    { zone: date.zone },
  ).toMillis();
}

/** The instance of `shift` that starts on local date `date` (a luxon DateTime at local midnight). */
function instanceOn(shift: ShiftDefinition, date: DateTime): ShiftInstance {
  const startMin = minutes(shift.start);
  const endMin = minutes(shift.end);
  const start = atLocal(date, shift.start, 0);
  const end = atLocal(date, shift.end, endMin <= startMin ? 1 : 0);
  const breaks = shift.breaks.map((b) => {
    const bStartMin = minutes(b.start);
    const offset = bStartMin < startMin ? 1 : 0;
    const bStart = atLocal(date, b.start, offset);
    const bEnd = atLocal(date, b.end, offset + (minutes(b.end) <= bStartMin ? 1 : 0));
    return { name: b.name ?? null, kind: b.kind ?? 'BREAK', start: Math.max(start, bStart), end: Math.min(end, bEnd) };
  });
  const isoDate = date.toISODate() ?? '';
  return {
    id: `${isoDate}/${shift.name}`,
    name: shift.name,
    date: isoDate,
    start,
    end,
    breaks: breaks.filter((b) => b.end > b.start).sort((a, b) => a.start - b.start),
  };
}

function runsOn(calendar: ShiftCalendar, shift: ShiftDefinition, date: DateTime): boolean {
  if (shift.days !== undefined && !shift.days.includes(date.weekday)) return false;
  return calendar.holidays === undefined || calendar.holidays.length === 0 || !calendar.holidays.includes(date.toISODate() ?? '');
}

// Instances per (calendar, local date), memoised: luxon calls cost tens of microseconds, and the same dates are
// asked for again and again. Bounded: a calendar's memo is cleared when it holds more than 400 dates.
const instancesMemo = new WeakMap<ShiftCalendar, Map<string, ShiftInstance[]>>();

function instancesOnDate(calendar: ShiftCalendar, date: DateTime): ShiftInstance[] {
  let memo = instancesMemo.get(calendar);
  if (!memo) {
    memo = new Map();
    instancesMemo.set(calendar, memo);
  }
  const key = date.toISODate() ?? '';
  let found = memo.get(key);
  if (!found) {
    found = calendar.shifts.filter((shift) => runsOn(calendar, shift, date)).map((shift) => instanceOn(shift, date));
    if (memo.size >= 400) memo.clear();
    memo.set(key, found);
  }
  return found;
}

/** Shift instances starting on local dates from `fromDate` to `toDate` (inclusive), in start order. */
function instancesBetweenDates(calendar: ShiftCalendar, fromDate: DateTime, toDate: DateTime): ShiftInstance[] {
  const out: ShiftInstance[] = [];
  for (let d = fromDate; d <= toDate; d = d.plus({ days: 1 })) out.push(...instancesOnDate(calendar, d));
  return out.sort((a, b) => a.start - b.start || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function localDay(calendar: ShiftCalendar, t: number): DateTime {
  return DateTime.fromMillis(t, { zone: calendar.timeZone }).startOf('day');
}

/**
 * The shift that contains `t`, or null outside every shift. Shifts should not overlap; if they do, the one that
 * started last wins (ties: name order).
 */
export function shiftAt(calendar: ShiftCalendar, t: number): ShiftInstance | null {
  if (calendar.shifts.length === 0) return null;
  const day = localDay(calendar, t);
  let found: ShiftInstance | null = null;
  for (const inst of instancesBetweenDates(calendar, day.minus({ days: 1 }), day)) {
    if (inst.start <= t && t < inst.end) found = inst;
  }
  return found;
}

/** Every shift instance that overlaps [from, to), in start order. */
export function shiftsOverlapping(calendar: ShiftCalendar, from: number, to: number): ShiftInstance[] {
  if (calendar.shifts.length === 0 || to <= from) return [];
  return instancesBetweenDates(calendar, localDay(calendar, from).minus({ days: 1 }), localDay(calendar, to)).filter(
    (inst) => inst.start < to && inst.end > from,
  );
}

/** The local clock hour containing `t` (a DST repeated hour gives two windows with different offsets). */
export function hourAt(timeZone: string, t: number): CalendarWindow {
  const start = DateTime.fromMillis(t, { zone: timeZone }).startOf('hour');
  return { id: start.toISO() ?? String(start.toMillis()), start: start.toMillis(), end: start.plus({ hours: 1 }).toMillis() };
}

/** The local calendar day containing `t` (23 or 25 hours on DST change days). */
export function dayAt(timeZone: string, t: number): CalendarWindow {
  const start = DateTime.fromMillis(t, { zone: timeZone }).startOf('day');
  return { id: start.toISO() ?? String(start.toMillis()), start: start.toMillis(), end: start.plus({ days: 1 }).toMillis() };
}

/** Milliseconds of [from, to) that fall inside `intervals` (assumed not to overlap each other). */
export function overlapMs(from: number, to: number, intervals: readonly Interval[]): number {
  let total = 0;
  for (const i of intervals) total += Math.max(0, Math.min(to, i.end) - Math.max(from, i.start));
  return total;
}

// Memoised lookups for hot paths (one lookup per event): the last window found per calendar / zone is reused while
// the next time falls inside it. Results are identical to the plain functions.
const lastShift = new WeakMap<ShiftCalendar, ShiftInstance>();
const lastHour = new Map<string, CalendarWindow>();
const lastDay = new Map<string, CalendarWindow>();

export function cachedShiftAt(calendar: ShiftCalendar, t: number): ShiftInstance | null {
  const last = lastShift.get(calendar);
  if (last && last.start <= t && t < last.end) return last;
  const found = shiftAt(calendar, t);
  if (found) lastShift.set(calendar, found);
  return found;
}

export function cachedHourAt(timeZone: string, t: number): CalendarWindow {
  const last = lastHour.get(timeZone);
  if (last && last.start <= t && t < last.end) return last;
  const found = hourAt(timeZone, t);
  lastHour.set(timeZone, found);
  return found;
}

export function cachedDayAt(timeZone: string, t: number): CalendarWindow {
  const last = lastDay.get(timeZone);
  if (last && last.start <= t && t < last.end) return last;
  const found = dayAt(timeZone, t);
  lastDay.set(timeZone, found);
  return found;
}

/** A shift instance without its breaks. */
export type ShiftRef = Pick<ShiftInstance, 'id' | 'name' | 'date' | 'start' | 'end'>;

/**
 * The maximal interval [start, end) around a time in which the local hour, the local day, the shift and the break
 * do not change. Walking time period by period visits every boundary exactly once.
 */
export interface CalendarPeriod extends Interval {
  hour: CalendarWindow;
  day: CalendarWindow;
  /** The shift the period lies in; null when not scheduled. */
  shift: ShiftRef | null;
  /** Kind of the break the period lies in (a planned stop inside the shift); null outside breaks. */
  breakKind: string | null;
}

// Recently computed periods per calendar (a small ring): replays and several equipment on one calendar ask for the
// same periods again. Results are identical to computing them.
const recentPeriods = new WeakMap<ShiftCalendar, CalendarPeriod[]>();

/** The calendar period containing `t` (see CalendarPeriod). Overlapping shifts: as shiftAt, the later start wins. */
export function periodAt(calendar: ShiftCalendar, t: number): CalendarPeriod {
  let recent = recentPeriods.get(calendar);
  if (!recent) {
    recent = [];
    recentPeriods.set(calendar, recent);
  }
  for (const p of recent) if (p.start <= t && t < p.end) return p;
  const found = computePeriod(calendar, t);
  if (recent.length >= 32) recent.shift();
  recent.push(found);
  return found;
}

function computePeriod(calendar: ShiftCalendar, t: number): CalendarPeriod {
  const hour = cachedHourAt(calendar.timeZone, t);
  const day = cachedDayAt(calendar.timeZone, t);
  let start = Math.max(hour.start, day.start);
  let end = Math.min(hour.end, day.end);
  let shift: ShiftInstance | null = null;
  const bound = (b: number): void => {
    if (b <= t) start = Math.max(start, b);
    else end = Math.min(end, b);
  };
  if (calendar.shifts.length > 0) {
    const d = localDay(calendar, t);
    for (const inst of instancesBetweenDates(calendar, d.minus({ days: 1 }), d.plus({ days: 1 }))) {
      bound(inst.start);
      bound(inst.end);
      for (const b of inst.breaks) {
        bound(b.start);
        bound(b.end);
      }
      if (inst.start <= t && t < inst.end) shift = inst;
    }
  }
  const inBreak = shift?.breaks.find((b) => b.start <= t && t < b.end);
  return {
    start,
    end,
    hour,
    day,
    shift: shift ? { id: shift.id, name: shift.name, date: shift.date, start: shift.start, end: shift.end } : null,
    breakKind: inBreak ? inBreak.kind : null,
  };
}

/** Whether `t` is scheduled production time (inside a shift, outside its breaks), in a break, or not scheduled. */
export function scheduleAt(calendar: ShiftCalendar, t: number): 'SCHEDULED' | 'BREAK' | 'NOT_SCHEDULED' {
  const p = periodAt(calendar, t);
  return p.shift === null ? 'NOT_SCHEDULED' : p.breakKind !== null ? 'BREAK' : 'SCHEDULED';
}

/** Always scheduled: one 24-hour shift `day` from local midnight, every day (the default for equipment without a calendar). */
export function alwaysScheduled(timeZone = 'UTC'): ShiftCalendar {
  return shiftCalendarSchema.parse({ timeZone, shifts: [{ name: 'day', start: '00:00', end: '00:00' }] });
}

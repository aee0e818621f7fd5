// Formatting for the dashboard: pure functions (locale and time zone are arguments, so tests are deterministic
// and a wall in another plant can pass its own).
import type { CountWindowKind } from './types.ts';

const countFormats = new Map<string, Intl.NumberFormat>();

/** 12345 -> "12,345" (en-US); whole pieces only. */
export function formatCount(value: number | null | undefined, locale = 'en-US'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  let format = countFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    countFormats.set(locale, format);
  }
  return format.format(Math.round(value));
}

/** Share of rejects in all pieces, or null when nothing was produced. */
export function rejectRate(good: number, reject: number): number | null {
  const total = good + reject;
  return total > 0 ? reject / total : null;
}

/** 0.0123 -> "1.2 %"; tiny non-zero rates keep one significant digit ("0.04 %"); null -> "–". */
export function formatPercent(ratio: number | null, digits = 1): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  const percent = ratio * 100;
  if (percent > 0 && percent < 0.1) return `${percent.toPrecision(1)} %`;
  return `${percent.toFixed(digits)} %`;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago" (never negative). */
export function formatAge(then: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** "14:05" in the given time zone (24 h). */
export function formatClock(epochMs: number, timeZone?: string, locale = 'en-GB'): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', hour12: false, ...(timeZone ? { timeZone } : {}) }).format(epochMs);
}

/** "03 Mar, 14:05:07" in the given time zone (24 h): a timeline entry. */
export function formatDateTime(epochMs: number, timeZone?: string, locale = 'en-GB'): string {
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, ...(timeZone ? { timeZone } : {}) }).format(epochMs);
}

export const windowKindLabels: Record<CountWindowKind, string> = {
  SHIFT: 'Shift',
  HOUR: 'Hour',
  DAY: 'Day',
  WORK_ORDER: 'Work order',
  ALL_TIME: 'All time',
};

/** The line under a tile's numbers: which window the counts cover. */
export function windowLabel(
  view: { windowKind: CountWindowKind; windowId: string; windowStart: number | null; windowEnd: number | null },
  timeZone?: string,
): string {
  const range =
    view.windowStart !== null && view.windowEnd !== null
      ? `${formatClock(view.windowStart, timeZone)}–${formatClock(view.windowEnd, timeZone)}`
      : view.windowStart !== null
        ? `since ${formatClock(view.windowStart, timeZone)}`
        : null;
  switch (view.windowKind) {
    case 'SHIFT':
      return range ? `Shift ${shortShiftId(view.windowId)} · ${range}` : `Shift ${shortShiftId(view.windowId)}`;
    case 'HOUR':
      return range ? `Hour · ${range}` : 'Hour';
    case 'DAY':
      return view.windowStart !== null ? `Day · ${formatDay(view.windowStart, timeZone)}` : 'Day';
    case 'WORK_ORDER':
      return `Work order ${view.windowId}`;
    case 'ALL_TIME':
      return 'All time';
  }
}

/** Shift ids are often '<date>/<name>' or '<date>-<name>'; the name is what people say. */
export function shortShiftId(id: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[/_ T-]?(.+)$/.exec(id);
  return match?.[2] ? match[2].replace(/^[/_ -]+/, '') : id;
}

function formatDay(epochMs: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', ...(timeZone ? { timeZone } : {}) }).format(epochMs);
}

/** Last segment of an ISA-95 path: the equipment's own name. */
export function equipmentName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Where the equipment sits below its line, for a tile's subtitle (the line is the group's heading): "cell1". */
export function equipmentContext(path: string): string {
  const parts = path.split('/');
  return parts.slice(4, -1).join(' · ');
}

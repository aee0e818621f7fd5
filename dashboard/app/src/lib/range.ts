// The drill-down's time range: a preset relative to now (kept in the URL), or a fixed range the user typed.
export const rangePresets = [
  { id: '1h', label: '1 h', ms: 3_600_000 },
  { id: '8h', label: '8 h', ms: 8 * 3_600_000 },
  { id: '24h', label: '24 h', ms: 24 * 3_600_000 },
  { id: '7d', label: '7 d', ms: 7 * 86_400_000 },
] as const;

export type RangePresetId = (typeof rangePresets)[number]['id'];

export interface TimeRange {
  from: number;
  to: number;
}

export function isRangePreset(value: string | null | undefined): value is RangePresetId {
  return rangePresets.some((p) => p.id === value);
}

/** The range of a preset ending now (to is exclusive: now + 1 ms includes what happened this millisecond). */
export function presetRange(id: RangePresetId, now: number): TimeRange {
  const preset = rangePresets.find((p) => p.id === id)!;
  return { from: now - preset.ms, to: now + 1 };
}

/** `<input type="datetime-local">` value of an epoch ms, in the browser's time zone (minutes). */
export function toLocalInput(epochMs: number, offsetMinutes = new Date(epochMs).getTimezoneOffset()): string {
  return new Date(epochMs - offsetMinutes * 60_000).toISOString().slice(0, 16);
}

/** A typed range, or an error message: both set, from before to, at most `maxMs`. */
export function customRange(fromText: string, toText: string, maxMs = 31 * 86_400_000): TimeRange | string {
  const from = Date.parse(fromText);
  const to = Date.parse(toText);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'give a start and an end';
  if (to <= from) return 'the end must be after the start';
  if (to - from > maxMs) return `at most ${Math.round(maxMs / 86_400_000)} days`;
  return { from, to };
}

/** Query-string of the defined values (numbers as decimal strings). */
export function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  return new URLSearchParams(Object.entries(params).flatMap(([k, v]) => (v === undefined || v === null || v === '' ? [] : [[k, String(v)]]))).toString();
}

// Pure mapping of collected values (OPC-UA DataValues, MQTT JSON values, Sparkplug metrics) to linepulse raw
// events. No client library import: collectors pass the plain parts (value, timestamps, status), so this is
// testable with plain data.
import type { Quality } from '../schemas/generated/types.ts';
import type { EdgeEvent } from './events.ts';

export const tagRoles = ['state', 'stateReason', 'goodCounter', 'rejectCounter', 'totalCounter', 'processValue', 'sensor'] as const;
export type TagRole = (typeof tagRoles)[number];

/** What a collector knows about one mapped value source (an OPC-UA tag, a JSON topic, a Sparkplug metric). */
export interface TagSpec {
  equipment: string;
  role: TagRole;
  tag?: string;
  node?: string;
  browsePath?: string;
  unit?: string;
  range?: { low: number; high: number };
  counterMax?: number;
  characteristic?: string;
  stateNames?: Record<string, string>;
}
type OpcUaTag = TagSpec;

export interface PlainDataValue {
  value: unknown;
  sourceTimestamp: Date | null;
  serverTimestamp: Date | null;
  /** Numeric OPC-UA StatusCode (0 = Good), or the Sparkplug quality (192 = GOOD). */
  statusCode: number;
  /** Quality when it is not derived from an OPC-UA StatusCode (MQTT, Sparkplug). */
  quality?: Quality;
  /** The device flagged the value historical (Sparkplug is_historical). */
  historical?: boolean;
}

/** OPC-UA Part 4 §7.39: the two top bits are the severity: 00 Good, 01 Uncertain, 10/11 Bad. */
export function statusToQuality(statusCode: number): Quality {
  const severity = (statusCode >>> 30) & 0b11;
  return severity === 0 ? 'GOOD' : severity === 1 ? 'UNCERTAIN' : 'BAD';
}

export interface ConvertedValue {
  number: number | null;
  text: string | null;
}

/** Variant value -> number and/or text. Int64/UInt64 arrive from node-opcua as [high, low] 32-bit words. */
export function convertValue(value: unknown): ConvertedValue {
  if (value === null || value === undefined) return { number: null, text: null };
  if (typeof value === 'number') return Number.isFinite(value) ? { number: value, text: null } : { number: null, text: String(value) };
  if (typeof value === 'boolean') return { number: value ? 1 : 0, text: String(value) };
  if (typeof value === 'bigint') return { number: Number(value), text: null };
  if (typeof value === 'string') return { number: null, text: value };
  if (value instanceof Date) return { number: value.getTime(), text: value.toISOString() };
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isInteger(v)))
    return { number: (value[0] as number) * 4294967296 + ((value[1] as number) >>> 0), text: null };
  if (typeof value === 'object' && value !== null && 'text' in value) return { number: null, text: String((value as { text: unknown }).text ?? '') };
  try {
    return { number: null, text: JSON.stringify(value) ?? String(value) };
  } catch {
    return { number: null, text: String(value) };
  }
}

export function tagName(tag: OpcUaTag): string {
  if (tag.tag) return tag.tag;
  const ref = tag.node ?? tag.browsePath ?? '';
  const last = ref.split(/[/;]/).pop() ?? ref;
  return last.replace(/^(s=|i=|g=|b=|\d+:)/, '');
}

export interface MapContext {
  sourceId: string;
  edgeTime: number;
}

function times(dv: PlainDataValue, ctx: MapContext): { eventTime: number; serverTime: number | null } {
  const serverTime = dv.serverTimestamp ? dv.serverTimestamp.getTime() : null;
  const eventTime = dv.sourceTimestamp?.getTime() ?? serverTime ?? ctx.edgeTime;
  return { eventTime, serverTime };
}

/** A telemetry event: any value of any tag, including the ones that cannot become their role's event. */
export function telemetryEvent(tag: OpcUaTag, dv: PlainDataValue, ctx: MapContext): EdgeEvent {
  const { eventTime, serverTime } = times(dv, ctx);
  const v = convertValue(dv.value);
  const outOfRange = tag.range !== undefined && v.number !== null && (v.number < tag.range.low || v.number > tag.range.high);
  return {
    topic: 'telemetry',
    event: {
      eventTime,
      equipment: tag.equipment,
      tag: tagName(tag),
      value: v.number,
      text: v.number === null ? v.text : null,
      unit: tag.unit ?? null,
      quality: dv.quality ?? statusToQuality(dv.statusCode),
      statusCode: dv.statusCode,
      outOfRange,
      origin: { sourceId: ctx.sourceId, serverTime, edgeTime: ctx.edgeTime, historical: dv.historical === true },
    },
  };
}

export function stateName(tag: OpcUaTag, value: unknown): string | null {
  const v = convertValue(value);
  if (v.number !== null && typeof value !== 'boolean') {
    const key = String(v.number);
    return tag.stateNames?.[key] ?? key;
  }
  if (v.text !== null && v.text !== '') return tag.stateNames?.[v.text] ?? v.text;
  return null;
}

export function stateEvent(tag: OpcUaTag, state: string, reason: string | null, dv: PlainDataValue, ctx: MapContext): EdgeEvent {
  const { eventTime, serverTime } = times(dv, ctx);
  return {
    topic: 'state',
    event: {
      eventTime,
      equipment: tag.equipment,
      state,
      reasonCode: reason,
      reasonText: null,
      quality: dv.quality ?? statusToQuality(dv.statusCode),
      origin: { sourceId: ctx.sourceId, serverTime, edgeTime: ctx.edgeTime, historical: dv.historical === true },
    },
  };
}

const countKinds = { goodCounter: 'GOOD', rejectCounter: 'REJECT', totalCounter: 'TOTAL' } as const;

/**
 * Maps a DataValue of a stateless role (counters, process values, sensors). A counter without an integer value
 * (e.g. Bad quality with no value) becomes a telemetry event instead, so it is visible and never silently lost.
 */
export function mapDataValue(tag: OpcUaTag, dv: PlainDataValue, ctx: MapContext): EdgeEvent[] {
  const { eventTime, serverTime } = times(dv, ctx);
  const quality = dv.quality ?? statusToQuality(dv.statusCode);
  const origin = { sourceId: ctx.sourceId, serverTime, edgeTime: ctx.edgeTime, historical: dv.historical === true };
  switch (tag.role) {
    case 'goodCounter':
    case 'rejectCounter':
    case 'totalCounter': {
      const v = convertValue(dv.value);
      if (v.number === null || !Number.isInteger(v.number) || v.number < 0) return [telemetryEvent(tag, dv, ctx)];
      return [
        {
          topic: 'counts',
          event: {
            eventTime,
            equipment: tag.equipment,
            kind: countKinds[tag.role],
            counterValue: v.number,
            counterMax: tag.counterMax ?? null,
            increment: null,
            rejectReason: null,
            workOrder: null,
            quality,
            origin,
          },
        },
      ];
    }
    case 'processValue': {
      const telemetry = telemetryEvent(tag, dv, ctx);
      const v = convertValue(dv.value);
      if (quality !== 'GOOD' || v.number === null) return [telemetry];
      return [
        telemetry,
        {
          topic: 'measurements',
          event: {
            eventTime,
            equipment: tag.equipment,
            characteristic: tag.characteristic ?? tagName(tag),
            value: v.number,
            unit: tag.unit ?? null,
            subgroupId: null,
            serial: null,
            lot: null,
            workOrder: null,
            operator: null,
            entry: 'TAG',
            origin,
          },
        },
      ];
    }
    case 'sensor':
    case 'state':
    case 'stateReason':
      return [telemetryEvent(tag, dv, ctx)];
  }
}

// Sparkplug B payloads (Eclipse Sparkplug 3.0, the protobuf `Payload` message) through protobufjs.
//
// The message definition below is written from the specification's field table; only what an edge host needs
// to read and to write births and data is modelled in detail (templates, datasets and property sets are kept as
// opaque values). Unknown fields are skipped by protobufjs, so payloads of newer writers still decode.
//
// Datatypes (spec §6.4.16): Int8..UInt32 travel in int_value (signed ones as two's complement), Int64, UInt64 and
// DateTime in long_value, Float/Double in float_/double_value, Boolean, String/Text/UUID, Bytes/File.
import protobuf from 'protobufjs';

const proto = `
syntax = "proto2";
package sparkplug;
message Payload {
  message PropertyValue {
    optional uint32 type = 1;
    optional bool is_null = 2;
    oneof value {
      uint32 int_value = 3;
      uint64 long_value = 4;
      float float_value = 5;
      double double_value = 6;
      bool boolean_value = 7;
      string string_value = 8;
      PropertySet propertyset_value = 9;
      PropertySetList propertysets_value = 10;
    }
  }
  message PropertySet {
    repeated string keys = 1;
    repeated PropertyValue values = 2;
  }
  message PropertySetList {
    repeated PropertySet propertyset = 1;
  }
  message MetaData {
    optional bool is_multi_part = 1;
    optional string content_type = 2;
    optional uint64 size = 3;
    optional uint64 seq = 4;
    optional string file_name = 5;
    optional string file_type = 6;
    optional string md5 = 7;
    optional string description = 8;
  }
  message Metric {
    optional string name = 1;
    optional uint64 alias = 2;
    optional uint64 timestamp = 3;
    optional uint32 datatype = 4;
    optional bool is_historical = 5;
    optional bool is_transient = 6;
    optional bool is_null = 7;
    optional MetaData metadata = 8;
    optional PropertySet properties = 9;
    oneof value {
      uint32 int_value = 10;
      uint64 long_value = 11;
      float float_value = 12;
      double double_value = 13;
      bool boolean_value = 14;
      string string_value = 15;
      bytes bytes_value = 16;
      bytes dataset_value = 17;
      bytes template_value = 18;
    }
  }
  optional uint64 timestamp = 1;
  repeated Metric metrics = 2;
  optional uint64 seq = 3;
  optional string uuid = 4;
  optional bytes body = 5;
}
`;

const root = protobuf.parse(proto, { keepCase: true }).root;
const PayloadType = root.lookupType('sparkplug.Payload');

export const DataType = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
} as const;

export type SparkplugValue = number | boolean | string | Buffer | null;

export interface SparkplugMetric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype: number;
  isHistorical: boolean;
  isTransient: boolean;
  isNull: boolean;
  value: SparkplugValue;
  /** Sparkplug quality from the metric's `Quality` property (0 BAD, 192 GOOD, 500 STALE), if present. */
  quality?: number;
  /** Numeric properties such as engineering range (`engLow`/`engHigh`) and units. */
  properties: Record<string, number | string | boolean>;
}

export interface SparkplugPayload {
  timestamp?: number;
  seq?: number;
  uuid?: string;
  metrics: SparkplugMetric[];
}

export type DecodeResult = { ok: true; payload: SparkplugPayload } | { ok: false; reason: string };

interface RawPropertyValue {
  type?: number;
  is_null?: boolean;
  int_value?: number;
  long_value?: Long;
  float_value?: number;
  double_value?: number;
  boolean_value?: boolean;
  string_value?: string;
}
interface RawMetric {
  name?: string;
  alias?: Long;
  timestamp?: Long;
  datatype?: number;
  is_historical?: boolean;
  is_transient?: boolean;
  is_null?: boolean;
  properties?: { keys?: string[]; values?: RawPropertyValue[] };
  int_value?: number;
  long_value?: Long;
  float_value?: number;
  double_value?: number;
  boolean_value?: boolean;
  string_value?: string;
  bytes_value?: Buffer | Uint8Array;
  dataset_value?: Uint8Array;
  template_value?: Uint8Array;
}
interface RawPayload {
  timestamp?: Long;
  seq?: Long;
  uuid?: string;
  metrics?: RawMetric[];
}

// 64-bit fields come out as decimal strings so Int64 two's complement survives; converted below.
const toObjectOptions = { longs: String, bytes: Buffer, defaults: false, oneofs: false } as const;

type Long = string | number | undefined;
const num = (v: Long): number | undefined => (v === undefined ? undefined : Number(v));

function signed(value: number, bits: 8 | 16 | 32): number {
  const shift = 32 - bits;
  return ((value << shift) >> shift) | 0;
}

function metricValue(m: RawMetric, datatype: number): SparkplugValue {
  switch (datatype) {
    case DataType.Int8:
      return m.int_value === undefined ? null : signed(m.int_value, 8);
    case DataType.Int16:
      return m.int_value === undefined ? null : signed(m.int_value, 16);
    case DataType.Int32:
      return m.int_value === undefined ? null : signed(m.int_value, 32);
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      // Some writers put UInt32 in long_value; accept both.
      return m.int_value !== undefined ? m.int_value >>> 0 : (num(m.long_value) ?? null);
    case DataType.Int64: {
      // long_value is unsigned on the wire; Int64 values are its two's complement.
      if (m.long_value === undefined) return null;
      const n = BigInt(m.long_value);
      return Number(n >= 2n ** 63n ? n - 2n ** 64n : n);
    }
    case DataType.UInt64:
    case DataType.DateTime:
      return num(m.long_value) ?? null;
    case DataType.Float:
      return m.float_value ?? null;
    case DataType.Double:
      return m.double_value ?? null;
    case DataType.Boolean:
      return m.boolean_value ?? null;
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      return m.string_value ?? null;
    case DataType.Bytes:
    case DataType.File:
      return m.bytes_value ? Buffer.from(m.bytes_value) : null;
    default:
      return null;
  }
}

function propertyValue(v: RawPropertyValue): number | string | boolean | null {
  if (v.is_null) return null;
  return v.int_value ?? num(v.long_value) ?? v.float_value ?? v.double_value ?? v.boolean_value ?? v.string_value ?? null;
}

/** Decodes a Sparkplug B payload. Never throws: a bad payload gives `{ ok: false, reason }`. */
export function decodePayload(bytes: Uint8Array): DecodeResult {
  let raw: RawPayload;
  try {
    const message = PayloadType.decode(bytes);
    raw = PayloadType.toObject(message, toObjectOptions) as RawPayload;
  } catch (error) {
    return { ok: false, reason: `not a Sparkplug B payload: ${(error as Error).message}` };
  }
  const seq = num(raw.seq);
  const timestamp = num(raw.timestamp);
  if (seq !== undefined && seq > 255) return { ok: false, reason: `seq ${raw.seq} outside 0..255` };
  const metrics: SparkplugMetric[] = [];
  for (const [i, m] of (raw.metrics ?? []).entries()) {
    if (m.name === undefined && m.alias === undefined) return { ok: false, reason: `metric ${i} has neither name nor alias` };
    const properties: Record<string, number | string | boolean> = {};
    const keys = m.properties?.keys ?? [];
    const values = m.properties?.values ?? [];
    if (keys.length !== values.length) return { ok: false, reason: `metric ${m.name ?? m.alias}: ${keys.length} property keys for ${values.length} values` };
    keys.forEach((k, j) => {
      const v = propertyValue(values[j] as RawPropertyValue);
      if (v !== null) properties[k] = v;
    });
    const datatype = m.datatype ?? DataType.Unknown;
    const quality = typeof properties.Quality === 'number' ? properties.Quality : undefined;
    const isNull = m.is_null === true;
    metrics.push({
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.alias !== undefined ? { alias: Number(m.alias) } : {}),
      ...(m.timestamp !== undefined ? { timestamp: Number(m.timestamp) } : {}),
      datatype,
      isHistorical: m.is_historical === true,
      isTransient: m.is_transient === true,
      isNull,
      value: isNull ? null : metricValue(m, datatype),
      ...(quality !== undefined ? { quality } : {}),
      properties,
    });
  }
  return {
    ok: true,
    payload: {
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(seq !== undefined ? { seq } : {}),
      ...(raw.uuid !== undefined ? { uuid: raw.uuid } : {}),
      metrics,
    },
  };
}

export interface MetricInput {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype: number;
  value: SparkplugValue;
  isHistorical?: boolean;
  properties?: Record<string, { type: number; value: number | string | boolean }>;
}

/** Encodes a payload (the simulator's nodes and tests use it; an edge host only writes NCMD rebirth requests). */
export function encodePayload(payload: { timestamp?: number; seq?: number; metrics: MetricInput[] }): Buffer {
  const metrics = payload.metrics.map((m) => {
    const out: Record<string, unknown> = { datatype: m.datatype };
    if (m.name !== undefined) out.name = m.name;
    if (m.alias !== undefined) out.alias = m.alias;
    if (m.timestamp !== undefined) out.timestamp = m.timestamp;
    if (m.isHistorical) out.is_historical = true;
    if (m.properties) {
      out.properties = {
        keys: Object.keys(m.properties),
        values: Object.values(m.properties).map((p) => ({ type: p.type, ...valueField(p.type, p.value, 'property') })),
      };
    }
    if (m.value === null) out.is_null = true;
    else Object.assign(out, valueField(m.datatype, m.value, 'metric'));
    return out;
  });
  const message = PayloadType.fromObject({ timestamp: payload.timestamp, seq: payload.seq, metrics });
  return Buffer.from(PayloadType.encode(message).finish());
}

function valueField(datatype: number, value: number | string | boolean | Buffer, _kind: 'metric' | 'property'): Record<string, unknown> {
  switch (datatype) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32:
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      return { int_value: Number(value) >>> 0 };
    case DataType.Int64: {
      const n = BigInt(Math.trunc(Number(value)));
      return { long_value: (n < 0n ? n + 2n ** 64n : n).toString() };
    }
    case DataType.UInt64:
    case DataType.DateTime:
      return { long_value: Math.trunc(Number(value)) };
    case DataType.Float:
      return { float_value: Number(value) };
    case DataType.Double:
      return { double_value: Number(value) };
    case DataType.Boolean:
      return { boolean_value: Boolean(value) };
    case DataType.Bytes:
    case DataType.File:
      return { bytes_value: Buffer.isBuffer(value) ? value : Buffer.from(String(value)) };
    default:
      return { string_value: String(value) };
  }
}

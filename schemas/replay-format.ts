// The NDJSON format of `linepulse replay` input and output (documented in schemas/README.md):
//   {"topic": "counts", "key": "acme/plant1/assembly/line1/cell1/press", "value": { ...event... }}
// one JSON object per line; `topic` is a full topic name or its short name from topics.ts; `key` is optional
// and defaults from the contract's key field; `value` is the event in its plain JSON shape (the shape of
// schemas/generated/types.ts: nullable fields are null or the plain value). The Avro JSON encoding (unions
// wrapped as {"double": 1.5}) is accepted on input too. Output lines always carry the full topic name, the key,
// and the value with every field present, in schema field order (map keys sorted).
import type { AvroType } from './load.ts';
import { contracts } from './load.ts';
import type { TopicContract, TopicName } from './topics.ts';
import { parseEquipmentPath, topics } from './topics.ts';
import { explain, validateWithType } from './validate.ts';

export interface ReplayRecord {
  /** Full topic name, e.g. linepulse.counts.v1. */
  readonly topic: string;
  readonly key: string;
  /** The event (plain JSON shape, all fields present) or, for XML topics, the XML text. */
  readonly value: unknown;
}

const byFullName = new Map<string, TopicContract>(Object.values(topics).map((c) => [c.topic, c]));

/** Finds a topic by full name (linepulse.counts.v1) or short name (counts). */
export function resolveTopic(name: string): TopicContract | undefined {
  return byFullName.get(name) ?? (Object.hasOwn(topics, name) ? topics[name as TopicName] : undefined);
}

/** The record key a contract derives from its value, when the value carries it. */
export function defaultKey(contract: TopicContract, value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const origin = v.origin as Record<string, unknown> | null | undefined;
  const key = contract.key === 'source' ? origin?.sourceId : v[contract.key];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

class ReplayLineError extends Error {
  constructor(lineNo: number, reason: string) {
    super(`line ${lineNo}: ${reason}`);
    this.name = 'ReplayLineError';
  }
}

const allowedLineKeys = new Set(['topic', 'key', 'value']);

/** Parses and validates one NDJSON line; throws an Error starting with `line <lineNo>:` and the reason. */
export function parseReplayLine(line: string, lineNo: number): ReplayRecord {
  const fail = (reason: string): never => {
    throw new ReplayLineError(lineNo, reason);
  };
  if (line.trim() === '') fail('empty line');
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    fail(`not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('expected a JSON object {"topic", "key"?, "value"}');
  const record = parsed as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => !allowedLineKeys.has(k));
  if (extra.length > 0) fail(`unexpected member(s) ${extra.map((k) => JSON.stringify(k)).join(', ')} (allowed: topic, key, value)`);
  if (typeof record.topic !== 'string') return fail('"topic" must be a string (a topic name or short name, e.g. "counts")');
  const contract = resolveTopic(record.topic);
  if (!contract)
    return fail(`unknown topic "${record.topic}" (known: ${Object.keys(topics).join(', ')}, or their full names such as ${topics.counts.topic})`);
  if (record.key !== undefined && (typeof record.key !== 'string' || record.key === '')) fail('"key" must be a non-empty string when present');
  if (!('value' in record)) fail('"value" is missing');

  let value: unknown;
  if (contract.schema === 'xml') {
    if (typeof record.value !== 'string' || !record.value.trimStart().startsWith('<'))
      fail(`${contract.topic}: "value" must be the B2MML XML document as a string`);
    value = record.value;
  } else {
    const type = recordType(contract.schema);
    const result = readValue(type, record.value);
    if (!result.ok) return fail(`${contract.topic} (${contract.schema}): ${result.errors.join('; ')}`);
    value = result.value;
  }

  const key = (record.key as string | undefined) ?? defaultKey(contract, value);
  if (key === undefined)
    return fail(`${contract.topic}: no key: give "key"${contract.schema === 'xml' ? '' : ` or set value.${contract.key === 'source' ? 'origin.sourceId' : contract.key}`}`);
  if (contract.key === 'equipment' && !parseEquipmentPath(key))
    fail(`${contract.topic}: key "${key}" is not an ISA-95 equipment path (enterprise/site/area/line/cell/equipment: 1 to 6 segments of [A-Za-z0-9][A-Za-z0-9_.-]{0,63})`);
  return { topic: contract.topic, key, value };
}

/** Parses a whole NDJSON text; blank lines are skipped, line numbers start at 1. */
export function parseReplay(text: string): ReplayRecord[] {
  const records: ReplayRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '') records.push(parseReplayLine(line, i + 1));
  });
  return records;
}

/**
 * One output line (no trailing newline): {"topic": <full name>, "key": ..., "value": ...} with every field of
 * the value present in schema order and map keys sorted, so equal records always give equal bytes.
 * Throws when the value does not match the topic's contract.
 */
export function formatReplayLine(record: { topic: string; key?: string | null; value: unknown }): string {
  const contract = resolveTopic(record.topic);
  if (!contract) throw new Error(`unknown topic "${record.topic}"`);
  let value: unknown = record.value;
  if (contract.schema !== 'xml') {
    const type = recordType(contract.schema);
    const result = validateWithType(type, value);
    if (!result.ok) throw new Error(`${contract.topic} (${contract.schema}): ${result.errors.join('; ')}`);
    value = toPlain(type, value);
  }
  const key = record.key ?? defaultKey(contract, value);
  if (key === undefined) throw new Error(`${contract.topic}: no key given and none in the value`);
  return JSON.stringify({ topic: contract.topic, key, value });
}

/**
 * The order of `linepulse replay` output: topic, key, event time, event id, then the line itself, so the
 * output does not depend on partitioning or timing.
 */
export function compareReplayRecords(a: ReplayRecord, b: ReplayRecord): number {
  return (
    compareText(a.topic, b.topic) ||
    compareText(a.key, b.key) ||
    compareNumber(field(a.value, 'eventTime'), field(b.value, 'eventTime')) ||
    compareText(String(field(a.value, 'eventId') ?? ''), String(field(b.value, 'eventId') ?? '')) ||
    compareText(formatReplayLine(a), formatReplayLine(b))
  );
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNumber(a: unknown, b: unknown): number {
  const x = typeof a === 'number' ? a : Number.NEGATIVE_INFINITY;
  const y = typeof b === 'number' ? b : Number.NEGATIVE_INFINITY;
  return x < y ? -1 : x > y ? 1 : 0;
}

function recordType(schema: string): AvroType {
  const type = contracts().byName.get(schema);
  if (!type) throw new Error(`topic table names schema "${schema}", which has no schemas/avro/${schema}.avsc`);
  return type;
}

type ReadResult = { ok: true; value: unknown } | { ok: false; errors: string[] };

/** Plain JSON shape first; failing that, the Avro JSON encoding; errors are those of the plain shape. */
function readValue(type: AvroType, value: unknown): ReadResult {
  const plain = validateWithType(type, value);
  if (plain.ok) return { ok: true, value: toPlain(type, value) };
  try {
    const decoded: unknown = type.fromString(JSON.stringify(value));
    if (type.isValid(decoded)) return { ok: true, value: toPlain(type, decoded) };
  } catch {
    // Not the Avro JSON encoding either: report against the plain shape.
  }
  return { ok: false, errors: explain(type, value) };
}

interface FieldLike {
  name: string;
  type: AvroType;
  defaultValue(): unknown;
}

/** A valid value as plain JSON data: records in field order with defaults filled in, map keys sorted. */
export function toPlain(type: AvroType, value: unknown): unknown {
  const kind = type.typeName;
  if (kind.startsWith('union')) {
    if (value === null) return null;
    const branch = (type as AvroType & { types: AvroType[] }).types.find((t) => t.typeName !== 'null' && t.isValid(value));
    return branch ? toPlain(branch, value) : value;
  }
  switch (kind) {
    case 'record':
    case 'error': {
      const out: Record<string, unknown> = {};
      const source = value as Record<string, unknown>;
      for (const f of (type as unknown as { fields: FieldLike[] }).fields) {
        const v = source[f.name] === undefined ? f.defaultValue() : source[f.name];
        out[f.name] = toPlain(f.type, v);
      }
      return out;
    }
    case 'array': {
      const items = (type as AvroType & { itemsType: AvroType }).itemsType;
      return (value as unknown[]).map((item) => toPlain(items, item));
    }
    case 'map': {
      const values = (type as AvroType & { valuesType: AvroType }).valuesType;
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(source).sort()) out[key] = toPlain(values, source[key]);
      return out;
    }
    case 'bytes':
    case 'fixed':
      // Avro JSON convention: one char per byte (ISO-8859-1).
      return Buffer.isBuffer(value) ? value.toString('latin1') : value;
    default:
      return value;
  }
}

// Validation of plain JS values against the Avro contracts, with errors that name the field path and the
// expected and actual types, e.g. `field origin.seq: expected long, got "abc"`. Pure: no I/O besides loading
// the contracts once.
//
// Rules (those of avsc's isValid, plus one):
// - a field with a default may be left out (undefined): it is written with its default;
// - nullable fields are ["null", T] unions: the value is null or a plain T (no {"T": ...} wrapping);
// - fields not declared in the schema are rejected, so a misspelt field name never silently vanishes.
import type { AvroType } from './load.ts';
import { contracts } from './load.ts';

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

/** At most this many errors are reported for one value. */
const maxErrors = 20;

/** Validates `value` against the record schema `schemaName` (e.g. 'Telemetry'). */
export function validateEvent(schemaName: string, value: unknown): ValidationResult {
  const type = contracts().byName.get(schemaName);
  if (!type) return { ok: false, errors: [unknownSchema(schemaName)] };
  return validateWithType(type, value);
}

/** Throws a plain Error listing every problem (joined with '; ') when `value` is not valid. */
export function assertValid(schemaName: string, value: unknown): void {
  const result = validateEvent(schemaName, value);
  if (!result.ok) throw new Error(`invalid ${schemaName}: ${result.errors.join('; ')}`);
}

const valid: ValidationResult = Object.freeze({ ok: true });
const strict = Object.freeze({ noUndeclaredFields: true });

/** Same as validateEvent for an already resolved avsc type (fast path: one isValid call when the value is valid). */
export function validateWithType(type: AvroType, value: unknown): ValidationResult {
  if (type.isValid(value, strict)) return valid;
  // Slow path: avsc also rejects an undeclared key whose value is undefined, which JSON would drop; so do we not.
  const errors = collectErrors(type, value);
  return errors.length === 0 ? valid : { ok: false, errors };
}

export function unknownSchema(schemaName: string): string {
  return `unknown schema "${schemaName}" (known: ${[...contracts().byName.keys()].join(', ')})`;
}

/** Lists what is wrong with `value` (for a value known to be invalid: never empty). */
export function explain(type: AvroType, value: unknown): string[] {
  const errors = collectErrors(type, value);
  return errors.length > 0 ? errors : [`value: not valid for ${describeType(type)}`];
}

function collectErrors(type: AvroType, value: unknown): string[] {
  const errors: string[] = [];
  let dropped = 0;
  const add = (message: string): void => {
    if (errors.includes(message)) return;
    if (errors.length < maxErrors) errors.push(message);
    else dropped += 1;
  };
  // Pass 1: type errors (every field is checked; undeclared fields are ignored here).
  type.isValid(value, {
    errorHook: (path, actual, expected) => add(describeProblem(type, path, actual, expected)),
  });
  // Pass 2: undeclared fields, at any depth (avsc stops at the first record holding one).
  findUndeclared(type, value, [], (path, record) =>
    add(`field ${formatPath(type, path)}: not declared in record ${shortName(record.name)}`),
  );
  if (dropped > 0) errors.push(`... and ${dropped} more`);
  return errors;
}

/** Reports every object key that its record type does not declare, walking records, unions, arrays and maps. */
function findUndeclared(type: AvroType, value: unknown, path: string[], report: (path: string[], record: AvroType) => void): void {
  const kind = type.typeName;
  if (kind.startsWith('union')) {
    const branches = (type as AvroType & { types: AvroType[] }).types;
    const branch = branches.find((t) => t.isValid(value)) ?? branches.find((t) => t.typeName === 'record' && isPlainObject(value));
    if (branch) findUndeclared(branch, value, path, report);
    return;
  }
  if ((kind === 'record' || kind === 'error') && isPlainObject(value)) {
    const fields = (type as unknown as RecordLike).fields;
    const declared = new Map(fields.map((f) => [f.name, f.type]));
    for (const [key, inner] of Object.entries(value)) {
      const fieldType = declared.get(key);
      if (fieldType === undefined) {
        if (inner !== undefined) report([...path, key], type);
      } else if (inner !== undefined) findUndeclared(fieldType, inner, [...path, key], report);
    }
    return;
  }
  if (kind === 'array' && Array.isArray(value)) {
    const items = (type as AvroType & { itemsType: AvroType }).itemsType;
    value.forEach((item, i) => findUndeclared(items, item, [...path, String(i)], report));
    return;
  }
  if (kind === 'map' && isPlainObject(value)) {
    const values = (type as AvroType & { valuesType: AvroType }).valuesType;
    for (const [key, inner] of Object.entries(value)) findUndeclared(values, inner, [...path, key], report);
  }
}

interface RecordLike {
  fields: Array<{ name: string; type: AvroType }>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function describeProblem(root: AvroType, path: string[], actual: unknown, expected: AvroType): string {
  const where = path.length === 0 ? 'value' : `field ${formatPath(root, path)}`;
  if (actual === undefined) return `${where}: missing, expected ${describeType(expected)}`;
  return `${where}: expected ${describeType(expected)}, got ${describeValue(actual)}`;
}

export function shortName(name: string | undefined): string {
  if (!name) return '?';
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(dot + 1);
}

/** 'long', 'null | double', 'enum Quality (GOOD | UNCERTAIN | BAD)', 'record Origin', 'array of string'. */
export function describeType(type: AvroType, depth = 0): string {
  const anyType = type as AvroType & { types?: AvroType[]; symbols?: string[]; itemsType?: AvroType; valuesType?: AvroType; size?: number };
  const typeName = type.typeName;
  if (typeName.startsWith('union')) return (anyType.types ?? []).map((t) => describeType(t, depth + 1)).join(' | ');
  switch (typeName) {
    case 'enum': {
      const symbols = anyType.symbols ?? [];
      const shown = symbols.length > 12 ? [...symbols.slice(0, 12), '...'] : symbols;
      return depth > 0 ? `enum ${shortName(type.name)}` : `enum ${shortName(type.name)} (${shown.join(' | ')})`;
    }
    case 'record':
    case 'error':
      return `record ${shortName(type.name)}`;
    case 'fixed':
      return `fixed ${shortName(type.name)} (${String(anyType.size)} bytes)`;
    case 'array':
      return anyType.itemsType ? `array of ${describeType(anyType.itemsType, depth + 1)}` : 'array';
    case 'map':
      return anyType.valuesType ? `map of ${describeType(anyType.valuesType, depth + 1)}` : 'map';
    default:
      return typeName;
  }
}

/** A short, exact rendering of an offending value. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': {
      const text = JSON.stringify(value);
      return text.length > 60 ? `${text.slice(0, 57)}..." (${value.length} chars)` : text;
    }
    case 'number':
      if (Number.isNaN(value) || !Number.isFinite(value)) return String(value);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) return `${value} (beyond 2^53)`;
      return String(value);
    case 'bigint':
      return `${value}n (bigint)`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'function':
    case 'symbol':
      return typeof value;
    default:
      if (Buffer.isBuffer(value)) return `Buffer(${value.length})`;
      if (Array.isArray(value)) return `array(${value.length})`;
      if (value instanceof Date) return `Date ${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()}`;
      try {
        const text = JSON.stringify(value);
        return text.length > 60 ? `${text.slice(0, 57)}...` : text;
      } catch {
        return 'object';
      }
  }
}

/** Turns avsc's path (field names, array indexes and map keys alike) into `origin.seq`, `values[3]`, `losses["setup"]`. */
export function formatPath(root: AvroType, path: string[]): string {
  let type: AvroType | undefined = root;
  let out = '';
  for (const segment of path) {
    type = type ? nonNullBranch(type, segment) : undefined;
    const kind: string | undefined = type?.typeName;
    if (kind === 'array') {
      out += `[${segment}]`;
      type = (type as AvroType & { itemsType: AvroType }).itemsType;
    } else if (kind === 'map') {
      out += `[${JSON.stringify(segment)}]`;
      type = (type as AvroType & { valuesType: AvroType }).valuesType;
    } else {
      out += out === '' ? segment : `.${segment}`;
      const field: { type: AvroType } | undefined =
        kind === 'record' || kind === 'error' ? (type as unknown as RecordLike).fields.find((f) => f.name === segment) : undefined;
      type = field?.type;
    }
  }
  return out;
}

/** For a union, the branch the path goes through (the record holding the field, or the array/map). */
function nonNullBranch(type: AvroType, segment: string): AvroType {
  if (!type.typeName.startsWith('union')) return type;
  const branches = (type as AvroType & { types: AvroType[] }).types.filter((t) => t.typeName !== 'null');
  const isIndex = /^\d+$/.test(segment);
  return (
    branches.find((t) => (t.typeName === 'record' || t.typeName === 'error') && (t as unknown as RecordLike).fields.some((f) => f.name === segment)) ??
    branches.find((t) => t.typeName === (isIndex ? 'array' : 'map')) ??
    branches[0] ??
    type
  );
}

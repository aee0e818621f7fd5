// Decoded Avro records as plain objects. avsc reads records into instances of a generated class per record
// type; the rest of linepulse expects plain data (the shape of schemas/generated/types.ts, prototype
// Object.prototype), so equality checks, structuredClone and spreading behave as for any JSON-born value.
// The converter is compiled once per type: per record it costs one object allocation.
import type { AvroType } from '../../schemas/index.ts';

type Convert = (value: unknown) => unknown;

const identity: Convert = (value) => value;

interface FieldLike {
  name: string;
  type: AvroType;
}

/** A function turning a value decoded with `type` into plain objects and arrays (identity when nothing to do). */
export function plainConverter(type: AvroType, seen = new Map<AvroType, Convert>()): Convert {
  const known = seen.get(type);
  if (known) return known;
  const kind = type.typeName;
  if (kind === 'record' || kind === 'error') {
    // Registered before the fields are compiled, so recursive types terminate (through `self`).
    let compiled: Convert = identity;
    const self: Convert = (value) => compiled(value);
    seen.set(type, self);
    const fields = (type as unknown as { fields: FieldLike[] }).fields.map((f) => ({ name: f.name, convert: plainConverter(f.type, seen) }));
    // One object literal of fixed shape per record (like avsc's own generated readers); names are quoted JSON.
    const converters = fields.map((f) => f.convert);
    const body = `return function (v) { return { ${fields
      .map((f, i) => `${JSON.stringify(f.name)}: ${f.convert === identity ? '' : `c${i}(`}v[${JSON.stringify(f.name)}]${f.convert === identity ? '' : ')'}`)
      .join(', ')} }; };`;
    compiled = new Function(...converters.map((_, i) => `c${i}`), body)(...converters) as Convert;
    return self;
  }
  if (kind.startsWith('union')) {
    const branches = (type as AvroType & { types: AvroType[] }).types.map((t) => [t, plainConverter(t, seen)] as const);
    const converting = branches.filter(([, c]) => c !== identity);
    if (converting.length === 0) return identity;
    const only = converting.length === 1 ? converting[0]?.[1] : undefined;
    // The usual ["null", Record]: any object is the record.
    if (only) return (value) => (value === null || typeof value !== 'object' ? value : only(value));
    return (value) => {
      if (value === null || typeof value !== 'object') return value;
      for (const [branch, convert] of branches) if (convert !== identity && branch.isValid(value)) return convert(value);
      return value;
    };
  }
  if (kind === 'array') {
    const items = plainConverter((type as AvroType & { itemsType: AvroType }).itemsType, seen);
    return items === identity ? identity : (value) => (value as unknown[]).map(items);
  }
  if (kind === 'map') {
    const values = plainConverter((type as AvroType & { valuesType: AvroType }).valuesType, seen);
    if (values === identity) return identity;
    return (value) => {
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(source)) out[key] = values(source[key]);
      return out;
    };
  }
  return identity;
}

// Loads the Avro contracts in schemas/avro into avsc types. Every .avsc file is the source of truth for its
// record; named types defined in one file (Origin, Quality, SpcLimits, MaterialKind, ...) may be referenced by
// name from any other file. Files are parsed in dependency order, worked out from the references themselves,
// so adding a file or a field that references a shared type needs no change here.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import avro from 'avsc';

export const avroDir = fileURLToPath(new URL('./avro/', import.meta.url));

/** Namespace given to a top-level schema that declares none. */
export const defaultNamespace = 'linepulse';

export type AvroType = avro.Type;

export interface LoadedSchemas {
  /** Record name (file name, e.g. 'Telemetry') -> avsc type with every reference resolved. */
  readonly byName: ReadonlyMap<string, AvroType>;
  /** Record name -> the schema as written in its file (JSON). */
  readonly sources: ReadonlyMap<string, unknown>;
  /** Record name -> the schema with every named type it uses defined inline at first use (no references to other files). */
  readonly selfContained: ReadonlyMap<string, unknown>;
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const primitiveNames = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const namedKinds = new Set(['record', 'error', 'enum', 'fixed']);

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Full name of a named type per the Avro spec: a dotted name is already full; otherwise it takes the namespace. */
export function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

function namespaceOf(full: string): string | undefined {
  const dot = full.lastIndexOf('.');
  return dot < 0 ? undefined : full.slice(0, dot);
}

interface Definition {
  readonly file: string;
  readonly schema: JsonObject;
}

interface Visitor {
  define(full: string, schema: JsonObject): void;
  reference(full: string): void;
}

/** Walks a schema the way an Avro parser does, reporting each named type definition and each reference by name. */
function visit(schema: Json, namespace: string | undefined, visitor: Visitor): void {
  if (typeof schema === 'string') {
    if (!primitiveNames.has(schema)) visitor.reference(fullName(schema, namespace));
    return;
  }
  if (Array.isArray(schema)) {
    for (const branch of schema) visit(branch, namespace, visitor);
    return;
  }
  if (!isObject(schema)) return;
  const type = schema.type;
  if (typeof type === 'string' && namedKinds.has(type)) {
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const full = fullName(String(schema.name), ns);
    visitor.define(full, schema);
    if (Array.isArray(schema.fields))
      for (const field of schema.fields) if (isObject(field)) visit(field.type, namespaceOf(full), visitor);
    return;
  }
  if (type === 'array') return visit(schema.items, namespace, visitor);
  if (type === 'map') return visit(schema.values, namespace, visitor);
  visit(type, namespace, visitor);
}

export function readSchemaFile(name: string, dir = avroDir): unknown {
  const file = join(dir, `${name}.avsc`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}

export function listSchemaNames(dir = avroDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.avsc'))
    .map((entry) => entry.name.slice(0, -'.avsc'.length))
    .sort();
}

/** Orders files so that every file comes after the files defining the named types it references. */
function dependencyOrder(names: string[], sources: Map<string, Json>, definitions: Map<string, Definition>): string[] {
  const dependsOn = new Map<string, Set<string>>();
  for (const name of names) {
    const own = new Set<string>();
    const deps = new Set<string>();
    visit(sources.get(name), defaultNamespace, {
      define: (full) => own.add(full),
      reference: (full) => {
        if (own.has(full)) return;
        const definition = definitions.get(full);
        if (!definition) throw new Error(`schemas/avro/${name}.avsc: unknown type "${full}" (defined in no .avsc file)`);
        if (definition.file !== name) deps.add(definition.file);
      },
    });
    dependsOn.set(name, deps);
  }
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const place = (name: string, chain: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting')
      throw new Error(`schemas/avro: files reference each other in a cycle: ${[...chain, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of [...(dependsOn.get(name) ?? [])].sort()) place(dep, [...chain, name]);
    state.set(name, 'done');
    ordered.push(name);
  };
  for (const name of names) place(name, []);
  return ordered;
}

/**
 * Rewrites `schema` so it references nothing outside itself: each named type is defined at its first use and
 * referenced by full name afterwards. Attributes (doc, default, aliases, enum default) are kept as written.
 */
function inline(schema: Json, namespace: string | undefined, definitions: Map<string, Definition>, defined: Set<string>): Json {
  if (typeof schema === 'string') {
    if (primitiveNames.has(schema)) return schema;
    const full = fullName(schema, namespace);
    if (defined.has(full)) return full;
    const definition = definitions.get(full);
    if (!definition) throw new Error(`unknown type "${full}"`);
    // Defined elsewhere: copy it here with an explicit namespace so it keeps its full name in any context.
    return inline(withNamespace(definition.schema, namespaceOf(full)), namespace, definitions, defined);
  }
  if (Array.isArray(schema)) return schema.map((branch) => inline(branch, namespace, definitions, defined));
  if (!isObject(schema)) return schema;
  const type = schema.type;
  if (typeof type === 'string' && namedKinds.has(type)) {
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const full = fullName(String(schema.name), ns);
    defined.add(full);
    if (!Array.isArray(schema.fields)) return { ...schema };
    const inner = namespaceOf(full);
    return {
      ...schema,
      fields: schema.fields.map((field: Json) =>
        isObject(field) ? { ...field, type: inline(field.type, inner, definitions, defined) } : field,
      ),
    };
  }
  if (type === 'array') return { ...schema, items: inline(schema.items, namespace, definitions, defined) };
  if (type === 'map') return { ...schema, values: inline(schema.values, namespace, definitions, defined) };
  return { ...schema, type: inline(type, namespace, definitions, defined) };
}

function withNamespace(schema: JsonObject, namespace: string | undefined): JsonObject {
  if (namespace === undefined || String(schema.name).includes('.') || typeof schema.namespace === 'string') return schema;
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    copy[key] = value;
    if (key === 'name') copy.namespace = namespace;
  }
  return copy;
}

/** Parses a schema that references nothing outside itself (a history snapshot, a registry schema). */
export function parseStandalone(schema: unknown): AvroType {
  return avro.Type.forSchema(schema as avro.Schema, { namespace: defaultNamespace });
}

export function loadSchemas(dir = avroDir): LoadedSchemas {
  const names = listSchemaNames(dir);
  const sources = new Map<string, Json>();
  const definitions = new Map<string, Definition>();
  for (const name of names) {
    const source = readSchemaFile(name, dir);
    sources.set(name, source);
    visit(source, defaultNamespace, {
      define: (full, schema) => {
        const previous = definitions.get(full);
        if (previous && previous.file !== name)
          throw new Error(`schemas/avro: type "${full}" is defined in both ${previous.file}.avsc and ${name}.avsc`);
        definitions.set(full, { file: name, schema });
      },
      reference: () => undefined,
    });
  }

  const registry: Record<string, AvroType> = {};
  const byName = new Map<string, AvroType>();
  for (const name of dependencyOrder(names, sources, definitions)) {
    try {
      byName.set(name, avro.Type.forSchema(sources.get(name) as avro.Schema, { registry, namespace: defaultNamespace }));
    } catch (error) {
      throw new Error(`schemas/avro/${name}.avsc: ${(error as Error).message}`, { cause: error });
    }
  }

  const selfContained = new Map<string, Json>();
  for (const name of names) selfContained.set(name, inline(sources.get(name), defaultNamespace, definitions, new Set()));

  // Keep the map order alphabetical (file order), whatever the parse order was.
  const sorted = new Map(names.map((name) => [name, byName.get(name) as AvroType]));
  return { byName: sorted, sources, selfContained };
}

let cached: LoadedSchemas | undefined;

/** The contracts of this checkout, loaded once per process. */
export function contracts(): LoadedSchemas {
  cached ??= loadSchemas();
  return cached;
}

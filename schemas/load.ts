// Loads the Avro contracts in schemas/avro into avsc types, resolving shared named types (Origin, Quality,
// SpcLimits, ...) through one registry. Every .avsc file is the source of truth for its record.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import avro from 'avsc';

const avroDir = fileURLToPath(new URL('./avro/', import.meta.url));

/** Files that only define shared named types, parsed first. */
const sharedTypes = ['Quality', 'Origin', 'SpcLimits'];

export type AvroType = avro.Type;

export interface LoadedSchemas {
  /** Record name (e.g. 'Telemetry') -> avsc type with every reference resolved. */
  readonly byName: ReadonlyMap<string, AvroType>;
  /** Record name -> the schema as written in its file (JSON). */
  readonly sources: ReadonlyMap<string, unknown>;
}

export function readSchemaFile(name: string, dir = avroDir): unknown {
  return JSON.parse(readFileSync(join(dir, `${name}.avsc`), 'utf8')) as unknown;
}

export function listSchemaNames(dir = avroDir): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.avsc'))
    .map((file) => file.slice(0, -'.avsc'.length))
    .sort();
}

export function loadSchemas(dir = avroDir): LoadedSchemas {
  const registry: Record<string, AvroType> = {};
  const byName = new Map<string, AvroType>();
  const sources = new Map<string, unknown>();
  const names = listSchemaNames(dir);
  const ordered = [...sharedTypes.filter((n) => names.includes(n)), ...names.filter((n) => !sharedTypes.includes(n))];
  for (const name of ordered) {
    const source = readSchemaFile(name, dir);
    sources.set(name, source);
    byName.set(name, avro.Type.forSchema(source as avro.Schema, { registry, namespace: 'linepulse' }));
  }
  return { byName, sources };
}

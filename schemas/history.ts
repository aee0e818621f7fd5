// Released versions of the contracts and the BACKWARD compatibility rule between them.
//
// schemas/avro/history/<Name>.v<N>.avsc holds version N of record <Name> exactly as released, self-contained
// (every named type it uses defined inline), so it never changes when a shared type evolves later. Rule: the
// current schema of a record must read data written with EVERY released version of it (BACKWARD, checked
// transitively here; the registry checks BACKWARD against the latest version). A breaking change is a new
// record on a new topic version (linepulse.<name>.v2), never a new version of the same contract.
//
// The embedded codec labels each record it writes with `<Name>@<N>` and resolves it from that version on read.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { AvroType, LoadedSchemas } from './load.ts';
import { contracts, parseStandalone } from './load.ts';
import { topics } from './topics.ts';

export const historyDir = fileURLToPath(new URL('./avro/history/', import.meta.url));

export interface ReleasedVersion {
  readonly name: string;
  readonly version: number;
  /** File name inside the history folder. */
  readonly file: string;
  readonly schema: unknown;
  readonly type: AvroType;
}

export type History = ReadonlyMap<string, readonly ReleasedVersion[]>;

const historyFilePattern = /^([A-Za-z_][A-Za-z0-9_]*)\.v([1-9][0-9]*)\.avsc$/;

export function historyFileName(name: string, version: number): string {
  return `${name}.v${version}.avsc`;
}

/** Every released version found in `dir`, by record name, oldest first. */
export function readHistory(dir = historyDir): Map<string, ReleasedVersion[]> {
  const history = new Map<string, ReleasedVersion[]>();
  if (!existsSync(dir)) return history;
  for (const file of readdirSync(dir).sort()) {
    const match = historyFilePattern.exec(file);
    if (!match) continue;
    const [, name = '', versionText = ''] = match;
    let schema: unknown;
    let type: AvroType;
    try {
      schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
      type = parseStandalone(schema);
    } catch (error) {
      throw new Error(`schemas/avro/history/${file}: ${(error as Error).message}`, { cause: error });
    }
    const versions = history.get(name) ?? [];
    versions.push({ name, version: Number(versionText), file, schema, type });
    history.set(name, versions);
  }
  for (const [name, versions] of history) {
    versions.sort((a, b) => a.version - b.version);
    versions.forEach((v, i) => {
      if (v.version !== i + 1) throw new Error(`schemas/avro/history: ${name} has no v${i + 1} (versions are numbered 1, 2, 3, ... without gaps)`);
    });
  }
  return history;
}

let cachedHistory: History | undefined;

/** The released versions of this checkout, read once per process. */
export function history(): History {
  cachedHistory ??= readHistory();
  return cachedHistory;
}

/** The records that are topic values (one Avro contract per topic, the XML topics excluded): the versioned contracts. */
export function topicRecordNames(): string[] {
  const names = new Set<string>();
  for (const contract of Object.values(topics)) if (contract.schema !== 'xml') names.add(contract.schema);
  return [...names].sort();
}

/**
 * Can a reader with schema `reader` decode data written with `writer` (Avro schema resolution)?
 * Returns undefined when it can, else the reason.
 */
export function checkBackward(reader: AvroType, writer: AvroType): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export interface CompatibilityProblem {
  readonly name: string;
  readonly version: number;
  readonly reason: string;
}

/** Every released version of every record must be readable by the record's current schema. */
export function checkHistoryCompatibility(
  schemas: LoadedSchemas = contracts(),
  released: History = history(),
): CompatibilityProblem[] {
  const problems: CompatibilityProblem[] = [];
  for (const [name, versions] of released) {
    const current = schemas.byName.get(name);
    for (const version of versions) {
      const reason = current
        ? checkBackward(current, version.type)
        : `no current schema schemas/avro/${name}.avsc for a released record (retire a contract with a new topic version, never by deleting it)`;
      if (reason) problems.push({ name, version: version.version, reason });
    }
  }
  return problems;
}

/** Label of a schema that is not (yet) a released version: `dev-` and 12 hex digits of its canonical fingerprint. */
export function devLabel(type: AvroType): string {
  return `dev-${type.fingerprint('sha256').toString('hex').slice(0, 12)}`;
}

export interface SchemaVersions {
  readonly name: string;
  readonly current: AvroType;
  /** What this process writes: the newest released version with the same canonical form as `current`, else a dev label. */
  readonly currentLabel: string;
  /** Every writer this process can read, by label ('1', '2', ..., and 'dev-...' for each canonical form known). */
  readonly writers: ReadonlyMap<string, AvroType>;
  /** Released version numbers, oldest first. */
  readonly released: readonly number[];
}

export function schemaVersions(name: string, schemas: LoadedSchemas = contracts(), released: History = history()): SchemaVersions {
  const current = schemas.byName.get(name);
  if (!current) throw new Error(`unknown schema "${name}"`);
  const versions = released.get(name) ?? [];
  const writers = new Map<string, AvroType>();
  let currentLabel: string | undefined;
  const currentFingerprint = current.fingerprint().toString('hex');
  for (const version of versions) {
    writers.set(String(version.version), version.type);
    // A record written while this version was still unreleased carries its dev label: keep reading it.
    writers.set(devLabel(version.type), version.type);
    if (version.type.fingerprint().toString('hex') === currentFingerprint) currentLabel = String(version.version);
  }
  if (currentLabel === undefined) {
    currentLabel = devLabel(current);
    writers.set(currentLabel, current);
  }
  return { name, current, currentLabel, writers, released: versions.map((v) => v.version) };
}

/** One attribute per line and one field per line: small, readable diffs between versions. */
export function formatSchemaFile(schema: unknown): string {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return `${JSON.stringify(schema)}\n`;
  const lines = Object.entries(schema).map(([key, value]) =>
    key === 'fields' && Array.isArray(value)
      ? `  "fields": [\n${value.map((field) => `    ${JSON.stringify(field)}`).join(',\n')}\n  ]`
      : `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  );
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** Sorted keys, no docs: two schemas that compare equal here are the same release. */
function releaseForm(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(releaseForm);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema).sort()) if (key !== 'doc') out[key] = releaseForm((schema as Record<string, unknown>)[key]);
  return out;
}

export function sameRelease(a: unknown, b: unknown): boolean {
  return JSON.stringify(releaseForm(a)) === JSON.stringify(releaseForm(b));
}

export interface ReleaseOutcome {
  readonly name: string;
  /** 'unchanged': the current schema is the latest release; 'released': a new version (file written unless dry run). */
  readonly action: 'unchanged' | 'released';
  readonly version: number;
  readonly file: string;
}

export interface ReleaseOptions {
  schemas?: LoadedSchemas;
  dir?: string;
  /** Records to version; default: the topic value records plus every record already in the history. */
  names?: readonly string[];
  /** Work out and check the release, write nothing. */
  dryRun?: boolean;
}

/**
 * Snapshots the current schema of every versioned record whose contract changed since its latest release as
 * the next version. Fails (writing nothing) when any change is not BACKWARD compatible with every release.
 */
export function releaseSchemas(options: ReleaseOptions = {}): ReleaseOutcome[] {
  const schemas = options.schemas ?? contracts();
  const dir = options.dir ?? historyDir;
  const released = readHistory(dir);
  const names = options.names ?? [...new Set([...topicRecordNames(), ...released.keys()])].sort();
  const outcomes: ReleaseOutcome[] = [];
  const writes: Array<{ file: string; text: string }> = [];
  const problems: string[] = [];
  for (const name of names) {
    const current = schemas.byName.get(name);
    const source = schemas.selfContained.get(name);
    if (!current || source === undefined) {
      problems.push(`${name}: no schema file schemas/avro/${name}.avsc`);
      continue;
    }
    const versions = released.get(name) ?? [];
    const latest = versions.at(-1);
    if (latest && sameRelease(latest.schema, source)) {
      outcomes.push({ name, action: 'unchanged', version: latest.version, file: latest.file });
      continue;
    }
    for (const version of versions) {
      const reason = checkBackward(current, version.type);
      if (reason) problems.push(`${name}: cannot read data written with ${version.file}: ${reason}`);
    }
    const version = (latest?.version ?? 0) + 1;
    const file = historyFileName(name, version);
    outcomes.push({ name, action: 'released', version, file });
    writes.push({ file, text: formatSchemaFile(source) });
  }
  if (problems.length > 0) throw new Error(`schema release refused:\n  ${problems.join('\n  ')}`);
  if (!options.dryRun && writes.length > 0) {
    mkdirSync(dir, { recursive: true });
    for (const { file, text } of writes) writeFileSync(join(dir, file), text, { flag: 'wx' });
  }
  return outcomes;
}

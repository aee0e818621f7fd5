import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  checkBackward,
  checkHistoryCompatibility,
  devLabel,
  history,
  historyDir,
  readHistory,
  releaseSchemas,
  schemaVersions,
} from './history.ts';
import { avroDir, contracts, loadSchemas, parseStandalone } from './load.ts';

const scratch = mkdtempSync(join(tmpdir(), 'lp-schemas-history-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
/** A copy of schemas/avro (and its history) where `edit` may change one contract. */
function checkout(edit?: (avro: string) => void): { avro: string; history: string } {
  copies += 1;
  const avro = join(scratch, `avro-${copies}`);
  cpSync(avroDir, avro, { recursive: true });
  edit?.(avro);
  return { avro, history: join(avro, 'history') };
}

function editSchema(avro: string, name: string, change: (schema: { fields: Array<Record<string, unknown>> } & Record<string, unknown>) => void): void {
  const file = join(avro, `${name}.avsc`);
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { fields: Array<Record<string, unknown>> } & Record<string, unknown>;
  change(schema);
  writeFileSync(file, JSON.stringify(schema));
}

/** Telemetry as released (v1) with one change, parsed standalone. */
function evolvedTelemetry(change: (schema: { fields: Array<Record<string, unknown>> }) => void) {
  const schema = structuredClone(contracts().selfContained.get('Telemetry')) as { fields: Array<Record<string, unknown>> };
  change(schema);
  return parseStandalone(schema);
}

const telemetryV1 = () => {
  const v1 = history().get('Telemetry')?.[0];
  if (!v1) throw new Error('no Telemetry v1');
  return v1.type;
};

describe('schema history > BACKWARD compatibility', () => {
  // Releasing is not required while a contract is being developed (its records carry a dev label, see
  // 'schema history > versions'); `npm run schemas:release -- --check` is the gate before shipping.

  test('every historical version of every record is readable by the current schema', () => {
    expect(checkHistoryCompatibility()).toEqual([]);
  });

  test('the check catches an incompatible change: a new field without default', () => {
    const { avro } = checkout((dir) => editSchema(dir, 'Telemetry', (s) => s.fields.push({ name: 'line', type: 'string' })));
    const problems = checkHistoryCompatibility(loadSchemas(avro), history());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ name: 'Telemetry', version: 1 });
    expect(problems[0]?.reason).toMatch(/line/);
  });

  test.each([
    ['a changed field type', (s: { fields: Array<Record<string, unknown>> }) => void (s.fields[1] = { name: 'eventTime', type: 'string' })],
    ['a removed enum symbol', (s: { fields: Array<Record<string, unknown>> }) => {
      const quality = s.fields.find((f) => f.name === 'quality') as { type: { symbols: string[]; default?: string } };
      quality.type = { ...quality.type, symbols: ['GOOD', 'UNCERTAIN'] };
      delete quality.type.default;
    }],
    ['a renamed field without alias', (s: { fields: Array<Record<string, unknown>> }) => void (s.fields[3] = { name: 'tagName', type: 'string' })],
  ])('the check catches %s', (_label, change) => {
    expect(checkBackward(evolvedTelemetry(change), telemetryV1())).toBeTypeOf('string');
  });

  test.each([
    ['a new optional field', (s: { fields: Array<Record<string, unknown>> }) => void s.fields.push({ name: 'line', type: ['null', 'string'], default: null })],
    ['a removed field', (s: { fields: Array<Record<string, unknown>> }) => void s.fields.splice(3, 1)],
    ['a renamed field with an alias', (s: { fields: Array<Record<string, unknown>> }) => void (s.fields[3] = { name: 'tagName', type: 'string', aliases: ['tag'] })],
    ['an int widened to long', (s: { fields: Array<Record<string, unknown>> }) => void s.fields.push({ name: 'n', type: 'long', default: 0 })],
  ])('the check accepts %s', (_label, change) => {
    expect(checkBackward(evolvedTelemetry(change), telemetryV1())).toBeUndefined();
  });

  test('an old record really decodes with the evolved schema (new field gets its default)', () => {
    const evolved = evolvedTelemetry((s) => s.fields.push({ name: 'line', type: ['null', 'string'], default: null }));
    const v1 = telemetryV1();
    const old = { eventId: 'e', eventTime: 1, equipment: 'a/b', tag: 't', quality: 'GOOD', origin: { sourceId: 's', seq: 1, edgeTime: 1 } };
    const decoded = evolved.fromBuffer(v1.toBuffer(old), evolved.createResolver(v1)) as Record<string, unknown>;
    expect(decoded.line).toBeNull();
    expect(decoded.tag).toBe('t');
  });
});

describe('schema history > files', () => {
  test('history files are named <Name>.v<N>.avsc, self-contained, and numbered without gaps', () => {
    for (const file of readdirSync(historyDir)) expect(file).toMatch(/^[A-Za-z]+\.v[1-9][0-9]*\.avsc$/);
    expect(() => readHistory()).not.toThrow();
  });

  test('the loader inlines shared types so a snapshot parses on its own and equals the current type', () => {
    for (const [name, type] of contracts().byName) expect(parseStandalone(contracts().selfContained.get(name)).equals(type), name).toBe(true);
  });
});

describe('schema history > versions', () => {
  test('the current schema writes as its released version', () => {
    const versions = schemaVersions('Telemetry');
    expect(versions.released[0]).toBe(1);
    expect(versions.writers.get('1')?.equals(telemetryV1())).toBe(true);
  });

  test('a schema changed since its release writes with a dev label and still reads v1', () => {
    const { avro } = checkout((dir) => editSchema(dir, 'Telemetry', (s) => s.fields.push({ name: 'line', type: ['null', 'string'], default: null })));
    const schemas = loadSchemas(avro);
    const versions = schemaVersions('Telemetry', schemas, history());
    expect(versions.currentLabel).toBe(devLabel(schemas.byName.get('Telemetry')!));
    expect(versions.currentLabel).toMatch(/^dev-[0-9a-f]{12}$/);
    expect([...versions.writers.keys()]).toContain('1');
  });

  test('a record never released is written with a dev label', () => {
    const versions = schemaVersions('Origin');
    expect(versions.released).toEqual([]);
    expect(versions.currentLabel).toMatch(/^dev-[0-9a-f]{12}$/);
    expect([...versions.writers.keys()]).toEqual([versions.currentLabel]);
  });

  test('a doc-only change is not a new version', () => {
    const { avro } = checkout((dir) => editSchema(dir, 'Telemetry', (s) => void (s.doc = 'Reworded.')));
    expect(schemaVersions('Telemetry', loadSchemas(avro), history()).currentLabel).toBe(String(history().get('Telemetry')?.at(-1)?.version));
  });
});

describe('schema history > release', () => {
  test('snapshots a compatible change as the next version, once', () => {
    const dirs = checkout((dir) => editSchema(dir, 'Telemetry', (s) => s.fields.push({ name: 'line', type: ['null', 'string'], default: null })));
    const schemas = loadSchemas(dirs.avro);
    const outcomes = releaseSchemas({ schemas, dir: dirs.history });
    // (Other contracts may have pending changes of their own in the working tree: only Telemetry is looked at.)
    expect(outcomes.find((o) => o.name === 'Telemetry')).toEqual({ name: 'Telemetry', action: 'released', version: 2, file: 'Telemetry.v2.avsc' });
    expect(existsSync(join(dirs.history, 'Telemetry.v2.avsc'))).toBe(true);
    const released = readHistory(dirs.history);
    expect(released.get('Telemetry')?.[1]?.type.equals(schemas.byName.get('Telemetry')!)).toBe(true);
    expect(schemaVersions('Telemetry', schemas, released).currentLabel).toBe('2');
    expect(releaseSchemas({ schemas, dir: dirs.history }).every((o) => o.action === 'unchanged')).toBe(true);
  });

  test('refuses an incompatible change and writes nothing', () => {
    const dirs = checkout((dir) => editSchema(dir, 'Telemetry', (s) => s.fields.push({ name: 'line', type: 'string' })));
    const before = readdirSync(dirs.history).sort();
    expect(() => releaseSchemas({ schemas: loadSchemas(dirs.avro), dir: dirs.history })).toThrow(/Telemetry: cannot read data written with Telemetry\.v1\.avsc/);
    expect(readdirSync(dirs.history).sort()).toEqual(before);
  });

  test('a dry run reports a pending release without writing it', () => {
    const dirs = checkout((dir) => editSchema(dir, 'Alert', (s) => s.fields.push({ name: 'shift', type: ['null', 'string'], default: null })));
    const outcomes = releaseSchemas({ schemas: loadSchemas(dirs.avro), dir: dirs.history, dryRun: true });
    expect(outcomes.find((o) => o.name === 'Alert')).toMatchObject({ action: 'released', version: 2 });
    expect(existsSync(join(dirs.history, 'Alert.v2.avsc'))).toBe(false);
  });
});

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { avroDir, contracts, loadSchemas, parseStandalone } from './load.ts';

const scratch = mkdtempSync(join(tmpdir(), 'lp-schemas-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
function dirWith(files: Record<string, unknown>, copyContracts = false): string {
  n += 1;
  const dir = join(scratch, `d${n}`);
  if (copyContracts) cpSync(avroDir, dir, { recursive: true });
  else cpSync(avroDir, dir, { recursive: true, filter: (src) => src === avroDir });
  for (const [name, schema] of Object.entries(files)) writeFileSync(join(dir, `${name}.avsc`), typeof schema === 'string' ? schema : JSON.stringify(schema));
  return dir;
}

const record = (name: string, fields: unknown[]) => ({ type: 'record', name, namespace: 'linepulse', fields });

describe('schemas/load', () => {
  test('loads every contract of the checkout', () => {
    const names = [...contracts().byName.keys()];
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['Origin', 'Quality', 'SpcLimits', 'Telemetry', 'OeeWindow']));
  });

  test('orders files by their references: a new shared type in a file sorting after its user', () => {
    const dir = dirWith({
      Asset: record('Asset', [{ name: 'zone', type: 'Zone' }, { name: 'origin', type: 'Origin' }]),
      Zone: { type: 'enum', name: 'Zone', namespace: 'linepulse', symbols: ['RED', 'GREEN'] },
    }, true);
    const loaded = loadSchemas(dir);
    expect(loaded.byName.get('Asset')?.isValid({ zone: 'RED', origin: { sourceId: 's', seq: 1, edgeTime: 1 } })).toBe(true);
  });

  test('a type defined inside another record file can be referenced by name', () => {
    const dir = dirWith({ Aaa: record('Aaa', [{ name: 'kind', type: 'MaterialKind' }]) }, true);
    const loaded = loadSchemas(dir);
    expect(loaded.byName.get('Aaa')?.isValid({ kind: 'LOT' })).toBe(true);
    // Self-contained: MaterialKind is defined inline (with its namespace), so the schema parses on its own.
    const standalone = parseStandalone(loaded.selfContained.get('Aaa'));
    expect(standalone.equals(loaded.byName.get('Aaa')!)).toBe(true);
    expect(JSON.stringify(loaded.selfContained.get('Aaa'))).toContain('"name":"MaterialKind","namespace":"linepulse","symbols":["LOT","SERIAL","CONTAINER"]');
  });

  test('a type used twice is defined once, then referenced by full name', () => {
    const dir = dirWith({ Pair: record('Pair', [{ name: 'a', type: 'Origin' }, { name: 'b', type: ['null', 'Origin'], default: null }]) }, true);
    const schema = loadSchemas(dir).selfContained.get('Pair') as { fields: Array<{ type: unknown }> };
    expect(schema.fields[1]?.type).toEqual(['null', 'linepulse.Origin']);
  });

  test('an added optional field, even one using a shared type, loads and validates plain objects', () => {
    const dir = dirWith({}, true);
    const file = join(dir, 'Telemetry.avsc');
    const schema = contracts().sources.get('Telemetry') as { fields: unknown[] };
    writeFileSync(file, JSON.stringify({ ...schema, fields: [...schema.fields, { name: 'limits', type: ['null', 'SpcLimits'], default: null }] }));
    const type = loadSchemas(dir).byName.get('Telemetry');
    expect(type?.isValid({ eventId: 'e', eventTime: 1, equipment: 'a', tag: 't', quality: 'GOOD', origin: { sourceId: 's', seq: 1, edgeTime: 1 } })).toBe(true);
  });

  test('errors name the file: unknown type, duplicate definition, cycle, bad JSON', () => {
    expect(() => loadSchemas(dirWith({ A: record('A', [{ name: 'x', type: 'Nope' }]) }))).toThrow('schemas/avro/A.avsc: unknown type "linepulse.Nope"');
    expect(() =>
      loadSchemas(dirWith({ A: { type: 'enum', name: 'E', symbols: ['X'] }, B: record('B', [{ name: 'e', type: { type: 'enum', name: 'E', symbols: ['Y'] } }]) })),
    ).toThrow('type "linepulse.E" is defined in both A.avsc and B.avsc');
    expect(() =>
      loadSchemas(dirWith({ A: record('A', [{ name: 'b', type: ['null', 'B'], default: null }]), B: record('B', [{ name: 'a', type: ['null', 'A'], default: null }]) })),
    ).toThrow(/cycle: A -> B -> A/);
    expect(() => loadSchemas(dirWith({ Broken: '{"type": "record",' }))).toThrow(/Broken\.avsc: /);
  });

  test('ignores the history folder and non-.avsc files', () => {
    const dir = dirWith({}, true);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    expect([...loadSchemas(dir).byName.keys()]).toEqual([...contracts().byName.keys()]);
  });
});

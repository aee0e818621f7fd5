import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generatedTypesPath, generateTypes } from './codegen.ts';

describe('schemas/generated/types.ts', () => {
  test('is up to date with the .avsc files (run `npm run schemas:gen` when this fails)', () => {
    expect(readFileSync(generatedTypesPath, 'utf8') === generateTypes(), 'schemas/generated/types.ts is stale: run `npm run schemas:gen`').toBe(true);
  });

  test('maps every Avro construct to a TypeScript type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lp-codegen-'));
    try {
      writeFileSync(join(dir, 'Shared.avsc'), JSON.stringify({ type: 'enum', name: 'Shared', namespace: 'linepulse', symbols: ['A', 'B'] }));
      writeFileSync(
        join(dir, 'Thing.avsc'),
        JSON.stringify({
          type: 'record',
          name: 'Thing',
          namespace: 'linepulse',
          doc: 'A thing.',
          fields: [
            { name: 'id', type: 'string', doc: 'Its id.' },
            { name: 'n', type: ['null', 'long'], default: null },
            { name: 'digest', type: { type: 'fixed', name: 'Digest', size: 16 } },
            { name: 'blob', type: 'bytes' },
            { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'string' } } },
            { name: 'shared', type: 'Shared' },
            { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
          ],
        }),
      );
      const text = generateTypes(dir);
      expect(text).toContain(`export type Shared = 'A' | 'B';`);
      expect(text).toContain(
        ['/** A thing. */', 'export interface Thing {', '  /** Its id. */', '  id: string;', '  n: null | number;', '  digest: Buffer;', '  blob: Buffer;', '  tags: Record<string, Array<string>>;', '  shared: Shared;', '  at: number;', '}'].join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

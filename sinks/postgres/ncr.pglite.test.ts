// The NCR draft store contract on embedded PGlite: one instance for this file, a fresh schema per test.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { openPostgres, type Db } from './db.ts';
import { ncrContract } from './ncr-contract.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-pglite-ncr-'));
let db: Db;
beforeAll(async () => {
  db = await openPostgres({ dataDir, logger: silentLogger() });
}, 120_000);
afterAll(async () => {
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

ncrContract('PGlite (embedded)', async () => {
  const schema = `lp_ncr_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await db.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
  return {
    db,
    async cleanup() {
      await db.exec(`SET search_path TO public; DROP SCHEMA ${schema} CASCADE`);
    },
  };
});

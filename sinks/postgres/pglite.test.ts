// The PostgreSQL contract suite on embedded PGlite: one file-backed instance for this file (creating one costs
// seconds of WASM start-up), a fresh schema per test.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { postgresContract } from './contract.ts';
import { openPostgres, type Db } from './db.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-pglite-'));
let db: Db;
beforeAll(async () => {
  db = await openPostgres({ dataDir, logger: silentLogger() });
}, 120_000); // PGlite start-up (WASM initdb) takes seconds, more on a loaded machine
afterAll(async () => {
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

postgresContract('PGlite (embedded)', async () => {
  // PGlite is one session, so the search_path set here holds for every statement of the test.
  const schema = `lp_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await db.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
  return {
    db,
    async cleanup() {
      await db.exec(`SET search_path TO public; DROP SCHEMA ${schema} CASCADE`);
    },
  };
});

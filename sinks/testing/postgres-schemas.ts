// A fresh schema per test for the PostgreSQL store contracts, on both adapters the contracts run against:
// - embedded PGlite: one file-backed instance per test file (creating one costs seconds of WASM start-up); PGlite is
//   one session, so the search_path set per test holds for every statement of the test;
// - the real PostgreSQL server of the test stack through `pg`: the schema is selected for every pooled connection by
//   the connection string's search_path option.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { requireService, uniqueName } from '../../test/services.ts';
import { openPostgres, type Db } from '../postgres/db.ts';

export interface SchemaScope {
  db: Db;
  cleanup(): Promise<void>;
}

/** Registers the file's PGlite instance (beforeAll/afterAll); returns the per-test schema factory. */
export function pgliteSchemas(prefix: string): () => Promise<SchemaScope> {
  const dataDir = mkdtempSync(join(tmpdir(), `linepulse-pglite-${prefix}-`));
  let db: Db;
  beforeAll(async () => {
    db = await openPostgres({ dataDir, logger: silentLogger() });
  }, 120_000); // PGlite start-up (WASM initdb) takes seconds, more on a loaded machine
  afterAll(async () => {
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return async () => {
    const schema = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await db.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
    return {
      db,
      async cleanup() {
        await db.exec(`SET search_path TO public; DROP SCHEMA ${schema} CASCADE`);
      },
    };
  };
}

/** The per-test schema factory on the stack's PostgreSQL server. */
export function postgresSchemas(prefix: string): () => Promise<SchemaScope> {
  return async () => {
    const url = requireService('postgres');
    const schema = uniqueName(prefix);
    const admin = await openPostgres({ url, dataDir: '.', logger: silentLogger(), maxConnections: 1 });
    await admin.exec(`CREATE SCHEMA ${schema}`);
    const scoped = new URL(url);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    const db = await openPostgres({ url: scoped.toString(), dataDir: '.', logger: silentLogger() });
    return {
      db,
      async cleanup() {
        await db.close();
        await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      },
    };
  };
}

// Versioned PostgreSQL migrations: ordered plain-SQL files in ./migrations (NNNN_name.sql), applied by umzug
// through the `Db` interface, so the very same SQL runs on PGlite and on a PostgreSQL server
// (docs/decisions/0004-storage.md says why umzug).
//
// Each migration runs in one transaction that also records it in `linepulse_migrations`, under a transaction
// advisory lock: two processes starting at once (sinks and dashboard on one server) apply each file once, and
// a failed file leaves neither its changes nor its record behind.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Logger } from '../../platform/log.ts';
import type { Db } from './db.ts';

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Arbitrary constant: the advisory lock key of linepulse's migrations. */
const lockKey = 7_346_211;

export interface SqlMigration {
  name: string;
  sql: string;
  checksum: string;
}

/** The migration files in order. */
export function listMigrations(dir = migrationsDir): SqlMigration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return { name: file.slice(0, -'.sql'.length), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const ledger = `CREATE TABLE IF NOT EXISTS linepulse_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Applies pending migrations; returns the names applied now. Throws if an applied file was edited afterwards. */
export async function migratePostgres(db: Db, logger: Logger, dir = migrationsDir): Promise<string[]> {
  const log = logger.child({ component: 'postgres-migrate' });
  const migrations = listMigrations(dir);
  await db.exec(ledger);

  const applied = await db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM linepulse_migrations');
  for (const row of applied) {
    const file = migrations.find((m) => m.name === row.name);
    if (file && file.checksum !== row.checksum) {
      throw new Error(`PostgreSQL migration ${row.name} was changed after it was applied (${db.address}); add a new migration instead`);
    }
  }

  // The record is written inside each migration's own transaction (see `up`), so the storage only reads.
  const storage: UmzugStorage = {
    async executed() {
      return (await db.query<{ name: string }>('SELECT name FROM linepulse_migrations ORDER BY name')).map((r) => r.name);
    },
    async logMigration() {},
    async unlogMigration() {
      throw new Error('linepulse migrations are forward-only');
    },
  };

  const appliedNow: string[] = [];
  const umzug = new Umzug({
    storage,
    logger: undefined,
    migrations: migrations.map((migration) => ({
      name: migration.name,
      up: () =>
        db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
          // Another process may have applied it while we waited for the lock.
          const done = await tx.query('SELECT 1 FROM linepulse_migrations WHERE name = $1', [migration.name]);
          if (done.length > 0) return;
          await tx.exec(migration.sql);
          await tx.query('INSERT INTO linepulse_migrations (name, checksum) VALUES ($1, $2)', [migration.name, migration.checksum]);
          appliedNow.push(migration.name);
        }),
    })),
  });

  await umzug.up();
  const names = appliedNow;
  if (names.length > 0) log.info({ migrations: names, store: db.kind }, 'PostgreSQL migrations applied');
  return names;
}

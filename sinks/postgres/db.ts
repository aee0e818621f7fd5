// One small database interface for PostgreSQL, implemented twice: embedded PGlite (PostgreSQL compiled to WASM,
// file-backed under `<dataDir>/pglite`) when DATABASE_URL is unset, and a `pg` pool to a PostgreSQL server when
// it is set. Migrations, writers and queries use only this interface, so the same SQL runs on both.
//
// Portability rules for the SQL above this file: the two drivers parse some types differently (int8, numeric,
// timestamptz), so queries return int4, float8, text, bool or jsonb, and times as epoch milliseconds (float8).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceUnreachableError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';

export interface Queryable {
  /** One statement with $1..$n parameters; returns the rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /** 'pglite' (embedded) or 'postgres' (server). */
  readonly kind: 'pglite' | 'postgres';
  /** Server URL without credentials, or the PGlite data directory. */
  readonly address: string;
  /** Runs `work` in one transaction: commit when it resolves, rollback when it throws (the error is rethrown). */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** DATABASE_URL; unset means embedded PGlite under `<dataDir>/pglite`. */
  url?: string | undefined;
  dataDir: string;
  logger: Logger;
  /** Pool size for a server. Default 5. */
  maxConnections?: number;
}

/** Opens the database (no migration); throws ServiceUnreachableError when it cannot be reached. */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const logger = options.logger.child({ component: 'postgres' });
  const db = options.url
    ? await openServer(options.url, options.maxConnections ?? 5)
    : await openPglite(join(options.dataDir, 'pglite'));
  logger.info({ kind: db.kind, address: db.address }, 'PostgreSQL store open');
  return db;
}

/** An error the database answered with (SQL state), as one line naming the store; other failures are unreachable. */
function refused(cause: unknown, service: string, address: string): Error {
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new Error(`${service} refused the statement: ${message.split('\n')[0]} (SQLSTATE ${code})`, { cause });
  }
  return new ServiceUnreachableError(service, address, cause);
}

async function openPglite(dir: string): Promise<Db> {
  mkdirSync(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  let pglite: InstanceType<typeof PGlite>;
  try {
    pglite = await PGlite.create(dir);
  } catch (cause) {
    throw new ServiceUnreachableError('PostgreSQL (PGlite)', dir, cause);
  }
  const service = 'PostgreSQL (PGlite)';
  type PgliteQueryable = Pick<InstanceType<typeof PGlite>, 'query' | 'exec'>;
  const wrap = (target: PgliteQueryable): Queryable => ({
    async query<R>(sql: string, params: readonly unknown[] = []) {
      try {
        return (await target.query<R>(sql, params as unknown[])).rows;
      } catch (cause) {
        throw refused(cause, service, dir);
      }
    },
    async exec(sql: string) {
      try {
        await target.exec(sql);
      } catch (cause) {
        throw refused(cause, service, dir);
      }
    },
  });
  const root = wrap(pglite);
  return {
    kind: 'pglite',
    address: dir,
    ...root,
    // PGlite runs one statement at a time and serialises transactions itself.
    transaction: (work) => pglite.transaction((tx) => work(wrap(tx))),
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}

async function openServer(url: string, max: number): Promise<Db> {
  const { default: pg } = await import('pg');
  const address = redactUrl(url);
  const service = 'PostgreSQL';
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // An idle client that loses its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new ServiceUnreachableError(service, address, cause);
  }
  type PgQueryable = Pick<InstanceType<typeof pg.Pool>, 'query'>;
  const wrap = (target: PgQueryable): Queryable => ({
    async query<R>(sql: string, params: readonly unknown[] = []) {
      try {
        return (await target.query(sql, params as unknown[])).rows as R[];
      } catch (cause) {
        throw refused(cause, service, address);
      }
    },
    async exec(sql: string) {
      try {
        // Without parameters pg uses the simple query protocol, which runs a multi-statement script.
        await target.query(sql);
      } catch (cause) {
        throw refused(cause, service, address);
      }
    },
  });
  const root = wrap(pool);
  let closed = false;
  return {
    kind: 'postgres',
    address,
    ...root,
    async transaction(work) {
      let client;
      try {
        client = await pool.connect();
      } catch (cause) {
        throw new ServiceUnreachableError(service, address, cause);
      }
      const tx = wrap(client);
      try {
        await tx.exec('BEGIN');
        let result: Awaited<ReturnType<typeof work>>;
        try {
          result = await work(tx);
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        await tx.exec('COMMIT');
        return result;
      } finally {
        client.release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.password = '';
    return url.toString();
  } catch {
    return raw;
  }
}

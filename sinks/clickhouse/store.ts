// The ClickHouse store: one `@clickhouse/client` client whose connection is chosen by config. With no
// CLICKHOUSE_URL it is chDB, the real ClickHouse engine running in this process on files under
// `<dataDir>/chdb`; with CLICKHOUSE_URL it is the HTTP connection to a ClickHouse server. Everything above this
// file (DDL, inserts, queries) is the same SQL for both.
//
// chDB facts this file respects (see docs/decisions/0004-storage.md):
// - one engine data directory per process: open the store once per process and share it;
// - settings passed as `clickhouse_settings` become session-wide `SET`s on chDB (they stick to later
//   statements), so no code here passes per-query settings; everything needed is in the SQL itself.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, parseError, type ClickHouseClient } from '@clickhouse/client';
import { ServiceUnreachableError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';
import { defaultRetention, ttlClause, type ClickHouseRetention } from './retention.ts';
import { createTableStatements, databaseStatement, expectedTtls } from './tables.ts';

export interface ClickHouseStoreOptions {
  /** CLICKHOUSE_URL; unset means embedded chDB under `<dataDir>/chdb`. */
  url?: string | undefined;
  dataDir: string;
  /** Database holding linepulse's tables. Default 'linepulse'. Tests use one per test. */
  database?: string;
  logger: Logger;
  /** Retention of raw data and rollups (config section sinks.retention); default 90 d / 5 y / 25 y. */
  retention?: ClickHouseRetention;
}

export interface ClickHouseStore {
  /** 'chdb' (in-process engine) or 'server' (HTTP). */
  readonly kind: 'chdb' | 'server';
  /** URL of the server or the chDB data directory, for errors and logs. */
  readonly address: string;
  readonly database: string;
  readonly retention: ClickHouseRetention;
  /** Creates the database, the tables and the rollup views if missing, and moves TTLs to the config (idempotent). */
  migrate(): Promise<void>;
  /** Inserts rows (objects keyed by column name) into a table of `database` as one insert. */
  insert(table: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<void>;
  /** Runs a SELECT with `{name:Type}` parameters; returns the rows as objects. */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Runs a statement that returns nothing (DDL, OPTIMIZE). */
  command(sql: string): Promise<void>;
  /** True when the engine answers a `SELECT 1`. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

type ClickHouseConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Opens (but does not migrate) the store; throws ServiceUnreachableError when the engine cannot be reached. */
export async function openClickHouse(options: ClickHouseStoreOptions): Promise<ClickHouseStore> {
  const database = options.database ?? 'linepulse';
  if (!identifier.test(database)) throw new Error(`invalid ClickHouse database name '${database}'`);
  const logger = options.logger.child({ component: 'clickhouse' });

  // The client's own log goes to ours at debug: every failure it logs is also thrown, and reported once by us.
  class ClientLog {
    trace() {}
    debug(p: { message: string; module: string }) {
      logger.debug({ module: p.module }, p.message);
    }
    info(p: { message: string; module: string }) {
      logger.debug({ module: p.module }, p.message);
    }
    warn(p: { message: string; module: string; err?: Error }) {
      logger.debug({ module: p.module, err: p.err?.message }, p.message);
    }
    error(p: { message: string; module: string; err: Error }) {
      logger.debug({ module: p.module, err: p.err.message }, p.message);
    }
  }
  const log = { LoggerClass: ClientLog };

  let client: ClickHouseClient;
  /** chDB's raw insert (the payload handed to the engine's parser as bytes); null on a server. */
  let rawInsert: RawInsert | null = null;
  let kind: ClickHouseStore['kind'];
  let address: string;
  if (options.url) {
    kind = 'server';
    address = redactUrl(options.url);
    client = createClient({ url: options.url, request_timeout: 30_000, compression: { request: false, response: true }, log });
  } else {
    kind = 'chdb';
    address = join(options.dataDir, 'chdb');
    mkdirSync(address, { recursive: true });
    // Loaded only when needed: the ~500 MB engine is not touched when a server is configured.
    const { createChdbConnection } = await import('chdb/connection');
    try {
      // chdb ships its own copy of @clickhouse/client-common's types; the runtime contract is the same.
      const chdbConnection = createChdbConnection({ path: address });
      rawInsert = (params) => chdbConnection.chdb.rawInsert(params);
      const connection = chdbConnection as unknown as ClickHouseConnection;
      client = createClient({ connection, log });
    } catch (cause) {
      throw new ServiceUnreachableError('ClickHouse (chDB)', address, cause);
    }
  }

  const unreachable = (cause: unknown) =>
    new ServiceUnreachableError(kind === 'chdb' ? 'ClickHouse (chDB)' : 'ClickHouse', address, cause);

  const ping = await client.ping().catch((error: unknown) => ({ success: false as const, error }));
  if (!ping.success) {
    await client.close().catch(() => undefined);
    throw unreachable(ping.error);
  }
  logger.info({ kind, address, database }, 'ClickHouse store open');

  const qualify = (table: string) => {
    if (!identifier.test(table)) throw new Error(`invalid ClickHouse table name '${table}'`);
    return `${database}.${table}`;
  };

  const retention = options.retention ?? defaultRetention;
  let closed = false;
  return {
    kind,
    address,
    database,
    retention,
    async migrate() {
      try {
        await client.command({ query: databaseStatement(database) });
        for (const statement of createTableStatements(database, retention)) await client.command({ query: statement });
        // A table created under another retention config keeps its TTL until told: move it (the engine applies the
        // new TTL to existing parts in the background).
        const result = await client.query({
          query: 'SELECT name, engine_full FROM system.tables WHERE database = {db:String}',
          format: 'JSONEachRow',
          query_params: { db: database },
        });
        const engines = new Map((await result.json<{ name: string; engine_full: string }>()).map((t) => [t.name, t.engine_full] as const));
        for (const { table, column, days } of expectedTtls(retention)) {
          const engine = engines.get(table) ?? '';
          if (engine.includes(`toIntervalDay(${days})`)) continue;
          logger.info({ table, days }, 'ClickHouse retention changed: moving the TTL');
          await client.command({ query: `ALTER TABLE ${database}.${table} MODIFY ${ttlClause(column, days)}` });
        }
      } catch (cause) {
        throw wrap(cause, unreachable);
      }
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      try {
        const compact = rawInsert ? compactRows(rows) : null;
        // chDB: one JSONCompactEachRow payload (column names once, not per row) parsed by the engine straight from a
        // Buffer: about a third less CPU per row than the client's JSONEachRow stream, which chDB joins into a string.
        if (rawInsert && compact) await rawInsert({ table: qualify(table), values: compact.payload, format: 'JSONCompactEachRow', columns: compact.columns }).catch(rethrowParsed);
        else await client.insert({ table: qualify(table), values: rows as Array<Record<string, unknown>>, format: 'JSONEachRow' });
      } catch (cause) {
        throw wrap(cause, unreachable);
      }
    },
    async query<T>(sql: string, params?: Record<string, unknown>) {
      try {
        const result = await client.query({ query: sql, format: 'JSONEachRow', ...(params ? { query_params: params } : {}) });
        return await result.json<T>();
      } catch (cause) {
        throw wrap(cause, unreachable);
      }
    },
    async command(sql) {
      try {
        await client.command({ query: sql });
      } catch (cause) {
        throw wrap(cause, unreachable);
      }
    },
    async ping() {
      if (closed) return false;
      const result = await client.ping().catch(() => ({ success: false }));
      return result.success;
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      logger.debug('ClickHouse store closed');
    },
  };
}

type RawInsert = (params: { table: string; values: Buffer; format: 'JSONCompactEachRow'; columns: string[] }) => Promise<unknown>;

/**
 * The rows as JSONCompactEachRow (one JSON array per line, in the order of `columns`), or null when they do not all
 * have the first row's columns or hold an undefined value: JSONEachRow would leave such a column to its DEFAULT,
 * which a positional row cannot say, so those batches keep the JSONEachRow path.
 */
export function compactRows(rows: ReadonlyArray<Record<string, unknown>>): { columns: string[]; payload: Buffer } | null {
  const columns = Object.keys(rows[0] ?? {});
  const n = columns.length;
  if (n === 0) return null;
  const values: unknown[] = new Array(n);
  const lines: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i += 1) {
    const row = rows[i]!;
    let keys = 0;
    for (const _ in row) keys += 1;
    if (keys !== n) return null;
    for (let j = 0; j < n; j += 1) {
      const v = row[columns[j]!];
      if (v === undefined) return null;
      values[j] = v;
    }
    lines[i] = JSON.stringify(values);
  }
  return { columns, payload: Buffer.from(`${lines.join('\n')}\n`) };
}

/** chDB's raw insert rejects with the engine's `Code: N. DB::Exception: ... (TYPE)` text: make it a ClickHouseError. */
function rethrowParsed(error: unknown): never {
  if (error instanceof Error && !('type' in error && typeof (error as { type: unknown }).type === 'string')) {
    const parsed = parseError(error.message);
    if ('type' in parsed && typeof (parsed as { type: unknown }).type === 'string') throw parsed;
  }
  throw error;
}

/** SQL errors stay what they are (with a one-line message); transport failures become ServiceUnreachableError. */
function wrap(cause: unknown, unreachable: (cause: unknown) => Error): Error {
  if (cause instanceof Error && 'code' in cause && 'type' in cause && typeof (cause as { type: unknown }).type === 'string') {
    // A ClickHouseError: the engine answered and refused the statement.
    const message = cause.message.split('\n')[0] ?? '';
    return new Error(`ClickHouse refused the statement: ${message} (${String((cause as { type: string }).type)})`, { cause });
  }
  return unreachable(cause);
}

function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return raw;
  }
}

// Opens both stores of a process and migrates them. chDB and PGlite allow one engine per data directory per
// process, so a process opens its stores once (here) and shares them between the sink writer and the
// dashboard's queries (the single-machine `start` runs both).
import type { RuntimeEnv } from '../platform/config/env.ts';
import type { Logger } from '../platform/log.ts';
import { createClickHouseQueries } from './clickhouse/queries.ts';
import type { ClickHouseRetention } from './clickhouse/retention.ts';
import { openClickHouse, type ClickHouseStore } from './clickhouse/store.ts';
import type { CountHistoryQueries, CountQueries } from './model.ts';
import { openPostgres, type Db } from './postgres/db.ts';
import { migratePostgres } from './postgres/migrate.ts';
import { createPostgresQueries } from './postgres/repository.ts';

export interface Stores {
  clickhouse: ClickHouseStore;
  postgres: Db;
  /** Current totals from PostgreSQL (point lookups by key), history from ClickHouse. */
  queries: CountQueries & CountHistoryQueries;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  env: Pick<RuntimeEnv, 'dataDir' | 'CLICKHOUSE_URL' | 'DATABASE_URL'>;
  logger: Logger;
  /** ClickHouse database. Default 'linepulse'. */
  clickhouseDatabase?: string;
  /** ClickHouse retention (config section sinks.retention, clickhouse/retention.ts). Default 90 d / 5 y / 25 y. */
  retention?: ClickHouseRetention;
}

export async function openStores(options: OpenStoresOptions): Promise<Stores> {
  const { env, logger } = options;
  const clickhouse = await openClickHouse({
    url: env.CLICKHOUSE_URL,
    dataDir: env.dataDir,
    logger,
    ...(options.clickhouseDatabase ? { database: options.clickhouseDatabase } : {}),
    ...(options.retention ? { retention: options.retention } : {}),
  });
  let postgres: Db;
  try {
    await clickhouse.migrate();
    postgres = await openPostgres({ url: env.DATABASE_URL, dataDir: env.dataDir, logger });
  } catch (error) {
    await clickhouse.close().catch(() => undefined);
    throw error;
  }
  try {
    await migratePostgres(postgres, logger);
  } catch (error) {
    await Promise.allSettled([clickhouse.close(), postgres.close()]);
    throw error;
  }
  const history = createClickHouseQueries(clickhouse);
  const current = createPostgresQueries(postgres);
  return {
    clickhouse,
    postgres,
    queries: {
      currentCountTotals: (filter) => current.currentCountTotals(filter),
      countsOverRange: (query) => history.countsOverRange(query),
    },
    async close() {
      await Promise.allSettled([clickhouse.close(), postgres.close()]);
    },
  };
}

// Read queries over the ClickHouse tables. Every read uses FINAL (or groups by the event key) so rows replayed
// after a crash, not yet merged away, are never counted twice. Values are bound as `{name:Type}` parameters.
import type { CountWindowKind } from '../../schemas/generated/types.ts';
import type { CountHistoryQueries, CountQueries, CountRangeQuery, CountRangeRow, CountTotalView } from '../model.ts';
import type { ClickHouseStore } from './store.ts';
import { counts1h, counts1m, countIncrementsTable, countTotalsTable } from './tables.ts';

interface TotalRow {
  equipment: string;
  window_kind: string;
  window_id: string;
  window_start: number | string | null;
  window_end: number | string | null;
  good: number | string;
  reject: number | string;
  revision: number | string;
  event_time: number | string;
}

interface RangeRow {
  equipment: string;
  bucket_start: number | string | null;
  good: number | string;
  reject: number | string;
}

// 64-bit integers come back as JSON strings from a server (output_format_json_quote_64bit_integers) and as
// numbers from chDB: read both.
const num = (value: number | string): number => Number(value);
const numOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

const scopeClause = `({scope:String} = '' OR equipment = {scope:String} OR startsWith(equipment, concat({scope:String}, '/')))`;

export interface ClickHouseQueryOptions {
  /** Wall clock for the retention check (tests). Default Date.now. */
  now?: () => number;
}

/**
 * Where a count range is read from: raw increments while the range starts inside raw retention (exact to the ms),
 * else the 1-minute rollup while it starts inside the minute retention, else the 1-hour rollup. A rollup holds every
 * increment ever inserted (exact under replays, clickhouse/insert.ts) but at its bucket: it counts the buckets that
 * start in [from, to), and a 'minute' bucket read from the 1-hour rollup comes back per hour.
 */
export function countSource(query: { from: number }, retention: { rawDays: number; minuteDays: number }, now: number): 'raw' | 'minute' | 'hour' {
  const age = now - query.from;
  if (age <= retention.rawDays * 86_400_000) return 'raw';
  if (age <= retention.minuteDays * 86_400_000) return 'minute';
  return 'hour';
}

export function createClickHouseQueries(store: ClickHouseStore, options: ClickHouseQueryOptions = {}): CountQueries & CountHistoryQueries {
  const db = store.database;
  const now = options.now ?? Date.now;
  return {
    async currentCountTotals(filter = {}) {
      const rows = await store.query<TotalRow>(
        `SELECT equipment, window_kind, window_id,
                toUnixTimestamp64Milli(window_start) AS window_start, toUnixTimestamp64Milli(window_end) AS window_end,
                good, reject, revision, toUnixTimestamp64Milli(event_time) AS event_time
         FROM ${db}.${countTotalsTable.name} FINAL
         WHERE ({kind:String} = '' OR window_kind = {kind:String}) AND ${scopeClause}
         ORDER BY equipment, window_kind, ifNull(window_start, event_time) DESC, event_time DESC
         LIMIT 1 BY equipment, window_kind`,
        { kind: filter.windowKind ?? '', scope: filter.scope ?? '' },
      );
      return rows.map(
        (row): CountTotalView => ({
          equipment: row.equipment,
          windowKind: row.window_kind as CountWindowKind,
          windowId: row.window_id,
          windowStart: numOrNull(row.window_start),
          windowEnd: numOrNull(row.window_end),
          good: num(row.good),
          reject: num(row.reject),
          revision: num(row.revision),
          eventTime: num(row.event_time),
        }),
      );
    },

    async countsOverRange(query: CountRangeQuery) {
      const source = countSource(query, store.retention, now());
      const params = { from: query.from, to: query.to, scope: query.scope ?? '' };
      let rows: RangeRow[];
      if (source === 'raw') {
        const bucket =
          query.bucket === 'minute'
            ? 'toStartOfMinute(event_time)'
            : query.bucket === 'hour'
              ? 'toStartOfHour(event_time)'
              : query.bucket === 'day'
                ? `toDateTime64(toStartOfDay(event_time), 3, 'UTC')`
                : null;
        const bucketColumn = bucket ? `toUnixTimestamp64Milli(toDateTime64(${bucket}, 3, 'UTC'))` : 'NULL';
        rows = await store.query<RangeRow>(
          `SELECT equipment, ${bucketColumn} AS bucket_start, sum(good) AS good, sum(reject) AS reject
           FROM ${db}.${countIncrementsTable.name} FINAL
           WHERE event_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
             AND event_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
             AND ${scopeClause}
           GROUP BY equipment, bucket_start
           ORDER BY equipment, bucket_start`,
          params,
        );
      } else {
        const table = source === 'minute' ? counts1m.name : counts1h.name;
        const bucket =
          query.bucket === 'minute'
            ? 'bucket'
            : query.bucket === 'hour'
              ? 'toStartOfHour(bucket)'
              : query.bucket === 'day'
                ? 'toStartOfDay(bucket)'
                : null;
        const bucketColumn = bucket ? `toInt64(toUnixTimestamp(${bucket})) * 1000` : 'NULL';
        rows = await store.query<RangeRow>(
          `SELECT equipment, ${bucketColumn} AS bucket_start, sumMerge(good) AS good, sumMerge(reject) AS reject
           FROM ${db}.${table}
           WHERE bucket >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
             AND bucket < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
             AND ${scopeClause}
           GROUP BY equipment, bucket_start
           ORDER BY equipment, bucket_start`,
          params,
        );
      }
      return rows.map(
        (row): CountRangeRow => ({
          equipment: row.equipment,
          bucketStart: numOrNull(row.bucket_start),
          good: num(row.good),
          reject: num(row.reject),
        }),
      );
    },
  };
}

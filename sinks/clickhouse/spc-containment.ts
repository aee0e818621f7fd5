// The plotted points an SPC containment reads (sinks/spc-quality.ts): serials, lots and work order of every point of
// a characteristic from the first point of an alarm's pattern on, in index order, bounded.
import type { ContainmentPoint } from '../../processors/spc/containment.ts';
import type { ClickHouseStore } from './store.ts';

export interface SpcPointsFromQuery {
  characteristic: string;
  /** First point index (inclusive). */
  fromIndex: number;
  /** Last point index (inclusive); default: the latest. */
  throughIndex?: number;
  /** Points returned at most (the lowest indexes). */
  limit: number;
}

/** Points in [fromIndex, throughIndex] by index; `truncated` when more than `limit` exist. */
export async function spcPointsFrom(store: ClickHouseStore, q: SpcPointsFromQuery): Promise<{ points: ContainmentPoint[]; truncated: boolean }> {
  const rows = await store.query<{ index: number | string; t: number | string; serials: string[]; lots: string[]; work_order: string | null }>(
    `SELECT point_index AS index, toUnixTimestamp64Milli(toDateTime64(event_time, 3, 'UTC')) AS t, serials, lots, work_order
     FROM ${store.database}.spc_points FINAL
     WHERE characteristic = {characteristic:String} AND point_index >= {from:UInt64} AND point_index <= {through:UInt64}
     ORDER BY point_index, event_time
     LIMIT 1 BY point_index
     LIMIT {limit:UInt32}`,
    { characteristic: q.characteristic, from: q.fromIndex, through: q.throughIndex ?? Number.MAX_SAFE_INTEGER, limit: q.limit + 1 },
  );
  const points = rows.slice(0, q.limit).map((r) => ({ index: Number(r.index), eventTime: Number(r.t), serials: r.serials, lots: r.lots, workOrder: r.work_order, characteristic: q.characteristic }));
  return { points, truncated: rows.length > q.limit };
}

// Inserting a batch into a table whose inserts feed materialized views (telemetry, count increments). The raw
// table collapses a replayed row on merge (ReplacingMergeTree), but a view aggregates every block it is given, so
// a replayed row would count twice in the rollups. Before such an insert the writer asks which of the batch's
// event ids are already stored (same equipment, same time range: one range read on the sorting key) and inserts
// only the others. A replay then adds nothing anywhere. Two writers inserting the same new rows at the same
// moment (a rebalance in the middle of a flush) can still both pass the check: the raw table stays exact, the
// rollups may count those rows twice (documented in docs/decisions/0004-storage.md).
import type { ClickHouseStore } from './store.ts';
import type { ClickHouseTable, Row } from './tables.ts';

/** Rows whose event_id the table does not hold yet (and the first of duplicates inside the batch). */
export async function novelRows(store: ClickHouseStore, table: ClickHouseTable<never>, rows: readonly Row[]): Promise<Row[]> {
  const spec = table.dedupeBeforeInsert;
  if (!spec || rows.length === 0) return [...rows];
  const seen = new Set<string>();
  const unique: Row[] = [];
  let min = Infinity;
  let max = -Infinity;
  const equipment = new Set<string>();
  for (const row of rows) {
    const id = String(row.event_id);
    if (seen.has(id)) continue;
    seen.add(id);
    unique.push(row);
    const t = Number(row[spec.timeColumn]);
    if (t < min) min = t;
    if (t > max) max = t;
    equipment.add(String(row.equipment));
  }
  const stored = await store.query<{ event_id: string }>(
    `SELECT DISTINCT event_id FROM ${store.database}.${table.name}
     WHERE equipment IN {equipment:Array(String)}
       AND ${spec.timeColumn} >= fromUnixTimestamp64Milli({min:Int64}, 'UTC')
       AND ${spec.timeColumn} <= fromUnixTimestamp64Milli({max:Int64}, 'UTC')`,
    { equipment: [...equipment], min, max },
  );
  if (stored.length === 0) return unique;
  const existing = new Set(stored.map((r) => r.event_id));
  return unique.filter((row) => !existing.has(String(row.event_id)));
}

/** Inserts the rows of a batch that are not stored yet (all of them for a table without views). */
export async function insertBatch(store: ClickHouseStore, table: ClickHouseTable<never>, rows: readonly Row[]): Promise<void> {
  const fresh = await novelRows(store, table, rows);
  if (fresh.length > 0) await store.insert(table.name, fresh);
}

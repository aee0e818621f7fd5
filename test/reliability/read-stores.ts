// Reads what a pipeline run stored, for the fault-injection suite: run as its own process (chDB allows one engine
// per data directory per process) after the sinks process stopped. Usage:
//   tsx test/reliability/read-stores.ts <sinks data dir> <postgres url> <segment bounds as JSON: [[fromMs, toMs], ...]>
// Prints one JSON object (StoreSummary) on stdout.
import pg from 'pg';
import { silentLogger } from '../../platform/log.ts';
import { openClickHouse } from '../../sinks/clickhouse/store.ts';

export interface TableCounts {
  /** Rows as stored (a replayed row stays until a merge collapses it). */
  rows: number;
  /** Distinct event ids. */
  ids: number;
  /** Distinct logical events (equipment, tag, event time; an increment's source event): more ids = one event under two ids. */
  logical: number;
}

export interface StoreSummary {
  raw: Record<string, TableCounts>;
  /**
   * Per segment [from, to) of event time: distinct event ids stored (raw telemetry and state; derived count
   * increments and SPC points) and logical duplicates (one event under two ids).
   */
  segments: Array<{ telemetry: number; state: number; increments: number; spcPoints: number; duplicates: number }>;
  rollups: { telemetrySamples: number; countsGood: number; countsReject: number };
  countTotals: unknown[];
  oee: unknown[];
  spcPoints: number;
  alerts: number;
  alertIds: string[];
  postgres: { countTotals: unknown[]; countTotalsRows: number; countTotalsKeys: number; alerts: number; alertIds: number };
}

async function main(): Promise<void> {
  const [dataDir, url, segmentsJson] = process.argv.slice(2);
  if (!dataDir || !url || !segmentsJson) throw new Error('usage: read-stores.ts <sinks data dir> <postgres url> <segments json>');
  const segments = JSON.parse(segmentsJson) as Array<[number, number]>;
  const ch = await openClickHouse({ dataDir, logger: silentLogger() });
  const db = ch.database;
  const one = async <T>(sql: string, params?: Record<string, unknown>) => (await ch.query<T>(sql, params))[0] as T;
  const counts = async (table: string, logicalKey: string): Promise<TableCounts> => {
    const r = await one<{ rows: string; ids: string; logical: string }>(`SELECT count() AS rows, uniqExact(event_id) AS ids, uniqExact(${logicalKey}) AS logical FROM ${db}.${table}`);
    return { rows: Number(r.rows), ids: Number(r.ids), logical: Number(r.logical) };
  };
  const raw = {
    telemetry: await counts('telemetry', '(equipment, tag, event_time)'),
    state_events: await counts('state_events', '(equipment, event_time)'),
    count_increments: await counts('count_increments', 'source_event_id'),
    spc_points: await counts('spc_points', 'event_id'),
  };
  const segmentCounts = [];
  for (const [from, to] of segments) {
    const params = { from, to };
    const range = `event_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND event_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
    const t = await one<{ ids: string; logical: string }>(`SELECT uniqExact(event_id) AS ids, uniqExact(equipment, tag, event_time) AS logical FROM ${db}.telemetry WHERE ${range}`, params);
    const s = await one<{ ids: string; logical: string }>(`SELECT uniqExact(event_id) AS ids, uniqExact(equipment, event_time) AS logical FROM ${db}.state_events WHERE ${range}`, params);
    const c = await one<{ ids: string; logical: string }>(`SELECT uniqExact(event_id) AS ids, uniqExact(source_event_id) AS logical FROM ${db}.count_increments WHERE ${range}`, params);
    const p = await one<{ ids: string; logical: string }>(`SELECT uniqExact(event_id) AS ids, uniqExact(characteristic, chart, point_index) AS logical FROM ${db}.spc_points WHERE ${range}`, params);
    segmentCounts.push({
      telemetry: Number(t.ids),
      state: Number(s.ids),
      increments: Number(c.ids),
      spcPoints: Number(p.ids),
      duplicates: Number(t.ids) - Number(t.logical) + Number(s.ids) - Number(s.logical) + Number(c.ids) - Number(c.logical) + Number(p.ids) - Number(p.logical),
    });
  }
  const t1m = await one<{ n: string }>(`SELECT countMerge(samples) AS n FROM ${db}.telemetry_1m`);
  const c1m = await one<{ g: string; r: string }>(`SELECT sumMerge(good) AS g, sumMerge(reject) AS r FROM ${db}.counts_1m`);
  const countTotals = await ch.query(
    `SELECT equipment, window_kind, window_id, good, reject FROM ${db}.count_totals FINAL ORDER BY equipment, window_kind, window_id`,
  );
  const oee = await ch.query(
    `SELECT equipment, window_kind, window_id, closed, scheduled_ms, planned_stop_ms, run_ms, unplanned_stop_ms, setup_ms, idle_ms, micro_stop_ms,
            micro_stop_count, unknown_ms, total_count, good_count, reject_count, availability, performance, quality, oee
       FROM ${db}.oee_windows FINAL ORDER BY equipment, window_kind, window_id`,
  );
  const alerts = await one<{ n: string }>(`SELECT uniqExact(event_id) AS n FROM ${db}.alert_events`);
  const alertIds = (await ch.query<{ event_id: string }>(`SELECT DISTINCT event_id FROM ${db}.alert_events ORDER BY event_id`)).map((r) => r.event_id);
  await ch.close();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const pgTotals = await client.query('SELECT * FROM count_totals ORDER BY 1, 2, 3');
  const keys = pgTotals.fields.slice(0, 3).map((f) => f.name);
  const distinctKeys = new Set(pgTotals.rows.map((r: Record<string, unknown>) => keys.map((k) => String(r[k])).join('|')));
  const pgAlerts = await client.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS ids FROM alert_events').catch(() => ({ rows: [{ n: -1, ids: -1 }] }));
  await client.end();
  const summary: StoreSummary = {
    raw,
    segments: segmentCounts,
    rollups: { telemetrySamples: Number(t1m.n), countsGood: Number(c1m.g), countsReject: Number(c1m.r) },
    countTotals,
    oee,
    spcPoints: raw.spc_points.ids,
    alerts: Number(alerts.n),
    alertIds,
    postgres: {
      countTotals: pgTotals.rows.map((r: Record<string, unknown>) => ({ key: keys.map((k) => String(r[k])).join('|'), good: String(r.good), reject: String(r.reject) })),
      countTotalsRows: pgTotals.rowCount ?? 0,
      countTotalsKeys: distinctKeys.size,
      alerts: (pgAlerts.rows[0] as { n: number }).n,
      alertIds: (pgAlerts.rows[0] as { ids: number }).ids,
    },
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await main();

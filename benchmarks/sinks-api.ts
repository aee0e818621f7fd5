// Query API benchmark: insert throughput through the sink's ClickHouse path (row mapping, the replay check of
// clickhouse/insert.ts, JSONEachRow, the rollup views) and p50/p95 of the API routes (fastify inject, so the HTTP
// routing, validation and serialisation are in the figure; no socket) over embedded chDB + PGlite. Prints figures,
// asserts nothing. Target p95 < 200 ms.
//
//   npx tsx benchmarks/sinks-api.ts [--machines 20] [--hours 24] [--batch 20000] [--runs 30]
//
// Data, ending now (so the default retention keeps it): per machine one telemetry sample a second, one piece
// every 2 s, a state change every ~3 min (short and long stops), HOUR and SHIFT OEE windows; SPC points one a minute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../platform/log.ts';
import { startDashboardServer } from '../dashboard/server/server.ts';
import { insertBatch } from '../sinks/clickhouse/insert.ts';
import { openClickHouse } from '../sinks/clickhouse/store.ts';
import { countIncrementsTable, oeeWindowsTable, spcPointsTable, stateEventsTable, telemetryTable, type ClickHouseTable, type Row } from '../sinks/clickhouse/tables.ts';
import { createLiveHub } from '../sinks/live/hub.ts';
import { openPostgres } from '../sinks/postgres/db.ts';
import { migratePostgres } from '../sinks/postgres/migrate.ts';
import { createProductionQueries } from '../sinks/queries.ts';
import { countIncrement, equipmentState, oeeWindow, spcPoint, telemetry } from '../sinks/testing/fixtures.ts';
import { positiveArg } from './args.ts';

const machines = positiveArg('--machines', 20);
const hours = positiveArg('--hours', 24);
const batch = positiveArg('--batch', 20_000);
const runs = positiveArg('--runs', 30);
const hour = 3600_000;
const end = Math.floor(Date.now() / hour) * hour;
const start = end - hours * hour;
const seconds = hours * 3600;
const line = 'acme/plant1/stamping/line1';
const equipment = Array.from({ length: machines }, (_, m) => `${line}/cell${1 + Math.floor(m / 5)}/m${m + 1}`);
const characteristic = `${equipment[0]}/bore`;

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-bench-api-'));
const clickhouse = await openClickHouse({ url: process.env.CLICKHOUSE_URL, dataDir, database: `lp_bench_api_${process.pid}`, logger: silentLogger() });
await clickhouse.migrate();
const postgres = await openPostgres({ dataDir, logger: silentLogger() });
await migratePostgres(postgres, silentLogger());

async function insertAll<E>(table: ClickHouseTable<E>, total: number, event: (i: number) => E): Promise<{ rows: number; perSecond: number }> {
  const started = performance.now();
  for (let offset = 0; offset < total; offset += batch) {
    const rows: Row[] = [];
    for (let i = offset; i < Math.min(total, offset + batch); i++) rows.push(table.toRow(event(i)));
    await insertBatch(clickhouse, table as ClickHouseTable<never>, rows);
  }
  return { rows: total, perSecond: total / ((performance.now() - started) / 1000) };
}

// Row i: second i / machines of machine i % machines (time-ordered across the line, as the sink sees it).
const at = (i: number) => start + Math.floor(i / machines) * 1000;
const who = (i: number) => equipment[i % machines]!;
const figures: Record<string, string> = {};
const tel = await insertAll(telemetryTable, seconds * machines, (i) =>
  telemetry(i, { eventId: `t-${i}`, eventTime: at(i), equipment: who(i), value: 60 + Math.sin(i / 5000) * 5 + (i % 7) / 10, origin: { sourceId: 'bench', seq: i, serverTime: at(i), edgeTime: at(i), historical: false } }),
);
figures['telemetry insert'] = `${tel.rows.toLocaleString('en')} rows, ${Math.round(tel.perSecond).toLocaleString('en')} rows/s`;
const counts = await insertAll(countIncrementsTable, (seconds / 2) * machines, (i) =>
  countIncrement(i, { eventId: `c-${i}`, eventTime: start + Math.floor(i / machines) * 2000, equipment: who(i), good: i % 50 === 0 ? 0 : 1, reject: i % 50 === 0 ? 1 : 0, rejectReason: i % 50 === 0 ? ['BURR', 'CRACK', 'DIM'][i % 3]! : null }),
);
figures['count increments insert'] = `${counts.rows.toLocaleString('en')} rows, ${Math.round(counts.perSecond).toLocaleString('en')} rows/s`;
const states = await insertAll(stateEventsTable, (seconds / 90) * machines, (i) => {
  const n = Math.floor(i / machines);
  const stopped = n % 2 === 1;
  return equipmentState(i, stopped ? 'STOPPED' : 'EXECUTE', {
    eventId: `s-${i}`,
    eventTime: start + n * 90_000 + (i % machines) * 1000,
    equipment: who(i),
    reasonCode: stopped ? ['JAM', 'STARVED', 'TOOL', 'BREAKDOWN'][n % 4]! : null,
    origin: { sourceId: 'bench', seq: i, serverTime: null, edgeTime: start, historical: false },
  });
});
figures['state events insert'] = `${states.rows.toLocaleString('en')} rows, ${Math.round(states.perSecond).toLocaleString('en')} rows/s`;
await insertAll(oeeWindowsTable, hours * machines, (i) => {
  const h = Math.floor(i / machines);
  return oeeWindow(1, { equipment: who(i), windowKind: 'HOUR', windowId: new Date(start + h * hour).toISOString(), windowStart: start + h * hour, windowEnd: start + (h + 1) * hour });
});
await insertAll(oeeWindowsTable, Math.ceil(hours / 8) * machines, (i) => {
  const s = Math.floor(i / machines);
  return oeeWindow(1, { equipment: who(i), windowKind: 'SHIFT', windowId: `S${s}`, windowStart: start + s * 8 * hour, windowEnd: start + (s + 1) * 8 * hour });
});
await insertAll(spcPointsTable, hours * 60, (i) => spcPoint(i + 1, { eventId: `p-${i}`, eventTime: start + i * 60_000, equipment: equipment[0]!, characteristic }));

const hub = createLiveHub({ logger: silentLogger() });
const server = await startDashboardServer({ port: 0, queries: { currentCountTotals: async () => [] }, live: hub, logger: silentLogger(), staticDir: dataDir, api: createProductionQueries({ clickhouse, postgres }) });
const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
const day = { from: start, to: end };
const one = equipment[0]!;
const routes: Array<[string, string]> = [
  ['telemetry, 1 machine, 1 h raw', `/api/telemetry?${q({ equipment: one, tag: 'temperature', from: end - hour, to: end })}`],
  ['telemetry, 1 machine, day (1-min rollup)', `/api/telemetry?${q({ equipment: one, tag: 'temperature', ...day })}`],
  ['telemetry, 1 machine, day (1-h rollup)', `/api/telemetry?${q({ equipment: one, tag: 'temperature', ...day, resolution: 'hour' })}`],
  ['states, 1 machine, day', `/api/states?${q({ scope: one, ...day, limit: 5000 })}`],
  ['states, line of 20, day', `/api/states?${q({ scope: line, ...day, limit: 5000 })}`],
  ['OEE drill-down, line, day of HOUR windows', `/api/oee?${q({ scope: line, windowKind: 'HOUR', ...day })}`],
  ['OEE drill-down, plant by line, shifts', `/api/oee?${q({ scope: 'acme/plant1', windowKind: 'SHIFT', groupBy: 'line', ...day })}`],
  ['micro-stops Pareto, line, day', `/api/microstops?${q({ scope: line, ...day })}`],
  ['quality breakdown, line, day', `/api/quality?${q({ scope: line, ...day })}`],
  ['counts vs plan, line, day', `/api/counts/plan?${q({ scope: line, ...day })}`],
  ['SPC chart, day (1,440 points -> 500)', `/api/spc/chart?${q({ characteristic, ...day, maxPoints: 500 })}`],
  ['alarms, first page', `/api/alarms?${q({ limit: 50 })}`],
];
const latency: Record<string, string> = {};
for (const [name, url] of routes) {
  const times: number[] = [];
  for (let r = 0; r < runs + 2; r++) {
    const t = performance.now();
    const response = await server.inject({ method: 'GET', url });
    if (response.statusCode !== 200) throw new Error(`${name}: HTTP ${response.statusCode} ${response.body.slice(0, 200)}`);
    if (r >= 2) times.push(performance.now() - t); // two warm-up requests
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  latency[name] = `p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms`;
}

console.log(`sinks-api benchmark: ${machines} machines x ${hours} h at 1 Hz, batches of ${batch}, ClickHouse ${clickhouse.kind}, PostgreSQL ${postgres.kind}, ${runs} requests per route`);
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(45)} ${v}`);
for (const [k, v] of Object.entries(latency)) console.log(`  ${k.padEnd(45)} ${v}`);
await server.close();
hub.close();
await clickhouse.command(`DROP DATABASE IF EXISTS ${clickhouse.database}`);
await clickhouse.close();
await postgres.close();
rmSync(dataDir, { recursive: true, force: true });

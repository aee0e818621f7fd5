// ClickHouse sink throughput and read latency on embedded chDB (or a server with CLICKHOUSE_URL): rows/s of
// batched JSONEachRow inserts through @clickhouse/client (the sink's own path, row mapping included), the cost
// of a replayed batch, and p50/p95 of the dashboard's queries over the data. Prints figures, asserts nothing.
//
//   npx tsx benchmarks/sinks-clickhouse.ts [--machines 20] [--hours 24] [--batch 20000]
//
// Data: count increments of `machines` machines, one piece per machine per second for `hours` (a day at 1 Hz of a
// line of 20 machines = 1.73 M rows), and the same number of telemetry samples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../platform/log.ts';
import { createClickHouseQueries } from '../sinks/clickhouse/queries.ts';
import { openClickHouse } from '../sinks/clickhouse/store.ts';
import { countIncrementsTable, countTotalsTable, telemetryTable } from '../sinks/clickhouse/tables.ts';
import { countIncrement, countTotal, telemetry } from '../sinks/testing/fixtures.ts';
import { positiveArg } from './args.ts';

const machines = positiveArg('--machines', 20);
const hours = positiveArg('--hours', 24);
const batch = positiveArg('--batch', 20_000);
const T0 = Date.UTC(2025, 2, 3, 0, 0, 0);
const seconds = hours * 3600;
const equipment = Array.from({ length: machines }, (_, m) => `acme/plant1/stamping/line1/cell${1 + Math.floor(m / 5)}/m${m + 1}`);

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-bench-ch-'));
const store = await openClickHouse({ url: process.env.CLICKHOUSE_URL, dataDir, database: `lp_bench_${process.pid}`, logger: silentLogger(), retention: { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 } }); // 2025 data: keep it
await store.migrate();
const line = (label: string, value: string) => console.log(`${label.padEnd(52)} ${value}`);
console.log(`ClickHouse sink benchmark on ${store.kind} (${machines} machines x ${hours} h at 1 Hz, batches of ${batch})`);

async function insertAll(table: string, total: number, row: (i: number) => Record<string, unknown>): Promise<number> {
  const started = performance.now();
  for (let offset = 0; offset < total; offset += batch) {
    const rows: Array<Record<string, unknown>> = [];
    for (let i = offset; i < Math.min(total, offset + batch); i += 1) rows.push(row(i));
    await store.insert(table, rows);
  }
  return total / ((performance.now() - started) / 1000);
}

const total = machines * seconds;
const incrementRow = (i: number) =>
  countIncrementsTable.toRow(countIncrement(Math.floor(i / machines), { equipment: equipment[i % machines]!, eventTime: T0 + Math.floor(i / machines) * 1000, eventId: `inc-${i}` }));
const telemetryRow = (i: number) =>
  telemetryTable.toRow(telemetry(Math.floor(i / machines), { equipment: equipment[i % machines]!, eventTime: T0 + Math.floor(i / machines) * 1000, eventId: `tel-${i}`, value: 60 + Math.sin(i / 500) * 5 }));

line('count_increments insert', `${Math.round(await insertAll(countIncrementsTable.name, total, incrementRow)).toLocaleString('en-US')} rows/s (${total.toLocaleString('en-US')} rows)`);
line('telemetry insert', `${Math.round(await insertAll(telemetryTable.name, total, telemetryRow)).toLocaleString('en-US')} rows/s`);
const replayed = Math.min(total, 10 * batch);
line('count_increments replay of the first 10 batches', `${Math.round(await insertAll(countIncrementsTable.name, replayed, incrementRow)).toLocaleString('en-US')} rows/s`);
await store.insert(
  countTotalsTable.name,
  equipment.flatMap((e) => Array.from({ length: 50 }, (_, r) => countTotalsTable.toRow(countTotal(r + 1, { equipment: e })))),
);

const queries = createClickHouseQueries(store);
async function p(label: string, runs: number, run: () => Promise<unknown>): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const q = (f: number) => times[Math.min(times.length - 1, Math.floor(f * times.length))]!.toFixed(1);
  line(label, `p50 ${q(0.5)} ms, p95 ${q(0.95)} ms (${runs} runs)`);
}
const rows = Number((await store.query<{ n: number | string }>(`SELECT count() AS n FROM ${store.database}.count_increments FINAL`))[0]?.n);
line('count_increments rows after the replay (FINAL)', `${rows.toLocaleString('en-US')} (expected ${total.toLocaleString('en-US')})`);
await p('current totals (FINAL, LIMIT 1 BY)', 20, () => queries.currentCountTotals());
await p('day of one machine per hour (FINAL)', 20, () => queries.countsOverRange({ from: T0, to: T0 + seconds * 1000, scope: equipment[0], bucket: 'hour' }));
await p('day of the line per minute (FINAL)', 10, () => queries.countsOverRange({ from: T0, to: T0 + seconds * 1000, scope: 'acme/plant1/stamping/line1', bucket: 'minute' }));
const size = await store.query<{ table: string; rows: string | number; bytes: string | number }>(
  `SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS bytes FROM system.parts WHERE database = {db:String} AND active GROUP BY table ORDER BY table`,
  { db: store.database },
);
for (const s of size) line(`on disk: ${s.table}`, `${(Number(s.bytes) / Number(s.rows)).toFixed(2)} bytes/row compressed`);

await store.command(`DROP DATABASE IF EXISTS ${store.database}`);
await store.close();
rmSync(dataDir, { recursive: true, force: true });

// Sink writer throughput: the whole sink path (bus -> typed consumer -> batcher -> ClickHouse + PostgreSQL ->
// commit) draining a backlog, and then a paced load. Prints figures, asserts nothing.
//
//   npx tsx benchmarks/sinks-writer.ts [--events 200000] [--equipment 50] [--rate 20000] [--seconds 10]
//   KAFKA_BROKERS=127.0.0.1:19092 npx tsx benchmarks/sinks-writer.ts   # through Kafka (kafkajs; KAFKA_CLIENT=rdkafka)
//
// Stores: chDB and PGlite in a throwaway data dir (CLICKHOUSE_URL is honoured, database `lp_bench_w_<pid>`).
// Events: telemetry (90 %) and count increments (10 %) of `equipment` machines, on topics named
// `bench-sinkw-<pid>-*` (deleted from the embedded bus with the process; on Kafka they are left to retention).
//
// Figures: backlog drain rows/s (sink start to last commit); paced load: events/s offered, rows/s committed and how
// long after the load the last commit came (the sink's lag); ClickHouse table writes and rows per write (from the
// sink's own linepulse_sink_flush_seconds histogram and rows counter).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBus } from '../platform/bus/factory.ts';
import { createTypedProducer } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { silentLogger } from '../platform/log.ts';
import { createMetrics } from '../platform/metrics.ts';
import { topics, type TopicName } from '../schemas/topics.ts';
import { openClickHouse } from '../sinks/clickhouse/store.ts';
import { openPostgres } from '../sinks/postgres/db.ts';
import { migratePostgres } from '../sinks/postgres/migrate.ts';
import { countIncrement, telemetry } from '../sinks/testing/fixtures.ts';
import { startSinks } from '../sinks/writer.ts';
import { positiveArg } from './args.ts';

const backlog = positiveArg('--events', 200_000);
const machines = positiveArg('--equipment', 50);
const rate = positiveArg('--rate', 20_000);
const seconds = positiveArg('--seconds', 10);
const maxDelayMs = process.argv.includes('--max-delay-ms') ? positiveArg('--max-delay-ms', 1000) : undefined;
const line = (label: string, value: string) => console.log(`${label.padEnd(52)} ${value}`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const logger = silentLogger();
const run = `bench-sinkw-${process.pid}`;
const topicNames: Partial<Record<TopicName, string>> = { telemetry: `${run}-telemetry`, countIncrements: `${run}-increments` };
const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-bench-sinkw-'));
const bus = await createBus({ env: { KAFKA_BROKERS: process.env.KAFKA_BROKERS?.split(',').filter(Boolean), KAFKA_CLIENT: process.env.KAFKA_CLIENT as 'kafkajs' | undefined, KAFKA_CLIENT_ID: run } as never, logger });
const codec = createAvroCodec();
const clickhouse = await openClickHouse({ url: process.env.CLICKHOUSE_URL, dataDir, database: `lp_bench_w_${process.pid}`, logger, retention: { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 } });
await clickhouse.migrate();
const postgres = await openPostgres({ dataDir, logger });
await migratePostgres(postgres, logger);
await bus.ensureTopics([
  { name: topicNames.telemetry!, partitions: topics.telemetry.partitions },
  { name: topicNames.countIncrements!, partitions: topics.countIncrements.partitions },
]);
const producer = createTypedProducer({ producer: await bus.producer(), codec, logger });
const equipment = Array.from({ length: machines }, (_, m) => `acme/plant1/stamping/line1/cell${1 + Math.floor(m / 5)}/m${m + 1}`);

let seq = 0;
/** `n` events stamped `time`: 9 telemetry samples for each count increment. */
async function produce(n: number, time: (i: number) => number): Promise<void> {
  const tel = [];
  const inc = [];
  for (let i = 0; i < n; i += 1) {
    const k = seq++;
    const e = equipment[k % machines]!;
    if (k % 10 === 9) inc.push(countIncrement(k, { equipment: e, eventId: `inc-${k}`, eventTime: time(i) }));
    else tel.push(telemetry(k, { equipment: e, eventId: `tel-${k}`, eventTime: time(i), value: 60 + (k % 17) }));
  }
  for (let i = 0; i < tel.length; i += 5_000) await producer.send({ ...topics.telemetry, topic: topicNames.telemetry! }, tel.slice(i, i + 5_000));
  for (let i = 0; i < inc.length; i += 5_000) await producer.send({ ...topics.countIncrements, topic: topicNames.countIncrements! }, inc.slice(i, i + 5_000));
}

const sum = (offsets: Array<{ offset: string }>) => offsets.reduce((n, o) => n + Number(o.offset), 0);
async function committed(): Promise<number> {
  let n = 0;
  for (const t of Object.values(topicNames)) n += sum(await bus.committedOffsets(`${run}-group`, t!));
  return n;
}
async function produced(): Promise<number> {
  let n = 0;
  for (const t of Object.values(topicNames)) n += sum(await bus.latestOffsets(t!));
  return n;
}

console.log(`Sink writer benchmark: bus ${bus.kind}, ClickHouse ${clickhouse.kind}, PostgreSQL ${postgres.kind}, ${machines} machines`);
const base = Date.now() - 3_600_000;
await produce(backlog, (i) => base + i);
const target = await produced();
const metrics = createMetrics();
const started = performance.now();
const cpuStart = process.cpuUsage();
const sinks = await startSinks({
  bus,
  codec,
  logger,
  metrics,
  clickhouse,
  postgres,
  groupId: `${run}-group`,
  topicNames,
  ...(maxDelayMs !== undefined ? { maxDelayMs } : {}),
});
while ((await committed()) < target) await new Promise((r) => setTimeout(r, 50));
const drainSeconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
line('backlog drain', `${fmt(backlog / drainSeconds)} rows/s (${fmt(backlog)} events in ${drainSeconds.toFixed(2)} s, CPU ${(((cpu.user + cpu.system) / 1e6 / drainSeconds) * 100).toFixed(0)} %)`);
line('  flushes, handlers at once (learnt)', `${sinks.health().batching.flushes}, ${sinks.health().batching.concurrency}`);

// Paced load: `rate` events/s in 50 ms slices for `seconds`, source time = send time.
const pacedStart = performance.now();
const baseline = await committed();
let offered = 0;
while (performance.now() - pacedStart < seconds * 1000) {
  const due = Math.floor(((performance.now() - pacedStart) / 1000) * rate) - offered;
  if (due > 0) {
    const now = Date.now();
    await produce(due, () => now);
    offered += due;
  }
  await new Promise((r) => setTimeout(r, 50));
}
const offeredEnd = performance.now();
const endTarget = await produced();
// How long after the end of the load the sink has committed everything (bounded).
while ((await committed()) < endTarget && performance.now() - offeredEnd < 60_000) await new Promise((r) => setTimeout(r, 50));
const tail = (performance.now() - offeredEnd) / 1000;
const committedPaced = (await committed()) - baseline;
line(`paced load ${fmt(rate)}/s for ${seconds} s: offered`, `${fmt(offered / ((offeredEnd - pacedStart) / 1000))} events/s`);
line('paced load: committed within load + tail', `${fmt(committedPaced / ((offeredEnd - pacedStart) / 1000 + tail))} rows/s, tail after the load ${tail.toFixed(2)} s`);

const text = await metrics.render();
const count = (store: string) => Number(new RegExp(`linepulse_sink_flush_seconds_count\\{store="${store}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
const sumS = (store: string) => Number(new RegExp(`linepulse_sink_flush_seconds_sum\\{store="${store}"\\} ([0-9.e+-]+)`).exec(text)?.[1] ?? 0);
const rowsCh = [...text.matchAll(/linepulse_sink_rows_written_total\{store="clickhouse",table="[^"]+"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
const writes = count('clickhouse');
line('ClickHouse table writes (all phases)', `${fmt(writes)}, ${fmt(rowsCh / Math.max(1, writes))} rows each, ${((sumS('clickhouse') / Math.max(1, writes)) * 1000).toFixed(1)} ms each`);

await sinks.stop();
await bus.close();
await clickhouse.command(`DROP DATABASE IF EXISTS ${clickhouse.database}`).catch(() => undefined);
await clickhouse.close();
await postgres.close();
rmSync(dataDir, { recursive: true, force: true });

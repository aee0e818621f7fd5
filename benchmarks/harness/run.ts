// The end-to-end benchmark (`linepulse bench`, benchmarks/README.md): in one run, on one machine and broker,
//
//   1. references: the broker's ceiling (Kafka's perf tools), kafkajs vs node-rdkafka (benchmarks/bus-throughput.ts),
//      our counts processor vs the Kafka Streams peer draining the same PieceCount backlog;
//   2. the pipeline: a seeded synthetic plant (N equipment x T tags + piece counters) published through our typed
//      producer and codec -> Kafka -> the processors (a child process, exactly-once) -> the sinks into ClickHouse
//      (chDB) and PostgreSQL (PGlite) -> the live hub -> the dashboard's Socket.IO -> a Socket.IO client here.
//      Fixed duration after a warm-up; events/s, p50/p95/p99 source -> ClickHouse and source -> dashboard,
//      CPU and RSS per process, consumer lag.
//
// Prints a table, writes JSON (and a PNG chart) under benchmarks/results/, deletes its topics. Asserts nothing.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { createBus } from '../../platform/bus/factory.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createTypedProducer } from '../../platform/bus/typed.ts';
import { readEnv } from '../../platform/config/env.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import type { Codec } from '../../platform/codec/port.ts';
import { oneLine } from '../../platform/errors.ts';
import { createLogger } from '../../platform/log.ts';
import { topics as topicTable, type TopicName } from '../../schemas/topics.ts';
import { renderChart } from './chart.ts';
import { prefixed, type ChildConfig } from './topics.ts';
import {
  brokerCeiling, busAdapters, childFile, deleteTopicsWithPrefix, peerComparison, profileArgs, repoRoot, setProfileDir,
  type AdapterRow, type CeilingResult, type PeerComparison, type Skipped,
} from './references.ts';
import { LatencyHistogram, ProcessSampler, type LatencySummary, type ProcessFigures, type ProcessSeries } from './stats.ts';
import { SyntheticPlant } from './workload.ts';
import { defaultCommitIntervalMs } from '../../processors/runtime/index.ts';

export interface BenchOptions {
  smoke: boolean;
  /** Measured seconds (after the warm-up). */
  duration: number;
  warmup: number;
  equipment: number;
  tags: number;
  /** Offered raw events per second. */
  rate: number;
  /** Counter readings per equipment per second. */
  countHz: number;
  seed: number;
  /** Processors in the pipeline child. */
  processors: string[];
  /** reorderMs of the processors in the pipeline (the plant default is 5000: a 5 s hold by design). */
  reorderMs: number;
  /** The sink's batcher maxDelayMs (its default 1000). */
  sinkDelayMs: number;
  /** The live hub's minIntervalMs (default 250, the dashboard's: at most 4 updates/s per key). */
  hubIntervalMs: number;
  /** commitIntervalMs of the processors (default 100, as `linepulse processors`; 0: a transaction per batch). */
  commitIntervalMs: number;
  references: boolean;
  peer: boolean;
  adapters: boolean;
  ceilingRecords: number;
  adapterRecords: number;
  peerEvents: number;
  profile: boolean;
  /** A soak (`--soak`): the pipeline only, for `duration` s, judged on the RSS slope of the window's second half. */
  soak: boolean;
  brokers: string[];
  /** PostgreSQL of the sinks and the dashboard; the run works in a schema of its own, dropped at the end. */
  databaseUrl: string;
  outDir: string;
  chart: boolean;
}

export function benchDefaults(smoke: boolean): BenchOptions {
  return {
    smoke,
    duration: smoke ? 3 : 30,
    warmup: smoke ? 1 : 5,
    equipment: smoke ? 4 : 50,
    tags: smoke ? 4 : 20,
    rate: smoke ? 400 : 20_000,
    countHz: 10,
    seed: 42,
    processors: ['counts', 'alerts'],
    reorderMs: 0,
    sinkDelayMs: 1_000,
    commitIntervalMs: defaultCommitIntervalMs,
    hubIntervalMs: 250,
    references: true,
    peer: !smoke,
    adapters: !smoke,
    ceilingRecords: smoke ? 5_000 : 200_000,
    adapterRecords: smoke ? 5_000 : 50_000,
    peerEvents: smoke ? 2_000 : 100_000,
    profile: false,
    soak: false,
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').filter(Boolean),
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:15432/linepulse',
    outDir: join(repoRoot, 'benchmarks/results'),
    chart: true,
  };
}

interface Tick {
  t: number;
  produced: number;
  chRows: number;
  chTelemetryP99: number | null;
  dashboardP99: number | null;
  lag: number | null;
}

export interface PipelineResult {
  offeredRate: number;
  producedPerSec: number;
  /** Raw events visible in ClickHouse per second: telemetry rows + count increments (one per piece count). */
  clickhouseEventsPerSec: number;
  sustained: boolean;
  latency: { sourceToClickHouse: LatencySummary; sourceToClickHouseViaProcessors: LatencySummary; sourceToDashboard: LatencySummary };
  lag: { maxDuringRun: number | null; atEndOfLoad: number | null; atEndOfLoadByGroup: Record<string, number>; drainedAfterMs: number | null };
  dashboard: { url: string; updatesReceived: number; hub: unknown };
  processes: ProcessFigures[];
  /** CPU % and RSS per process per second: [s, cpu %, RSS MB]. */
  rss: ProcessSeries[];
  stores: { clickhouse: string; postgres: string };
  series: Tick[];
}

export interface BenchResult {
  version: 1;
  startedAt: string;
  mode: 'smoke' | 'short' | 'soak' | 'custom';
  machine: { cpus: number; loadAverage1mAtStart: number; node: string; note: string };
  options: Omit<BenchOptions, 'outDir'>;
  recordSize: number;
  references: {
    ceiling: CeilingResult | Skipped;
    adapters: AdapterRow[] | Skipped;
    peer: PeerComparison | Skipped;
  };
  pipeline: PipelineResult | Skipped;
  ratios: Record<string, number | null>;
  targets: Array<{ target: string; value: string; met: boolean | null }>;
  files: { json: string; png: string | null };
  durationSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export async function runBench(options: BenchOptions, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchResult> {
  const started = performance.now();
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`;
  const prefix = `bench-${runId}`;
  mkdirSync(options.outDir, { recursive: true });
  const profileDir = options.profile ? join(options.outDir, `profiles-${runId}`) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  setProfileDir(profileDir);
  const logger = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'warn' });
  const env = { ...readEnv(), KAFKA_BROKERS: options.brokers };
  const bus = await createBus({ env, logger });
  const codec = createAvroCodec();
  const { loadavg, cpus } = await import('node:os');
  const recordSize = sampleRecordSize(codec);
  say(`bench ${prefix}: ${options.smoke ? 'smoke' : `${options.duration} s`} at ${options.rate.toLocaleString('en-US')} events/s, ${options.equipment} equipment x ${options.tags} tags; Avro telemetry record ${recordSize} B; processors commit interval ${options.commitIntervalMs} ms, hub interval ${options.hubIntervalMs} ms`);

  const result: BenchResult = {
    version: 1,
    startedAt: startedAt.toISOString(),
    mode: options.smoke ? 'smoke' : options.soak ? 'soak' : 'short',
    machine: { cpus: cpus().length, loadAverage1mAtStart: round(loadavg()[0] ?? 0), node: process.version, note: 'the broker, the JVM peer, every linepulse process and anything else running share these CPUs: figures are noisy' },
    options: { ...options, outDir: undefined } as unknown as Omit<BenchOptions, 'outDir'>,
    recordSize,
    references: { ceiling: { skipped: 'not run' }, adapters: { skipped: 'not run' }, peer: { skipped: 'not run' } },
    pipeline: { skipped: 'not run' },
    ratios: {},
    targets: [],
    files: { json: '', png: null },
    durationSeconds: 0,
  };

  try {
    if (options.references) {
      say('references: broker ceiling (kafka-tools ProducerPerformance / ConsumerPerformance) ...');
      result.references.ceiling = await brokerCeiling(bus, options.brokers, prefix, options.ceilingRecords, recordSize).catch((e: unknown) => ({ skipped: `failed: ${oneLine(e)}` }));
      if (options.adapters) {
        say('references: kafkajs vs node-rdkafka (benchmarks/bus-throughput.ts) ...');
        result.references.adapters = await busAdapters(options.brokers, options.adapterRecords, recordSize).catch((e: unknown) => ({ skipped: `failed: ${oneLine(e)}` }));
      } else result.references.adapters = { skipped: 'not run (smoke mode or --no-adapters)' };
      say(`references: counts processor${options.peer ? ' vs the Kafka Streams peer' : ''} on one backlog of ${options.peerEvents.toLocaleString('en-US')} PieceCount events ...`);
      result.references.peer = await peerComparison({ bus, codec, brokers: options.brokers, prefix, events: options.peerEvents, equipment: Math.max(6, options.equipment), runPeer: options.peer }).catch((e: unknown) => ({ skipped: `failed: ${oneLine(e)}` }));
    }
    say(`pipeline: ${options.warmup} s warm-up + ${options.duration} s measured ...`);
    result.pipeline = await runPipeline(options, bus, codec, prefix, say).catch((e: unknown) => ({ skipped: `failed: ${oneLine(e)}` }));
  } finally {
    await bus.close().catch(() => undefined);
    const deleted = await deleteTopicsWithPrefix(options.brokers, [prefix]).catch((e: unknown) => {
      say(`could not delete the benchmark topics ${prefix}*: ${oneLine(e)}`);
      return [];
    });
    say(`deleted ${deleted.length} benchmark topics (${prefix}*)`);
  }

  result.ratios = ratios(result);
  result.targets = targets(result, options);
  result.durationSeconds = Math.round((performance.now() - started) / 1000);
  const base = `bench-${options.smoke ? 'smoke-' : ''}${runId}`;
  const jsonFile = join(options.outDir, `${base}.json`);
  if (options.chart && !('skipped' in result.pipeline)) {
    result.files.png = await renderChart(result.pipeline, join(options.outDir, `${base}.png`), `linepulse bench ${result.startedAt} (${options.rate.toLocaleString('en-US')} events/s offered, noisy 2-core machine)`).catch((e: unknown) => {
      say(`chart not rendered: ${oneLine(e)}`);
      return null;
    });
  }
  result.files.json = jsonFile;
  writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(options.outDir, options.smoke ? 'latest-smoke.json' : 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (profileDir) say(`CPU profiles in ${profileDir} (summarise: npx tsx benchmarks/harness/profile-summary.ts ${profileDir})`);
  return result;
}

function sampleRecordSize(codec: ReturnType<typeof createAvroCodec>): number {
  const plant = new SyntheticPlant({ equipment: 10, tagsPerEquipment: 10, rate: 2_000, countHz: 1, seed: 1 });
  plant.next(0);
  const { telemetry } = plant.next(1_000);
  const sizes = telemetry.slice(0, 100).map((t) => codec.encodeSync(topicTable.telemetry.topic, 'Telemetry', t).value.length);
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

function startChild(config: ChildConfig): ChildProcess {
  return fork(childFile, [JSON.stringify(config)], { execArgv: ['--import', 'tsx', ...profileArgs()], cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function waitFor<T>(child: ChildProcess, type: string, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no '${type}' within ${timeoutMs / 1000} s`)), timeoutMs);
    const onMessage = (m: { type: string; message?: string }) => {
      if (m.type === type) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m as T);
      } else if (m.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${what}: ${m.message}`));
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}`));
    });
  });
}

/**
 * Records behind, summed over groups and partitions. On a topic written in transactions (the processors' outputs)
 * the last offset can be a commit marker a read-committed consumer never gets as a record: one offset of a
 * partition's lag is not counted there.
 */
async function lagByGroup(bus: Bus, groups: Array<{ group: string; topics: string[]; transactional?: boolean }>): Promise<Record<string, number> | null> {
  try {
    const out: Record<string, number> = {};
    for (const { group, topics, transactional } of groups) {
      let lag = 0;
      for (const topic of topics) {
        const latest = await bus.latestOffsets(topic);
        const committed = new Map((await bus.committedOffsets(group, topic)).map((o) => [o.partition, BigInt(o.offset)]));
        for (const l of latest) {
          const behind = Number(BigInt(l.offset) - (committed.get(l.partition) ?? 0n));
          lag += Math.max(0, transactional && !isRawTopic(topic) ? behind - 1 : behind);
        }
      }
      out[group] = lag;
    }
    return out;
  } catch {
    return null;
  }
}

async function totalLag(bus: Bus, groups: Array<{ group: string; topics: string[]; transactional?: boolean }>): Promise<number | null> {
  const by = await lagByGroup(bus, groups);
  return by === null ? null : Object.values(by).reduce((a, b) => a + b, 0);
}

async function runPipeline(options: BenchOptions, bus: Bus, codec: Codec, prefix: string, say: (line: string) => void): Promise<PipelineResult> {
  const raw: TopicName[] = ['telemetry', 'counts', 'state', 'dispatch'];
  await bus.ensureTopics(raw.map((n) => ({ name: prefixed(prefix, n), partitions: topicTable[n].partitions })));
  const dataDir = join(repoRoot, '.tmp', 'bench', prefix);
  mkdirSync(dataDir, { recursive: true });
  const pg = await runSchema(options.databaseUrl, prefix.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase());
  const plant = { processors: Object.fromEntries(options.processors.map((p) => [p, { reorderMs: options.reorderMs, ...(p === 'alerts' ? { sensors: benchSensorRules(options.tags) } : {}) }])) };
  const processors = startChild({ role: 'processors', prefix, processors: options.processors, plant, commitIntervalMs: options.commitIntervalMs });
  const sinks = startChild({ role: 'sinks', prefix, dataDir, databaseUrl: pg.url, sinkDelayMs: options.sinkDelayMs });
  const children = [processors, sinks];
  const stopChild = async (child: ChildProcess, what: string): Promise<Record<string, unknown>> => {
    if (child.exitCode !== null) return {};
    const final = waitFor<Record<string, unknown>>(child, 'final', 60_000, what).catch(() => ({}));
    child.send({ type: 'stop' });
    return final;
  };
  let client: Socket | null = null;
  try {
    const [proc, sinksReady] = await Promise.all([
      waitFor<{ groups: string[] }>(processors, 'ready', 120_000, 'processors process'),
      waitFor<{ clickhouse: string; postgres: string }>(sinks, 'ready', 120_000, 'sinks process'),
    ]);
    // After the sinks: they migrate the run's schema, which the dashboard reads.
    const dashboard = startChild({ role: 'dashboard', prefix, databaseUrl: pg.url, hubIntervalMs: options.hubIntervalMs });
    children.push(dashboard);
    const dashboardReady = await waitFor<{ url: string }>(dashboard, 'ready', 120_000, 'dashboard process');
    const brokerPid = Number(readFileSync(join(repoRoot, '.stack/pids/kafka.pid'), 'utf8').trim()) || null;
    say(`pipeline: processors ${proc.groups.join(', ')}; sinks -> ClickHouse (${sinksReady.clickhouse}) + PostgreSQL (${sinksReady.postgres}, schema ${pg.schema}); dashboard ${dashboardReady.url}`);

    // Dashboard client: every live countTotal, latency from the source time of the last piece it counts.
    const { io } = await import('socket.io-client');
    const dashboardAll = new LatencyHistogram();
    const dashboardSecond = new LatencyHistogram();
    let updates = 0;
    client = io(dashboardReady.url, { auth: { scope: '' }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      client!.once('connect', () => resolve());
      client!.once('connect_error', (e) => reject(e));
    });
    // The figure counts updates received while the load runs: once it stops, keys go idle and the processors'
    // idle watermarks emit revisions of the last pieces seconds after them, which says nothing about live latency.
    client.on('countTotal', (view: { eventTime: number }) => {
      const ms = Date.now() - view.eventTime;
      if (measuring) dashboardAll.record(ms);
      dashboardSecond.record(ms);
      updates += 1;
    });

    const sampler = new ProcessSampler([
      { name: 'generator + producer + Socket.IO client (bench)', pid: process.pid },
      { name: 'processors (child)', pid: processors.pid! },
      { name: 'sinks (child)', pid: sinks.pid! },
      { name: 'live feed + hub + dashboard (child)', pid: dashboard.pid! },
      ...(brokerPid ? [{ name: 'Kafka broker (JVM)', pid: brokerPid }] : []),
      ...(pg.serverPid ? [{ name: 'PostgreSQL server (all backends)', pid: pg.serverPid, children: true }] : []),
    ]);
    sampler.start();
    const lagGroups = [
      ...options.processors.map((p) => ({ group: `${prefix}.${p}`, topics: inputTopics(p).map((n) => prefixed(prefix, n)) })),
      { group: `${prefix}.sinks`, transactional: true, topics: ['telemetry', 'state', 'countIncrements', 'countTotals', 'alerts'].map((n) => prefixed(prefix, n as TopicName)) },
    ];

    // Load: a 20 ms tick; each tick's events go out as one send per topic, at most 4 sends in flight.
    const workload = new SyntheticPlant({ equipment: options.equipment, tagsPerEquipment: options.tags, rate: options.rate, countHz: options.countHz, seed: options.seed });
    const producer = createTypedProducer({ producer: await bus.producer(), codec, logger: createLogger({ name: 'bench', level: 'warn' }) });
    const contracts = {
      telemetry: { ...topicTable.telemetry, topic: prefixed(prefix, 'telemetry') },
      counts: { ...topicTable.counts, topic: prefixed(prefix, 'counts') },
    };
    let inFlight = 0;
    let sendError: unknown = null;
    const series: Tick[] = [];
    let chRowsThisSecond = 0;
    let chTelemetryP99: number | null = null;
    let chInWindow = 0;
    let producedInWindow = 0;
    let measuring = false;
    sinks.on('message', (m: { type: string; rows?: Record<string, number>; chTelemetry?: LatencySummary }) => {
      if (m.type !== 'tick') return;
      const n = (m.rows?.telemetry ?? 0) + (m.rows?.count_increments ?? 0);
      chRowsThisSecond += n;
      if (measuring) chInWindow += n;
      chTelemetryP99 = m.chTelemetry?.p99 ?? null;
    });
    let lastLag: number | null = null;
    let maxLag: number | null = null;
    const lagTimer = setInterval(() => {
      void totalLag(bus, lagGroups).then((l) => {
        lastLag = l;
        if (l !== null && measuring) maxLag = Math.max(maxLag ?? 0, l);
      });
    }, 2_000);
    const t0 = performance.now();
    let producedThisSecond = 0;
    const secondTimer = setInterval(() => {
      series.push({ t: Math.round((performance.now() - t0) / 1000), produced: producedThisSecond, chRows: chRowsThisSecond, chTelemetryP99, dashboardP99: dashboardSecond.quantile(0.99), lag: lastLag });
      producedThisSecond = 0;
      chRowsThisSecond = 0;
      dashboardSecond.reset();
    }, 1_000);
    const loadTimer = setInterval(() => {
      if (inFlight >= 4 || sendError) return;
      const slice = workload.next(Date.now(), Math.max(1, options.rate));
      const n = slice.telemetry.length + slice.counts.length;
      if (n === 0) return;
      inFlight += 1;
      Promise.all([producer.send(contracts.telemetry, slice.telemetry), producer.send(contracts.counts, slice.counts)]).then(
        () => {
          inFlight -= 1;
          producedThisSecond += n;
          if (measuring) producedInWindow += n;
        },
        (error: unknown) => {
          inFlight -= 1;
          sendError = error;
        },
      );
    }, 20);

    await sleep(options.warmup * 1_000);
    sinks.send({ type: 'reset' });
    dashboardAll.reset();
    const measureFrom = (performance.now() - t0) / 1000;
    measuring = true;
    const windowStart = performance.now();
    await sleep(options.duration * 1_000);
    const windowSeconds = (performance.now() - windowStart) / 1000;
    measuring = false;
    clearInterval(loadTimer);
    while (inFlight > 0) await sleep(10);
    if (sendError) throw sendError;
    const lagAtEndByGroup = await lagByGroup(bus, lagGroups);
    const lagAtEnd = lagAtEndByGroup === null ? null : Object.values(lagAtEndByGroup).reduce((a, b) => a + b, 0);
    // Drain: how long until every group has caught up (bounded).
    const drainStart = performance.now();
    let drainedAfterMs: number | null = null;
    while (performance.now() - drainStart < (options.smoke ? 3_000 : 30_000)) {
      const l = await totalLag(bus, lagGroups);
      if (l === 0) {
        drainedAfterMs = Math.round(performance.now() - drainStart);
        break;
      }
      await sleep(250);
    }
    clearInterval(lagTimer);
    clearInterval(secondTimer);
    sampler.sample();
    sampler.stop();
    const dashboardLatency = dashboardAll.summary();
    const [, sinksFinal, dashboardFinal] = await Promise.all([
      stopChild(processors, 'processors process'),
      stopChild(sinks, 'sinks process'),
      stopChild(dashboard, 'dashboard process'),
    ]);
    const chTelemetry = LatencyHistogram.fromSparse((sinksFinal.chTelemetry as Array<[number, number]>) ?? []).summary();
    const chIncrements = LatencyHistogram.fromSparse((sinksFinal.chIncrements as Array<[number, number]>) ?? []).summary();
    const clickhouseEventsPerSec = Math.round(chInWindow / windowSeconds);
    const producedPerSec = Math.round(producedInWindow / windowSeconds);
    return {
      offeredRate: options.rate,
      producedPerSec,
      clickhouseEventsPerSec,
      // Sustained: the producer kept up with the offered rate and every consumer group had caught up within
      // `sustainedDrainMs` of the end of the load. (Not the lag at the end of the load: the processors commit their
      // group offsets at checkpoints, every 10 s under load, so their group lag holds input already processed; they
      // checkpoint 1 s after going quiet.)
      sustained: producedPerSec >= options.rate * 0.95 && drainedAfterMs !== null && drainedAfterMs <= sustainedDrainMs,
      latency: { sourceToClickHouse: chTelemetry, sourceToClickHouseViaProcessors: chIncrements, sourceToDashboard: dashboardLatency },
      lag: { maxDuringRun: maxLag, atEndOfLoad: lagAtEnd, atEndOfLoadByGroup: Object.fromEntries(Object.entries(lagAtEndByGroup ?? {}).map(([g, n]) => [g.slice(prefix.length + 1), n])), drainedAfterMs },
      dashboard: { url: dashboardReady.url, updatesReceived: updates, hub: (dashboardFinal.hub as unknown) ?? null },
      processes: sampler.figures(measureFrom),
      rss: sampler.series,
      stores: { clickhouse: sinksReady.clickhouse, postgres: `${sinksReady.postgres} (schema ${pg.schema})` },
      series,
    };
  } finally {
    client?.close();
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await sleep(200);
    rmSync(dataDir, { recursive: true, force: true });
    await pg.drop();
  }
}

/**
 * A schema of the run's own in the PostgreSQL at `url` (any user allowed to CREATE in that database): the sinks and
 * the dashboard connect with it as search_path; dropped at the end. Also finds the server's process for the CPU
 * table when it is the local stack's.
 */
async function runSchema(url: string, schema: string): Promise<{ url: string; schema: string; serverPid: number | null; drop(): Promise<void> }> {
  const { openPostgres } = await import('../../sinks/postgres/db.ts');
  const logger = createLogger({ name: 'bench', level: 'warn' });
  const admin = await openPostgres({ url, dataDir: '.', logger, maxConnections: 1 });
  try {
    await admin.exec(`CREATE SCHEMA ${schema}`);
  } catch (error) {
    await admin.close();
    throw error;
  }
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  let serverPid: number | null = null;
  try {
    serverPid = Number(readFileSync(join(repoRoot, '.stack/postgres/postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    // not the local stack's server: its CPU is not sampled
  }
  return {
    url: scoped.toString(),
    schema,
    serverPid,
    async drop() {
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await admin.close();
    },
  };
}

/**
 * One high-limit rule per telemetry tag, on every equipment, so every sample is evaluated by the alerts processor
 * (a rule-less processor drops telemetry at the door, which would not be "through the processors"). Values are
 * uniform in [20, 30] (workload.ts): about one sample in twenty is above the limit; runs of them are short, so
 * alerts are rare and the work is the evaluation, as on a healthy line.
 */
function benchSensorRules(tags: number): Array<Record<string, unknown>> {
  return Array.from({ length: tags }, (_, t) => ({ id: `bench-tag${t}-high`, tag: `tag${t}`, above: 29.5, deadband: 0.5, raiseAfterMs: 2_000, clearAfterMs: 2_000 }));
}

/** A run whose consumer groups all caught up within this long after the load stopped kept pace with it. */
const sustainedDrainMs = 3_000;

const rawTopics = new Set(['telemetry', 'counts', 'state', 'dispatch'].map((n) => topicTable[n as TopicName].topic));
function isRawTopic(kafkaTopic: string): boolean {
  return [...rawTopics].some((t) => kafkaTopic.endsWith(`.${t}`));
}

function inputTopics(processor: string): TopicName[] {
  switch (processor) {
    case 'counts':
      return ['counts', 'dispatch'];
    case 'alerts':
      return ['state', 'telemetry', 'dispatch'];
    case 'oee':
      return ['countIncrements', 'state', 'dispatch'];
    default:
      return [];
  }
}

function ratios(r: BenchResult): Record<string, number | null> {
  const p = 'skipped' in r.pipeline ? null : r.pipeline;
  const ceiling = 'skipped' in r.references.ceiling ? null : r.references.ceiling;
  const adapters = Array.isArray(r.references.adapters) ? r.references.adapters : [];
  const kafkajs = adapters.find((a) => a.adapter === 'kafkajs');
  const rdkafka = adapters.find((a) => a.adapter === 'rdkafka');
  const peer = 'skipped' in r.references.peer ? null : r.references.peer;
  const ours = peer && !('skipped' in peer.linepulse) ? peer.linepulse.eventsPerSec : null;
  const theirs = peer && !('skipped' in peer.kstreams) ? peer.kstreams.eventsPerSec : null;
  const div = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round(a / b, 3) : null);
  return {
    endToEndVsBrokerProduceCeiling: div(p?.clickhouseEventsPerSec, ceiling?.produceRecordsPerSec),
    endToEndVsBrokerConsumeCeiling: div(p?.clickhouseEventsPerSec, ceiling?.consumeRecordsPerSec),
    countsProcessorVsKafkaStreamsPeer: div(ours, theirs),
    countsProcessorVsBrokerProduceCeiling: div(ours, ceiling?.produceRecordsPerSec),
    kafkajsVsRdkafkaProduce: div(kafkajs?.produceRecordsPerSec, rdkafka?.produceRecordsPerSec),
    kafkajsVsRdkafkaConsume: div(kafkajs?.consumeRecordsPerSec, rdkafka?.consumeRecordsPerSec),
    kafkajsProduceVsBrokerCeiling: div(kafkajs?.produceRecordsPerSec, ceiling?.produceRecordsPerSec),
    rdkafkaProduceVsBrokerCeiling: div(rdkafka?.produceRecordsPerSec, ceiling?.produceRecordsPerSec),
    endToEndVsKafkajsConsume: div(p?.clickhouseEventsPerSec, kafkajs?.consumeRecordsPerSec),
  };
}

function targets(r: BenchResult, o: BenchOptions): BenchResult['targets'] {
  const p = 'skipped' in r.pipeline ? null : r.pipeline;
  const out: BenchResult['targets'] = [];
  out.push({
    target: '>= 50,000 events/s sustained end to end (raw telemetry through the processors into ClickHouse)',
    value: p ? `${p.clickhouseEventsPerSec.toLocaleString('en-US')} events/s into ClickHouse at ${o.rate.toLocaleString('en-US')} offered (${p.sustained ? 'sustained' : 'NOT sustained: the consumers fell behind'})` : 'not measured',
    met: p ? (o.rate >= 50_000 ? p.sustained && p.clickhouseEventsPerSec >= 50_000 : p.sustained ? null : false) : null,
  });
  const d = p?.latency.sourceToDashboard;
  out.push({
    target: 'p99 source -> dashboard < 250 ms at 20,000 events/s',
    value: d && d.p99 !== null ? `p99 ${d.p99} ms at ${o.rate.toLocaleString('en-US')} events/s offered (${d.samples} updates)` : 'not measured',
    met: d && d.p99 !== null && o.rate >= 20_000 ? d.p99 < 250 && (p?.sustained ?? false) : null,
  });
  // Judged on the second half of the window: the first minutes include heaps, chDB caches and consumer buffers
  // growing to their working size. Growth while the consumers fall behind is lag being held, not a leak: a soak
  // counts only when the pipeline kept up.
  // The linepulse processes (the children); the bench process (generator, Socket.IO client, the run's own series)
  // and the broker are reported but not judged.
  const ours = p ? p.processes.filter((x) => x.name.includes('(child)')) : [];
  const rssMax = p ? Math.max(...ours.map((x) => Math.abs(x.rssSlopeMbPerMin))) : null;
  const rssHalfMax = p ? Math.max(...ours.map((x) => Math.abs(x.rssSlopeSecondHalfMbPerMin))) : null;
  out.push({
    target: 'RSS flat over a 10-minute soak',
    value: p
      ? `largest RSS slope of the processors, sinks and dashboard processes ${rssMax} MB/min over ${o.duration} s, ${rssHalfMax} MB/min over its second half${p.sustained ? '' : ' (load NOT sustained: the consumers fell behind)'}`
      : 'not measured',
    met: p && o.duration >= 600 ? (rssHalfMax ?? 0) < 1 && p.sustained : null,
  });
  const ratio = r.ratios.countsProcessorVsKafkaStreamsPeer ?? null;
  out.push({ target: '>= 1.0x the Kafka Streams peer (counts, exactly-once, same input)', value: ratio === null ? 'not measured' : `${ratio}x`, met: ratio === null ? null : ratio >= 1 });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));

export function formatReport(r: BenchResult): string {
  const lines: string[] = [];
  lines.push(`linepulse bench ${r.startedAt} (${r.mode}; ${r.machine.cpus} CPUs, load ${r.machine.loadAverage1mAtStart} at start; Node ${r.machine.node})`);
  lines.push(`NOTE: ${r.machine.note}.`);
  lines.push('');
  const c = r.references.ceiling;
  lines.push('| reference | produce /s | consume /s | note |');
  lines.push('| --- | ---: | ---: | --- |');
  if ('skipped' in c) lines.push(`| broker ceiling | - | - | ${c.skipped} |`);
  else lines.push(`| broker ceiling (kafka-tools) | ${fmt(c.produceRecordsPerSec)} | ${fmt(c.consumeRecordsPerSec)} | ${fmt(c.records)} x ${c.recordSize} B, acks=all, idempotent; fetch-only ${fmt(c.consumeFetchRecordsPerSec)}/s |`);
  const a = r.references.adapters;
  if ('skipped' in a) lines.push(`| bus adapters | - | - | ${a.skipped} |`);
  else for (const row of a) lines.push(`| bus adapter ${row.adapter} | ${fmt(row.produceRecordsPerSec)} | ${fmt(row.consumeRecordsPerSec)} | ${row.note ?? 'benchmarks/bus-throughput.ts, sends of 1000'} |`);
  lines.push('');
  const peer = r.references.peer;
  if (!('skipped' in peer)) {
    lines.push(`| counts on one backlog (${fmt(peer.input.events)} PieceCount, ${peer.input.partitions} partitions, exactly-once) | events/s | seconds | CPU avg % | RSS max MB |`);
    lines.push('| --- | ---: | ---: | ---: | ---: |');
    for (const [name, d] of [['linepulse counts processor (Node, kafkajs)', peer.linepulse], ['Kafka Streams peer (JVM, exactly_once_v2, 1 thread)', peer.kstreams]] as const) {
      if ('skipped' in d) lines.push(`| ${name} | ${d.skipped} | | | |`);
      else lines.push(`| ${name} | ${fmt(d.eventsPerSec)} | ${d.seconds} | ${d.process?.cpuAvgPct ?? '-'} | ${d.process?.rssMaxMb ?? '-'} |`);
    }
    lines.push('');
  } else lines.push(`counts vs peer: ${peer.skipped}`, '');
  const p = r.pipeline;
  if ('skipped' in p) lines.push(`pipeline: ${p.skipped}`);
  else {
    lines.push(`pipeline at ${fmt(p.offeredRate)} events/s offered: produced ${fmt(p.producedPerSec)}/s, into ClickHouse ${fmt(p.clickhouseEventsPerSec)}/s, ${p.sustained ? 'sustained' : 'NOT sustained'}; lag max ${fmt(p.lag.maxDuringRun)}, at end of load ${fmt(p.lag.atEndOfLoad)} (${Object.entries(p.lag.atEndOfLoadByGroup).map(([g, n]) => `${g} ${fmt(n)}`).join(', ')}), drained after ${p.lag.drainedAfterMs === null ? 'more than the wait' : `${p.lag.drainedAfterMs} ms`}`);
    lines.push('');
    lines.push('| latency (ms) | samples | p50 | p95 | p99 | max |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, s] of [
      ['source -> ClickHouse (telemetry)', p.latency.sourceToClickHouse],
      ['source -> ClickHouse (count increments, via processors)', p.latency.sourceToClickHouseViaProcessors],
      ['source -> dashboard (Socket.IO countTotal)', p.latency.sourceToDashboard],
    ] as const)
      lines.push(`| ${name} | ${fmt(s.samples)} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
    lines.push('');
    lines.push('| process | CPU avg % | CPU max % | RSS start MB | RSS end MB | RSS slope MB/min | 2nd half MB/min |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const x of p.processes) lines.push(`| ${x.name} | ${x.cpuAvgPct} | ${x.cpuMaxPct} | ${x.rssStartMb} | ${x.rssEndMb} | ${x.rssSlopeMbPerMin} | ${x.rssSlopeSecondHalfMbPerMin} |`);
    const minutes = Math.max(0, ...p.processes.map((x) => x.rssByMinuteMb.length));
    if (minutes >= 2) {
      lines.push('');
      lines.push(`| RSS MB, mean of each minute | ${Array.from({ length: minutes }, (_, i) => `min ${i + 1}`).join(' | ')} |`);
      lines.push(`| --- | ${Array.from({ length: minutes }, () => '---:').join(' | ')} |`);
      for (const x of p.processes) lines.push(`| ${x.name} | ${Array.from({ length: minutes }, (_, i) => x.rssByMinuteMb[i] ?? '-').join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('| ratio | value |');
  lines.push('| --- | ---: |');
  for (const [k, v] of Object.entries(r.ratios)) lines.push(`| ${k} | ${v === null ? '-' : `${v}x`} |`);
  lines.push('');
  lines.push('| target | measured | met |');
  lines.push('| --- | --- | --- |');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.value} | ${t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'} |`);
  lines.push('');
  lines.push(`JSON: ${r.files.json}${r.files.png ? `\nchart: ${r.files.png}` : ''}\n(${r.durationSeconds} s)`);
  return lines.join('\n');
}

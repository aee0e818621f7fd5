// The references every benchmark run measures on the same machine and broker, so our figures can be given as
// ratios: Kafka's own perf tools (the broker's ceiling), the kafkajs and node-rdkafka bus adapters
// (benchmarks/bus-throughput.ts), and the Kafka Streams peer against our counts processor on one input topic.
import { execFile, fork, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { Bus } from '../../platform/bus/port.ts';
import type { Codec } from '../../platform/codec/port.ts';
import { topics as topicTable } from '../../schemas/topics.ts';
import { produceEvents } from '../../processors/runtime/live-harness.ts';
import { ProcessSampler, type ProcessFigures } from './stats.ts';
import { pieceCountBacklog } from './workload.ts';
import type { ChildConfig } from './topics.ts';

const execFileAsync = promisify(execFile);

export const repoRoot = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const kafkaLibs = join(repoRoot, '.stack/kafka/libs');
const log4j = join(repoRoot, 'benchmarks/harness/log4j.properties');
const peerDir = join(repoRoot, 'benchmarks/kstreams-peer');
const childFile = join(repoRoot, 'benchmarks/harness/pipeline-child.ts');

export type Skipped = { skipped: string };

export interface CeilingResult {
  tool: 'kafka-tools ProducerPerformance / ConsumerPerformance';
  records: number;
  recordSize: number;
  partitions: number;
  produceRecordsPerSec: number;
  produceAvgLatencyMs: number | null;
  consumeRecordsPerSec: number;
  /** ConsumerPerformance's fetch rate, without the group join. */
  consumeFetchRecordsPerSec: number | null;
}

export interface AdapterRow {
  adapter: string;
  produceRecordsPerSec: number | null;
  consumeRecordsPerSec: number | null;
  note?: string;
}

export interface DrainResult {
  events: number;
  seconds: number;
  eventsPerSec: number;
  startupSeconds: number;
  timedOut: boolean;
  process?: ProcessFigures;
  [extra: string]: unknown;
}

export interface PeerComparison {
  input: { topic: string; events: number; equipment: number; partitions: number };
  linepulse: DrainResult | Skipped;
  kstreams: DrainResult | Skipped;
}

function javaAvailable(): boolean {
  return existsSync(kafkaLibs) && readdirSync(kafkaLibs).some((f) => f.startsWith('kafka-tools-'));
}

export async function deleteTopicsWithPrefix(brokers: string[], prefixes: string[]): Promise<string[]> {
  const admin = new Kafka({ clientId: 'linepulse-bench', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
    return mine;
  } finally {
    await admin.disconnect();
  }
}

async function java(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await execFileAsync('java', ['-Xms128m', '-Xmx512m', `-Dlog4j.configuration=file:${log4j}`, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return { stdout, stderr };
}

/** Kafka's own producer and consumer perf tools, `records` of `recordSize` bytes on a fresh 6-partition topic. */
export async function brokerCeiling(bus: Bus, brokers: string[], prefix: string, records: number, recordSize: number): Promise<CeilingResult | Skipped> {
  if (!javaAvailable()) return { skipped: `kafka-tools jar not found in ${relative(repoRoot, kafkaLibs)} (run: node bin/linepulse.js stack up)` };
  const topic = `${prefix}.ceiling`;
  await bus.ensureTopics([{ name: topic, partitions: 6 }]);
  const cp = `${kafkaLibs}/*`;
  const produced = await java(
    ['-cp', cp, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${brokers.join(',')}`, 'acks=all', 'enable.idempotence=true', 'linger.ms=5', 'batch.size=65536'],
    120_000,
  );
  // "100000 records sent, 54113.1 records/sec (10.32 MB/sec), 1.20 ms avg latency, ..."
  const summary = /(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), ([\d.]+) ms avg latency/.exec(produced.stdout.trim().split('\n').pop() ?? '');
  if (!summary) throw new Error(`ProducerPerformance printed no summary: ${produced.stdout.slice(-300)} ${produced.stderr.slice(-300)}`);
  const consumed = await java(
    ['-cp', cp, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', brokers.join(','), '--topic', topic, '--messages', String(records), '--group', `${prefix}.ceiling`, '--timeout', '60000'],
    120_000,
  );
  // header "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
  const lines = consumed.stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.includes('nMsg.sec'));
  const cols = header >= 0 ? lines[header]!.split(',').map((s) => s.trim()) : [];
  const vals = header >= 0 && lines[header + 1] ? lines[header + 1]!.split(',').map((s) => s.trim()) : [];
  const col = (name: string) => {
    const i = cols.indexOf(name);
    return i >= 0 && vals[i] !== undefined ? Number(vals[i]) : null;
  };
  return {
    tool: 'kafka-tools ProducerPerformance / ConsumerPerformance',
    records,
    recordSize,
    partitions: 6,
    produceRecordsPerSec: Math.round(Number(summary[2])),
    produceAvgLatencyMs: Number(summary[3]),
    consumeRecordsPerSec: Math.round(col('nMsg.sec') ?? 0),
    consumeFetchRecordsPerSec: col('fetch.nMsg.sec') === null ? null : Math.round(col('fetch.nMsg.sec')!),
  };
}

/** kafkajs vs node-rdkafka through our bus port: runs benchmarks/bus-throughput.ts and reads its table. */
export async function busAdapters(brokers: string[], records: number, recordSize: number): Promise<AdapterRow[]> {
  const { stdout } = (await execFileAsync(process.execPath, ['--import', 'tsx', join(repoRoot, 'benchmarks/bus-throughput.ts'), '--records', String(records), '--size', String(recordSize), '--batch', '1000', '--adapters', 'kafkajs,rdkafka'], {
    cwd: repoRoot,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(',') },
    timeout: 240_000,
    maxBuffer: 4 * 1024 * 1024,
  })) as { stdout: string };
  const rows: AdapterRow[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\| (kafkajs|rdkafka) \| ([^|]*) \| ([^|]*) \|/.exec(line);
    if (!m) continue;
    const num = (s: string) => (/^[\d,]+$/.test(s.trim()) ? Number(s.trim().replace(/,/g, '')) : null);
    const produce = num(m[2]!);
    rows.push({ adapter: m[1]!, produceRecordsPerSec: produce, consumeRecordsPerSec: num(m[3]!), ...(produce === null ? { note: m[2]!.trim() } : {}) });
  }
  if (rows.length === 0) throw new Error(`bus-throughput.ts printed no table: ${stdout.slice(-400)}`);
  return rows;
}

/** Builds the peer with Maven when its jar is missing or older than its sources. */
export async function buildPeer(): Promise<string | null> {
  const jar = join(peerDir, 'target/kstreams-peer.jar');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  const sources = Math.max(newest(join(peerDir, 'src')), statSync(join(peerDir, 'pom.xml')).mtimeMs);
  if (existsSync(jar) && existsSync(join(peerDir, 'target/lib')) && statSync(jar).mtimeMs >= sources) return null;
  const started = performance.now();
  await execFileAsync('mvn', ['-q', '-B', 'package'], { cwd: peerDir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  return `built in ${Math.round((performance.now() - started) / 1000)} s`;
}

/**
 * One backlog of PieceCount events on a fresh topic, drained first by our counts processor (a child process,
 * exactly-once transactions per batch) and then by the Kafka Streams peer (exactly_once_v2), one after the other.
 */
export async function peerComparison(options: { bus: Bus; codec: Codec; brokers: string[]; prefix: string; events: number; equipment: number; samplerMs?: number; runPeer: boolean }): Promise<PeerComparison> {
  const { bus, codec, prefix, events, equipment } = options;
  const topic = `${prefix}.peer-input.${topicTable.counts.topic}`;
  await bus.ensureTopics([{ name: topic, partitions: topicTable.counts.partitions }]);
  await produceEvents(bus, codec, 'counts', topic, pieceCountBacklog(events, equipment, Date.UTC(2025, 0, 6, 5, 0, 0), 7), 2_000);
  const input = { topic, events, equipment, partitions: topicTable.counts.partitions };

  const linepulse = await drainWithChild({ role: 'drain', prefix, input: topic, events, maxBatchSize: 2_000 }).catch((error: unknown) => ({ skipped: `failed: ${(error as Error).message}` }));
  if (!options.runPeer) return { input, linepulse, kstreams: { skipped: 'not run (smoke mode or --no-peer)' } };
  let kstreams: DrainResult | Skipped;
  try {
    const built = await buildPeer();
    if (built) process.stderr.write(`bench: Kafka Streams peer ${built}\n`);
    await bus.ensureTopics([`${prefix}.kstreams.count-increments`, `${prefix}.kstreams.count-totals`].map((name) => ({ name, partitions: input.partitions })));
    kstreams = await runPeer(options.brokers, prefix, topic, events);
  } catch (error) {
    kstreams = { skipped: `failed: ${(error as Error).message.split('\n')[0]}` };
  }
  return { input, linepulse, kstreams };
}

async function drainWithChild(config: ChildConfig): Promise<DrainResult> {
  const child = fork(childFile, [JSON.stringify(config)], { execArgv: ['--import', 'tsx', ...profileArgs()], cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sampler = new ProcessSampler([{ name: 'linepulse counts (drain)', pid: child.pid! }], 500);
  sampler.start();
  try {
    const final = await new Promise<DrainResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('drain did not finish within 300 s')), 320_000);
      child.on('message', (m: { type: string; message?: string } & DrainResult) => {
        if (m.type === 'final') {
          clearTimeout(timer);
          resolve(m);
        }
        if (m.type === 'error') reject(new Error(m.message));
      });
      child.on('exit', (code) => code !== 0 && reject(new Error(`drain process exited with ${code}`)));
    });
    sampler.stop();
    const { type: _type, ...rest } = final as DrainResult & { type?: string };
    return { ...rest, process: sampler.figures()[0]! };
  } finally {
    sampler.stop();
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

async function runPeer(brokers: string[], prefix: string, input: string, events: number): Promise<DrainResult> {
  const args = [
    '-Xms256m', '-Xmx512m', `-Dlog4j.configuration=file:${log4j}`,
    '-cp', `${join(peerDir, 'target/kstreams-peer.jar')}:${join(peerDir, 'target/lib')}/*`,
    'dev.linepulse.bench.PieceCountPeer',
    '--bootstrap', brokers.join(','), '--input', input,
    '--increments', `${prefix}.kstreams.count-increments`, '--totals', `${prefix}.kstreams.count-totals`,
    '--app-id', `${prefix}.kstreams`, '--schemas', join(repoRoot, 'schemas/avro'),
    '--events', String(events), '--timeout', '240',
  ];
  const child = spawn('java', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const sampler = new ProcessSampler([{ name: 'Kafka Streams peer (JVM)', pid: child.pid! }], 500);
  sampler.start();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  sampler.stop();
  const line = stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`peer exited with ${code} and no result: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  // (`skipped` would read as "not run" in the report: older peer builds printed the undecodable count under it)
  const { skipped: undecodable, ...parsed } = JSON.parse(line) as DrainResult & { failed?: boolean; skipped?: number };
  const result = { ...parsed, ...(undecodable !== undefined ? { undecodable } : {}) } as DrainResult & { failed?: boolean };
  if (result.failed) throw new Error(`peer stream thread failed: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return { ...result, process: sampler.figures()[0]! };
}

/** Set by run.ts when --profile is given: children write V8 CPU profiles there. */
export let profileDir: string | null = null;
export function setProfileDir(dir: string | null): void {
  profileDir = dir;
}
export function profileArgs(): string[] {
  return profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
}
export { childFile };

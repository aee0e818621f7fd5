// Edge throughput: one edge process subscribed to 10k OPC-UA items changing at 1 Hz and 1k items at 10 Hz
// (20k values/s nominal), forwarding through the outbox with the Avro codec to the embedded bus (or Kafka with
// --kafka, which needs KAFKA_BROKERS; it writes to the real linepulse raw topics, so use a broker of your own).
// Prints figures, asserts nothing.
//
//   npx tsx benchmarks/edge.ts [--slow 10000] [--fast 1000] [--servers 1] [--warmup 20] [--seconds 30] [--kafka]
//
// The OPC-UA servers (the plant simulator with load variables; --servers N splits the items over N server
// processes) run in child processes so the edge's CPU is its own. "server wrote" counts the values the servers
// actually wrote (their timers fall behind the nominal rates on a busy machine), "captured" what the edge received.
// CPU % is process CPU time / wall time (100 % = one core). Also measured: outbox write throughput on its own
// (append + commit of 200k events into a fresh SQLite file, no forwarding).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createEmbeddedBus } from '../platform/bus/embedded.ts';
import type { Bus } from '../platform/bus/port.ts';
import { linepulseTopicSpecs } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { createLogger, silentLogger } from '../platform/log.ts';
import { startEdge } from '../edge/index.ts';
import type { EdgeEvent } from '../edge/events.ts';
import { createEdgeMetrics } from '../edge/metrics.ts';
import { openOutbox } from '../edge/outbox/outbox.ts';
import { startPlantSimulator } from '../edge/sim/index.ts';
import { stringArg } from './args.ts';

const slow = Number(stringArg('--slow', '10000'));
const fast = Number(stringArg('--fast', '1000'));
const warmup = Number(stringArg('--warmup', '20'));
const seconds = Number(stringArg('--seconds', '30'));
const servers = Number(stringArg('--servers', '1'));

if (process.argv.includes('--server')) {
  // Child: the OPC-UA server with the load variables; prints its endpoint and its pid.
  const sim = await startPlantSimulator({ machines: 1, port: 0, pkiDir: join(tmpdir(), 'linepulse-bench-pki'), load: [{ count: slow, intervalMs: 1_000 }, { count: fast, intervalMs: 100 }], logger: createLogger({ name: 'bench-sim', level: 'warn' }) });
  process.stdout.write(`${JSON.stringify({ endpointUrl: sim.endpointUrl, pid: process.pid })}\n`);
  // Values actually written (the child's timers can fall behind the nominal rates on a loaded machine).
  setInterval(() => process.stdout.write(`${JSON.stringify({ writes: sim.loadWrites(), at: Date.now() })}\n`), 250).unref();
  process.on('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
} else {
  await main();
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s)
}

async function outboxWriteThroughput(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lp-bench-outbox-'));
  const box = openOutbox({ path: join(dir, 'outbox.sqlite'), logger: silentLogger(), metrics: createEdgeMetrics(), maxEvents: 10_000_000 });
  const n = 200_000;
  const t = Date.now();
  const event = (i: number): EdgeEvent => ({
    topic: 'telemetry',
    event: { eventTime: t + i, equipment: 'demo/plant1/assembly/line1/cell1/M01', tag: `L${i % 1000}`, value: i, text: null, unit: null, quality: 'GOOD', statusCode: 0, outOfRange: false, origin: { sourceId: 'bench', serverTime: t, edgeTime: t + i, historical: false } },
  });
  const started = performance.now();
  for (let i = 0; i < n; i += 1) box.append(event(i));
  box.flush();
  const elapsed = (performance.now() - started) / 1000;
  box.close();
  rmSync(dir, { recursive: true, force: true });
  return n / elapsed;
}

async function main(): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  console.log(`edge benchmark: ${slow} items at 1 Hz + ${fast} items at 10 Hz = ${slow + fast * 10} values/s offered; warm-up ${warmup} s, measured ${seconds} s`);
  const writeRate = await outboxWriteThroughput();
  console.log(`outbox write throughput (append + commit, no forwarding): ${Math.round(writeRate).toLocaleString('en')} events/s`);

  const slowPer = Math.ceil(slow / servers);
  const fastPer = Math.ceil(fast / servers);
  const writes = new Map<number, number>();
  const serverWrites = () => [...writes.values()].reduce((a, b) => a + b, 0);
  const children: Array<{ child: ReturnType<typeof spawn>; info: { endpointUrl: string; pid: number } }> = [];
  for (let k = 0; k < servers; k += 1) children.push(await startServer(k));
  async function startServer(k: number) {
    const child = spawn(process.execPath, ['--import', 'tsx', here, '--server', '--slow', String(slowPer), '--fast', String(fastPer)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ endpointUrl: string; pid: number }>((resolveInfo, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          const msg = JSON.parse(line) as { endpointUrl?: string; pid?: number; writes?: number };
          if (msg.writes !== undefined) writes.set(k, msg.writes);
          else if (msg.endpointUrl && msg.pid) resolveInfo({ endpointUrl: msg.endpointUrl, pid: msg.pid });
        }
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    return { child, info };
  }
  const logger = createLogger({ name: 'bench-edge', level: 'warn' });
  const dataDir = mkdtempSync(join(tmpdir(), 'lp-bench-edge-'));
  let bus: Bus;
  if (process.argv.includes('--kafka')) {
    const { createBus } = await import('../platform/bus/factory.ts');
    const { readEnv } = await import('../platform/config/env.ts');
    bus = await createBus({ env: readEnv(), logger });
  } else bus = createEmbeddedBus({ logger, broker: undefined });
  await bus.ensureTopics(linepulseTopicSpecs());
  const registry = new Registry();
  const tags = (k: number) => [
    ...Array.from({ length: slowPer }, (_, i) => ({ node: `ns=1;s=Load.${i}`, equipment: `bench/p1/s${k}/l1/c${Math.floor(i / 1000)}/e${i % 1000}`, role: 'sensor' as const, samplingIntervalMs: 0, queueSize: 4 })),
    ...Array.from({ length: fastPer }, (_, i) => ({ node: `ns=1;s=Load.${slowPer + i}`, equipment: `bench/p1/s${k}/l2/c${Math.floor(i / 1000)}/e${i % 1000}`, role: 'sensor' as const, samplingIntervalMs: 0, queueSize: 20 })),
  ];
  const started = performance.now();
  const edge = await startEdge({
    config: { opcua: children.map((c, k) => ({ id: `bench${k}`, endpoint: c.info.endpointUrl, subscription: { publishingIntervalMs: 500 }, tags: tags(k) })) },
    producer: await bus.producer(),
    codec: createAvroCodec(),
    logger,
    metrics: registry,
    dataDir,
  });
  await edge.ready();
  console.log(`subscribed ${(slowPer + fastPer) * servers} monitored items in ${((performance.now() - started) / 1000).toFixed(1)} s (bus: ${bus.kind})`);
  await new Promise((r) => setTimeout(r, warmup * 1000));

  const counter = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values.reduce((s, v) => s + v.value, 0) ?? 0;
  const c0 = await counter('linepulse_edge_events_captured_total');
  const f0 = await counter('linepulse_edge_events_forwarded_total');
  const w0 = await counter('linepulse_edge_outbox_writes_total');
  const cpu0 = process.cpuUsage();
  const serverCpu = () => children.reduce((sum, c) => sum + cpuTicks(c.info.pid), 0);
  const srv0 = serverCpu();
  const sw0 = serverWrites();
  const t0 = performance.now();
  let lagMax = 0;
  let last = performance.now();
  const lagTimer = setInterval(() => {
    const t = performance.now();
    lagMax = Math.max(lagMax, t - last - 100);
    last = t;
  }, 100);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(lagTimer);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const srv = serverCpu() - srv0;
  const written0 = (serverWrites() - sw0) / wall;
  const captured = ((await counter('linepulse_edge_events_captured_total')) - c0) / wall;
  const forwarded = ((await counter('linepulse_edge_events_forwarded_total')) - f0) / wall;
  const written = ((await counter('linepulse_edge_outbox_writes_total')) - w0) / wall;
  const health = edge.health();
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  console.log(`server wrote: ${fmt(written0)} values/s (nominal ${fmt(slow + fast * 10)}; its timers fall behind on a loaded machine)`);
  console.log(`captured:  ${fmt(captured)} events/s (${((100 * captured) / Math.max(1, written0)).toFixed(1)} % of the values written)`);
  console.log(`forwarded: ${fmt(forwarded)} events/s`);
  console.log(`outbox writes in the run: ${fmt(written)} events/s; backlog at the end ${health.backlog}, oldest unsent ${health.oldestUnsentAgeMs} ms`);
  console.log(`edge CPU: ${((100 * (cpu.user + cpu.system)) / 1e6 / wall).toFixed(0)} % of one core; OPC-UA servers (${servers} child processes) CPU: ${(srv / wall).toFixed(0)} %; longest event-loop stall ${lagMax.toFixed(0)} ms`);
  console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; cores ${(await import('node:os')).cpus().length}; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await edge.stop();
  await bus.close();
  for (const c of children) c.child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

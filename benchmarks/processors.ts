// Processor throughput and latency against the real Kafka of the test stack, one processor instance in this
// single-threaded Node process (the broker runs on the same machine). Prints figures, asserts nothing.
//
//   node bin/linepulse.js stack up --services kafka
//   KAFKA_BROKERS=127.0.0.1:19092 npx tsx benchmarks/processors.ts [--processor counts|oee] [--events 100000]
//     [--keys 24] [--rate 2000] [--seconds 20] [--max-batch 500] [--totals-interval <ms>] [--client kafkajs|rdkafka]
//     [--coalesce] (one revision per window per transaction, as `linepulse processors` runs them)
//     [--profile-drain <file.cpuprofile>] (V8 CPU profile of phase 1 only, for Chrome DevTools or a summary script)
//
// Phase 1, throughput: `--events` input events are produced first (a backlog on 6 partitions, `--keys` machines),
// then the processor drains them: events/s from its first to its last commit. Every batch is one Kafka transaction
// with the outputs, the changelog snapshots of the touched keys and the input offsets.
//   counts: PieceCount events (counter readings with a rollover and a reset, rejects), 1 CountIncrement + 3
//           CountTotal (shift, hour, day) per input; `--totals-interval` coalesces totals in event time.
//   oee:    the CountIncrement events the counts processor derives from that workload, plus a state change every
//           20 increments per machine (running / unplanned stop).
// Phase 2, latency: the same kind of events produced at `--rate`/s for `--seconds`; per event, the commit time of
// its transaction minus its produce time (record timestamp): p50 / p99 / max, and the batch handling time.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createKafkajsBus } from '../platform/bus/kafkajs.ts';
import type { Bus } from '../platform/bus/port.ts';
import { createRdkafkaBus } from '../platform/bus/rdkafka.ts';
import { encodeEvents } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { createLogger } from '../platform/log.ts';
import { createMetrics } from '../platform/metrics.ts';
import { topics, type TopicName } from '../schemas/topics.ts';
import type { ProcessorCore } from '../processors/contract.ts';
import { countsConfig } from '../processors/counts/config.ts';
import { countsCore } from '../processors/counts/core.ts';
import { oeeConfig } from '../processors/oee/config.ts';
import { oee } from '../processors/oee/core.ts';
import { changelogTopicName } from '../processors/runtime/changelog.ts';
import { countWorkload, expectedOutputs, topicNamesFor, waitConsumed } from '../processors/runtime/live-harness.ts';
import { startLiveProcessor, type CommitInfo } from '../processors/runtime/live.ts';
import { equipmentState } from '../processors/runtime/test-events.ts';
import { positiveArg } from './args.ts';

const argText = (name: string, allowed: readonly string[]): string => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v !== undefined && allowed.includes(v) ? v : allowed[0]!;
};
const processorName = argText('--processor', ['counts', 'oee']);
const totalEvents = positiveArg('--events', 100_000);
const keys = positiveArg('--keys', 24);
const rate = positiveArg('--rate', 2_000);
const seconds = positiveArg('--seconds', 20);
const maxBatch = positiveArg('--max-batch', 500);
const totalsIntervalMs = process.argv.includes('--totals-interval') ? positiveArg('--totals-interval', 0) : 0;
const client = argText('--client', ['kafkajs', 'rdkafka']);
const coalesce = process.argv.includes('--coalesce');
const profileIndex = process.argv.indexOf('--profile-drain');
const profileFile = profileIndex >= 0 ? process.argv[profileIndex + 1] : undefined;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');

const logger = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'warn' });
const codec = createAvroCodec();
const calendars = {
  default: { timeZone: 'Europe/Berlin', shifts: [{ name: 'early', start: '06:00', end: '14:00' }, { name: 'late', start: '14:00', end: '22:00' }, { name: 'night', start: '22:00', end: '06:00' }] },
};
const countsCfg = countsConfig({ totalsIntervalMs, calendars });

interface Input {
  topic: TopicName;
  value: { eventId: string; equipment: string };
}

interface Workload {
  core: ProcessorCore<unknown, unknown>;
  config: unknown;
  topics: TopicName[];
  /** `count` input events from event time `start`, ids prefixed with `tag`. */
  events(count: number, start: number, tag: string): Input[];
}

function countInputs(count: number, start: number, tag: string): Input[] {
  return countWorkload({ keys, perKey: Math.ceil(count / keys), start, stepMs: 500 })
    .slice(0, count)
    .map((e) => ({ topic: 'counts' as const, value: { ...e, eventId: `${tag}${e.eventId}` } }));
}

const workloads: Record<string, Workload> = {
  counts: {
    core: countsCore as ProcessorCore<unknown, unknown>,
    config: countsCfg,
    topics: ['counts', 'dispatch', 'countIncrements', 'countTotals'],
    events: countInputs,
  },
  oee: {
    core: oee as ProcessorCore<unknown, unknown>,
    config: oeeConfig({ calendars, idealCycleTime: { defaultMs: 400 } }),
    topics: ['state', 'countIncrements', 'dispatch', 'oee'],
    events(count, start, tag) {
      const counts = countInputs(count, start, tag);
      const increments = expectedOutputs(countsCore, countsCfg, counts.map((c) => ({ topic: c.topic, key: c.value.equipment, value: c.value })))
        .filter((o) => o.topic === 'countIncrements')
        .map((o) => ({ topic: 'countIncrements' as const, value: o.value as Input['value'] & { eventTime: number } }));
      const perMachine = new Map<string, number>();
      const out: Input[] = [];
      for (const inc of increments) {
        const n = perMachine.get(inc.value.equipment) ?? 0;
        perMachine.set(inc.value.equipment, n + 1);
        if (n % 20 === 0 || n % 20 === 17)
          out.push({ topic: 'state', value: equipmentState({ eventId: `${tag}st-${inc.value.equipment}-${n}`, eventTime: inc.value.eventTime - 1, equipment: inc.value.equipment, state: n % 20 === 0 ? 'EXECUTE' : 'STOPPED' }) });
        out.push(inc);
      }
      return out.slice(0, count);
    },
  },
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function newBus(): Promise<Bus> {
  const options = { connection: { brokers, clientId: 'linepulse-bench' }, logger };
  return client === 'rdkafka' ? createRdkafkaBus(options) : createKafkajsBus(options);
}

async function send(bus: Bus, names: Partial<Record<TopicName, string>>, inputs: Input[], batchSize: number): Promise<void> {
  const producer = await bus.producer();
  try {
    for (let i = 0; i < inputs.length; i += batchSize) {
      const byTopic = new Map<TopicName, unknown[]>();
      for (const input of inputs.slice(i, i + batchSize)) {
        const list = byTopic.get(input.topic) ?? [];
        list.push(input.value);
        byTopic.set(input.topic, list);
      }
      for (const [topic, values] of byTopic) {
        const { records } = await encodeEvents(codec, { ...topics[topic], topic: names[topic]! }, values as never[]);
        await producer.send(names[topic]!, records);
      }
    }
  } finally {
    await producer.close();
  }
}

async function run(): Promise<void> {
  const workload = workloads[processorName]!;
  const bus = await newBus();
  const prefix = `bench_${Date.now().toString(36)}${process.pid.toString(36)}`;
  const names = topicNamesFor(prefix, workload.topics);
  const groupId = `${prefix}.${workload.core.name}`;
  const inputTopics = workload.core.inputs.map((t) => names[t]!);
  await bus.ensureTopics(inputTopics.map((name) => ({ name, partitions: 6 })));

  // -- phase 1: drain a backlog -------------------------------------------------------------------------------
  const backlog = workload.events(totalEvents, Date.parse('2024-03-05T08:00:00+01:00'), '');
  const produceStarted = performance.now();
  await send(bus, names, backlog, 2_000);
  const produceSeconds = (performance.now() - produceStarted) / 1000;

  const commits: CommitInfo[] = [];
  const profiler = profileFile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpuBefore = process.cpuUsage();
  const processor = await startLiveProcessor({
    core: workload.core,
    config: workload.config,
    bus,
    codec,
    logger,
    metrics: createMetrics(),
    groupId,
    changelogTopic: `${prefix}.${changelogTopicName(workload.core.name)}`,
    topicNames: names,
    deadLetterTopic: `${prefix}.dlq`,
    idle: false,
    maxBatchSize: maxBatch,
    coalesce,
    onCommit: (info) => commits.push(info),
  });
  await waitConsumed(bus, groupId, inputTopics, 900_000);
  const cpu = process.cpuUsage(cpuBefore);
  if (profiler && profileFile) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
    profiler.disconnect();
  }
  // From the first to the last transaction that handled input (a checkpoint alone after the drain is not drain time).
  const handling = commits.filter((c) => c.records > 0);
  const first = Math.min(...handling.map((c) => c.committedAt - c.durationMs));
  const last = Math.max(...handling.map((c) => c.committedAt));
  const drained = commits.reduce((sum, c) => sum + c.records, 0);
  const outputs = commits.reduce((sum, c) => sum + c.outputs, 0);
  const drainSeconds = (last - first) / 1000;
  const drainTransactions = handling.length;
  const drainBatchMs = handling.map((c) => c.durationMs).sort((a, b) => a - b);
  const stateBytes = commits.reduce((sum, c) => sum + c.stateBytes, 0);
  const checkpoints = commits.filter((c) => c.checkpoint).length;

  // -- phase 2: steady rate, latency --------------------------------------------------------------------------
  commits.length = 0;
  const live = workload.events(rate * seconds, Date.parse('2024-03-06T08:00:00+01:00'), 'live-');
  const tickMs = 50;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const steadyStarted = Date.now();
  let sent = 0;
  while (sent < live.length && Date.now() - steadyStarted < seconds * 1000) {
    const slice = live.slice(sent, sent + perTick);
    await send(bus, names, slice, perTick);
    sent += slice.length;
    const next = steadyStarted + (sent / perTick) * tickMs;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  await waitConsumed(bus, groupId, inputTopics, 900_000);
  const latencies = commits.flatMap((c) => c.inputTimestamps.map((t) => c.committedAt - t)).sort((a, b) => a - b);
  const batchMs = commits.filter((c) => c.records > 0).map((c) => c.durationMs).sort((a, b) => a - b);

  await processor.stop();
  await bus.close();

  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(`processors benchmark: ${workload.core.name} processor, ${client}, Kafka ${brokers.join(',')}, 6 partitions, ${keys} machines, max ${maxBatch} records per batch${coalesce ? ', coalesced' : ''}, one Node process`);
  console.log(`  backlog produced      ${fmt(backlog.length)} events in ${produceSeconds.toFixed(1)} s`);
  console.log(`  throughput (drain)    ${fmt(drained / drainSeconds)} events/s  (${fmt(drained)} events, ${fmt(outputs)} derived events, ${drainSeconds.toFixed(1)} s)`);
  console.log(`  drain CPU (this process) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s  (start to fully committed, restore and final checkpoint included)`);
  console.log(`  changelog state       ${fmt(stateBytes / 1024)} KiB in ${fmt(checkpoints)} checkpoints`);
  console.log(`  drain transactions    ${fmt(drainTransactions)} (${fmt(drained / drainTransactions)} events each), handling time p50 ${percentile(drainBatchMs, 50).toFixed(1)} ms p99 ${percentile(drainBatchMs, 99).toFixed(1)} ms`);
  console.log(`  steady rate           ${fmt(sent / seconds)} events/s offered for ${seconds} s`);
  console.log(`  latency produce->commit  p50 ${fmt(percentile(latencies, 50))} ms  p99 ${fmt(percentile(latencies, 99))} ms  max ${fmt(latencies.at(-1) ?? Number.NaN)} ms  (${fmt(latencies.length)} events)`);
  console.log(`  batch handling time      p50 ${percentile(batchMs, 50).toFixed(1)} ms  p99 ${percentile(batchMs, 99).toFixed(1)} ms  (${fmt(batchMs.length)} transactions)`);
}

await run();

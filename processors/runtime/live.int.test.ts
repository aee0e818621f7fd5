// The live adapter against the real Kafka of the test stack (kafkajs): crash inside a transaction (SIGKILL of a
// processor process) and restart, stop and restart, one -> two instances mid-stream. Each run's read-committed
// outputs must equal, key by key and in order, what an uninterrupted run computes, with no event id twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { requireService, uniqueName } from '../../test/services.ts';
import { createKafkajsBus } from '../../platform/bus/kafkajs.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { countsConfig } from '../counts/config.ts';
import { countsCore } from '../counts/core.ts';
import { changelogTopicName } from './changelog.ts';
import { startLiveProcessor, type LiveProcessor } from './live.ts';
import { chainCore, chainLinks, countWorkload, duplicateIds, expectedOutputs, perKey, produceEvents, readOutputs, topicNamesFor, waitConsumed } from './live-harness.ts';
import { equipmentState, telemetry } from './test-events.ts';

const codec = createAvroCodec();
const logger = silentLogger();
const config = countsConfig({});
const start = Date.parse('2024-03-05T13:30:00Z');
const worker = fileURLToPath(new URL('./live-worker.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup.length = 0;
});

async function kafkaBus(): Promise<Bus> {
  const bus = await createKafkajsBus({ connection: { brokers: requireService('kafka').split(','), clientId: 'linepulse-live-test' }, logger, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
  cleanup.push(() => bus.close());
  return bus;
}

function scenario() {
  const prefix = uniqueName('lp');
  const names = topicNamesFor(prefix, ['counts', 'dispatch', 'countIncrements', 'countTotals']);
  const groupId = `${prefix}.counts`;
  const outputs = [
    { topic: 'countIncrements' as const, kafkaTopic: names.countIncrements! },
    { topic: 'countTotals' as const, kafkaTopic: names.countTotals! },
  ];
  return { prefix, names, groupId, outputs };
}

function spawnWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null>; stdout: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', worker], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was ready: ${out}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return { child, ready, exited, stdout: () => out };
}

async function startInProcess(bus: Bus, s: ReturnType<typeof scenario>, maxBatchSize: number): Promise<LiveProcessor> {
  const p = await startLiveProcessor({
    core: countsCore,
    config,
    bus,
    codec,
    logger,
    metrics: createMetrics(),
    groupId: s.groupId,
    changelogTopic: `${s.prefix}.${changelogTopicName('counts')}`,
    topicNames: s.names,
    deadLetterTopic: `${s.prefix}.dlq`,
    idle: false,
    maxBatchSize,
  });
  cleanup.push(() => p.stop());
  return p;
}

function expectedFor(events: ReturnType<typeof countWorkload>) {
  return expectedOutputs(countsCore, config, events.map((e) => ({ topic: 'counts' as const, key: e.equipment, value: e })));
}

describe('runtime > live adapter on real Kafka', () => {
  it('SIGKILL inside a transaction, then restart: outputs identical to an uninterrupted run, no duplicate ids', async () => {
    const bus = await kafkaBus();
    const s = scenario();
    const events = countWorkload({ keys: 8, perKey: 60, start });
    await bus.ensureTopics([{ name: s.names.counts!, partitions: 6 }]);
    await produceEvents(bus, codec, 'counts', s.names.counts!, events);
    const env = { KAFKA_BROKERS: requireService('kafka'), LP_PREFIX: s.prefix, LP_GROUP: s.groupId, LP_MAX_BATCH: '25' };

    const crashing = spawnWorker({ ...env, LP_CRASH_AT_BATCH: '7' });
    await crashing.ready;
    await crashing.exited;
    expect(crashing.stdout()).toContain('crashing inside transaction 7');
    expect(crashing.child.signalCode).toBe('SIGKILL');
    // Some batches committed, not all. Offsets sent in a transaction become readable only once the coordinator has
    // written the commit markers, which happens after EndTxn returns: poll briefly instead of reading once.
    const committedSum = async () => (await bus.committedOffsets(s.groupId, s.names.counts!)).reduce((sum, o) => sum + Number(o.offset), 0);
    let committed = await committedSum();
    for (const deadline = Date.now() + 20_000; committed === 0 && Date.now() < deadline; committed = await committedSum()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(events.length);

    const restarted = spawnWorker(env);
    await restarted.ready;
    await waitConsumed(bus, s.groupId, [s.names.counts!], 120_000);
    const expected = expectedFor(events);
    const got = await readOutputs(bus, codec, s.outputs, `${s.groupId}.reader`, (r) => r.length >= expected.length, 120_000);
    expect(got).toHaveLength(expected.length);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });

  it('stop without committing more, restart from the changelog: identical outputs', async () => {
    const bus = await kafkaBus();
    const s = scenario();
    const events = countWorkload({ keys: 6, perKey: 50, start });
    await bus.ensureTopics([{ name: s.names.counts!, partitions: 6 }]);
    await produceEvents(bus, codec, 'counts', s.names.counts!, events.slice(0, 120));
    const first = await startInProcess(bus, s, 20);
    await waitConsumed(bus, s.groupId, [s.names.counts!], 120_000);
    await first.stop();
    await produceEvents(bus, codec, 'counts', s.names.counts!, events.slice(120));
    await startInProcess(await kafkaBus(), s, 20);
    await waitConsumed(bus, s.groupId, [s.names.counts!], 120_000);
    const expected = expectedFor(events);
    const got = await readOutputs(bus, codec, s.outputs, `${s.groupId}.reader`, (r) => r.length >= expected.length, 120_000);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });

  it('one -> two instances mid-stream: identical outputs and totals, no duplicate ids', async () => {
    const bus = await kafkaBus();
    const s = scenario();
    const events = countWorkload({ keys: 12, perKey: 40, start });
    await bus.ensureTopics([{ name: s.names.counts!, partitions: 6 }]);
    await produceEvents(bus, codec, 'counts', s.names.counts!, events.slice(0, 240));
    const a = await startInProcess(bus, s, 30);
    await waitConsumed(bus, s.groupId, [s.names.counts!], 120_000);
    expect(a.assigned()).toEqual([0, 1, 2, 3, 4, 5]);
    const b = await startInProcess(await kafkaBus(), s, 30);
    await produceEvents(bus, codec, 'counts', s.names.counts!, events.slice(240));
    await waitConsumed(bus, s.groupId, [s.names.counts!], 120_000);
    expect(b.assigned().length).toBeGreaterThan(0);
    expect([...a.assigned(), ...b.assigned()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const expected = expectedFor(events);
    const got = await readOutputs(bus, codec, s.outputs, `${s.groupId}.reader`, (r) => r.length >= expected.length, 120_000);
    expect(perKey(got)).toEqual(perKey(expected));
    expect(duplicateIds(got)).toEqual([]);
  });

  it('two input topics, crashes between checkpoints, then a second instance: the journal replays the original interleaving', async () => {
    const bus = await kafkaBus();
    const prefix = uniqueName('lp');
    const names = topicNamesFor(prefix, ['state', 'telemetry', 'alerts']);
    const groupId = `${prefix}.chain`;
    const keys = Array.from({ length: 6 }, (_, k) => `acme/plant1/assembly/line1/cell${k}/m${k}`);
    const states = keys.flatMap((equipment, k) => Array.from({ length: 50 }, (_, i) => equipmentState({ eventId: `${prefix}s${k}-${i}`, eventTime: start + i * 1_000 + k, equipment, state: i % 2 ? 'RUNNING' : 'STOPPED' })));
    const samples = keys.flatMap((equipment, k) => Array.from({ length: 50 }, (_, i) => telemetry({ eventId: `${prefix}m${k}-${i}`, eventTime: start + i * 1_000 + k - 500, equipment, tag: 'temp', value: i })));
    const last = keys.map((equipment, k) => equipmentState({ eventId: `${prefix}end${k}`, eventTime: start + 3_600_000, equipment, state: 'IDLE' }));
    await bus.ensureTopics([{ name: names.state!, partitions: 6 }, { name: names.telemetry!, partitions: 6 }]);
    await produceEvents(bus, codec, 'telemetry', names.telemetry!, samples.slice(0, 150), 30);
    await produceEvents(bus, codec, 'state', names.state!, states.slice(0, 150), 30);
    let crashes = 0;
    const startChain = async (b: Bus, crashAt?: number) => {
      const p = await startLiveProcessor({
        core: chainCore,
        config: { reorderMs: 0 },
        bus: b,
        codec,
        logger,
        metrics: createMetrics(),
        groupId,
        changelogTopic: `${prefix}.chain.changelog`,
        topicNames: names,
        deadLetterTopic: `${prefix}.dlq`,
        idle: false,
        restartDelayMs: 50,
        maxBatchSize: 9,
        checkpoint: { intervalMs: 600_000, quietMs: 400, maxTransactions: 10_000 },
        beforeCommit: ({ batch }) => {
          if (crashAt !== undefined && batch === crashAt && crashes < 2) {
            crashes += 1;
            throw new Error('simulated crash inside the transaction');
          }
        },
      });
      cleanup.push(() => p.stop());
      return p;
    };
    await startChain(bus, 6);
    await waitConsumed(bus, groupId, [names.state!, names.telemetry!], 120_000);
    expect(crashes).toBe(2);
    await startChain(await kafkaBus());
    await produceEvents(bus, codec, 'telemetry', names.telemetry!, samples.slice(150), 30);
    await produceEvents(bus, codec, 'state', names.state!, [...states.slice(150), ...last], 30);
    await waitConsumed(bus, groupId, [names.state!, names.telemetry!], 120_000);
    const got = await readOutputs(bus, codec, [{ topic: 'alerts', kafkaTopic: names.alerts! }], `${groupId}.reader`, (r) => r.length >= states.length + samples.length, 120_000);
    expect(duplicateIds(got)).toEqual([]);
    const chains = chainLinks(got);
    expect(chains.broken).toEqual([]);
    expect(chains.lines).toEqual([...states.map((e) => `state:${e.eventId}`), ...samples.map((e) => `telemetry:${e.eventId}`)].sort());
  });
});

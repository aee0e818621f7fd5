// Store-and-forward against a real Kafka broker that goes away: the simulator runs, the edge forwards through the
// kafkajs bus adapter with the Avro codec; the broker (a private one, ours to stop) is down for EDGE_OUTAGE_MS
// (default 120 s, as the issue asks), and the edge process itself is restarted during the outage. Afterwards every
// event is downstream exactly once by event id, and per source in seq order on every partition.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkajsBus } from '../platform/bus/kafkajs.ts';
import type { Bus, ConsumedRecord } from '../platform/bus/port.ts';
import { linepulseTopicSpecs } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { createLogger, silentLogger } from '../platform/log.ts';
import { topics } from '../schemas/topics.ts';
import { startEdge, type Edge } from './index.ts';
import { rawTopics } from './events.ts';
import { demoEdgeConfig } from './sim/demo-config.ts';
import { startPlantSimulator, type PlantSimulator } from './sim/index.ts';
import { startPrivateKafka, type PrivateKafka } from './testing/kafka.ts';

const outageMs = Number(process.env.EDGE_OUTAGE_MS ?? 120_000);
const dir = mkdtempSync(join(tmpdir(), 'lp-outage-'));
let kafka: PrivateKafka | undefined;
let sim: PlantSimulator | undefined;
const buses: Bus[] = [];
const phase = (what: string) => {
  if (process.env.EDGE_TEST_LOG) console.error(`${new Date().toISOString()} outage test: ${what}`);
};
const bounded = (p: Promise<unknown>, ms = 15_000) => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);
afterAll(async () => {
  await bounded(sim?.stop() ?? Promise.resolve());
  for (const b of buses) await bounded(b.close());
  await kafka?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('edge > store-and-forward through a Kafka outage and an edge restart', () => {
  it(`loses nothing and duplicates nothing by event id (outage ${outageMs / 1000} s)`, async () => {
    const logger = process.env.EDGE_TEST_LOG ? createLogger({ name: 'outage', level: process.env.EDGE_TEST_LOG }) : silentLogger();
    kafka = await startPrivateKafka();
    const connection = { brokers: kafka.brokers, clientId: 'lp-edge-outage' };
    const bus = await createKafkajsBus({ connection, logger, connectTimeoutMs: 60_000 });
    buses.push(bus);
    await bus.ensureTopics(linepulseTopicSpecs());
    sim = await startPlantSimulator({ machines: 3, seed: 9, port: 0, acceleration: 10, pkiDir: join(dir, 'pki-sim'), logger });
    const config = { ...demoEdgeConfig({ endpointUrl: sim.endpointUrl, machines: sim.machines.map((m) => m.id) }), outbox: { historicalAfterMs: 5_000, retry: { initialMs: 200, maxMs: 5_000 } } };
    const codec = createAvroCodec();
    const producer = await bus.producer();
    let edge: Edge = await startEdge({ config, producer, codec, logger, dataDir: dir });
    await edge.ready();
    await until(() => edge.outbox.size() === 0 && edge.health().sources[0]?.connected === true, 'live forwarding', 60_000);
    await new Promise((r) => setTimeout(r, 5_000));

    phase('live, stopping Kafka');
    await kafka.stop();
    await new Promise((r) => setTimeout(r, outageMs / 2));
    phase(`half-way: ${JSON.stringify(edge.health())}`);
    expect(edge.outbox.size()).toBeGreaterThan(0);
    expect(edge.health().forwarding).toBe('failing');
    // The edge process restarts in the middle of the outage: the backlog is on disk.
    const backlogBefore = edge.outbox.size();
    await edge.stop();
    phase('edge stopped');
    edge = await startEdge({ config, producer, codec, logger, dataDir: dir });
    phase(`edge restarted, backlog ${edge.outbox.size()}`);
    expect(edge.outbox.size()).toBeGreaterThanOrEqual(backlogBefore);
    await new Promise((r) => setTimeout(r, outageMs / 2));
    const backlogAtRecovery = edge.outbox.size();
    await kafka.start();
    phase(`Kafka back, backlog ${backlogAtRecovery}`);
    await until(() => edge.outbox.size() === 0, 'the backlog forwarded', 180_000);
    await new Promise((r) => setTimeout(r, 3_000));
    phase('drained');
    await sim.stop();
    sim = undefined;
    await edge.stop();
    const seqs = edge.outbox.sequences();

    // Read everything back.
    const received: Array<{ record: ConsumedRecord; topic: string; value: { eventId: string; origin: { sourceId: string; seq: number; historical: boolean } } }> = [];
    const consumer = bus.consumer({ groupId: `outage-check-${Date.now()}`, topics: Object.values(rawTopics).map((t) => t.topic), fromBeginning: true });
    await consumer.start(async (batch) => {
      const contract = Object.values(topics).find((t) => t.topic === batch.topic);
      for (const record of batch.records) {
        const value = (await codec.decode(batch.topic, contract?.schema ?? '', record.value ?? Buffer.alloc(0), record.headers)) as (typeof received)[number]['value'];
        received.push({ record, topic: batch.topic, value });
      }
    });
    const expected = seqs.get('opcua:sim') ?? 0;
    await until(() => new Set(received.map((r) => r.value.eventId)).size >= expected, `${expected} distinct events`, 120_000);
    await consumer.stop();

    const ids = received.map((r) => r.value.eventId);
    const distinct = new Set(ids);
    const duplicates = ids.length - distinct.size;
    console.log(`outage test: ${distinct.size} events, ${duplicates} duplicate deliveries (dropped by event id), backlog at recovery ${backlogAtRecovery}, historical ${received.filter((r) => r.value.origin.historical).length}`);
    // Exactly once by event id: every seq 1..last of the source, nothing else.
    expect([...distinct].sort()).toEqual(Array.from({ length: expected }, (_, i) => `opcua:sim:${i + 1}`).sort());
    // Per-source order on each partition (first delivery of each event id).
    const seen = new Set<string>();
    const last = new Map<string, number>();
    for (const r of received) {
      if (seen.has(r.value.eventId)) continue;
      seen.add(r.value.eventId);
      const k = `${r.topic}/${r.record.partition}/${r.value.origin.sourceId}`;
      expect(r.value.origin.seq).toBeGreaterThan(last.get(k) ?? 0);
      last.set(k, r.value.origin.seq);
    }
    expect(received.some((r) => r.value.origin.historical)).toBe(true);
    expect(received.some((r) => !r.value.origin.historical)).toBe(true);
  }, outageMs + 480_000);
});

// The whole edge in one process: plant simulator (real node-opcua server) -> startEdge (collector, SQLite outbox,
// forwarder) -> the embedded bus with the real Avro codec; decoded back and checked against the simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../platform/bus/embedded.ts';
import type { Bus, ConsumedRecord } from '../platform/bus/port.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { linepulseTopicSpecs } from '../platform/bus/typed.ts';
import { silentLogger } from '../platform/log.ts';
import { topics } from '../schemas/topics.ts';
import type { EquipmentState, PieceCount, Telemetry } from '../schemas/generated/types.ts';
import { startEdge, type Edge } from './index.ts';
import { demoEdgeConfig } from './sim/demo-config.ts';
import { startPlantSimulator, type PlantSimulator } from './sim/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'lp-edge-'));
let sim: PlantSimulator;
let edge: Edge;
let bus: Bus;
const received: Array<{ topic: string; record: ConsumedRecord; value: Record<string, unknown> }> = [];

beforeAll(async () => {
  const logger = silentLogger();
  sim = await startPlantSimulator({ machines: 2, seed: 3, port: 0, acceleration: 30, pkiDir: join(dir, 'pki-sim'), logger });
  bus = createEmbeddedBus({ logger });
  await bus.ensureTopics(linepulseTopicSpecs());
  const codec = createAvroCodec();
  const producer = await bus.producer();
  // Subscribed before the edge starts: the first records (seq 1 on) must be seen, however fast the edge is.
  const consumer = bus.consumer({ groupId: 'edge-test', topics: [topics.state.topic, topics.counts.topic, topics.telemetry.topic, topics.measurements.topic] });
  await consumer.start(async (batch) => {
    for (const record of batch.records) {
      const contract = Object.values(topics).find((t) => t.topic === batch.topic);
      const value = (await codec.decode(batch.topic, contract?.schema ?? '', record.value ?? Buffer.alloc(0), record.headers)) as Record<string, unknown>;
      received.push({ topic: batch.topic, record, value });
    }
  });
  edge = await startEdge({
    config: demoEdgeConfig({ endpointUrl: sim.endpointUrl, machines: sim.machines.map((m) => m.id) }),
    producer,
    codec,
    logger,
    dataDir: dir,
  });
  await edge.ready();
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  await sim?.stop();
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('edge > startEdge with the plant simulator', () => {
  it('forwards states, counter readings, telemetry and measurements that decode with the Avro contracts', async () => {
    // The consumer reads one partition after another: wait for every kind, not just the first to arrive.
    const on = (topic: string) => received.filter((r) => r.topic === topic);
    await until(
      () => on(topics.counts.topic).length >= 6 && on(topics.state.topic).length >= 2 && on(topics.telemetry.topic).length > 0 && on(topics.measurements.topic).length > 0,
      'counter readings, states, telemetry and measurements',
    );
    const states = received.filter((r) => r.topic === topics.state.topic).map((r) => r.value as unknown as EquipmentState);
    const counts = received.filter((r) => r.topic === topics.counts.topic).map((r) => r.value as unknown as PieceCount);
    const telemetry = received.filter((r) => r.topic === topics.telemetry.topic).map((r) => r.value as unknown as Telemetry);
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(new Set(states.map((s) => s.equipment))).toEqual(new Set(['demo/plant1/assembly/line1/cell1/M01', 'demo/plant1/assembly/line1/cell2/M02']));
    expect(counts.some((c) => c.kind === 'GOOD' && typeof c.counterValue === 'number')).toBe(true);
    expect(telemetry.some((t) => t.tag === 'Temperature' && t.unit === 'degC')).toBe(true);
    expect(received.some((r) => r.topic === topics.measurements.topic)).toBe(true);
    for (const r of received) {
      const origin = r.value.origin as { sourceId: string; seq: number; serverTime: number | null };
      expect(r.value.eventId).toBe(`${origin.sourceId}:${origin.seq}`);
      expect(origin.serverTime).not.toBeNull();
      expect(r.record.key).toBe(r.value.equipment);
    }
  });

  it('keeps per-source seq gap-free and increasing across all topics', async () => {
    await until(() => edge.outbox.size() === 0, 'outbox drained');
    // Drained = acknowledged by the bus; the test's consumer may still be reading the last partitions.
    const seqsNow = () => received.map((r) => (r.value.origin as { seq: number }).seq);
    await until(() => seqsNow().length >= Math.max(...seqsNow()), 'every forwarded event read back');
    const seqs = seqsNow().sort((a, b) => a - b);
    expect(seqs[0]).toBe(1);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    // Per topic-partition, seqs arrive in increasing order.
    const last = new Map<string, number>();
    for (const r of received) {
      const k = `${r.topic}/${r.record.partition}`;
      const seq = (r.value.origin as { seq: number }).seq;
      expect(seq).toBeGreaterThan(last.get(k) ?? 0);
      last.set(k, seq);
    }
  });

  it('keeps counting through an OPC-UA server restart: counter readings resume, nothing lost in the totals', async () => {
    const beforeRestart = received.length;
    await sim.restartOpcUa(1_000);
    // Values read before the restart may still be in flight: wait for the reconnect, then for values after it.
    await until(() => (edge.health().sources[0]?.reconnects ?? 0) >= 1 && edge.health().sources[0]?.connected === true, 'the collector to reconnect', 45_000);
    const afterReconnect = received.length;
    expect(afterReconnect).toBeGreaterThanOrEqual(beforeRestart);
    await until(() => received.length > afterReconnect + 20, 'values after the reconnect', 45_000);
    // The last good counter reading per machine equals the simulator's counter (allowing for values in flight).
    await until(() => {
      const snap = sim.snapshots();
      return snap.every((s, i) => {
        const eq = `demo/plant1/assembly/line1/cell${i + 1}/${s.id}`;
        const good = received.filter((r) => r.topic === topics.counts.topic && r.value.equipment === eq && r.value.kind === 'GOOD').at(-1);
        return good !== undefined && Math.abs((good.value.counterValue as number) - s.goodCount) <= 3;
      });
    }, 'counter readings matching the simulator', 20_000);
  }, 90_000);

  it('reports health: sources connected, backlog, forwarding', () => {
    const health = edge.health();
    expect(health.sources[0]).toMatchObject({ sourceId: 'opcua:sim', connected: true });
    expect(health.forwarding).toBe('ok');
  });
});

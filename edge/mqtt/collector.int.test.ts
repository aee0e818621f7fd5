// MQTT collector against real Mosquitto brokers of its own (restarted mid-stream, TLS, user/password).
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import type { PieceCount, Telemetry } from '../../schemas/generated/types.ts';
import { collectingPublish } from '../events.ts';
import { createEdgeMetrics } from '../metrics.ts';
import { createRng } from '../sim/prng.ts';
import { startSimSparkplugNode } from '../sim/sparkplug-node.ts';
import { startPrivateMosquitto, type PrivateBroker } from '../testing/mosquitto.ts';
import { mqttConnectionSchema } from './config.ts';
import { startMqttCollector } from './collector.ts';

const brokers: PrivateBroker[] = [];
afterAll(async () => {
  for (const b of brokers) await b.close();
});

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('edge > mqtt collector (real Mosquitto)', () => {
  it('JSON topics and Sparkplug B keep flowing through a broker restart: nothing missing', async () => {
    const broker = await startPrivateMosquitto();
    brokers.push(broker);
    const { publish, events } = collectingPublish();
    const metrics = createEdgeMetrics();
    const config = mqttConnectionSchema.parse({
      id: 'restart',
      url: broker.url,
      reconnectPeriodMs: 200,
      json: [{ topic: 'plant1/line1/+/count', equipment: 'demo/plant1/assembly/line1/{3}', role: 'goodCounter', valuePath: 'n', timestampPath: 't' }],
      sparkplug: { groups: ['plant1'], equipment: 'demo/plant1/assembly/line1/sensors/{device}' },
    });
    const collector = startMqttCollector({ config, publish, logger: silentLogger(), metrics });
    await collector.ready;

    let simTime = 1_700_000_000_000;
    const node = await startSimSparkplugNode({ url: broker.url, groupId: 'plant1', nodeId: 'n1', devices: ['M01-env'], rng: createRng(1), logger: silentLogger(), now: () => simTime });
    const producer = await mqtt.connectAsync(broker.url, { clientId: 'lp-test-json-producer', clean: false, reconnectPeriod: 200 });
    const total = 300;
    let sparkplugSent = 0;
    for (let n = 1; n <= total; n += 1) {
      producer.publish('plant1/line1/M07/count', JSON.stringify({ n, t: 1_700_000_000_000 + n }), { qos: 1 });
      simTime += 1_000;
      node.publishData();
      sparkplugSent += 1;
      if (n === 100) void broker.restart(1_500);
      await new Promise((r) => setTimeout(r, 15));
    }
    const counts = () => events.filter((e) => e.topic === 'counts').map((e) => (e.event as PieceCount).counterValue);
    await until(() => new Set(counts()).size === total, `${total} JSON counter readings`, 60_000);
    expect([...new Set(counts())].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(collector.status().reconnects).toBeGreaterThanOrEqual(1);

    // Sparkplug: every DDATA of the device (one Vibration value per publishData) arrived, by its timestamp.
    const vibration = () =>
      new Set(events.filter((e) => e.topic === 'telemetry' && (e.event as Telemetry).tag === 'Vibration' && (e.event as Telemetry).quality === 'GOOD').map((e) => (e.event as Telemetry).eventTime));
    const dataTimes = Array.from({ length: sparkplugSent }, (_, i) => 1_700_000_000_000 + (i + 1) * 1_000);
    await until(() => dataTimes.every((t) => vibration().has(t)), 'every Sparkplug DDATA value', 60_000);
    const tel = events.filter((e) => e.topic === 'telemetry').map((e) => e.event as Telemetry);
    expect(tel.some((t) => t.equipment === 'demo/plant1/assembly/line1/sensors/M01-env' && t.unit === 'mm/s')).toBe(true);
    // The broker restart ended the node's session: its NDEATH (the will) marked the metrics STALE before the rebirth.
    expect(tel.some((t) => t.text === 'STALE')).toBe(true);
    // What the node stored while the broker was down came as is_historical data.
    expect(tel.some((t) => t.tag === 'Vibration' && t.origin.historical)).toBe(true);
    await producer.endAsync();
    await node.stop();
    await collector.stop();
  }, 120_000);

  it('TLS with user/password; a wrong password never connects', async () => {
    const broker = await startPrivateMosquitto({ tls: true, users: [{ user: 'edge', password: 's3cret' }] });
    brokers.push(broker);
    const { publish, events } = collectingPublish();
    const base = { url: broker.url, username: 'edge', tls: { ca: broker.caFile }, reconnectPeriodMs: 200, json: [{ topic: 'a/+', equipment: 'demo/p1/a/l1/{2}' }] };
    const good = startMqttCollector({ config: mqttConnectionSchema.parse({ ...base, id: 'tls-ok', password: 's3cret' }), publish, logger: silentLogger(), metrics: createEdgeMetrics() });
    const bad = startMqttCollector({ config: mqttConnectionSchema.parse({ ...base, id: 'tls-bad', password: 'nope' }), publish, logger: silentLogger(), metrics: createEdgeMetrics() });
    await good.ready;
    const p = await mqtt.connectAsync(broker.url, { username: 'edge', password: 's3cret', ca: [readFileSync(broker.caFile ?? '')] });
    await p.publishAsync('a/M1', '21.5', { qos: 1 });
    await until(() => events.length > 0, 'a value over TLS');
    expect(events[0]?.event).toMatchObject({ equipment: 'demo/p1/a/l1/M1', value: 21.5, tag: 'M1' });
    expect(bad.connected).toBe(false);
    await p.endAsync();
    await good.stop();
    await bad.stop();
  }, 60_000);
});

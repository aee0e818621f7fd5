// A simulated Sparkplug B edge node on MQTT: one node with a device per machine carrying environment sensors.
// Births with aliases, DDATA by alias with seq 0..255, NDEATH as the MQTT will (bdSeq), rebirth on NCMD, and a
// new session (bdSeq + 1, births again) after every reconnect. Values sampled while the broker is unreachable are
// stored and published after the births with is_historical = true, as a Sparkplug edge node does.
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../platform/log.ts';
import { DataType, encodePayload, type MetricInput } from '../mqtt/sparkplug-codec.ts';
import type { Rng } from './prng.ts';

export interface SimSparkplugOptions {
  url: string;
  groupId: string;
  nodeId: string;
  devices: string[];
  rng: Rng;
  logger: Logger;
  now: () => number;
}

interface SensorDef {
  name: string;
  alias: number;
  datatype: number;
  unit: string;
  low: number;
  high: number;
  mean: number;
  sd: number;
}

export interface SimSparkplugNode {
  /** Publishes one DDATA per device with fresh values. */
  publishData(): void;
  readonly published: number;
  stop(): Promise<void>;
}

export async function startSimSparkplugNode(options: SimSparkplugOptions): Promise<SimSparkplugNode> {
  const { groupId, nodeId, rng } = options;
  const base = `spBv1.0/${groupId}`;
  // bdSeq of the current MQTT session; the will of a connection is fixed when it connects, so the will for the
  // next connection is prepared (with the next bdSeq) as soon as the current one is up.
  let bdSeq = 0;
  let nextBdSeq = 0;
  let seq = 0;
  let published = 0;
  const sensors = new Map<string, SensorDef[]>();
  let alias = 10;
  for (const device of options.devices) {
    sensors.set(device, [
      { name: 'Vibration', alias: alias++, datatype: DataType.Double, unit: 'mm/s', low: 0, high: 12, mean: 2.5, sd: 0.4 },
      { name: 'Pressure', alias: alias++, datatype: DataType.Float, unit: 'bar', low: 0, high: 10, mean: 6, sd: 0.1 },
      { name: 'Humidity', alias: alias++, datatype: DataType.Double, unit: '%', low: 0, high: 100, mean: 45, sd: 2 },
    ]);
  }
  const value = (s: SensorDef) => Math.round(rng.normal(s.mean, s.sd) * 1000) / 1000;
  const nextSeq = () => {
    const s = seq;
    seq = (seq + 1) % 256;
    return s;
  };
  const death = (b: number) => ({ topic: `${base}/NDEATH/${nodeId}`, payload: encodePayload({ timestamp: options.now(), metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: b }] }), qos: 1 as const, retain: false });

  const client: MqttClient = mqtt.connect(options.url, { clientId: `linepulse-sim-${groupId}-${nodeId}`, clean: true, reconnectPeriod: 500, will: death(0) });
  const births = () => {
    seq = 0;
    const t = options.now();
    const nodeMetrics: MetricInput[] = [
      { name: 'bdSeq', datatype: DataType.UInt64, value: bdSeq, timestamp: t },
      { name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: false, timestamp: t },
      { name: 'Uptime', alias: 1, datatype: DataType.UInt64, value: 0, timestamp: t, properties: { engUnit: { type: DataType.String, value: 's' } } },
    ];
    client.publish(`${base}/NBIRTH/${nodeId}`, encodePayload({ timestamp: t, seq: nextSeq(), metrics: nodeMetrics }), { qos: 0 });
    for (const [device, defs] of sensors) {
      const metrics: MetricInput[] = defs.map((s) => ({
        name: s.name,
        alias: s.alias,
        datatype: s.datatype,
        value: value(s),
        timestamp: t,
        properties: {
          engUnit: { type: DataType.String, value: s.unit },
          engLow: { type: DataType.Double, value: s.low },
          engHigh: { type: DataType.Double, value: s.high },
          Quality: { type: DataType.Int32, value: 192 },
        },
      }));
      client.publish(`${base}/DBIRTH/${nodeId}/${device}`, encodePayload({ timestamp: t, seq: nextSeq(), metrics }), { qos: 0 });
    }
    published += 1 + sensors.size;
  };

  const offline: Array<{ device: string; metrics: MetricInput[]; timestamp: number }> = [];
  client.on('connect', () => {
    // Every MQTT session is a new Sparkplug session: its own bdSeq in the will and the births.
    bdSeq = nextBdSeq;
    nextBdSeq = (nextBdSeq + 1) % 256;
    client.options.will = death(nextBdSeq);
    client.subscribe(`${base}/NCMD/${nodeId}`, { qos: 0 });
    births();
    for (const stored of offline.splice(0)) {
      const metrics = stored.metrics.map((m) => ({ ...m, isHistorical: true }));
      client.publish(`${base}/DDATA/${nodeId}/${stored.device}`, encodePayload({ timestamp: stored.timestamp, seq: nextSeq(), metrics }), { qos: 1 });
      published += 1;
    }
  });
  client.on('message', () => {
    // Any NCMD we get is a rebirth request in this simulator; a rebirth keeps the session's bdSeq.
    options.logger.info({ node: `${groupId}/${nodeId}` }, 'simulated Sparkplug node: rebirth requested');
    births();
  });
  client.on('error', (error) => options.logger.debug({ err: error.message }, 'simulated Sparkplug node MQTT error'));
  await new Promise<void>((resolveConnect, reject) => {
    const timer = setTimeout(() => reject(new Error(`MQTT broker ${options.url} did not answer within 10 s`)), 10_000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolveConnect();
    });
  });
  let uptime = 0;
  return {
    get published() {
      return published;
    },
    publishData() {
      const t = options.now();
      if (!client.connected) {
        for (const [device, defs] of sensors) {
          if (offline.length >= 100_000) offline.shift();
          offline.push({ device, timestamp: t, metrics: defs.map((s) => ({ alias: s.alias, datatype: s.datatype, value: value(s), timestamp: t })) });
        }
        return;
      }
      uptime += 1;
      client.publish(`${base}/NDATA/${nodeId}`, encodePayload({ timestamp: t, seq: nextSeq(), metrics: [{ alias: 1, datatype: DataType.UInt64, value: uptime, timestamp: t }] }), { qos: 1 });
      for (const [device, defs] of sensors) {
        const metrics: MetricInput[] = defs.map((s) => ({ alias: s.alias, datatype: s.datatype, value: value(s), timestamp: t }));
        client.publish(`${base}/DDATA/${nodeId}/${device}`, encodePayload({ timestamp: t, seq: nextSeq(), metrics }), { qos: 1 });
      }
      published += 1 + sensors.size;
    },
    async stop() {
      // A clean shutdown publishes the death itself (the will is only sent on an unclean disconnect).
      const d = death(bdSeq);
      await new Promise<void>((r) => client.publish(d.topic, d.payload, { qos: 1 }, () => r()));
      await client.endAsync();
    },
  };
}

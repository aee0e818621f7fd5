// The MQTT collector (mqtt.js): plain JSON topics mapped to equipment, and Sparkplug B as a host application.
// QoS 1 subscriptions on a persistent session by default; every (re)connect without a session present
// subscribes again (a broker restart without persistence loses subscriptions), and mqtt.js reconnects forever.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ConfigError, describeCause } from '../../platform/errors.ts';
import { resolvePassword } from '../secret.ts';
import type { Logger } from '../../platform/log.ts';
import type { Quality } from '../../schemas/generated/types.ts';
import { parseEquipmentPath } from '../../schemas/topics.ts';
import type { Publish } from '../events.ts';
import { mapDataValue, stateEvent, stateName, statusToQuality, type PlainDataValue, type TagSpec } from '../mapping.ts';
import type { EdgeMetrics } from '../metrics.ts';
import type { JsonTopicConfig, MqttConnectionConfig } from './config.ts';
import { createSparkplugHost, namespace, rebirthRequest, sparkplugQuality, type SparkplugHost } from './sparkplug-host.ts';

export interface MqttCollectorOptions {
  config: MqttConnectionConfig;
  publish: Publish;
  logger: Logger;
  metrics: EdgeMetrics;
  now?: () => number;
  /** Where rejected messages go (the dead-letter topic, through the edge), with the reason; never throws. */
  deadLetter?: (message: { source: string; topic: string; payload: Buffer; reason: string }) => void;
}

export interface MqttCollector {
  readonly sourceId: string;
  readonly connected: boolean;
  readonly ready: Promise<void>;
  status(): { connected: boolean; reconnects: number; rejected: number; sparkplugNodes: ReturnType<SparkplugHost['nodes']> };
  stop(): Promise<void>;
}

/** MQTT topic filter match (`+` one level, `#` the rest). Returns the levels of the topic on a match. */
export function matchTopic(filter: string, topic: string): string[] | null {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return t;
    if (i >= t.length) return null;
    if (f[i] !== '+' && f[i] !== t[i]) return null;
  }
  return f.length === t.length ? t : null;
}

function fillTemplate(template: string, levels: string[]): string {
  return template.replace(/\{(\d+)\}/g, (_, n: string) => levels[Number(n) - 1] ?? '');
}

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function parseTime(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value < 1e11 ? value * 1000 : value);
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : new Date(t);
  }
  return null;
}

function parseQuality(value: unknown): { quality: Quality; code: number } | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    const q = value.toUpperCase();
    if (q === 'GOOD' || q === 'UNCERTAIN' || q === 'BAD') return { quality: q, code: q === 'GOOD' ? 192 : q === 'BAD' ? 0 : 500 };
    if (q === 'STALE') return { quality: 'UNCERTAIN', code: 500 };
    return { quality: 'UNCERTAIN', code: -1 };
  }
  if (typeof value === 'number') return value === 192 || value === 500 ? { quality: sparkplugQuality(value), code: value } : { quality: statusToQuality(value), code: value };
  return null;
}

export type JsonResult = { ok: true; dv: PlainDataValue; tag: TagSpec } | { ok: false; reason: string };

/** A plain JSON (or bare value) MQTT message -> a data value for its mapped tag. Never throws. */
export function parseJsonMessage(mapping: JsonTopicConfig, levels: string[], payload: Buffer): JsonResult {
  const text = payload.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const bare = text.trim();
    if (bare === '') return { ok: false, reason: 'empty payload' };
    // A broken JSON document is not a bare text value.
    if (bare.startsWith('{') || bare.startsWith('[') || bare.startsWith('"')) return { ok: false, reason: `malformed JSON: ${(error as Error).message.split('\n')[0]}` };
    doc = Number.isFinite(Number(bare)) ? Number(bare) : bare;
  }
  const isObject = doc !== null && typeof doc === 'object' && !Array.isArray(doc);
  const value = isObject ? at(doc, mapping.valuePath) : doc;
  if (value === undefined) return { ok: false, reason: `no value at "${mapping.valuePath}"` };
  if (value !== null && typeof value === 'object') return { ok: false, reason: `value at "${mapping.valuePath}" is an object` };
  const tsRaw = isObject ? (mapping.timestampPath ? at(doc, mapping.timestampPath) : (at(doc, 'timestamp') ?? at(doc, 'ts'))) : undefined;
  const ts = tsRaw === undefined ? null : parseTime(tsRaw);
  if (tsRaw !== undefined && ts === null) return { ok: false, reason: `timestamp ${JSON.stringify(tsRaw)} is neither epoch nor ISO time` };
  const q = isObject && mapping.qualityPath ? parseQuality(at(doc, mapping.qualityPath)) : null;
  const equipment = fillTemplate(mapping.equipment, levels);
  if (!parseEquipmentPath(equipment)) return { ok: false, reason: `equipment path "${equipment}" from ${mapping.equipment} is not a valid ISA-95 path` };
  const tag: TagSpec = {
    equipment,
    role: mapping.role,
    tag: mapping.tag ? fillTemplate(mapping.tag, levels) : (levels[levels.length - 1] ?? mapping.topic),
    ...(mapping.unit !== undefined ? { unit: mapping.unit } : {}),
    ...(mapping.range ? { range: mapping.range } : {}),
    ...(mapping.counterMax !== undefined ? { counterMax: mapping.counterMax } : {}),
    ...(mapping.characteristic !== undefined ? { characteristic: mapping.characteristic } : {}),
  };
  return {
    ok: true,
    tag,
    dv: { value, sourceTimestamp: ts, serverTimestamp: null, statusCode: q?.code ?? 0, quality: q?.quality ?? 'GOOD' },
  };
}

export function startMqttCollector(options: MqttCollectorOptions): MqttCollector {
  const { config, publish, metrics } = options;
  const sourceId = `mqtt:${config.id}`;
  const logger = options.logger.child({ component: 'edge.mqtt', source: sourceId });
  const now = options.now ?? Date.now;
  const password = resolvePassword(config, `edge.mqtt[${config.id}]`);
  const readPem = (file: string | undefined, what: string) => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`edge.mqtt[${config.id}].tls.${what}`, `cannot read ${file}: ${describeCause(error)}`);
    }
  };
  const clientOptions: IClientOptions = {
    clientId: config.clientId ?? `linepulse-edge-${config.id}`,
    clean: config.cleanSession,
    reconnectPeriod: config.reconnectPeriodMs,
    connectTimeout: 10_000,
    resubscribe: true,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(config.tls
      ? { ca: readPem(config.tls.ca, 'ca'), cert: readPem(config.tls.cert, 'cert'), key: readPem(config.tls.key, 'key'), rejectUnauthorized: config.tls.rejectUnauthorized }
      : {}),
  };
  const host = config.sparkplug ? createSparkplugHost(config.sparkplug, sourceId) : null;
  const filters = [...config.json.map((j) => j.topic), ...(config.sparkplug?.groups.map((g) => `${namespace}/${g}/#`) ?? [])];
  let connected = false;
  let reconnects = 0;
  let rejected = 0;
  let everConnected = false;
  let lastRejectLog = 0;
  const lastRebirth = new Map<string, number>();
  const setConnected = (value: boolean) => {
    connected = value;
    metrics.connected.set({ source: sourceId }, value ? 1 : 0);
  };
  setConnected(false);

  const reject = (reason: string, topic: string, payload?: Buffer) => {
    rejected += 1;
    if (payload !== undefined) options.deadLetter?.({ source: sourceId, topic, payload, reason });
    metrics.sourceErrors.inc({ source: sourceId, kind: 'rejected-message' });
    const t = now();
    if (t - lastRejectLog > 5_000) {
      lastRejectLog = t;
      logger.warn({ topic, reason, rejectedSoFar: rejected }, 'MQTT message rejected');
    }
  };

  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => {
    resolveReady = r;
  });
  const client: MqttClient = mqtt.connect(config.url, clientOptions);

  const subscribe = () => {
    client.subscribe(
      filters.map((f) => f),
      { qos: config.qos },
      (error, granted) => {
        if (error) {
          logger.warn({ err: describeCause(error) }, 'MQTT subscribe failed, retrying on the next connect');
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos === 128);
        if (refused.length > 0) logger.error({ topics: refused.map((g) => g.topic) }, 'MQTT broker refused subscriptions (ACL?)');
        logger.info({ filters, qos: config.qos }, 'MQTT subscribed');
        resolveReady();
      },
    );
  };

  client.on('connect', (connack) => {
    if (everConnected) {
      reconnects += 1;
      metrics.reconnects.inc({ source: sourceId });
      logger.info({ url: config.url, sessionPresent: connack.sessionPresent }, 'MQTT reconnected');
    }
    everConnected = true;
    setConnected(true);
    // A persistent session still holds the subscriptions; a fresh one (or a broker that lost its state) needs them again.
    if (!connack.sessionPresent) subscribe();
    else resolveReady();
    // After a reconnect, ask every known Sparkplug edge node for its births: aliases and seq start over.
    if (host && reconnects > 0) for (const n of host.nodes()) requestRebirth(n.group, n.node, 'host reconnected');
  });
  let stopping = false;
  client.on('close', () => {
    if (connected && !stopping) logger.warn({ url: config.url }, 'MQTT connection lost, reconnecting');
    setConnected(false);
  });
  client.on('error', (error) => logger.warn({ url: config.url, err: describeCause(error) }, 'MQTT client error'));

  const requestRebirth = (group: string, node: string, reason: string) => {
    if (!config.sparkplug?.rebirthOnGap || !connected) return;
    const key = `${group}/${node}`;
    const t = now();
    if (t - (lastRebirth.get(key) ?? 0) < 5_000) return;
    lastRebirth.set(key, t);
    metrics.rebirthRequests.inc({ node: key });
    logger.info({ node: key, reason }, 'Sparkplug rebirth requested');
    client.publish(`${namespace}/${group}/NCMD/${node}`, rebirthRequest(t), { qos: 0 });
  };

  client.on('message', (topic, payload) => {
    const edgeTime = now();
    if (payload.length > config.maxMessageBytes) {
      reject(`message of ${payload.length} bytes is larger than the limit of ${config.maxMessageBytes} (maxMessageBytes)`, topic, payload);
      return;
    }
    try {
      if (host && topic.startsWith(`${namespace}/`)) {
        const out = host.handle(topic, payload, edgeTime);
        for (const e of out.events) {
          if (e.topic === 'telemetry' && e.event.outOfRange) metrics.outOfRange.inc({ source: sourceId });
          publish(e);
        }
        for (const r of out.rejected) reject(r.reason, topic, payload);
        for (const r of out.rebirth) requestRebirth(r.group, r.node, r.reason);
        return;
      }
      let matched = false;
      for (const mapping of config.json) {
        const levels = matchTopic(mapping.topic, topic);
        if (!levels) continue;
        matched = true;
        const result = parseJsonMessage(mapping, levels, payload);
        if (!result.ok) {
          reject(result.reason, topic, payload);
          continue;
        }
        const ctx = { sourceId, edgeTime };
        if (result.tag.role === 'state') {
          const name = stateName(result.tag, result.dv.value);
          if (name !== null) {
            publish(stateEvent(result.tag, name, null, result.dv, ctx));
            continue;
          }
        }
        for (const e of mapDataValue(result.tag, result.dv, ctx)) {
          if (e.topic === 'telemetry' && e.event.outOfRange) metrics.outOfRange.inc({ source: sourceId });
          publish(e);
        }
      }
      if (!matched) reject('no mapping matches the topic', topic, payload);
    } catch (error) {
      reject(`unexpected: ${describeCause(error)}`, topic, payload);
    }
  });

  return {
    sourceId,
    get connected() {
      return connected;
    },
    ready,
    status: () => ({ connected, reconnects, rejected, sparkplugNodes: host?.nodes() ?? [] }),
    async stop() {
      stopping = true;
      await client.endAsync().catch(() => undefined);
      setConnected(false);
    },
  };
}

// The Sparkplug B host side, pure: (topic, payload bytes, receive time) -> events, rebirth requests, rejections.
// No MQTT client here, so the state machine is testable message by message (and by property tests).
//
// - NBIRTH resets an edge node: alias table, devices, bdSeq, seq (= 0). DBIRTH adds a device's metrics.
// - NDATA/DDATA resolve aliases from the births; seq (0..255, shared by every message of the edge node except
//   NDEATH) must follow the previous one: a gap asks for a rebirth (the data is still used).
// - A message for an edge node or alias not born yet is kept (bounded) and replayed after the birth that a
//   rebirth request brings, so nothing is lost because the host started after the edge node.
// - NDEATH (matching bdSeq) and DDEATH mark the metrics STALE: one telemetry event per metric, quality UNCERTAIN,
//   statusCode 500, no value.
// - Quality: the metric's `Quality` property (0 BAD, 192 GOOD, 500 STALE; absent = GOOD). is_historical metrics
//   give origin.historical = true.
import { parseEquipmentPath } from '../../schemas/topics.ts';
import type { Quality } from '../../schemas/generated/types.ts';
import type { EdgeEvent } from '../events.ts';
import { mapDataValue, stateEvent, stateName, type PlainDataValue, type TagSpec } from '../mapping.ts';
import type { SparkplugConfig } from './config.ts';
import { DataType, decodePayload, encodePayload, type SparkplugMetric, type SparkplugPayload } from './sparkplug-codec.ts';

export const namespace = 'spBv1.0';
const messageTypes = ['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH', 'NDATA', 'DDATA', 'NCMD', 'DCMD', 'STATE'] as const;
type MessageType = (typeof messageTypes)[number];

export interface SparkplugTopic {
  group: string;
  type: MessageType;
  node: string;
  device: string | null;
}

export type TopicParse = { ok: true; topic: SparkplugTopic } | { ok: false; reason: string };

export function parseSparkplugTopic(topic: string): TopicParse {
  const parts = topic.split('/');
  if (parts[0] !== namespace) return { ok: false, reason: `not a Sparkplug B topic (namespace ${parts[0] ?? ''})` };
  if (parts[1] === 'STATE') return { ok: true, topic: { group: '', type: 'STATE', node: parts[2] ?? '', device: null } };
  if (parts.length < 4 || parts.length > 5) return { ok: false, reason: `topic has ${parts.length} levels, expected 4 or 5` };
  const [, group, type, node, device] = parts as [string, string, string, string, string | undefined];
  if (!(messageTypes as readonly string[]).includes(type)) return { ok: false, reason: `unknown message type ${type}` };
  if (!group || !node || device === '') return { ok: false, reason: 'empty group, edge node or device id' };
  const isDevice = type.startsWith('D');
  if (isDevice !== (device !== undefined)) return { ok: false, reason: `${type} ${isDevice ? 'needs' : 'takes no'} device id` };
  return { ok: true, topic: { group, type: type as MessageType, node, device: device ?? null } };
}

export function sparkplugQuality(code: number | undefined): Quality {
  if (code === undefined) return 'GOOD';
  if (code === 500) return 'UNCERTAIN';
  if (code >= 192 && code <= 255) return 'GOOD';
  if (code >= 64 && code < 192) return 'UNCERTAIN';
  return 'BAD';
}

interface MetricDef {
  name: string;
  datatype: number;
  device: string | null;
  properties: Record<string, number | string | boolean>;
}

interface NodeState {
  group: string;
  node: string;
  born: boolean;
  online: boolean;
  bdSeq: number | null;
  seq: number | null;
  aliases: Map<number, MetricDef>;
  /** Metrics by device ('' for the node itself), by name. */
  metrics: Map<string, Map<string, MetricDef>>;
  devicesOnline: Set<string>;
  pending: Array<{ topic: SparkplugTopic; payload: SparkplugPayload; edgeTime: number }>;
}

export interface HostOutput {
  events: EdgeEvent[];
  /** Edge nodes to send a rebirth request to (`spBv1.0/<group>/NCMD/<node>`). */
  rebirth: Array<{ group: string; node: string; reason: string }>;
  /** Messages (or metrics) that could not be used, each with the reason. */
  rejected: Array<{ reason: string }>;
}

export interface SparkplugHost {
  handle(topic: string, bytes: Uint8Array, edgeTime: number): HostOutput;
  /** Known edge nodes, for health. */
  nodes(): Array<{ group: string; node: string; online: boolean; devices: number; seq: number | null }>;
}

const controlMetric = /^(bdSeq$|Node Control\/|Device Control\/)/;

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function sanitize(segment: string): string {
  const s = segment.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z0-9]/.test(s) ? s.slice(0, 64) : `x${s}`.slice(0, 64);
}

export function createSparkplugHost(config: SparkplugConfig, sourceId: string): SparkplugHost {
  const nodes = new Map<string, NodeState>();
  const metricRules = config.metrics.map((m) => ({ ...m, pattern: wildcard(m.name) }));
  const equipmentCache = new Map<string, string | null>();

  const equipmentOf = (group: string, node: string, device: string | null): string | null => {
    const key = `${group}\u0000${node}\u0000${device ?? ''}`;
    const cached = equipmentCache.get(key);
    if (cached !== undefined) return cached;
    let template = config.equipment;
    if (device === null) {
      const cut = template.indexOf('/{device}');
      template = cut >= 0 ? template.slice(0, cut) : template.replace('{device}', 'node');
    }
    const path = template.replace('{group}', sanitize(group)).replace('{node}', sanitize(node)).replace('{device}', sanitize(device ?? ''));
    const result = parseEquipmentPath(path) ? path : null;
    equipmentCache.set(key, result);
    return result;
  };

  const nodeState = (group: string, node: string): NodeState => {
    const key = `${group}/${node}`;
    let state = nodes.get(key);
    if (!state) {
      state = { group, node, born: false, online: false, bdSeq: null, seq: null, aliases: new Map(), metrics: new Map(), devicesOnline: new Set(), pending: [] };
      nodes.set(key, state);
    }
    return state;
  };

  const tagFor = (def: MetricDef, equipment: string): TagSpec => {
    const rule = metricRules.find((r) => r.pattern.test(def.name));
    const low = def.properties.engLow;
    const high = def.properties.engHigh;
    const range = rule?.range ?? (typeof low === 'number' && typeof high === 'number' ? { low, high } : undefined);
    const unit = rule?.unit ?? (typeof def.properties.engUnit === 'string' ? def.properties.engUnit : undefined);
    return {
      equipment,
      role: rule?.role ?? 'sensor',
      tag: def.name,
      ...(unit !== undefined ? { unit } : {}),
      ...(range ? { range } : {}),
      ...(rule?.counterMax !== undefined ? { counterMax: rule.counterMax } : {}),
      characteristic: rule?.characteristic ?? def.name,
    };
  };

  const emitMetric = (out: HostOutput, def: MetricDef, metric: SparkplugMetric | null, payload: SparkplugPayload | null, topic: SparkplugTopic, edgeTime: number): void => {
    if (controlMetric.test(def.name)) return;
    const equipment = equipmentOf(topic.group, topic.node, def.device);
    if (!equipment) {
      out.rejected.push({ reason: `no valid equipment path for ${topic.group}/${topic.node}/${def.device ?? ''} from template ${config.equipment}` });
      return;
    }
    const tag = tagFor(def, equipment);
    const ts = metric?.timestamp ?? payload?.timestamp;
    const stale = metric === null;
    const code = stale ? 500 : (metric.quality ?? 192);
    const dv: PlainDataValue = {
      value: stale ? null : Buffer.isBuffer(metric.value) ? metric.value.toString('base64') : metric.value,
      sourceTimestamp: ts !== undefined ? new Date(ts) : stale ? new Date(edgeTime) : null,
      serverTimestamp: null,
      statusCode: code,
      quality: sparkplugQuality(code),
      historical: metric?.isHistorical === true,
    };
    const ctx = { sourceId, edgeTime };
    if (tag.role === 'state' && !stale) {
      const name = stateName(tag, dv.value);
      if (name !== null) {
        out.events.push(stateEvent(tag, name, null, dv, ctx));
        return;
      }
    }
    const role = stale ? 'sensor' : tag.role;
    for (const e of mapDataValue({ ...tag, role: role === 'state' || role === 'stateReason' ? 'sensor' : role }, dv, ctx)) {
      if (stale && e.topic === 'telemetry') e.event.text = 'STALE';
      out.events.push(e);
    }
  };

  const checkSeq = (out: HostOutput, state: NodeState, payload: SparkplugPayload, type: MessageType): void => {
    if (payload.seq === undefined) {
      out.rejected.push({ reason: `${type} from ${state.group}/${state.node} without seq` });
      return;
    }
    if (state.seq !== null) {
      const expected = (state.seq + 1) % 256;
      if (payload.seq !== expected) {
        out.rebirth.push({ group: state.group, node: state.node, reason: `seq gap: expected ${expected}, got ${payload.seq}` });
      }
    }
    state.seq = payload.seq;
  };

  const keep = (out: HostOutput, state: NodeState, topic: SparkplugTopic, payload: SparkplugPayload, edgeTime: number, reason: string): void => {
    if (state.pending.length < config.maxPendingPerNode) state.pending.push({ topic, payload, edgeTime });
    else out.rejected.push({ reason: `${reason}; pending buffer of ${state.group}/${state.node} full, message dropped` });
    out.rebirth.push({ group: state.group, node: state.node, reason });
  };

  const applyData = (out: HostOutput, state: NodeState, topic: SparkplugTopic, payload: SparkplugPayload, edgeTime: number, replay: boolean): void => {
    const deviceKey = topic.device ?? '';
    if (topic.device !== null && !state.metrics.has(deviceKey)) {
      if (replay) out.rejected.push({ reason: `device ${topic.device} of ${topic.group}/${topic.node} never born` });
      else keep(out, state, topic, payload, edgeTime, `data for device ${topic.device} before its DBIRTH`);
      return;
    }
    const unresolved: SparkplugMetric[] = [];
    for (const metric of payload.metrics) {
      const def = metric.alias !== undefined && metric.name === undefined ? state.aliases.get(metric.alias) : state.metrics.get(deviceKey)?.get(metric.name ?? '');
      if (!def || def.device !== topic.device) {
        unresolved.push(metric);
        continue;
      }
      emitMetric(out, def, metric, payload, topic, edgeTime);
    }
    if (unresolved.length > 0) {
      const what = unresolved.map((m) => m.name ?? `alias ${m.alias}`).slice(0, 5).join(', ');
      if (replay) out.rejected.push({ reason: `unknown metric(s) ${what} of ${topic.group}/${topic.node}${topic.device ? `/${topic.device}` : ''} after rebirth` });
      else keep(out, state, topic, { ...payload, metrics: unresolved }, edgeTime, `unknown metric(s) ${what} (not in the birth)`);
    }
  };

  const register = (state: NodeState, device: string | null, metrics: SparkplugMetric[]): MetricDef[] => {
    const key = device ?? '';
    const table = new Map<string, MetricDef>();
    const defs: MetricDef[] = [];
    for (const m of metrics) {
      if (m.name === undefined) continue;
      const def: MetricDef = { name: m.name, datatype: m.datatype, device, properties: m.properties };
      table.set(m.name, def);
      if (m.alias !== undefined) state.aliases.set(m.alias, def);
      defs.push(def);
    }
    state.metrics.set(key, table);
    return defs;
  };

  const replayPending = (out: HostOutput, state: NodeState, onlyDevice: string | null | undefined): void => {
    const keepLater: NodeState['pending'] = [];
    const ready = state.pending.filter((p) => {
      const waitsForOtherDevice = p.topic.device !== null && !state.metrics.has(p.topic.device);
      if (waitsForOtherDevice || (onlyDevice !== undefined && p.topic.device !== onlyDevice)) {
        keepLater.push(p);
        return false;
      }
      return true;
    });
    state.pending = keepLater;
    for (const p of ready) applyData(out, state, p.topic, p.payload, p.edgeTime, true);
  };

  const stale = (out: HostOutput, state: NodeState, device: string | null, topic: SparkplugTopic, edgeTime: number): void => {
    const tables = device === null ? [...state.metrics.values()] : [state.metrics.get(device) ?? new Map<string, MetricDef>()];
    for (const table of tables) for (const def of table.values()) emitMetric(out, def, null, null, { ...topic, device: def.device }, edgeTime);
  };

  return {
    nodes: () => [...nodes.values()].map((n) => ({ group: n.group, node: n.node, online: n.online, devices: n.devicesOnline.size, seq: n.seq })),
    handle(topicText, bytes, edgeTime) {
      const out: HostOutput = { events: [], rebirth: [], rejected: [] };
      try {
        const parsed = parseSparkplugTopic(topicText);
        if (!parsed.ok) {
          out.rejected.push({ reason: `${topicText}: ${parsed.reason}` });
          return out;
        }
        const topic = parsed.topic;
        if (topic.type === 'STATE' || topic.type === 'NCMD' || topic.type === 'DCMD') return out;
        if (!config.groups.includes(topic.group)) return out;
        const decoded = decodePayload(bytes);
        if (!decoded.ok) {
          out.rejected.push({ reason: `${topicText}: ${decoded.reason}` });
          return out;
        }
        const payload = decoded.payload;
        const state = nodeState(topic.group, topic.node);
        switch (topic.type) {
          case 'NBIRTH': {
            state.aliases.clear();
            state.metrics.clear();
            state.devicesOnline.clear();
            state.born = true;
            state.online = true;
            state.seq = payload.seq ?? 0;
            const bd = payload.metrics.find((m) => m.name === 'bdSeq');
            state.bdSeq = typeof bd?.value === 'number' ? bd.value : null;
            const defs = register(state, null, payload.metrics);
            for (const def of defs) emitMetric(out, def, payload.metrics.find((m) => m.name === def.name) ?? null, payload, topic, edgeTime);
            replayPending(out, state, null);
            return out;
          }
          case 'NDEATH': {
            const bd = payload.metrics.find((m) => m.name === 'bdSeq');
            const bdSeq = typeof bd?.value === 'number' ? bd.value : null;
            if (state.bdSeq !== null && bdSeq !== null && bdSeq !== state.bdSeq) return out; // death of an older session
            if (state.online) stale(out, state, null, topic, edgeTime);
            state.online = false;
            state.devicesOnline.clear();
            state.seq = null;
            return out;
          }
          case 'DBIRTH': {
            if (!state.born) {
              keep(out, state, topic, payload, edgeTime, `DBIRTH of ${topic.device} before NBIRTH`);
              return out;
            }
            checkSeq(out, state, payload, topic.type);
            const defs = register(state, topic.device, payload.metrics);
            state.devicesOnline.add(topic.device ?? '');
            for (const def of defs) emitMetric(out, def, payload.metrics.find((m) => m.name === def.name) ?? null, payload, topic, edgeTime);
            replayPending(out, state, topic.device);
            return out;
          }
          case 'DDEATH': {
            if (!state.born) return out;
            checkSeq(out, state, payload, topic.type);
            if (state.devicesOnline.delete(topic.device ?? '')) stale(out, state, topic.device, topic, edgeTime);
            return out;
          }
          case 'NDATA':
          case 'DDATA': {
            if (!state.born) {
              keep(out, state, topic, payload, edgeTime, `${topic.type} before NBIRTH`);
              return out;
            }
            checkSeq(out, state, payload, topic.type);
            applyData(out, state, topic, payload, edgeTime, false);
            return out;
          }
        }
      } catch (error) {
        out.rejected.push({ reason: `${topicText}: ${(error as Error).message ?? String(error)}` });
      }
      return out;
    },
  };
}

/** The NCMD payload asking an edge node to publish its births again. */
export function rebirthRequest(now: number): Buffer {
  return encodePayload({ timestamp: now, metrics: [{ name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: true, timestamp: now }] });
}

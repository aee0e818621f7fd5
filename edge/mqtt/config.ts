// Config of the MQTT collector: one entry per broker connection, with plain JSON topic mappings and/or Sparkplug B.
import { z } from 'zod';
import { tagRoles } from '../mapping.ts';
import { equipmentPath } from '../opcua/config.ts';

const range = z.object({ low: z.number(), high: z.number() });

/** `{1}`, `{2}`, ... in equipment/tag templates are the topic levels (1-based). */
export const jsonTopicSchema = z.object({
  /** MQTT topic filter, e.g. `plant1/line1/+/temperature`. */
  topic: z.string().min(1),
  /** Equipment path or template, e.g. `demo/plant1/assembly/line1/{3}`. */
  equipment: z.string().min(1),
  role: z.enum(tagRoles).default('sensor'),
  /** Tag name or template; default the last topic level. */
  tag: z.string().optional(),
  /** Where the value is in the JSON payload (dot path); a bare number or string payload is the value itself. */
  valuePath: z.string().default('value'),
  /** Source timestamp (epoch ms, epoch s or ISO text); default `timestamp`, then `ts`; else the receive time. */
  timestampPath: z.string().optional(),
  /** Optional quality field: GOOD/UNCERTAIN/BAD, or an OPC-UA-style number (0 = good), or Sparkplug 192/0/500. */
  qualityPath: z.string().optional(),
  unit: z.string().optional(),
  range: range.optional(),
  counterMax: z.number().int().positive().optional(),
  characteristic: z.string().optional(),
});

export type JsonTopicConfig = z.infer<typeof jsonTopicSchema>;

export const sparkplugMetricSchema = z.object({
  /** Metric name, exact, or a pattern with `*` wildcards. */
  name: z.string().min(1),
  role: z.enum(tagRoles).default('sensor'),
  unit: z.string().optional(),
  range: range.optional(),
  counterMax: z.number().int().positive().optional(),
  characteristic: z.string().optional(),
});

export const sparkplugSchema = z.object({
  /** Sparkplug group ids to subscribe (`spBv1.0/<group>/#`). */
  groups: z.array(z.string().min(1)).min(1),
  /**
   * Equipment path template with {group}, {node}, {device}; node-level metrics use the template cut before
   * `/{device}`. Default `{group}/{node}/{device}` (edit to your ISA-95 path).
   */
  equipment: z.string().default('{group}/{node}/{device}'),
  /** Roles of metrics (default: every metric is a sensor -> telemetry). */
  metrics: z.array(sparkplugMetricSchema).default([]),
  /** Ask the edge node for a rebirth (NCMD Node Control/Rebirth) on a seq gap or an unknown alias. Default true. */
  rebirthOnGap: z.boolean().default(true),
  /** Messages kept per edge node while waiting for a birth to resolve their aliases. */
  maxPendingPerNode: z.number().int().min(0).default(1_000),
});

export type SparkplugConfig = z.infer<typeof sparkplugSchema>;

export const mqttConnectionSchema = z.object({
  /** Source id suffix: events carry origin.sourceId = `mqtt:<id>`. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only'),
  /** mqtt://host:port, or mqtts://host:port for TLS. */
  url: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// or mqtts:// URL'),
  clientId: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Name of the environment variable holding the password. */
  passwordEnv: z.string().optional(),
  /** File holding the password (a mounted secret); wins over `password` and `passwordEnv`. */
  passwordFile: z.string().optional(),
  tls: z.object({
    /** PEM files: CA to trust, client certificate and key (mutual TLS). */
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  }).optional(),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  /**
   * false (default): a persistent session, so QoS 1 messages published while the edge is disconnected are kept
   * by the broker (with broker persistence, also across a broker restart). true: a fresh session each time.
   */
  cleanSession: z.boolean().default(false),
  reconnectPeriodMs: z.number().int().min(100).default(1_000),
  /** Larger messages are rejected unparsed (dead-lettered with the reason). Default 256 KiB. */
  maxMessageBytes: z.number().int().positive().default(256 * 1024),
  json: z.array(jsonTopicSchema).default([]),
  sparkplug: sparkplugSchema.optional(),
}).refine((c) => c.json.length > 0 || c.sparkplug !== undefined, { message: 'map at least one JSON topic or Sparkplug group' });

export type MqttConnectionConfig = z.infer<typeof mqttConnectionSchema>;
export type MqttConnectionInput = z.input<typeof mqttConnectionSchema>;

export { equipmentPath };

// Config of the OPC-UA collector: one entry per server endpoint, with its tag mapping (zod; this schema is the
// reference for the `opcua:` section of the edge config file, see edge/README.md).
import { z } from 'zod';
import { tagRoles } from '../mapping.ts';

export { tagRoles, type TagRole } from '../mapping.ts';

export const equipmentPath = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}){0,5}$/, 'must be an ISA-95 path enterprise/site/area/line/cell/equipment');

const monitoringSchema = z.object({
  /** Sampling interval asked of the server, ms (-1: the publishing interval; 0: fastest). */
  samplingIntervalMs: z.number().int().min(-1).optional(),
  /** Server-side queue per monitored item: values kept between two publishes. */
  queueSize: z.number().int().min(1).max(10_000).optional(),
  /** Deadband: absolute (engineering units) or percent of the EURange. */
  deadband: z.object({ type: z.enum(['absolute', 'percent']), value: z.number().min(0) }).optional(),
});

export const opcUaTagSchema = monitoringSchema.extend({
  /** Node id, e.g. `ns=2;s=Line1.Press.State` (one of node or browsePath). */
  node: z.string().min(1).optional(),
  /** Browse path from the Objects folder, e.g. `/2:Plant/2:Press1/2:State`. */
  browsePath: z.string().min(1).optional(),
  equipment: equipmentPath,
  role: z.enum(tagRoles),
  /** Tag name on telemetry events; default: the last part of the node id or browse path. */
  tag: z.string().min(1).optional(),
  unit: z.string().optional(),
  /** Engineering range: values outside are flagged outOfRange, never discarded. */
  range: z.object({ low: z.number(), high: z.number() }).optional(),
  /** Counters: rollover value (e.g. 65535); processors use it to compute increments. */
  counterMax: z.number().int().positive().optional(),
  /** processValue: the SPC characteristic id. */
  characteristic: z.string().min(1).optional(),
  /** state: names for numeric state codes, e.g. { "1": "RUNNING" }. */
  stateNames: z.record(z.string(), z.string()).optional(),
}).refine((t) => Boolean(t.node) !== Boolean(t.browsePath), { message: 'give exactly one of node or browsePath' })
  .refine((t) => t.role !== 'processValue' || Boolean(t.characteristic), { message: 'processValue tags need a characteristic' });

export type OpcUaTag = z.infer<typeof opcUaTagSchema>;

export const opcUaEndpointSchema = z.object({
  /** Source id suffix: events carry origin.sourceId = `opcua:<id>`. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only'),
  endpoint: z.string().regex(/^opc\.tcp:\/\/.+/, 'must be an opc.tcp:// URL'),
  securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
  /** Only Basic256Sha256 is offered for Sign / SignAndEncrypt (the older policies are deprecated). */
  securityPolicy: z.enum(['None', 'Basic256Sha256']).optional(),
  /** User name / password token. The password may come from an environment variable or a file (a mounted secret) instead. */
  user: z.object({ username: z.string().min(1), password: z.string().optional(), passwordEnv: z.string().optional(), passwordFile: z.string().optional() })
    .refine((u) => u.password !== undefined || u.passwordEnv !== undefined || u.passwordFile !== undefined, { message: 'give password, passwordEnv or passwordFile' })
    .optional(),
  /** PKI folder (own certificate, trusted/ and rejected/ server certificates). Default <dataDir>/pki/opcua. */
  pkiDir: z.string().optional(),
  /** Accept a server certificate that is not in trusted/ (and store it there). Default false: move it to trusted/ yourself. */
  trustUnknownServerCertificate: z.boolean().default(false),
  subscription: z.object({
    publishingIntervalMs: z.number().int().min(10).default(500),
    keepAliveCount: z.number().int().min(1).default(10),
    lifetimeCount: z.number().int().min(3).default(60),
    maxNotificationsPerPublish: z.number().int().min(0).default(0),
    /** Monitored items per subscription; more items open more subscriptions, which publish in parallel. */
    maxItemsPerSubscription: z.number().int().min(1).default(2_000),
  }).prefault({}),
  /** Defaults for every tag of this endpoint. */
  defaults: monitoringSchema.prefault({}),
  reconnect: z.object({
    initialDelayMs: z.number().int().min(100).default(1_000),
    maxDelayMs: z.number().int().min(100).default(20_000),
  }).prefault({}),
  tags: z.array(opcUaTagSchema).min(1),
});

export type OpcUaEndpointConfig = z.infer<typeof opcUaEndpointSchema>;
export type OpcUaEndpointInput = z.input<typeof opcUaEndpointSchema>;

// The edge section of the plant config file (YAML), as one zod schema composed of each collector's schema.
// The schema is the reference: edge/README.md documents the same fields with examples.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../platform/errors.ts';
import { opcUaEndpointSchema } from './opcua/config.ts';
import { mqttConnectionSchema } from './mqtt/config.ts';
import { scannerSchema } from './barcode/config.ts';

export const outboxConfigSchema = z.object({
  /** Unsent events kept at most (about 0.5-1 KB each on disk). */
  maxEvents: z.number().int().min(1).default(1_000_000),
  /** What happens when the outbox is full: drop the oldest backlog, or refuse new events. */
  overflow: z.enum(['drop-oldest', 'drop-newest']).default('drop-oldest'),
  /** Events forwarded later than this after capture are flagged origin.historical = true. */
  historicalAfterMs: z.number().int().min(0).default(10_000),
  /** SQLite synchronous mode: NORMAL survives a process crash, FULL also a power loss. */
  synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  /** Events per forwarded batch. */
  batchSize: z.number().int().min(1).max(50_000).default(2_000),
  retry: z.object({ initialMs: z.number().int().min(10).default(200), maxMs: z.number().int().min(10).default(30_000) }).prefault({}),
});

export const edgeConfigSchema = z.object({
  /** Outbox file name under the data dir. */
  outboxFile: z.string().default('edge/outbox.sqlite'),
  outbox: outboxConfigSchema.prefault({}),
  opcua: z.array(opcUaEndpointSchema).default([]),
  mqtt: z.array(mqttConnectionSchema).default([]),
  scanners: z.array(scannerSchema).default([]),
});

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;
export type EdgeConfigInput = z.input<typeof edgeConfigSchema>;

/** Validates an edge config; throws ConfigError naming the first bad key (`where` prefixes it). */
export function parseEdgeConfig(input: unknown, where = 'edge'): EdgeConfig {
  const parsed = edgeConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') ?? '';
  throw new ConfigError(`${where}${path}`, issue?.message ?? 'invalid');
}

/** Reads a YAML (or JSON) file; the edge section is the top level or an `edge:` key. */
export async function loadEdgeConfig(file: string): Promise<EdgeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(file, `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const section = doc && typeof doc === 'object' && 'edge' in doc ? (doc as { edge: unknown }).edge : doc;
  return parseEdgeConfig(section, `${file}: edge`);
}

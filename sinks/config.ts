// The `sinks` section of the plant config file (YAML or JSON; `linepulse sinks|dashboard|start --config`, default
// $LINEPULSE_CONFIG):
//
//   sinks:
//     retention: { rawDays: 90, minuteDays: 1826, hourDays: 9131 }   # ClickHouse TTLs (clickhouse/retention.ts)
//     batching: { maxRows: 20000, maxDelayMs: 1000, minIntervalMs: 200,   # the writer's batcher (batcher.ts)
//                 fetchMinBytes: 262144, fetchMaxWaitMs: 200 }               # the sink consumer's fetches
//
// Every key is optional; the defaults are the ones shown.
import { z } from 'zod';
import { ConfigError } from '../platform/errors.ts';
import { clickhouseRetentionSchema } from './clickhouse/retention.ts';

export const sinksBatchingSchema = z
  .object({
    maxRows: z.number().int().min(1).max(1_000_000).optional().describe('Events in one flush at most (default 20,000)'),
    maxDelayMs: z.number().int().min(1).max(60_000).optional().describe('Longest wait for other partitions to share a flush (default 1,000 ms)'),
    minIntervalMs: z.number().int().min(0).max(60_000).optional().describe('Small flushes of a caught-up consumer: at most one per this many ms (default 200)'),
    fetchMinBytes: z.number().int().min(1).max(64 * 1024 * 1024).optional().describe('Sink consumer fetches: the broker answers once this many bytes are waiting (default 262,144) or fetchMaxWaitMs has passed'),
    fetchMaxWaitMs: z.number().int().min(0).max(10_000).optional().describe('Sink consumer fetches: the longest wait for fetchMinBytes (default 200 ms)'),
  })
  .strict();

export const sinksConfigSchema = z
  .object({
    retention: clickhouseRetentionSchema.optional(),
    batching: sinksBatchingSchema.optional(),
  })
  .strict();

export type SinksConfig = z.infer<typeof sinksConfigSchema>;

/** Validates the `sinks` section (undefined: every default); ConfigError names the file and the key path. */
export function parseSinksConfig(section: unknown, where: string): SinksConfig {
  if (section === undefined || section === null) return {};
  const result = sinksConfigSchema.safeParse(section);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = ['sinks', ...issue.path.map(String)].join('.');
  throw new ConfigError(`${where}: ${path}`, issue.message);
}

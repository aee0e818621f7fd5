// Checks on consumed records beyond their schema, applied by the typed consumer (platform/bus/typed.ts) before a
// handler sees the event. A record that fails goes to the dead-letter topic with the reason in its headers, is
// counted in linepulse_input_rejected_total{topic,consumer,reason}, and the consumer carries on:
// - oversized: the encoded value is larger than `maxRecordBytes` (checked before decoding);
// - future-timestamp: a raw event (one with `origin`, from the edge or a gateway) whose eventTime is more than
//   `maxFutureSkewMs` after the record's timestamp (when the bus accepted it: the ingest time). Derived events are
//   not checked: their event time is the end of a window, which may lie ahead of when they were produced;
// - unknown-equipment: `equipment` is set and the event's `equipment` path is neither listed nor under a listed
//   prefix (the plant model). Without a list every path is accepted.
// Late (out-of-order) events are not rejected here: the processor runtime's reorder window and watermarks handle
// them (processors/runtime/README.md).
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { ConsumedRecord } from './port.ts';

export const inputGuardSchema = z.object({
  /** Largest encoded record accepted (bytes). */
  maxRecordBytes: z.number().int().positive().default(1024 * 1024),
  /** Largest lead of a raw event's eventTime over its ingest time (ms). */
  maxFutureSkewMs: z.number().int().min(0).default(5 * 60_000),
  /** Known equipment paths (exact, or a prefix ending in `/`); unset: every path accepted. */
  equipment: z.array(z.string().min(1)).optional(),
});

export type InputGuardConfig = z.infer<typeof inputGuardSchema>;

export type RejectReason = 'oversized' | 'future-timestamp' | 'unknown-equipment';

export interface InputGuard {
  readonly config: InputGuardConfig;
  /** Before decoding: a reason when the encoded record must be rejected. */
  checkRecord(record: Pick<ConsumedRecord, 'value'>): { reason: RejectReason; message: string } | null;
  /** After decoding: a reason when the event must be rejected. */
  checkEvent(event: unknown, record: Pick<ConsumedRecord, 'timestamp'>): { reason: RejectReason; message: string } | null;
}

/** Validates the `input` section of the plant config (ConfigError naming the key). */
export function parseInputGuardConfig(input: unknown, where = 'input'): InputGuardConfig {
  const parsed = inputGuardSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(`${where}${issue?.path.map((p) => `.${String(p)}`).join('') ?? ''}`, issue?.message ?? 'invalid');
}

export function createInputGuard(input: Partial<InputGuardConfig> = {}): InputGuard {
  const config = parseInputGuardConfig(input);
  const exact = new Set(config.equipment?.filter((e) => !e.endsWith('/')));
  const prefixes = config.equipment?.filter((e) => e.endsWith('/')) ?? [];
  const known = (path: string) => exact.has(path) || prefixes.some((p) => path.startsWith(p));
  return {
    config,
    checkRecord(record) {
      const size = record.value?.length ?? 0;
      if (size > config.maxRecordBytes) return { reason: 'oversized', message: `record of ${size} bytes is larger than the limit of ${config.maxRecordBytes} (input.maxRecordBytes)` };
      return null;
    },
    checkEvent(event, record) {
      if (event === null || typeof event !== 'object') return null;
      const e = event as { eventTime?: unknown; origin?: unknown; equipment?: unknown };
      if (e.origin !== undefined && e.origin !== null && typeof e.eventTime === 'number' && record.timestamp > 0) {
        const lead = e.eventTime - record.timestamp;
        if (lead > config.maxFutureSkewMs)
          return {
            reason: 'future-timestamp',
            message: `eventTime ${new Date(e.eventTime).toISOString()} is ${Math.round(lead / 1000)} s after the ingest time ${new Date(record.timestamp).toISOString()} (limit ${config.maxFutureSkewMs / 1000} s, input.maxFutureSkewMs)`,
          };
      }
      if (config.equipment !== undefined && typeof e.equipment === 'string' && !known(e.equipment))
        return { reason: 'unknown-equipment', message: `equipment ${e.equipment} is not in the plant model (input.equipment)` };
      return null;
    },
  };
}

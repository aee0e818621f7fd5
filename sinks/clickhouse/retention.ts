// Retention and downsampling of the ClickHouse history (seed architecture: raw 90 days, 1-minute aggregates 5 years,
// 1-hour aggregates 25 years). The figures are config (section `sinks.retention` of the plant config) and
// become DDL parameters: the TTL clauses of the raw tables and of the rollup tables the materialized views fill.
// `migrate()` creates tables with these TTLs and moves an existing table's TTL when the config changes.
import { z } from 'zod';

// At most 20,000 days (55 years): a TTL is computed as a DateTime, which ends in 2106; a longer one would wrap
// around into the past and expire everything at once.
export const clickhouseRetentionSchema = z
  .object({
    rawDays: z.number().int().min(1).max(20_000).default(90).describe('Raw telemetry, counts, state events, SPC points: days kept'),
    minuteDays: z.number().int().min(1).max(20_000).default(1_826).describe('1-minute aggregates: days kept (default 5 years)'),
    hourDays: z.number().int().min(1).max(20_000).default(9_131).describe('1-hour aggregates, OEE windows, alarms and alerts: days kept (default 25 years)'),
  })
  .strict()
  .refine((r) => r.rawDays <= r.minuteDays && r.minuteDays <= r.hourDays, { message: 'retention must not shrink with coarser data: rawDays <= minuteDays <= hourDays' });

export type ClickHouseRetention = z.infer<typeof clickhouseRetentionSchema>;

export const defaultRetention: ClickHouseRetention = clickhouseRetentionSchema.parse({});

/** Which retention class a table belongs to. */
export type RetentionClass = 'raw' | 'minute' | 'hour';

export function retentionDays(retention: ClickHouseRetention, cls: RetentionClass): number {
  return cls === 'raw' ? retention.rawDays : cls === 'minute' ? retention.minuteDays : retention.hourDays;
}

/** The TTL clause of a table whose rows age by `column` (DateTime or DateTime64). */
export function ttlClause(column: string, days: number): string {
  return `TTL toDateTime(${column}) + toIntervalDay(${days})`;
}

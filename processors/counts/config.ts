// Config of the count processor: section `processors.counts` of the plant config, plus the shared `calendars`.
import { z } from 'zod';
import { calendarsSchema } from '../calendar/calendar.ts';
import { defaultCounterRules } from './counter.ts';

export const countWindowKinds = ['SHIFT', 'HOUR', 'DAY', 'WORK_ORDER', 'ALL_TIME'] as const;

export const countsConfigSchema = z.object({
  /** Reorder buffer: events of one equipment are put in event-time order within this bound (ms). */
  reorderMs: z.number().int().min(0).default(5_000),
  /** Windows to total. */
  windows: z.array(z.enum(countWindowKinds)).default(['SHIFT', 'HOUR', 'DAY', 'WORK_ORDER']),
  /**
   * 0: a window's total is emitted at every change. > 0: changed windows are emitted when the watermark crosses
   * a multiple of this interval (event time) and when the window closes.
   */
  totalsIntervalMs: z.number().int().min(0).default(0),
  /** Closed time windows are kept this long past their end (event time) so late data revises them. */
  allowedLatenessMs: z.number().int().min(0).default(24 * 3_600_000),
  /** Work-order windows kept per equipment (least recently counted dropped first). */
  maxWorkOrders: z.number().int().min(1).default(50),
  counter: z
    .object({
      nearMaxFraction: z.number().gt(0).lt(0.5).default(defaultCounterRules.nearMaxFraction),
      resetMaxValue: z.number().int().min(0).default(defaultCounterRules.resetMaxValue),
      inferredMaxima: z.array(z.number().int().positive()).default([...defaultCounterRules.inferredMaxima]),
    })
    .prefault({}),
  /**
   * A TOTAL counter counts good + reject pieces. When the same equipment also reports rejects (REJECT counter or
   * increments), those rejects are taken out of the TOTAL counter's following increments so no piece counts twice.
   * Set false for machines whose TOTAL counter excludes rejects.
   */
  totalIncludesRejects: z.boolean().default(true),
  /** Shift calendars (shared section `calendars` of the plant config). */
  calendars: calendarsSchema.prefault({}),
});

export type CountsConfig = z.infer<typeof countsConfigSchema>;

export function countsConfig(input: unknown = {}): CountsConfig {
  return countsConfigSchema.parse(input);
}

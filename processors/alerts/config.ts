// Config of the alert processor: section `processors.alerts` of the plant config, plus the shared `calendars` and
// `states` (raw state -> category) sections.
import { z } from 'zod';
import { calendarsSchema } from '../calendar/calendar.ts';
import { stateMappingSchema } from '../states/states.ts';

const severity = z.enum(['INFO', 'WARNING', 'CRITICAL']);

export const sensorRuleSchema = z
  .object({
    /** Stable rule id: part of the alert id. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { message: 'letters, digits, _ . - (max 64)' }),
    /** Telemetry tag the rule watches. */
    tag: z.string().min(1),
    /** Equipment path or path prefix (whole segments) the rule applies to; default every equipment. */
    equipment: z.string().optional(),
    /** Out of range when the value is above this. */
    above: z.number().optional(),
    /** Out of range when the value is below this. */
    below: z.number().optional(),
    /** Back in range only when inside the limits by this margin (hysteresis band). Default 0. */
    deadband: z.number().min(0).default(0),
    /** Out of range continuously for this long before the alert is raised (ms). Default 30 s. */
    raiseAfterMs: z.number().int().min(0).default(30_000),
    /** Back in range continuously for this long before the alert clears (ms). Default 30 s. */
    clearAfterMs: z.number().int().min(0).default(30_000),
    severity: severity.default('WARNING'),
  })
  .refine((r) => r.above !== undefined || r.below !== undefined, { message: 'a sensor rule needs `above`, `below` or both' })
  .refine((r) => r.above === undefined || r.below === undefined || r.below < r.above, { message: '`below` must be less than `above`' });

export type SensorRule = z.infer<typeof sensorRuleSchema>;

export const reliabilityWindowKinds = ['SHIFT', 'DAY'] as const;

export const alertsConfigSchema = z.object({
  /** Reorder buffer: events of one equipment are put in event-time order within this bound (ms). */
  reorderMs: z.number().int().min(0).default(5_000),
  downtime: z
    .object({
      enabled: z.boolean().default(true),
      /** An unplanned stop raises a downtime alert once it has lasted this long (ms). Default 5 min. */
      thresholdMs: z.number().int().min(0).default(300_000),
      severity: severity.default('WARNING'),
    })
    .prefault({}),
  sensors: z.array(sensorRuleSchema).default([]),
  reliability: z
    .object({
      /** Windows MTBF/MTTR are computed over. */
      windows: z.array(z.enum(reliabilityWindowKinds)).default(['SHIFT', 'DAY']),
      /** An unplanned stop counts as a failure once it has lasted this long (ms); shorter ones are ignored. Default 0. */
      minFailureMs: z.number().int().min(0).default(0),
    })
    .prefault({}),
  /** Raw state -> category (shared section `states`). */
  states: stateMappingSchema.prefault({}),
  /** Shift calendars (shared section `calendars`). */
  calendars: calendarsSchema.prefault({}),
}).superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.sensors.forEach((rule, i) => {
    if (seen.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['sensors', i, 'id'], message: `duplicate sensor rule id ${rule.id}` });
    seen.add(rule.id);
  });
});

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;

export function alertsConfig(input: unknown = {}): AlertsConfig {
  return alertsConfigSchema.parse(input);
}

// Config of the SPC processor: section `processors.spc` of the plant config. One entry per quality characteristic;
// every option is explained in README.md.
import { z } from 'zod';
import { MAX_XBAR_SUBGROUP, MIN_XBAR_SUBGROUP } from './charts.ts';
import { NELSON_RULES, WESTERN_ELECTRIC_RULES } from './rules.ts';

const finite = z.number().finite();

export const subgroupFormationSchema = z.discriminatedUnion('mode', [
  /** Every `subgroupSize` consecutive measurements of the characteristic form a subgroup. */
  z.object({ mode: z.literal('CONSECUTIVE') }),
  /**
   * Measurements with the same subgroup id (QualityMeasurement.subgroupId, else .serial) form a subgroup, e.g. the
   * positions measured on one part. A subgroup closes when it holds `subgroupSize` values; one left incomplete when
   * the next id arrives is not plotted (counted in the state).
   */
  z.object({ mode: z.literal('PER_SERIAL') }),
  /**
   * Tumbling event-time windows of `windowMs` aligned to the epoch; a window closes when the watermark passes its
   * end. X-bar charts plot the first `subgroupSize` values of a window (fewer: not plotted, counted); p and u charts
   * plot every value (variable sample size, per-point limits).
   */
  z.object({ mode: z.literal('TIME_WINDOW'), windowMs: z.number().int().positive() }),
]);

export const fixedLimitsSchema = z.object({
  center: finite,
  ucl: finite,
  lcl: finite,
  /** Sigma of the plotted statistic; default (ucl - lcl) / 6. */
  sigma: finite.positive().optional(),
  dispersion: z.object({ center: finite, ucl: finite, lcl: finite }).optional(),
  /** Sigma within subgroups, for Cp/Cpk. */
  sigmaWithin: finite.positive().optional(),
});

export const characteristicSchema = z
  .object({
    /** Characteristic id, as in QualityMeasurement.characteristic; the key of spcPoints and spcAlarms. */
    id: z.string().min(1),
    name: z.string().optional(),
    /** ISA-95 equipment path the measurements come from (their record key). */
    equipment: z.string().min(1),
    operation: z.string().nullable().default(null),
    nominal: finite.nullable().default(null),
    lsl: finite.nullable().default(null),
    usl: finite.nullable().default(null),
    unit: z.string().nullable().default(null),
    chart: z.enum(['IMR', 'XBAR_R', 'XBAR_S', 'P', 'U']),
    /** IMR: 1. X-bar: values per subgroup, 2..10. p, u with CONSECUTIVE subgroups: inspected units per sample. */
    subgroupSize: z.number().int().min(1).default(1),
    subgroups: subgroupFormationSchema.default({ mode: 'CONSECUTIVE' }),
    /** Phase I baseline: this many plotted points, then the limits are frozen. */
    phase1Subgroups: z.number().int().min(2).max(1000).default(25),
    ruleSet: z.enum(['NELSON', 'WESTERN_ELECTRIC']).default('NELSON'),
    /** Rules to evaluate, numbered within the rule set; default all of them. */
    rules: z.array(z.number().int().min(1).max(8)).min(1).optional(),
    /** TABLE: printed factors (textbook hand calculation); EXACT: full precision (as R qcc, Minitab). */
    constants: z.enum(['TABLE', 'EXACT']).default('TABLE'),
    /** Also signal a dispersion statistic (moving range, range, s) beyond its limits. */
    dispersionAlarms: z.boolean().default(true),
    /** Limits entered by an engineer: no Phase I. */
    fixedLimits: fixedLimitsSchema.optional(),
    /**
     * Capability records (linepulse.spc-capability.v1) over the points since the limits in force took effect: one
     * every `everyPoints` plotted points (point index divisible by it; 1 = every subgroup, 0 = none), once limits
     * exist. Needs lsl and/or usl and a variables chart (I-MR, X-bar/R, X-bar/S).
     */
    capability: z.object({ everyPoints: z.number().int().min(0).max(100_000).default(1) }).default({ everyPoints: 1 }),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.chart === 'IMR') {
      if (c.subgroupSize !== 1) issue('subgroupSize', 'IMR plots individual values: subgroupSize must be 1');
      if (c.subgroups.mode !== 'CONSECUTIVE') issue('subgroups', 'IMR takes the measurements one by one (mode CONSECUTIVE)');
    }
    if ((c.chart === 'XBAR_R' || c.chart === 'XBAR_S') && (c.subgroupSize < MIN_XBAR_SUBGROUP || c.subgroupSize > MAX_XBAR_SUBGROUP))
      issue('subgroupSize', `${c.chart} needs a subgroup size of ${MIN_XBAR_SUBGROUP}..${MAX_XBAR_SUBGROUP}`);
    if ((c.chart === 'P' || c.chart === 'U') && c.subgroups.mode === 'PER_SERIAL') issue('subgroups', 'p and u charts form samples CONSECUTIVE or by TIME_WINDOW');
    const valid: readonly number[] = c.ruleSet === 'NELSON' ? NELSON_RULES : WESTERN_ELECTRIC_RULES;
    for (const r of c.rules ?? []) if (!valid.includes(r)) issue('rules', `${c.ruleSet} has no rule ${r}`);
    if (c.lsl !== null && c.usl !== null && !(c.usl > c.lsl)) issue('usl', 'usl must be above lsl');
    const f = c.fixedLimits;
    if (f && !(f.lcl <= f.center && f.center < f.ucl)) issue('fixedLimits', 'fixed limits need lcl <= center < ucl');
  });

export const spcConfigSchema = z
  .object({
    /** Reorder buffer of the runtime (ms of event time). */
    reorderMs: z.number().int().min(0).default(5_000),
    characteristics: z.array(characteristicSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.characteristics.forEach((ch, i) => {
      if (seen.has(ch.id)) ctx.addIssue({ code: 'custom', path: ['characteristics', i, 'id'], message: `duplicate characteristic id ${ch.id}` });
      seen.add(ch.id);
    });
  });

export type SpcConfig = z.infer<typeof spcConfigSchema>;
export type CharacteristicConfig = z.infer<typeof characteristicSchema>;

// Config of the OEE processor: section `processors.oee` of the plant config, plus the shared sections `calendars`
// (processors/calendar) and `states` (processors/states) that the CLI passes in unchanged. Every option is
// explained in README.md; the defaults are the conventions documented there.
import { z } from 'zod';
import { calendarsSchema } from '../calendar/calendar.ts';
import { stateCategories, stateMappingSchema } from '../states/states.ts';

const ms = z.number().int().min(0);
const cycleTimeMs = z.number().positive().finite();

const idealCycleTimeTables = z.object({
  /** Ideal cycle time (ms per piece) when neither the dispatch nor `products` gives one. */
  defaultMs: cycleTimeMs.optional(),
  /** Product id -> ideal cycle time (ms per piece). */
  products: z.record(z.string(), cycleTimeMs).default({}),
});

export const oeeConfigSchema = z
  .object({
    /** Reorder buffer of the runtime (ms of event time). */
    reorderMs: ms.default(5_000),
    /**
     * How far behind the watermark late data is still folded in exactly (closed windows recomputed and re-emitted
     * with revision + 1). Older events are dropped and counted in the state's `stats.tooLate`. The state keeps
     * every input event of this span (see README: sizing).
     */
    maxLatenessMs: ms.default(8 * 3_600_000),
    /** The state is compacted (events older than the lateness horizon folded into the base) in steps of this. */
    compactEveryMs: z.number().int().min(1).default(15 * 60_000),
    /**
     * Unplanned and idle stops shorter than this are micro-stops (performance loss); longer ones are availability
     * loss. Windows close this long after their end, once every stop that touches them is classified.
     */
    microStopThresholdMs: ms.default(120_000),
    /**
     * Pieces are summed per bucket of this length (aligned to the epoch; must divide one minute) and booked at the
     * end of their bucket, after the state changes inside it: bounds the state to one count entry per bucket
     * whatever the count rate (README: convention 9).
     */
    countBucketMs: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .refine((q) => 60_000 % q === 0, { message: 'must divide 60000 (one minute)' }),
    /** LIVE_SHIFT updates: at most one per this much watermark progress (event time); 0 = every watermark. */
    liveEmitIntervalMs: ms.default(5_000),
    /**
     * The no-data rule (README: convention 16). When the machine has sent nothing (no state change, no count) for
     * longer than `afterMs` of event time while its last reported state is one of `categories`, the time from then
     * until its next data is `unknown` (an availability loss) instead of the last state going on: an edge that lost
     * the machine does not make it look like running. The edge's backlog, when it arrives, is late data: the windows
     * are recomputed and re-emitted. Pick `afterMs` above the longest silence of a healthy machine in those
     * categories (a running machine counts at least once per cycle). 0: off.
     */
    offline: z
      .object({
        afterMs: ms.default(0),
        categories: z.array(z.enum(stateCategories)).default(['running']),
      })
      .prefault({}),
    /** Idle / starved / blocked time as a planned stop (excluded from planned production time) instead of a loss. */
    idleAsPlannedStop: z.boolean().default(false),
    /** Scheduled time without a dispatched work order (and the machine not running) is a planned stop NO_ORDERS. */
    noOrderIsPlannedStop: z.boolean().default(false),
    startup: z
      .object({
        /**
         * Rejects within this long after the machine starts running following a setup / changeover or a work order
         * change are startup rejects (and every reject counted during setup). 0: only by reason code.
         */
        periodMs: ms.default(10 * 60_000),
        /** Also after any stop at least this long (0: off). */
        afterStopMs: ms.default(0),
        /** Reject reason codes (CountIncrement.rejectReason, case-insensitive) that always mean a startup reject. */
        rejectReasons: z.array(z.string()).default(['STARTUP', 'WARMUP', 'WARM_UP']),
      })
      .prefault({}),
    /** Ideal cycle times: Dispatch.idealCycleTimeMs first, then per equipment (longest path prefix), then plant-wide. */
    idealCycleTime: idealCycleTimeTables
      .extend({ equipment: z.record(z.string(), idealCycleTimeTables).default({}) })
      .prefault({}),
    /** Shift calendars (shared section `calendars`). Equipment without a calendar is scheduled around the clock. */
    calendars: calendarsSchema.prefault({}),
    /** Raw state -> category mapping (shared section `states`). */
    states: stateMappingSchema.prefault({}),
  })
  .refine((c) => c.maxLatenessMs >= c.microStopThresholdMs, {
    message: 'maxLatenessMs must be at least microStopThresholdMs',
    path: ['maxLatenessMs'],
  });

export type OeeConfig = z.infer<typeof oeeConfigSchema>;

/** Parses (and defaults) the OEE config; throws a ZodError naming the first bad key. */
export function oeeConfig(input: unknown = {}): OeeConfig {
  return oeeConfigSchema.parse(input);
}

// Raw machine state -> state category, shared by OEE, alerts (downtime, MTBF/MTTR) and anything else that needs
// to know whether a machine is running. Pure; the mapping is plant config.
//
// Categories (ISO 22400-2 time model / Nakajima's losses, see processors/states/README.md):
//   running       producing (actual production time)
//   plannedStop   breaks, planned maintenance, no orders: removed from planned production time
//   unplannedStop breakdowns, faults, unexplained stops: availability loss, a failure for MTBF/MTTR
//   setup         setup / changeover / tool change
//   idle          starved, blocked, waiting, ready but not producing
//   unknown       no mapping (and no data yet)
//
// Resolution order for a state event (raw state + optional reason code), first match wins:
//   1. the reason code in the most specific equipment override, then in the plant-wide `reasons`
//      (only when the raw state itself is not `running`: a reason never turns production into a stop);
//   2. the raw state in the most specific equipment override, then in the plant-wide `states`;
//   3. a numeric raw state in the `ranges` (inclusive code ranges) of the override, then plant-wide;
//   4. the numeric presets listed in `presets` (e.g. `packml-opcua`: OPC 30060 StateEnumeration codes);
//   5. the built-in names below (unless `builtins: false`);
//   6. `unknown`.
// `categorizeEvent` also looks at the event's data quality: a BAD state reading is `unknown` (configurable).
// Matching is case-insensitive; spaces and dashes count as underscores. Overrides are keyed by an equipment path
// prefix (whole segments: `acme/plant1/press` matches `acme/plant1/press/...`); the longest prefix wins.
import { z } from 'zod';

export const stateCategories = ['running', 'plannedStop', 'unplannedStop', 'setup', 'idle', 'unknown'] as const;
export type StateCategory = (typeof stateCategories)[number];

const category = z.enum(stateCategories);

export const stateCategorySchema = category;

const codeRange = z
  .object({ from: z.number().int(), to: z.number().int(), category })
  .refine((r) => r.from <= r.to, { message: 'from must be <= to' });

const mappingTables = z.object({
  /** Raw state value -> category. */
  states: z.record(z.string(), category).default({}),
  /** Reason code -> category (applies to non-running states). */
  reasons: z.record(z.string(), category).default({}),
  /** Numeric raw states: inclusive code ranges -> category (e.g. vendor fault codes 100-199 -> unplannedStop). */
  ranges: z.array(codeRange).default([]),
});

/** Numeric code presets that can be switched on with `presets`. */
export const statePresets = {
  /**
   * PackML states as numbered by the OPC UA StateEnumeration (OPC 30060 PackML companion spec, Table 203; also
   * OPC 40001 TMC). ISA-TR88 PackTags StateCurrent numbers the states differently: map those with `states`.
   */
  'packml-opcua': {
    '0': 'unplannedStop', // Stopped
    '1': 'idle', // Resetting
    '2': 'idle', // Idle
    '3': 'idle', // Starting
    '4': 'running', // Execute
    '5': 'idle', // Completing
    '6': 'idle', // Complete
    '7': 'unplannedStop', // Aborting
    '8': 'unplannedStop', // Aborted
    '9': 'unplannedStop', // Stopping
    '10': 'unplannedStop', // Clearing
    '11': 'idle', // Suspending
    '12': 'idle', // Suspended
    '13': 'idle', // Unsuspending
    '14': 'unplannedStop', // Holding
    '15': 'unplannedStop', // Held
    '16': 'unplannedStop', // Unholding
  },
} as const satisfies Record<string, Record<string, StateCategory>>;

export const stateMappingSchema = mappingTables.extend({
  /** Equipment path prefix -> tables that take precedence for that equipment. */
  equipment: z.record(z.string(), mappingTables).default({}),
  /** Numeric presets applied after the configured tables, in order. */
  presets: z.array(z.enum(Object.keys(statePresets) as [keyof typeof statePresets])).default([]),
  /** Apply the built-in names (PackML states and common words) after the configured tables. */
  builtins: z.boolean().default(true),
  /** A state reading with data quality BAD: `unknown` (default) or categorised from its value anyway. */
  badQuality: z.enum(['unknown', 'useValue']).default('unknown'),
});

export type StateMapping = z.infer<typeof stateMappingSchema>;

/** Built-in names: PackML (ISA-TR88.00.02) state names plus words machines commonly report. */
export const builtinStates: Readonly<Record<string, StateCategory>> = {
  // running
  RUNNING: 'running', RUN: 'running', EXECUTE: 'running', PRODUCING: 'running', PRODUCTION: 'running',
  // planned stops
  PLANNED_STOP: 'plannedStop', BREAK: 'plannedStop', LUNCH: 'plannedStop', PLANNED_MAINTENANCE: 'plannedStop',
  MAINTENANCE: 'plannedStop', NO_ORDER: 'plannedStop', NO_ORDERS: 'plannedStop', SCHEDULED_DOWNTIME: 'plannedStop',
  // unplanned stops
  UNPLANNED_STOP: 'unplannedStop', STOPPED: 'unplannedStop', STOP: 'unplannedStop', DOWN: 'unplannedStop',
  FAULT: 'unplannedStop', FAULTED: 'unplannedStop', ERROR: 'unplannedStop', ALARM: 'unplannedStop',
  BREAKDOWN: 'unplannedStop', FAILURE: 'unplannedStop', EMERGENCY_STOP: 'unplannedStop', ESTOP: 'unplannedStop',
  ABORTED: 'unplannedStop', ABORTING: 'unplannedStop', HELD: 'unplannedStop', HOLDING: 'unplannedStop',
  STOPPING: 'unplannedStop',
  UNHOLDING: 'unplannedStop', UN_HOLDING: 'unplannedStop', CLEARING: 'unplannedStop',
  // setup / changeover (PackML has no setup state: changeover is a unit mode, report it as a reason code)
  SETUP: 'setup', SET_UP: 'setup', CHANGEOVER: 'setup', CHANGE_OVER: 'setup', TOOL_CHANGE: 'setup',
  ADJUSTMENT: 'setup',
  // idle / starved / blocked (PackML Resetting and Starting lead to or from Idle: waiting, not a changeover)
  IDLE: 'idle', STARVED: 'idle', BLOCKED: 'idle', WAITING: 'idle', SUSPENDED: 'idle', SUSPENDING: 'idle',
  UNSUSPENDING: 'idle', UN_SUSPENDING: 'idle', COMPLETE: 'idle', COMPLETING: 'idle', READY: 'idle', STANDBY: 'idle', RESETTING: 'idle',
  STARTING: 'idle',
  // explicit unknown
  UNKNOWN: 'unknown',
};

/** Normalises a raw state or reason code for lookup: upper case, spaces and dashes as underscores. */
export function normaliseName(raw: string): string {
  return raw.trim().toUpperCase().replace(/[\s-]+/g, '_');
}

interface CompiledTables {
  states: Map<string, StateCategory>;
  reasons: Map<string, StateCategory>;
  ranges: ReadonlyArray<{ from: number; to: number; category: StateCategory }>;
}

interface CompiledMapping {
  base: CompiledTables;
  /** Overrides, longest prefix first. */
  overrides: Array<{ prefix: string; tables: CompiledTables }>;
  builtins: boolean;
  presets: Map<string, StateCategory>;
}

function compileTables(tables: {
  states?: Record<string, StateCategory>;
  reasons?: Record<string, StateCategory>;
  ranges?: ReadonlyArray<{ from: number; to: number; category: StateCategory }>;
}): CompiledTables {
  const norm = (r: Record<string, StateCategory> | undefined) =>
    new Map(Object.entries(r ?? {}).map(([k, v]) => [normaliseName(k), v] as const));
  return { states: norm(tables.states), reasons: norm(tables.reasons), ranges: tables.ranges ?? [] };
}

const compiled = new WeakMap<object, CompiledMapping>();

function compile(mapping: StateMapping): CompiledMapping {
  let c = compiled.get(mapping);
  if (!c) {
    c = {
      base: compileTables(mapping),
      overrides: Object.entries(mapping.equipment ?? {})
        .map(([prefix, tables]) => ({ prefix: prefix.replace(/\/+$/, ''), tables: compileTables(tables) }))
        .sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1)),
      builtins: mapping.builtins ?? true,
      presets: new Map((mapping.presets ?? []).flatMap((name) => Object.entries(statePresets[name]))),
    };
    compiled.set(mapping, c);
  }
  return c;
}

function matchesPrefix(equipment: string, prefix: string): boolean {
  return equipment === prefix || equipment.startsWith(`${prefix}/`);
}

/** The category of a raw state (with its optional reason code) on one equipment. */
export function categorize(mapping: StateMapping, equipment: string, state: string, reasonCode?: string | null): StateCategory {
  const c = compile(mapping);
  const tables = [...c.overrides.filter((o) => matchesPrefix(equipment, o.prefix)).map((o) => o.tables), c.base];
  const s = normaliseName(state);
  let stateCategory: StateCategory | undefined;
  for (const t of tables) {
    stateCategory = t.states.get(s);
    if (stateCategory) break;
  }
  if (!stateCategory && /^-?\d+$/.test(s)) {
    const code = Number(s);
    for (const t of tables) {
      stateCategory = t.ranges.find((r) => r.from <= code && code <= r.to)?.category;
      if (stateCategory) break;
    }
    if (!stateCategory) stateCategory = c.presets.get(String(code));
  }
  if (!stateCategory && c.builtins) stateCategory = builtinStates[s];
  if (reasonCode != null && reasonCode !== '' && stateCategory !== 'running') {
    const r = normaliseName(reasonCode);
    for (const t of tables) {
      const byReason = t.reasons.get(r);
      if (byReason) return byReason;
    }
  }
  return stateCategory ?? 'unknown';
}

/** The category of an EquipmentState event: as `categorize`, and a BAD quality reading is `unknown` unless configured. */
export function categorizeEvent(
  mapping: StateMapping,
  event: { equipment: string; state: string; reasonCode?: string | null; quality?: 'GOOD' | 'UNCERTAIN' | 'BAD' },
): StateCategory {
  if (event.quality === 'BAD' && (mapping.badQuality ?? 'unknown') === 'unknown') return 'unknown';
  return categorize(mapping, event.equipment, event.state, event.reasonCode);
}

/** The default mapping (built-ins only), for tests and single-machine defaults. */
export function defaultStateMapping(): StateMapping {
  return stateMappingSchema.parse({});
}

// Every processor core, in one list: `linepulse replay`, `linepulse processors` and `linepulse start` run what is
// listed here. Adding a processor = its folder + one line below.
//
// Config: each core's config is section `processors.<core name>` of the plant config file, with the shared
// top-level sections `calendars` (processors/calendar) and `states` (processors/states) passed in as the keys of
// the same names (a key in the core's own section wins).
import type { z } from 'zod';
import { ConfigError } from '../platform/errors.ts';
import type { ProcessorCore } from './contract.ts';
import { alertsConfigSchema } from './alerts/config.ts';
import { alertsCore } from './alerts/core.ts';
import { countsConfigSchema } from './counts/config.ts';
import { countsCore } from './counts/core.ts';
import { oeeConfigSchema } from './oee/config.ts';
import { oee } from './oee/core.ts';
import { spcConfigSchema } from './spc/config.ts';
import { spcCore } from './spc/core.ts';
import { genealogyConfigSchema } from './genealogy/config.ts';
import { genealogyCore } from './genealogy/core.ts';
import { dispatchConfigSchema, performanceConfigSchema, progressConfigSchema } from './erp/config.ts';
import { dispatchCore } from './erp/dispatch-core.ts';
import { workOrderProgressCore } from './erp/progress-core.ts';
import { erpPerformanceCore } from './erp/performance-core.ts';
import type { BoundCore } from './runtime/offline.ts';

export interface RegisteredProcessor {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly core: ProcessorCore<any, any>;
  readonly configSchema: z.ZodType;
}

export const processors: readonly RegisteredProcessor[] = [
  { core: countsCore, configSchema: countsConfigSchema },
  { core: alertsCore, configSchema: alertsConfigSchema },
  { core: oee, configSchema: oeeConfigSchema },
  { core: spcCore, configSchema: spcConfigSchema },
  { core: genealogyCore, configSchema: genealogyConfigSchema },
  { core: dispatchCore, configSchema: dispatchConfigSchema },
  { core: workOrderProgressCore, configSchema: progressConfigSchema },
  { core: erpPerformanceCore, configSchema: performanceConfigSchema },
];

/** The part of the plant config file the processors read. */
export interface PlantConfigForProcessors {
  processors?: Record<string, unknown>;
  calendars?: unknown;
  states?: unknown;
  /** Input checks of the live runtime (platform/bus/guard.ts): size, clock skew, known equipment. */
  input?: unknown;
}

function section(plant: PlantConfigForProcessors, name: string): Record<string, unknown> {
  const own = plant.processors?.[name];
  if (own !== undefined && (typeof own !== 'object' || own === null || Array.isArray(own)))
    throw new ConfigError(`processors.${name}`, 'must be a mapping');
  const shared: Record<string, unknown> = {};
  if (plant.calendars !== undefined) shared.calendars = plant.calendars;
  if (plant.states !== undefined) shared.states = plant.states;
  return { ...shared, ...(own as Record<string, unknown> | undefined) };
}

/**
 * Validates the config of each registered core (or of those named in `only`) against its schema and binds it.
 * Throws ConfigError naming the first bad key, e.g. `processors.alerts.sensors[0].above`.
 */
export function bindProcessors(plant: PlantConfigForProcessors = {}, only?: readonly string[]): BoundCore[] {
  if (only) {
    const unknown = only.filter((name) => !processors.some((p) => p.core.name === name));
    if (unknown.length > 0) throw new ConfigError('--processors', `unknown processor(s) ${unknown.join(', ')} (known: ${processors.map((p) => p.core.name).join(', ')})`);
  }
  return processors
    .filter((p) => !only || only.includes(p.core.name))
    .map((p) => {
      const parsed = p.configSchema.safeParse(section(plant, p.core.name));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const path = issue?.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('') ?? '';
        const shared = issue?.path[0] === 'calendars' || issue?.path[0] === 'states';
        throw new ConfigError(`${shared ? '' : `processors.${p.core.name}`}${shared ? path.slice(1) : path}`, issue?.message ?? 'invalid');
      }
      return { core: p.core, config: parsed.data };
    });
}

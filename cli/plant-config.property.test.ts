// Property-based fuzzing of the plant config file (fast-check): whatever the file holds (random text, any YAML or
// JSON shape, YAML alias bombs), reading it and validating each section (edge, processors, input checks) either
// works or throws one ConfigError naming the file or the key, never another error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEdgeConfig } from '../edge/config.ts';
import { parseInputGuardConfig } from '../platform/bus/guard.ts';
import { ConfigError } from '../platform/errors.ts';
import { bindProcessors } from '../processors/registry.ts';
import { readPlantConfigFile } from './plant-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'linepulse-plant-'));
let n = 0;

/** Reads and validates like the composition roots do; 'ok' or 'refused' (a ConfigError), anything else fails. */
async function load(text: string): Promise<'ok' | 'refused'> {
  const file = join(dir, `plant-${(n += 1)}.yaml`);
  writeFileSync(file, text);
  try {
    const root = await readPlantConfigFile(file);
    parseEdgeConfig(root.edge);
    bindProcessors({ processors: root.processors as Record<string, unknown> | undefined, calendars: root.calendars, states: root.states });
    parseInputGuardConfig(root.input);
    return 'ok';
  } catch (error) {
    if (error instanceof ConfigError) return 'refused';
    throw error;
  }
}

const anyValue = fc.jsonValue({ maxDepth: 3 });
const plantLike = fc.record(
  {
    edge: fc.oneof(anyValue, fc.record({ opcua: anyValue, mqtt: anyValue, scanners: anyValue, outbox: anyValue }, { requiredKeys: [] })),
    processors: fc.oneof(anyValue, fc.dictionary(fc.constantFrom('counts', 'oee', 'spc', 'alerts', 'genealogy', 'nope'), anyValue, { maxKeys: 3 })),
    calendars: anyValue,
    states: anyValue,
    input: fc.oneof(anyValue, fc.record({ maxRecordBytes: anyValue, maxFutureSkewMs: anyValue, equipment: anyValue }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

describe('plant config (property-based)', () => {
  // Odd text makes the yaml library emit process warnings (unknown directives, tags): noise here, not failures.
  beforeAll(() => void vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined));
  afterAll(() => vi.restoreAllMocks());
  it('> random text: read or refused with a ConfigError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
        await load(text);
      }),
      { numRuns: 400 },
    );
  });

  it('> any shape of the sections, as YAML and as JSON: valid or refused with a ConfigError', async () => {
    await fc.assert(
      fc.asyncProperty(plantLike, fc.boolean(), async (plant, json) => {
        await load(json ? JSON.stringify(plant) : stringify(plant));
      }),
      { numRuns: 400 },
    );
  });

  it('> a YAML alias bomb (billion laughs) is refused, not expanded', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i += 1) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const started = Date.now();
    expect(await load(`${levels.join('\n')}\n`)).toBe('refused');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

// The plant config file (YAML or JSON): one mapping with a section per component (`edge`, `processors`, `calendars`,
// `states`, `sinks`, `erp`). Read once here; each component validates its own section with its own schema.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ConfigError } from '../platform/errors.ts';

/** Reads and parses the file; an empty file is an empty mapping. ConfigError names the file and what is wrong. */
export async function readPlantConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new ConfigError(file, `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(file, 'the plant config must be a mapping');
  return parsed as Record<string, unknown>;
}

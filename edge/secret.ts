// A password from the plant config: inline, from an environment variable, or from a file (a mounted secret; wins).
// Never logged; a missing variable or an unreadable file is a ConfigError naming the config path.
import { readFileSync } from 'node:fs';
import { ConfigError, describeCause } from '../platform/errors.ts';

export interface SecretSource {
  password?: string | undefined;
  passwordEnv?: string | undefined;
  passwordFile?: string | undefined;
}

/** The password of `source`, or undefined when none is configured; `where` is its config path (e.g. edge.mqtt[a]). */
export function resolvePassword(source: SecretSource, where: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (source.passwordFile) {
    try {
      return readFileSync(source.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError(`${where}.passwordFile`, `cannot read ${source.passwordFile}: ${describeCause(error)}`);
    }
  }
  if (source.password !== undefined) return source.password;
  if (!source.passwordEnv) return undefined;
  const value = env[source.passwordEnv];
  if (value === undefined) throw new ConfigError(`${where}.passwordEnv`, `environment variable ${source.passwordEnv} is not set`);
  return value;
}

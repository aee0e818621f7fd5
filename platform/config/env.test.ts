// Secrets from files: every connection URL that may carry a password can come from `<NAME>_FILE`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { readEnv } from './env.ts';

describe('env > secrets from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linepulse-env-'));
  const file = join(dir, 'database-url');
  writeFileSync(file, 'postgres://lp:s3cret@db:5432/lp\n');

  it('> reads DATABASE_URL_FILE (trimmed) like DATABASE_URL', () => {
    expect(readEnv({ DATABASE_URL_FILE: file }).DATABASE_URL).toBe('postgres://lp:s3cret@db:5432/lp');
  });

  it('> refuses both the variable and its file, and an unreadable file, naming the variable only', () => {
    expect(() => readEnv({ DATABASE_URL: 'postgres://a@b/c', DATABASE_URL_FILE: file })).toThrow(/DATABASE_URL.*not both/);
    const error = (() => {
      try {
        readEnv({ CLICKHOUSE_URL_FILE: join(dir, 'missing') });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/CLICKHOUSE_URL_FILE.*ENOENT/);
  });
});

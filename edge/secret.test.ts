import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../platform/errors.ts';
import { resolvePassword } from './secret.ts';

describe('edge > passwords from the plant config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lp-secret-'));
  const file = join(dir, 'password');
  writeFileSync(file, 's3cret\n');

  it('a file (mounted secret) wins, without its trailing newline; then inline; then the environment variable', () => {
    expect(resolvePassword({ password: 'inline', passwordEnv: 'LP_PW', passwordFile: file }, 'edge.mqtt[a]', { LP_PW: 'env' })).toBe('s3cret');
    expect(resolvePassword({ password: 'inline', passwordEnv: 'LP_PW' }, 'edge.mqtt[a]', { LP_PW: 'env' })).toBe('inline');
    expect(resolvePassword({ passwordEnv: 'LP_PW' }, 'edge.mqtt[a]', { LP_PW: 'env' })).toBe('env');
    expect(resolvePassword({}, 'edge.mqtt[a]', {})).toBeUndefined();
  });

  it('a missing variable or an unreadable file is a ConfigError naming the config path, not the secret', () => {
    expect(() => resolvePassword({ passwordEnv: 'LP_MISSING' }, 'edge.opcua[press].user', {})).toThrow(ConfigError);
    expect(() => resolvePassword({ passwordEnv: 'LP_MISSING' }, 'edge.opcua[press].user', {})).toThrow(/edge\.opcua\[press\]\.user\.passwordEnv.*LP_MISSING/);
    expect(() => resolvePassword({ passwordFile: join(dir, 'nope') }, 'edge.opcua[press].user', {})).toThrow(/edge\.opcua\[press\]\.user\.passwordFile.*cannot read/);
  });
});

// Secrets never reach the log: field redaction, and scrubbing of secret values (environment, *_FILE contents,
// URL passwords) wherever they appear in a line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubber, secretValues } from './log.ts';

function capture(env: NodeJS.ProcessEnv, secrets: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({ name: 'test', level: 'trace', env, secrets, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, text: () => lines.join('') };
}

describe('log > secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'linepulse-log-'));
  const file = join(dir, 'jwt');
  writeFileSync(file, 'file-secret-Jw7-0123456789\n');
  const env = { KAFKA_SASL_PASSWORD: 'env-secret-Ka9', LINEPULSE_JWT_SECRET_FILE: file, LINEPULSE_ADMIN_PASSWORD: 'p"q\\secret', PATH: '/usr/bin' };

  it('> censors secret fields at any of the first four levels', () => {
    const { logger, text } = capture({});
    logger.info({ password: 'f1-secret', config: { kafka: { brokers: 'b1:9092', auth: { user: 'svc', password: 'f2-secret' } } }, token: 'f3-secret', req: { headers: { authorization: 'Bearer f4-secret', cookie: 'sid=f5-secret' } }, accessToken: 'f6-secret' }, 'fields');
    expect(text()).not.toMatch(/f\d-secret/);
    expect(text()).toContain('[redacted]');
    expect(text()).toContain('"brokers":"b1:9092"');
  });

  it('> scrubs secret values of the environment and of *_FILE wherever they appear', () => {
    const { logger, text } = capture(env);
    logger.info(`connecting with env-secret-Ka9 and file-secret-Jw7-0123456789`);
    logger.warn({ detail: { note: 'the password is p"q\\secret' } }, 'quoted');
    logger.error(new Error('auth failed for env-secret-Ka9'), 'error');
    expect(text()).not.toContain('env-secret-Ka9');
    expect(text()).not.toContain('file-secret-Jw7');
    expect(text()).not.toContain('p\\"q\\\\secret');
    expect(text()).toContain('"msg":"connecting with [redacted] and [redacted]"');
  });

  it('> scrubs the password of any URL and the secrets the caller names', () => {
    const { logger, text } = capture({}, ['runtime-secret-42']);
    logger.error({ url: 'postgres://lp:url-secret-1@db:5432/lp' }, 'cannot reach http://u:url-secret-2@ch:8123 with runtime-secret-42');
    expect(text()).not.toMatch(/url-secret|runtime-secret/);
    expect(text()).toContain('postgres://lp:[redacted]@db:5432/lp');
  });

  it('> secret values: variables named like a secret and readable *_FILE contents only', () => {
    expect(secretValues(env).sort()).toEqual(['env-secret-Ka9', 'file-secret-Jw7-0123456789', 'p"q\\secret'].sort());
    expect(secretValues({ KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') })).toEqual([]);
    expect(scrubber(['abc'])('abc')).toBe('abc'); // too short to scrub without mangling ordinary text
  });
});

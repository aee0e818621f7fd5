// Secrets never logged, as an operator runs the processes: `linepulse start` with an admin password, a JWT key
// from a file and Kafka SASL credentials in the environment, at LOG_LEVEL=debug, through logins (good and bad)
// and authenticated requests; and `linepulse processors` with SASL credentials trying a broker that refuses. No
// secret value appears in anything the processes print. Also checks the HTTP hardening on the real server
// (security headers on the app page, request ids echoed).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test/services.ts';

const repoRoot = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-secrets-'));
const children: ChildProcess[] = [];

const adminPassword = 'admin-secret-Qv81-never-logged';
const jwtSecret = 'jwt-secret-from-file-0123456789abcdefghijklmnop';
const saslPassword = 'sasl-secret-Zr55-never-logged';
const dbPassword = 'db-secret-Hn27';

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const clean: NodeJS.ProcessEnv = { ...process.env, LINEPULSE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'debug' };
  for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'CLICKHOUSE_URL', 'MQTT_URL', 'SCHEMA_REGISTRY_URL', 'LINEPULSE_CONFIG']) delete clean[name];
  const proc = spawn(process.execPath, [join(repoRoot, 'bin', 'linepulse.js'), ...args], { cwd: repoRoot, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => output, exited };
}

describe('secrets > never logged', () => {
  it('> linepulse start at debug level: logins, sessions and the SASL settings leave no secret in the output', async () => {
    const jwtFile = join(dataDir, 'jwt-secret');
    writeFileSync(jwtFile, `${jwtSecret}\n`);
    const { proc, output, exited } = run(['start', '--time-zone', 'UTC'], {
      LINEPULSE_ADMIN_PASSWORD: adminPassword,
      LINEPULSE_JWT_SECRET_FILE: jwtFile,
      // Not used by the embedded bus, but in the environment as a deployment would have it.
      KAFKA_SASL_PASSWORD: saslPassword,
    });
    const url = await waitFor(() => /open (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1], { what: 'the start-up line', timeoutMs: 120_000 }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; output: ${output().slice(-800)}`);
    });

    const login = async (password: string) =>
      fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'secrets-test-1' }, body: JSON.stringify({ username: 'admin', password }) });
    const refused = await login(`${adminPassword}-wrong`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toBe('secrets-test-1');
    const answer = await login(adminPassword);
    expect(answer.status).toBe(200);
    const session = (await answer.json()) as { accessToken: string; refreshToken: string };
    const me = await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${session.accessToken}` } });
    expect(me.status).toBe(200);
    await fetch(`${url}/api/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: session.refreshToken }) });
    await fetch(`${url}/api/oee`, { headers: { authorization: `Bearer ${session.accessToken}x` } });

    // The app page carries the security headers.
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');

    proc.kill('SIGTERM');
    await exited;
    const text = output();
    expect(text.length).toBeGreaterThan(1_000);
    for (const secret of [adminPassword, jwtSecret, saslPassword, session.accessToken, session.refreshToken]) expect(text).not.toContain(secret);
  });

  it('> linepulse processors with SASL credentials and a database URL password, against a refusing broker', async () => {
    const { proc, output, exited } = run(['processors'], {
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'linepulse',
      KAFKA_SASL_PASSWORD: saslPassword,
      DATABASE_URL: `postgres://linepulse:${dbPassword}@127.0.0.1:1/linepulse`,
    });
    await waitFor(() => (output().split('\n').length > 5 ? true : undefined), { what: 'some log lines', timeoutMs: 60_000 });
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    expect(output()).not.toContain(saslPassword);
    expect(output()).not.toContain(dbPassword);
  });
});

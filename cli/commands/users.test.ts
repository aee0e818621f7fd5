// `linepulse users`: the password sources, and the real CLI over an embedded PostgreSQL (PGlite) in a temporary data
// directory: add, list, set-role, disable, enable, with the password never on the command line nor in the output.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { openPostgres } from '../../sinks/postgres/db.ts';
import { migratePostgres } from '../../sinks/postgres/migrate.ts';
import { authenticate } from '../../sinks/postgres/users.ts';
import { parseRoles, readPassword, usersActions } from './users.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'linepulse-users-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noStdin = async () => {
  throw new Error('stdin not expected');
};

describe('cli > users > password and roles', () => {
  it('> takes the password from exactly one of a file, a variable or stdin, dropping one trailing newline', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'from-a-file-1\n');
    expect(await readPassword({ passwordFile: file }, { env: {}, stdin: noStdin })).toBe('from-a-file-1');
    expect(await readPassword({ passwordEnv: 'PW' }, { env: { PW: 'from-the-env' }, stdin: noStdin })).toBe('from-the-env');
    expect(await readPassword({ passwordStdin: true }, { env: {}, stdin: async () => 'from-stdin-1\r\n' })).toBe('from-stdin-1');
    await expect(readPassword({}, { env: {}, stdin: noStdin })).rejects.toThrow(/exactly one/);
    await expect(readPassword({ passwordFile: file, passwordEnv: 'PW' }, { env: { PW: 'x' }, stdin: noStdin })).rejects.toThrow(/exactly one/);
    await expect(readPassword({ passwordEnv: 'UNSET' }, { env: {}, stdin: noStdin })).rejects.toThrow(/not set/);
    await expect(readPassword({ passwordEnv: 'PW' }, { env: { PW: 'short' }, stdin: noStdin })).rejects.toThrow(/8 characters/);
    await expect(readPassword({ passwordFile: join(dir, 'missing') }, { env: {}, stdin: noStdin })).rejects.toThrow(/no such file/);
  });

  it('> roles are a comma-separated list of known roles', () => {
    expect(parseRoles('quality, viewer,quality')).toEqual(['quality', 'viewer']);
    expect(() => parseRoles('owner')).toThrow(/'owner' is not one/);
    expect(() => parseRoles('')).toThrow(/give roles/);
  });
});

describe('cli > users > the command over PGlite', () => {
  const env = { ...process.env, LINEPULSE_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', NEW_PASSWORD: 'cli-secret-password' };
  delete (env as Record<string, string | undefined>).DATABASE_URL;
  const linepulse = (...args: string[]) => run(process.execPath, ['bin/linepulse.js', 'users', ...args], { env, cwd: process.cwd() });

  it('> the CLI adds a user from a variable and lists it; the password is never printed; no --password flag exists', async () => {
    const added = await linepulse('add', 'ana', '--role', 'supervisor', '--display-name', 'Ana S', '--password-env', 'NEW_PASSWORD');
    expect(added.stdout).toBe('created ana (supervisor)\n');
    expect(added.stdout + added.stderr).not.toContain('cli-secret-password');
    await expect(linepulse('add', 'bob', '--role', 'viewer', '--password', 'x')).rejects.toMatchObject({ stderr: expect.stringContaining("unknown option '--password'") });
    const listed = (await linepulse('list')).stdout.split('\n');
    expect(listed[0]).toMatch(/^USERNAME\s+STATUS\s+ROLES$/);
    expect(listed[1]).toMatch(/^ana\s+enabled\s+supervisor\s+\(Ana S\)$/);
  }, 120_000);

  it('> set-role, disable, enable act on the same database (a taken name or an unknown user is an error)', async () => {
    const db = await openPostgres({ dataDir: join(dir, 'data'), logger: silentLogger() });
    try {
      await migratePostgres(db, silentLogger());
      await expect(usersActions.add(db, { username: 'ana', password: 'another-password', roles: ['viewer'] })).rejects.toThrow(/the user exists/);
      expect(await usersActions.setRole(db, { username: 'ana', roles: ['supervisor', 'maintenance'] })).toEqual(['ana: supervisor, maintenance (applies at its next token refresh)']);
      expect(await usersActions.disable(db, { username: 'ana', disabled: true })).toEqual(['ana disabled']);
      expect(await authenticate(db, 'ana', 'cli-secret-password')).toBeNull();
      expect((await usersActions.list(db))[1]).toMatch(/^ana\s+disabled\s+maintenance,supervisor/);
      await usersActions.disable(db, { username: 'ana', disabled: false });
      expect(await authenticate(db, 'ana', 'cli-secret-password')).toMatchObject({ username: 'ana', roles: ['maintenance', 'supervisor'] });
      await expect(usersActions.disable(db, { username: 'nobody', disabled: true })).rejects.toThrow(/no such user/);
    } finally {
      await db.close();
    }
  }, 60_000);
});

// User administration SQL (sinks/postgres/users.ts: list, create, set roles, disable) and the `linepulse users`
// actions on the real PostgreSQL server of the test stack, in a fresh schema: the statements the admin screen and
// the CLI run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersActions } from './users.ts';
import { silentLogger } from '../../platform/log.ts';
import { requireService, uniqueName } from '../../test/services.ts';
import { openPostgres, type Db } from '../../sinks/postgres/db.ts';
import { migratePostgres } from '../../sinks/postgres/migrate.ts';
import { authenticate, createUser, listUsers, setUserDisabled, setUserRoles } from '../../sinks/postgres/users.ts';

let admin: Db;
let db: Db;
const schema = uniqueName('lp_users');

beforeAll(async () => {
  const url = requireService('postgres');
  admin = await openPostgres({ url, dataDir: '.', logger: silentLogger(), maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  db = await openPostgres({ url: scoped.toString(), dataDir: '.', logger: silentLogger() });
  await migratePostgres(db, silentLogger());
});

afterAll(async () => {
  await db?.close();
  await admin?.exec(`DROP SCHEMA ${schema} CASCADE`);
  await admin?.close();
});

describe('PostgreSQL server > user administration', () => {
  it('> creates once, lists without hashes, replaces roles, disables and enables', async () => {
    expect(await db.transaction((tx) => createUser(tx, { username: 'ana', password: 'ana-password', displayName: 'Ana', roles: ['supervisor', 'viewer', 'supervisor'] }))).toBe('created');
    expect(await createUser(db, { username: 'ana', password: 'other-password', roles: ['admin'] })).toBe('exists');
    const [ana] = await listUsers(db);
    expect(ana).toMatchObject({ username: 'ana', displayName: 'Ana', roles: ['supervisor', 'viewer'], disabled: false });
    expect(typeof ana!.createdAt).toBe('number');
    expect(JSON.stringify(ana)).not.toContain('scrypt');
    expect(await authenticate(db, 'ana', 'ana-password')).toMatchObject({ roles: ['supervisor', 'viewer'] });

    expect(await db.transaction((tx) => setUserRoles(tx, 'ana', ['maintenance']))).toBe(true);
    expect(await setUserRoles(db, 'nobody', ['viewer'])).toBe(false);
    expect(await setUserDisabled(db, 'ana', true)).toBe(true);
    expect(await authenticate(db, 'ana', 'ana-password')).toBeNull();
    expect(await setUserDisabled(db, 'ana', false)).toBe(true);
    expect(await authenticate(db, 'ana', 'ana-password')).toMatchObject({ roles: ['maintenance'] });
    expect(await setUserDisabled(db, 'nobody', true)).toBe(false);
  });

  it('> an unknown role or a bad name is refused by the database itself', async () => {
    await expect(db.transaction((tx) => createUser(tx, { username: 'bob', password: 'bob-password', roles: ['owner' as never] }))).rejects.toThrow(/SQLSTATE 23503/);
    expect((await listUsers(db)).map((u) => u.username)).toEqual(['ana']);
    await expect(createUser(db, { username: 'Bad Name', password: 'bad-password', roles: ['viewer'] })).rejects.toThrow(/SQLSTATE 23514/);
  });

  it('> the CLI actions print what they did', async () => {
    expect(await usersActions.add(db, { username: 'cli', password: 'cli-password', roles: ['quality'] })).toEqual(['created cli (quality)']);
    expect(await usersActions.list(db)).toEqual(['USERNAME  STATUS    ROLES', 'ana       enabled   maintenance  (Ana)', 'cli       enabled   quality']);
  });
});

// Users and roles (migration 0006). Passwords are hashed with scrypt (node:crypto; RFC 7914) and a random salt per
// user, stored as scrypt$N$r$p$<salt>$<key> (base64); verification recomputes with the stored parameters and compares
// in constant time. The plain password is never stored or logged.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Queryable } from './db.ts';

export const roles = ['viewer', 'supervisor', 'quality', 'maintenance', 'admin'] as const;
export type Role = (typeof roles)[number];

const defaults = { N: 16_384, r: 8, p: 1, keyLength: 64, saltLength: 16 };

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length < 8) throw new Error('a password has at least 8 characters');
  const salt = randomBytes(defaults.saltLength);
  const key = await scrypt(password, salt, defaults.keyLength, { N: defaults.N, r: defaults.r, p: defaults.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${defaults.N}$${defaults.r}$${defaults.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || expected.length === 0) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(key, expected);
}

export interface UserView {
  username: string;
  displayName: string | null;
  roles: Role[];
  disabled: boolean;
}

/** Creates or replaces a user (password and roles). */
export async function upsertUser(q: Queryable, user: { username: string; password: string; displayName?: string | null; roles: readonly Role[] }): Promise<void> {
  const hash = await hashPassword(user.password);
  await q.query(
    `INSERT INTO users (username, display_name, password_hash) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash, updated_at = now()`,
    [user.username, user.displayName ?? null, hash],
  );
  await q.query('DELETE FROM user_roles WHERE username = $1', [user.username]);
  await q.query('INSERT INTO user_roles (username, role) SELECT $1, unnest($2::text[])', [user.username, [...new Set(user.roles)]]);
}

export async function getUser(q: Queryable, username: string): Promise<(UserView & { passwordHash: string }) | null> {
  const [row] = await q.query<{ username: string; display_name: string | null; password_hash: string; disabled: boolean; roles: Role[] | null }>(
    `SELECT u.username, u.display_name, u.password_hash, u.disabled,
            (SELECT array_agg(role ORDER BY role) FROM user_roles r WHERE r.username = u.username) AS roles
     FROM users u WHERE u.username = $1`,
    [username],
  );
  if (!row) return null;
  return { username: row.username, displayName: row.display_name, passwordHash: row.password_hash, disabled: row.disabled, roles: row.roles ?? [] };
}

/** The user when the password matches and the account is enabled; null otherwise (same cost either way). */
export async function authenticate(q: Queryable, username: string, password: string): Promise<UserView | null> {
  const user = await getUser(q, username);
  // Without a user, verify against a fixed hash anyway: an unknown name costs as much as a wrong password.
  const ok = await verifyPassword(password, user?.passwordHash ?? dummyHash);
  if (!user || !ok || user.disabled) return null;
  return { username: user.username, displayName: user.displayName, roles: user.roles, disabled: false };
}

const dummyHash = `scrypt$${defaults.N}$${defaults.r}$${defaults.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(64).toString('base64')}`;

// ---- User administration (dashboard admin screen, `linepulse users`) -------------------------------------------

/** Every user with its roles, by name. No hashes. */
export async function listUsers(q: Queryable): Promise<Array<UserView & { createdAt: number; updatedAt: number }>> {
  const rows = await q.query<{ username: string; display_name: string | null; disabled: boolean; roles: Role[] | null; created_at: number; updated_at: number }>(
    `SELECT u.username, u.display_name, u.disabled,
            (SELECT array_agg(role ORDER BY role) FROM user_roles r WHERE r.username = u.username) AS roles,
            (extract(epoch FROM u.created_at) * 1000)::float8 AS created_at, (extract(epoch FROM u.updated_at) * 1000)::float8 AS updated_at
     FROM users u ORDER BY u.username`,
  );
  return rows.map((r) => ({ username: r.username, displayName: r.display_name, roles: r.roles ?? [], disabled: r.disabled, createdAt: r.created_at, updatedAt: r.updated_at }));
}

/** Creates a new user; 'exists' (nothing changed) when the name is taken. */
export async function createUser(q: Queryable, user: { username: string; password: string; displayName?: string | null; roles: readonly Role[] }): Promise<'created' | 'exists'> {
  const hash = await hashPassword(user.password);
  const inserted = await q.query<{ username: string }>(
    'INSERT INTO users (username, display_name, password_hash) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING username',
    [user.username, user.displayName ?? null, hash],
  );
  if (inserted.length === 0) return 'exists';
  await q.query('INSERT INTO user_roles (username, role) SELECT $1, unnest($2::text[])', [user.username, [...new Set(user.roles)]]);
  return 'created';
}

/** Replaces the roles of a user; false when there is no such user. */
export async function setUserRoles(q: Queryable, username: string, newRoles: readonly Role[]): Promise<boolean> {
  const found = await q.query<{ username: string }>('UPDATE users SET updated_at = now() WHERE username = $1 RETURNING username', [username]);
  if (found.length === 0) return false;
  await q.query('DELETE FROM user_roles WHERE username = $1', [username]);
  await q.query('INSERT INTO user_roles (username, role) SELECT $1, unnest($2::text[])', [username, [...new Set(newRoles)]]);
  return true;
}

/** Disables (or enables again) a user: a disabled user cannot log in, and its refresh tokens stop working. False when there is no such user. */
export async function setUserDisabled(q: Queryable, username: string, disabled: boolean): Promise<boolean> {
  const found = await q.query<{ username: string }>('UPDATE users SET disabled = $2, updated_at = now() WHERE username = $1 RETURNING username', [username, disabled]);
  return found.length > 0;
}

// Where logins are checked: the `users` table of PostgreSQL (sinks/postgres/users.ts, scrypt hashes), or an
// in-memory list (tests, demos). A first admin can be seeded from the environment so a fresh install can log in.
import type { Queryable } from '../../../sinks/postgres/db.ts';
import { authenticate, getUser, hashPassword, upsertUser, verifyPassword, type Role as DbRole } from '../../../sinks/postgres/users.ts';
import type { UserRole } from './policy.ts';

export interface AuthUser {
  username: string;
  displayName: string | null;
  roles: UserRole[];
}

export interface UsersProvider {
  /** The user when the password matches and the account is enabled; null otherwise. */
  authenticate(username: string, password: string): Promise<AuthUser | null>;
  /** The enabled user by name (refresh looks the user up again), or null. */
  find(username: string): Promise<AuthUser | null>;
}

export function postgresUsers(db: Queryable): UsersProvider {
  return {
    async authenticate(username, password) {
      const user = await authenticate(db, username, password);
      return user ? { username: user.username, displayName: user.displayName, roles: user.roles } : null;
    },
    async find(username) {
      const user = await getUser(db, username);
      return user && !user.disabled ? { username: user.username, displayName: user.displayName, roles: user.roles } : null;
    },
  };
}

/** Users kept in memory (hashed with scrypt on creation). */
export async function memoryUsers(list: ReadonlyArray<{ username: string; password: string; roles: readonly UserRole[]; displayName?: string }>): Promise<UsersProvider> {
  const users = new Map<string, AuthUser & { hash: string }>();
  for (const u of list) users.set(u.username, { username: u.username, displayName: u.displayName ?? null, roles: [...u.roles], hash: await hashPassword(u.password) });
  const dummy = await hashPassword('not-a-password-of-anyone');
  return {
    async authenticate(username, password) {
      const user = users.get(username);
      const ok = await verifyPassword(password, user?.hash ?? dummy);
      return user && ok ? { username: user.username, displayName: user.displayName, roles: user.roles } : null;
    },
    async find(username) {
      const user = users.get(username);
      return user ? { username: user.username, displayName: user.displayName, roles: user.roles } : null;
    },
  };
}

/**
 * Creates the user `admin` (role admin) with the given password when no such user exists yet. An existing admin is
 * left as it is (change its password in the database, not by restarting with another environment).
 */
export async function seedAdmin(db: Queryable, password: string): Promise<'created' | 'exists'> {
  if (await getUser(db, 'admin')) return 'exists';
  await upsertUser(db, { username: 'admin', displayName: 'Administrator', password, roles: ['admin'] satisfies DbRole[] });
  return 'created';
}

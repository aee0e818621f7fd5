// The admin screen's user administration (GET/POST /api/users, admin only): types and the form checks, the same
// rules the server enforces (dashboard/server/api/users.ts), so a mistake is shown before the round trip.
import { userRoles, type UserRole } from '../../../server/auth/policy.ts';

export { userRoles, type UserRole };

export interface AdminUser {
  username: string;
  displayName: string | null;
  roles: UserRole[];
  disabled: boolean;
  createdAt?: number;
  updatedAt?: number;
}

export const roleLabels: Record<UserRole, string> = { viewer: 'Viewer', supervisor: 'Supervisor', quality: 'Quality', maintenance: 'Maintenance', admin: 'Admin' };

const usernamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The first problem of a new user's form, or null. */
export function newUserProblem(form: { username: string; password: string; roles: readonly string[] }): string | null {
  if (!usernamePattern.test(form.username)) return 'User name: lower case letters, digits, . _ - (1 to 64, starting with a letter or digit)';
  if (form.password.length < 8) return 'The password has at least 8 characters';
  if (form.roles.length === 0) return 'Give at least one role';
  return null;
}

/** Roles in the table's order (the order the server keeps is alphabetical). */
export function sortRoles(roles: readonly string[]): UserRole[] {
  return userRoles.filter((r) => roles.includes(r));
}

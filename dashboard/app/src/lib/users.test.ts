import { describe, expect, it } from 'vitest';
import { newUserProblem, sortRoles } from './users.ts';

describe('dashboard app > user administration', () => {
  it('> checks a new user as the server does', () => {
    expect(newUserProblem({ username: 'ana.k', password: 'long enough', roles: ['viewer'] })).toBeNull();
    expect(newUserProblem({ username: 'Ana', password: 'long enough', roles: ['viewer'] })).toMatch(/User name/);
    expect(newUserProblem({ username: 'ana', password: 'short', roles: ['viewer'] })).toMatch(/8 characters/);
    expect(newUserProblem({ username: 'ana', password: 'long enough', roles: [] })).toMatch(/role/);
  });

  it('> roles in the order of the table', () => {
    expect(sortRoles(['quality', 'admin', 'viewer', 'nonsense'])).toEqual(['viewer', 'quality', 'admin']);
  });
});

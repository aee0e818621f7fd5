// User administration for the admin screen (admin only, see ../auth/policy.ts): list, create, change roles,
// disable / enable. Passwords are hashed with scrypt (sinks/postgres/users.ts) and never answered or logged.
// The last enabled admin cannot be disabled or lose the admin role (409): the plant would be locked out.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ProductionQueries } from '../../../sinks/queries.ts';
import { userRoles, type UserRole } from '../auth/policy.ts';
import { errorSchema } from '../schemas.ts';

export const usernamePattern = '^[a-z0-9][a-z0-9._-]{0,63}$';
const username = { type: 'string', pattern: usernamePattern, description: 'Lower case letters, digits, . _ - (1 to 64)' } as const;
const roles = { type: 'array', minItems: 1, maxItems: userRoles.length, uniqueItems: true, items: { type: 'string', enum: [...userRoles] } } as const;
const userView = {
  type: 'object',
  required: ['username', 'roles', 'disabled'],
  properties: {
    username: { type: 'string' },
    displayName: { type: ['string', 'null'] },
    roles: { type: 'array', items: { type: 'string' } },
    disabled: { type: 'boolean' },
    createdAt: { type: 'number' },
    updatedAt: { type: 'number' },
  },
} as const;
const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema } as const;
const params = { type: 'object', required: ['username'], properties: { username } } as const;

export function registerUserRoutes(app: FastifyInstance, api: ProductionQueries): void {
  const answerUser = async (reply: FastifyReply, name: string) => {
    const user = (await api.listUsers()).find((u) => u.username === name);
    return user ?? reply.status(404).send({ error: 'Not Found', message: `user '${name}' does not exist` });
  };
  /** True when `name` is the only enabled admin (changing it would leave nobody to administer). */
  const lastAdmin = async (name: string) => {
    const admins = (await api.listUsers()).filter((u) => !u.disabled && u.roles.includes('admin'));
    return admins.length === 1 && admins[0]!.username === name;
  };

  app.get(
    '/api/users',
    { schema: { tags: ['users'], summary: 'Every user with roles and whether it is disabled (admin)', response: { 200: { type: 'object', properties: { users: { type: 'array', items: userView } } } } } },
    async () => ({ users: await api.listUsers() }),
  );

  app.post(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user (admin); 409 when the name is taken',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'password', 'roles'],
          properties: { username, password: { type: 'string', minLength: 8, maxLength: 1_000 }, displayName: { type: ['string', 'null'], maxLength: 200 }, roles },
        },
        response: { 201: userView, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as { username: string; password: string; displayName?: string | null; roles: UserRole[] };
      const created = await api.createUser({ username: body.username, password: body.password, displayName: body.displayName?.trim() || null, roles: body.roles });
      if (created === 'exists') return reply.status(409).send({ error: 'Conflict', message: `user '${body.username}' exists` });
      request.log.info({ username: body.username, roles: body.roles }, 'user created');
      reply.status(201);
      return answerUser(reply, body.username);
    },
  );

  app.post(
    '/api/users/:username/roles',
    {
      schema: {
        tags: ['users'],
        summary: 'Replace the roles of a user (admin); applies at its next token refresh (within 15 min)',
        params,
        body: { type: 'object', additionalProperties: false, required: ['roles'], properties: { roles } },
        response: { 200: userView, ...errors },
      },
    },
    async (request, reply) => {
      const { username: name } = request.params as { username: string };
      const { roles: next } = request.body as { roles: UserRole[] };
      if (!next.includes('admin') && (await lastAdmin(name))) return reply.status(409).send({ error: 'Conflict', message: `'${name}' is the last enabled admin: make another admin first` });
      if (!(await api.setUserRoles(name, next))) return reply.status(404).send({ error: 'Not Found', message: `user '${name}' does not exist` });
      request.log.info({ username: name, roles: next }, 'user roles changed');
      return answerUser(reply, name);
    },
  );

  app.post(
    '/api/users/:username/disable',
    {
      schema: {
        tags: ['users'],
        summary: 'Disable (or enable with { disabled: false }) a user (admin): it can no longer log in, its session ends at the next refresh',
        params,
        body: { type: 'object', additionalProperties: false, properties: { disabled: { type: 'boolean', default: true } } },
        response: { 200: userView, ...errors },
      },
    },
    async (request, reply) => {
      const { username: name } = request.params as { username: string };
      const disabled = (request.body as { disabled?: boolean } | undefined)?.disabled ?? true;
      if (disabled && (await lastAdmin(name))) return reply.status(409).send({ error: 'Conflict', message: `'${name}' is the last enabled admin: make another admin first` });
      if (!(await api.setUserDisabled(name, disabled))) return reply.status(404).send({ error: 'Not Found', message: `user '${name}' does not exist` });
      request.log.info({ username: name, disabled }, disabled ? 'user disabled' : 'user enabled');
      return answerUser(reply, name);
    },
  );
}

// Logins, JWT sessions and roles for the dashboard server: `registerAuth(app, io, options)` adds
//   - POST /api/auth/login, POST /api/auth/refresh, GET /api/auth/me, POST /api/auth/kiosk (admin);
//   - a fastify onRequest hook checking every request against the route -> roles table (./policy.ts; default deny);
//   - a preValidation hook on the alarm actions: the acting user comes from the session (any `user` in the body is
//     replaced), and the alarm's source (SPC, downtime, sensor) decides which roles may work it;
//   - Socket.IO: an io.use middleware that refuses a handshake without a valid access or kiosk token, a per-socket
//     middleware checking every event against the event -> roles table, token renewal ('auth' event) and the
//     disconnection of sockets whose session expired (the client reconnects with a fresh token and resyncs).
// Tokens travel as `Authorization: Bearer <jwt>` (REST) and `auth.token` (Socket.IO handshake); never in logs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server as SocketServer, Socket } from 'socket.io';
import type { Logger } from '../../../platform/log.ts';
import type { Queryable } from '../../../sinks/postgres/db.ts';
import { readAuthSettings } from './config.ts';
import { allows, eventPolicy, mayWorkAlarm, PUBLIC, routePolicy, ruleFor, type AlarmSource, type AlarmStep, type Role, type Rule } from './policy.ts';
import { createTokenSigner, type TokenClaims, type TokenSigner } from './tokens.ts';
import { postgresUsers, seedAdmin, type AuthUser, type UsersProvider } from './users.ts';

export { routePolicy, eventPolicy, alarmPolicy, userRoles, type Role, type UserRole, type AlarmSource } from './policy.ts';
export { memoryUsers, postgresUsers, seedAdmin, type AuthUser, type UsersProvider } from './users.ts';
export { readAuthSettings, type AuthSettings } from './config.ts';

export interface AuthOptions {
  users: UsersProvider;
  /** HS256 key, >= 32 bytes. */
  secret: Uint8Array;
  /** Default 900 s. */
  accessTtlSeconds?: number;
  /** Default 12 h. */
  refreshTtlSeconds?: number;
  /** Default 365 days. */
  kioskTtlSeconds?: number;
  /** Source of an alarm by id (null: no such alarm), so alarm actions follow alarmPolicy; without it only the route table applies. */
  alarmSource?: (alarmId: string) => Promise<AlarmSource | null>;
  /** Replaces the route table (tests, a plant with its own rules). */
  routes?: Readonly<Record<string, Rule>>;
  /** Failed logins of one name from one address before 429 (per 5 minutes). Default 5. */
  maxFailedLogins?: number;
  logger?: Logger;
  /** Clock (tests). */
  now?: () => number;
}

/** Who is calling: a user session or a kiosk. */
export interface Principal {
  username: string;
  displayName: string | null;
  roles: Role[];
  kiosk: boolean;
  /** Session end, epoch ms. */
  expiresAt: number;
}

export interface RegisteredAuth {
  signer: TokenSigner;
  /** A read-only wall token (role kiosk). */
  issueKioskToken(name: string, ttlSeconds?: number): Promise<{ token: string; expiresAt: number }>;
  /** The caller of a request that passed the hook (undefined on public routes). */
  principalOf(request: FastifyRequest): Principal | undefined;
}

const principals = new WeakMap<FastifyRequest, Principal>();
/** Other routes whose body names who acts (`user`): the session's user replaces it, as on the alarm actions. */
const actingUserRoutes: readonly string[] = ['/api/spc/alarms/:alarmId/ncr'];

function principalFrom(claims: TokenClaims): Principal {
  return { username: claims.sub, displayName: claims.name, roles: claims.roles, kiosk: claims.typ === 'kiosk', expiresAt: claims.exp * 1000 };
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  return match ? match[1]! : null;
}

const userSchema = {
  type: 'object',
  required: ['username', 'roles'],
  properties: { username: { type: 'string' }, displayName: { type: ['string', 'null'] }, roles: { type: 'array', items: { type: 'string' } }, kiosk: { type: 'boolean' } },
} as const;
const sessionSchema = {
  type: 'object',
  required: ['accessToken', 'refreshToken', 'expiresAt', 'refreshExpiresAt', 'user'],
  properties: { accessToken: { type: 'string' }, refreshToken: { type: 'string' }, expiresAt: { type: 'number' }, refreshExpiresAt: { type: 'number' }, user: userSchema },
} as const;
const errorAnswer = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } } as const;

export function registerAuth(app: FastifyInstance, io: SocketServer, options: AuthOptions): RegisteredAuth {
  const now = options.now ?? Date.now;
  const signer = createTokenSigner(options.secret, now);
  const accessTtl = options.accessTtlSeconds ?? 900;
  const refreshTtl = options.refreshTtlSeconds ?? 43_200;
  const kioskTtl = options.kioskTtlSeconds ?? 365 * 86_400;
  const table = options.routes ?? routePolicy;
  const maxFailed = options.maxFailedLogins ?? 5;
  const failures = new Map<string, { count: number; since: number }>();
  const log = options.logger?.child({ component: 'dashboard-auth' });

  async function session(user: AuthUser) {
    const claims = { sub: user.username, name: user.displayName, roles: user.roles };
    const [accessToken, refreshToken] = await Promise.all([signer.sign({ ...claims, typ: 'access' }, accessTtl), signer.sign({ ...claims, typ: 'refresh' }, refreshTtl)]);
    const t = now();
    return {
      accessToken,
      refreshToken,
      expiresAt: Math.floor(t / 1000) * 1000 + accessTtl * 1000,
      refreshExpiresAt: Math.floor(t / 1000) * 1000 + refreshTtl * 1000,
      user: { username: user.username, displayName: user.displayName, roles: user.roles, kiosk: false },
    };
  }

  const unauthorized = (reply: FastifyReply, message: string) =>
    reply.status(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message });
  const forbidden = (reply: FastifyReply, message: string) => reply.status(403).send({ error: 'Forbidden', message });

  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    const rule = ruleFor(request.method, url, table);
    if (rule === PUBLIC) return;
    if (rule === undefined) return forbidden(reply, `no access policy for ${request.method} ${url ?? request.url.split('?')[0]}`);
    const token = bearer(request);
    const claims = token ? await signer.verify(token, ['access', 'kiosk']) : null;
    if (!claims) return unauthorized(reply, token ? 'the session expired or the token is not valid: log in again' : 'log in first');
    const principal = principalFrom(claims);
    if (!allows(rule, principal.roles)) return forbidden(reply, `${principal.kiosk ? 'a kiosk token' : `roles ${principal.roles.join(', ') || '(none)'}`} may not ${request.method} ${url}`);
    principals.set(request, principal);
  });

  // Alarm actions: the acting user is the session's; the alarm's source decides which roles may work it.
  app.addHook('preValidation', async (request, reply) => {
    const url = request.routeOptions.url ?? '';
    if (request.method === 'POST' && actingUserRoutes.includes(url)) {
      const principal = principals.get(request);
      if (!principal) return unauthorized(reply, 'log in first');
      if (request.body && typeof request.body === 'object') (request.body as Record<string, unknown>).user = principal.username;
      return;
    }
    const match = /^\/api\/alarms\/:alarmId\/(acknowledge|comment|cause|close)$/.exec(url);
    if (!match || request.method !== 'POST') return;
    const principal = principals.get(request);
    if (!principal) return unauthorized(reply, 'log in first');
    const step = match[1] as AlarmStep;
    if (options.alarmSource) {
      const source = await options.alarmSource((request.params as { alarmId: string }).alarmId);
      if (source && !mayWorkAlarm(principal.roles, source, step)) return forbidden(reply, `roles ${principal.roles.join(', ')} may not ${step} ${source} alarms`);
    }
    if (request.body && typeof request.body === 'object') (request.body as Record<string, unknown>).user = principal.username;
  });

  function loginKey(request: FastifyRequest, username: string): string {
    return `${request.ip}|${username.toLowerCase()}`;
  }

  app.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in: an access token (short-lived) and a refresh token',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'password'],
          properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1_000 } },
        },
        response: { 200: sessionSchema, 401: errorAnswer, 429: errorAnswer },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body as { username: string; password: string };
      const key = loginKey(request, username);
      const seen = failures.get(key);
      if (seen && now() - seen.since > 300_000) failures.delete(key);
      if ((failures.get(key)?.count ?? 0) >= maxFailed) {
        return reply.status(429).header('retry-after', '300').send({ error: 'Too Many Requests', message: 'too many failed logins: try again in 5 minutes' });
      }
      const user = await options.users.authenticate(username, password);
      if (!user) {
        const entry = failures.get(key) ?? { count: 0, since: now() };
        entry.count += 1;
        failures.set(key, entry);
        log?.info({ username, ip: request.ip }, 'login refused');
        return unauthorized(reply, 'wrong username or password');
      }
      failures.delete(key);
      log?.info({ username }, 'login');
      return session(user);
    },
  );

  app.post(
    '/api/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'A new token pair for a valid refresh token (the user is looked up again)',
        body: { type: 'object', additionalProperties: false, required: ['refreshToken'], properties: { refreshToken: { type: 'string', minLength: 1, maxLength: 4_000 } } },
        response: { 200: sessionSchema, 401: errorAnswer },
      },
    },
    async (request, reply) => {
      const claims = await signer.verify((request.body as { refreshToken: string }).refreshToken, ['refresh']);
      if (!claims) return unauthorized(reply, 'the session expired: log in again');
      const user = await options.users.find(claims.sub);
      if (!user) return unauthorized(reply, 'the account no longer exists or is disabled');
      return session(user);
    },
  );

  app.get(
    '/api/auth/me',
    { schema: { tags: ['auth'], summary: 'The signed-in user (or kiosk) and when the session ends', response: { 200: { type: 'object', properties: { user: userSchema, expiresAt: { type: 'number' } } } } } },
    async (request) => {
      const p = principals.get(request)!;
      return { user: { username: p.username, displayName: p.displayName, roles: p.roles, kiosk: p.kiosk }, expiresAt: p.expiresAt };
    },
  );

  async function issueKioskToken(name: string, ttlSeconds = kioskTtl) {
    const token = await signer.sign({ sub: `kiosk:${name}`, name, roles: ['kiosk'], typ: 'kiosk' }, ttlSeconds);
    return { token, expiresAt: Math.floor(now() / 1000) * 1000 + ttlSeconds * 1000 };
  }

  app.post(
    '/api/auth/kiosk',
    {
      schema: {
        tags: ['auth'],
        summary: 'A read-only kiosk token for a wall display (admin)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', pattern: '^[A-Za-z0-9 ._-]{1,64}$' }, ttlDays: { type: 'integer', minimum: 1, maximum: 1_825 } },
        },
        response: { 200: { type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'number' }, path: { type: 'string' } } } },
      },
    },
    async (request) => {
      const body = request.body as { name: string; ttlDays?: number };
      const issued = await issueKioskToken(body.name, body.ttlDays ? body.ttlDays * 86_400 : kioskTtl);
      log?.info({ kiosk: body.name, by: principals.get(request)?.username }, 'kiosk token issued');
      return { ...issued, path: `/?kiosk=1#wall&token=${issued.token}` };
    },
  );

  // ---- Socket.IO ----------------------------------------------------------------------------------------------
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '') return next(Object.assign(new Error('unauthorized: log in first'), { data: { status: 401 } }));
    signer.verify(token, ['access', 'kiosk']).then(
      (claims) => {
        if (!claims) return next(Object.assign(new Error('unauthorized: the session expired'), { data: { status: 401 } }));
        socket.data.principal = principalFrom(claims);
        next();
      },
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
    );
  });

  io.on('connection', (socket: Socket) => {
    socket.use((packet, next) => {
      const [event] = packet;
      const principal = socket.data.principal as Principal | undefined;
      const ack = packet.at(-1);
      const refuse = (message: string) => {
        if (typeof ack === 'function') (ack as (a: unknown) => void)({ ok: false, message });
        socket.emit('error_message', { message });
      };
      if (!principal) return refuse('unauthorized');
      if (principal.expiresAt <= now() && event !== 'auth') return refuse('the session expired');
      if (!allows(eventPolicy[String(event)], principal.roles)) return refuse(`forbidden: ${String(event)}`);
      next();
    });
    socket.on('auth', (payload: unknown, ack?: (answer: { ok: boolean; message?: string }) => void) => {
      const token = (payload as { token?: unknown } | null)?.token;
      const current = socket.data.principal as Principal;
      if (typeof token !== 'string') return ack?.({ ok: false, message: 'no token' });
      signer.verify(token, ['access', 'kiosk']).then((claims) => {
        if (!claims || claims.sub !== current.username) return ack?.({ ok: false, message: 'not a valid token of this session' });
        socket.data.principal = principalFrom(claims);
        ack?.({ ok: true });
      }, () => ack?.({ ok: false, message: 'token check failed' }));
    });
  });

  // Sockets outlive tokens: a socket whose session ended (and was not renewed) is disconnected; its client
  // reconnects with a fresh token, or shows the login.
  const sweep = setInterval(() => {
    const t = now();
    for (const socket of io.of('/').sockets.values()) {
      const p = socket.data.principal as Principal | undefined;
      if (p && p.expiresAt <= t) {
        socket.emit('error_message', { message: 'the session expired' });
        socket.disconnect(true);
      }
    }
  }, 10_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  return { signer, issueKioskToken, principalOf: (request) => principals.get(request) };
}

/**
 * Auth from the environment (./config.ts) over the PostgreSQL users table: seeds `admin` from
 * LINEPULSE_ADMIN_PASSWORD[_FILE] when set, warns when the JWT secret is random. For the CLI composition root.
 */
export async function authFromEnv(deps: {
  env?: Record<string, string | undefined>;
  db: Queryable;
  logger: Logger;
  alarmSource?: (alarmId: string) => Promise<AlarmSource | null>;
}): Promise<AuthOptions> {
  const settings = readAuthSettings(deps.env ?? process.env);
  const logger = deps.logger.child({ component: 'dashboard-auth' });
  if (settings.ephemeralSecret) logger.warn('LINEPULSE_JWT_SECRET(_FILE) is not set: using a random key, so sessions and kiosk tokens end when this process stops');
  if (settings.adminPassword) {
    const seeded = await seedAdmin(deps.db, settings.adminPassword);
    logger.info({ seeded }, seeded === 'created' ? 'user admin created from LINEPULSE_ADMIN_PASSWORD' : 'user admin exists; LINEPULSE_ADMIN_PASSWORD ignored');
  }
  return {
    users: postgresUsers(deps.db),
    secret: settings.secret,
    accessTtlSeconds: settings.accessTtlSeconds,
    refreshTtlSeconds: settings.refreshTtlSeconds,
    kioskTtlSeconds: settings.kioskTtlSeconds,
    logger: deps.logger,
    ...(deps.alarmSource ? { alarmSource: deps.alarmSource } : {}),
  };
}

// The dashboard server: one HTTP server on 127.0.0.1 (by default) carrying
// - the built Svelte app (static files, SPA fallback),
// - the REST API under /api with JSON schemas, validated input and an OpenAPI document (/api/openapi.json),
// - Socket.IO (/socket.io): a client names the ISA-95 scope it shows (handshake `auth.scope`, or a later
//   'subscribe'), joins that scope's room, gets a snapshot of the current totals, then live updates from the
//   live hub (sinks/live), which the server attaches to its Socket.IO instance.
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import { Server as SocketServer, type Socket } from 'socket.io';
import type { Logger } from '../../platform/log.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { countWindowKinds, type CountHistoryQueries, type CountQueries } from '../../sinks/model.ts';
import { scopeRoom, type LiveHub } from '../../sinks/live/hub.ts';
import { liveEvents } from '../../sinks/live/updates.ts';
import type { ProductionQueries } from '../../sinks/queries.ts';
import { registerQueryApi, queryApiTags } from './api/index.ts';
import { registerAuth, type AuthOptions } from './auth/index.ts';
import { parseScope } from './scope.ts';
import { eventBudget, liveEventLimit, registerHttpMetrics, registerSecurity, requestId, type RateLimitSettings } from './security.ts';
import { loadStaticFiles, notBuiltPage } from './static.ts';
import { countRangeRowSchema, countTotalSchema, errorSchema, healthSchema } from './schemas.ts';

export const defaultStaticDir = fileURLToPath(new URL('../app/dist/', import.meta.url));

export interface ComponentHealth {
  up: boolean;
  kind?: string;
  since?: number;
  error?: string;
}

/** What the process reports about its parts (stores, bus, live feed). */
export type HealthProbe = () => Record<string, ComponentHealth> | Promise<Record<string, ComponentHealth>>;

export interface DashboardServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  queries: CountQueries & Partial<CountHistoryQueries>;
  live: LiveHub;
  logger: Logger;
  health?: HealthProbe;
  metrics?: Metrics;
  /** Built app; default dashboard/app/dist. */
  staticDir?: string;
  /** Product version shown in the OpenAPI document and /api/health. */
  version?: string;
  /** The query API (OEE, states, SPC, alarms, ...; dashboard/server/api); without it only counts and health are served. */
  api?: ProductionQueries;
  /** Logins, JWT sessions and roles on every route and Socket.IO event (dashboard/server/auth); without it everything is open (tests). */
  auth?: AuthOptions;
  /** More route plugins on the same server (ingest gateways: manual entry, ERP schedules), each with its prefix. */
  extraRoutes?: ReadonlyArray<{ plugin: FastifyPluginAsync; prefix: string }>;
  /** Rate limits per client address (dashboard/server/security.ts; the CLI passes `rateLimitFromEnv()`); without it none (tests). */
  rateLimit?: RateLimitSettings | false;
}

export interface DashboardServer {
  /** http://host:port of the running server. */
  url: string;
  io: SocketServer;
  /** fastify's in-process request injection (tests): no socket. */
  inject: FastifyInstance['inject'];
  close(): Promise<void>;
}

export { parseScope };

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger.child({ component: 'dashboard-server' });
  const staticDir = options.staticDir ?? defaultStaticDir;
  const files = loadStaticFiles(staticDir);
  const index = files.get('/index.html') ?? notBuiltPage(staticDir);
  if (!files.has('/index.html')) logger.warn({ staticDir }, 'dashboard app not built: run npm run build:dashboard');

  const app = fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    genReqId: requestId,
  });
  await registerSecurity(app as unknown as FastifyInstance, options.rateLimit ?? false);
  if (options.metrics) registerHttpMetrics(app as unknown as FastifyInstance, options.metrics);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'linepulse dashboard API',
        version: options.version ?? '0.1.0',
        description: 'Live production data: piece counts per equipment now; OEE, SPC, alerts and genealogy as they land. Live updates over Socket.IO at /socket.io.',
      },
      tags: [
        { name: 'system', description: 'Health and API description' },
        { name: 'counts', description: 'Piece counts' },
        ...(options.api ? queryApiTags : []),
      ],
    },
  });

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    const status = error.validation ? 400 : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    const name = status >= 500 ? 'Internal Server Error' : status === 429 ? 'Too Many Requests' : status === 413 ? 'Payload Too Large' : status === 415 ? 'Unsupported Media Type' : 'Bad Request';
    void reply.status(status).send({ error: name, message: status >= 500 ? 'the server could not answer; see its log' : error.message });
  });

  app.get(
    '/api/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Health of the dashboard process and the stores it reads',
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    async (_request, reply) => {
      const answer = await healthAnswer();
      return reply.status(answer.ok ? 200 : 503).send(answer.body);
    },
  );
  // The probe paths every linepulse process serves (cli/probe-server.ts), for orchestrators: same answer.
  for (const path of ['/health', '/ready']) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => {
      const answer = await healthAnswer();
      return reply.status(answer.ok ? 200 : 503).send(answer.body);
    });
  }

  async function healthAnswer() {
    const components = options.health ? await options.health() : {};
    const ok = Object.values(components).every((c) => c.up);
    const stats = options.live.stats();
    return {
      ok,
      body: {
        status: ok ? 'ok' : 'degraded',
        version: options.version ?? '0.1.0',
        time: Date.now(),
        components,
        live: { clients: io.engine.clientsCount, published: stats.published, emitted: stats.emitted, coalesced: stats.coalesced },
      },
    };
  }

  app.get(
    '/api/counts',
    {
      schema: {
        tags: ['counts'],
        summary: 'Current piece totals: per equipment and window kind, the most recent window at its highest revision',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            window: { type: 'string', enum: [...countWindowKinds], description: 'Only this window kind (default: every kind)' },
            scope: { type: 'string', maxLength: 400, description: 'ISA-95 path prefix, e.g. acme/plant1/stamping (default: everything)' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['time', 'scope', 'totals'],
            properties: { time: { type: 'number' }, scope: { type: 'string' }, totals: { type: 'array', items: countTotalSchema } },
          },
          400: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { window?: (typeof countWindowKinds)[number]; scope?: string };
      const scope = parseScope(query.scope);
      if (scope === null) return reply.status(400).send({ error: 'Bad Request', message: `scope '${query.scope}' is not an ISA-95 path` });
      const totals = await options.queries.currentCountTotals({ scope, ...(query.window ? { windowKind: query.window } : {}) });
      return { time: Date.now(), scope, totals };
    },
  );

  if (options.queries.countsOverRange) {
    const countsOverRange = options.queries.countsOverRange.bind(options.queries);
    app.get(
      '/api/counts/history',
      {
        schema: {
          tags: ['counts'],
          summary: 'Pieces produced per equipment over a time range, optionally per minute, hour or day',
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'to'],
            properties: {
              from: { type: 'integer', minimum: 0, description: 'Inclusive start, epoch ms' },
              to: { type: 'integer', minimum: 0, description: 'Exclusive end, epoch ms' },
              scope: { type: 'string', maxLength: 400 },
              bucket: { type: 'string', enum: ['minute', 'hour', 'day'] },
            },
          },
          response: {
            200: { type: 'object', required: ['rows'], properties: { rows: { type: 'array', items: countRangeRowSchema } } },
            400: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const q = request.query as { from: number; to: number; scope?: string; bucket?: 'minute' | 'hour' | 'day' };
        const scope = parseScope(q.scope);
        if (scope === null) return reply.status(400).send({ error: 'Bad Request', message: `scope '${q.scope}' is not an ISA-95 path` });
        if (q.to <= q.from) return reply.status(400).send({ error: 'Bad Request', message: '`to` must be after `from`' });
        if (q.bucket === 'minute' && q.to - q.from > 7 * 86_400_000)
          return reply.status(400).send({ error: 'Bad Request', message: 'minute buckets cover at most 7 days; use hour or day' });
        const rows = await countsOverRange({ from: q.from, to: q.to, scope, ...(q.bucket ? { bucket: q.bucket } : {}) });
        return { rows };
      },
    );
  }

  // The app's logger is our pino type, not fastify's base logger: the routes need neither.
  if (options.api) registerQueryApi(app as unknown as FastifyInstance, options.api);
  for (const extra of options.extraRoutes ?? []) await app.register(extra.plugin, { prefix: extra.prefix });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (options.metrics) {
    const metrics = options.metrics;
    // Live fan-out figures (sinks/live hub), read at scrape time: updates in from the feed, out to the browsers.
    const published = metrics.gauge({ name: 'linepulse_live_updates_published', help: 'Live updates the hub received from the live feed since start.' });
    const emitted = metrics.gauge({ name: 'linepulse_live_updates_emitted', help: 'Live updates emitted to Socket.IO rooms since start (after coalescing).' });
    const clients = metrics.gauge({ name: 'linepulse_live_clients', help: 'Connected Socket.IO clients.' });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const stats = options.live.stats();
      published.set(stats.published);
      emitted.set(stats.emitted);
      clients.set(io.engine.clientsCount);
      return reply.type(metrics.contentType).send(await metrics.render());
    });
  }

  app.get('/api/*', { schema: { hide: true } }, async (request, reply) =>
    reply.status(404).send({ error: 'Not Found', message: `no API route ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      return reply.status(400).type('text/plain').send('malformed path');
    }
    const file = files.get(path === '/' ? '/index.html' : path) ?? (extensionOf(path) ? undefined : index);
    if (!file) return reply.status(404).type('text/plain').send('not found');
    return reply.header('cache-control', file.cacheControl).type(file.type).send(file.body);
  });

  const io = new SocketServer(app.server, { serveClient: false, pingInterval: 10_000, pingTimeout: 8_000 });
  options.live.attach(io);
  if (options.auth) registerAuth(app as unknown as FastifyInstance, io, options.auth);

  async function subscribe(socket: Socket, scope: string): Promise<void> {
    for (const room of socket.rooms) if (room !== socket.id) await socket.leave(room);
    await socket.join(scopeRoom(scope));
    socket.data.scope = scope;
    // Joined first, snapshot second: an update racing the snapshot is merged by revision on the client.
    const totals = await options.queries.currentCountTotals({ scope });
    socket.emit(liveEvents.snapshot, { time: Date.now(), scope, totals });
  }

  io.on('connection', (socket) => {
    const auth = socket.handshake.auth as { scope?: unknown } | undefined;
    const scope = parseScope(auth?.scope ?? socket.handshake.query.scope);
    if (scope === null) {
      socket.emit('error_message', { message: 'scope is not an ISA-95 path' });
      socket.disconnect(true);
      return;
    }
    subscribe(socket, scope).catch((error: unknown) => {
      logger.warn({ err: error }, 'snapshot for a new live client failed');
      socket.emit('error_message', { message: 'snapshot unavailable; retrying on reconnect' });
    });
    const budget = options.rateLimit ? eventBudget() : null;
    socket.on('subscribe', (payload: unknown, ack?: (answer: { ok: boolean; message?: string }) => void) => {
      if (budget && !budget.take()) return ack?.({ ok: false, message: `rate limit of ${liveEventLimit.max} subscriptions per ${liveEventLimit.windowMs / 1000} s exceeded` });
      const next = parseScope((payload as { scope?: unknown } | null)?.scope);
      if (next === null) return ack?.({ ok: false, message: 'scope is not an ISA-95 path' });
      subscribe(socket, next).then(
        () => ack?.({ ok: true }),
        () => ack?.({ ok: false, message: 'snapshot unavailable' }),
      );
    });
  });

  await app.listen({ port: options.port, host });
  const address = app.server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  logger.info({ url }, 'dashboard server listening');

  let closed = false;
  return {
    url,
    io,
    inject: app.inject.bind(app) as unknown as FastifyInstance['inject'],
    async close() {
      if (closed) return;
      closed = true;
      options.live.attach(null);
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await app.close().catch(() => undefined);
    },
  };
}

function extensionOf(path: string): boolean {
  return /\.[A-Za-z0-9]+$/.test(path);
}

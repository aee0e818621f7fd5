// HTTP hardening of the dashboard server: security headers (@fastify/helmet), rate limits (@fastify/rate-limit) and
// request ids (an `x-request-id` from the caller when it is well-formed, else a fresh one; echoed on every answer
// and carried by every log line of the request as `reqId`).
//
// The Content-Security-Policy allows exactly what the Svelte app needs: its own scripts and styles (Vite emits no
// inline script), inline style attributes (Svelte transitions and ECharts set them), canvas images as data:/blob:
// URLs (ECharts' "save as image"), and the Socket.IO connection to the same origin (ws:/wss:). No
// `upgrade-insecure-requests`: the server speaks plain HTTP unless a TLS proxy fronts it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import { ConfigError } from '../../platform/errors.ts';
import type { Metrics } from '../../platform/metrics.ts';

export interface RateLimitSettings {
  /** Requests per client address per window on every route (the probes /metrics and /api/health excepted). */
  max: number;
  /** Login attempts per client address per window (on top of the per-name lock-out of auth/). */
  loginMax: number;
  /** Window length, ms. */
  windowMs: number;
}

export const defaultRateLimit: RateLimitSettings = { max: 1200, loginMax: 10, windowMs: 60_000 };

/** Paths a monitoring system polls: never rate-limited. */
const probePaths = new Set(['/metrics', '/api/health', '/health', '/ready']);

const positiveInt = z.coerce.number().int().positive();

/** `LINEPULSE_RATE_LIMIT` (requests per window, or `off`), `LINEPULSE_LOGIN_RATE_LIMIT`, `LINEPULSE_RATE_LIMIT_WINDOW_S`. */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitSettings | false {
  if (env.LINEPULSE_RATE_LIMIT === 'off') return false;
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = positiveInt.safeParse(raw);
    if (!parsed.success) throw new ConfigError(`environment variable ${name}`, 'must be a positive integer');
    return parsed.data;
  };
  return {
    max: read('LINEPULSE_RATE_LIMIT', defaultRateLimit.max),
    loginMax: read('LINEPULSE_LOGIN_RATE_LIMIT', defaultRateLimit.loginMax),
    windowMs: read('LINEPULSE_RATE_LIMIT_WINDOW_S', defaultRateLimit.windowMs / 1000) * 1000,
  };
}

/**
 * Live (Socket.IO) events a client may send per window. Each `subscribe` costs a snapshot query, and the HTTP rate
 * limit does not see messages on an open WebSocket: this budget is per socket (a fixed window).
 */
export const liveEventLimit = { max: 30, windowMs: 10_000 };

/** A fixed-window budget: `take()` is true while fewer than `max` were taken in the current window. */
export function eventBudget(limit: { max: number; windowMs: number } = liveEventLimit, now: () => number = Date.now): { take(): boolean } {
  let windowStart = -Infinity;
  let taken = 0;
  return {
    take() {
      const t = now();
      if (t - windowStart >= limit.windowMs) {
        windowStart = t;
        taken = 0;
      }
      if (taken >= limit.max) return false;
      taken += 1;
      return true;
    },
  };
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id of a request: the caller's `x-request-id` when it is a plain token of at most 128 characters, else a UUID. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
}

export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'", 'ws:', 'wss:'],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

/** Registers headers, rate limits and the request-id echo; call before any route is added. */
export async function registerSecurity(app: FastifyInstance, rateLimit: RateLimitSettings | false): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
    // Plain HTTP by default (127.0.0.1, or behind a TLS proxy that sets HSTS itself).
    strictTransportSecurity: false,
    // Never framed (as frame-ancestors 'none' says to browsers that read CSP).
    frameguard: { action: 'deny' },
  });
  if (rateLimit === false) return;
  // The login route gets the stricter limit (set before the plugin's own onRoute hook reads it).
  app.addHook('onRoute', (route) => {
    if (route.url === '/api/auth/login' && route.method === 'POST') {
      route.config = { ...(route.config as object | undefined), rateLimit: { max: rateLimit.loginMax, timeWindow: rateLimit.windowMs } } as typeof route.config;
    }
  });
  await app.register(fastifyRateLimit, {
    global: true,
    max: rateLimit.max,
    timeWindow: rateLimit.windowMs,
    allowList: (request) => probePaths.has(request.url.split('?')[0] ?? ''),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
}

/** Per route template and status: linepulse_http_requests_total and linepulse_http_request_seconds (4xx = refused input). */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  const requests = metrics.counter({ name: 'linepulse_http_requests_total', help: 'HTTP requests answered, per method, route template and status.', labelNames: ['method', 'route', 'status'] as const });
  const seconds = metrics.histogram({ name: 'linepulse_http_request_seconds', help: 'Time to answer an HTTP request, per route template.', labelNames: ['route'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    seconds.observe({ route }, reply.elapsedTime / 1000);
  });
}

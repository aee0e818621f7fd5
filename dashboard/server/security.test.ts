// HTTP hardening of the dashboard server: security headers and CSP, rate limits (global, login, probes exempt),
// request ids echoed and carried by the request's log lines.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../platform/metrics.ts';
import { createLiveHub } from '../../sinks/live/hub.ts';
import { silentLogger } from '../../platform/log.ts';
import { io as connect } from 'socket.io-client';
import { eventBudget, liveEventLimit, rateLimitFromEnv, requestId } from './security.ts';
import { startDashboardServer, type DashboardServer } from './server.ts';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});

let server: DashboardServer;

beforeAll(async () => {
  server = await startDashboardServer({
    port: 0,
    queries: { currentCountTotals: async () => [] },
    live: createLiveHub({ logger: silentLogger() }),
    logger: pino({ level: 'info' }, sink),
    metrics: createMetrics(),
    staticDir: '/nonexistent-dist',
    rateLimit: { max: 5, loginMax: 2, windowMs: 60_000 },
    extraRoutes: [
      {
        prefix: '/api',
        plugin: async (app) => {
          app.post('/auth/login', async () => ({ ok: true }));
          app.get('/echo', async (request) => {
            request.log.info('echo handled');
            return { ok: true };
          });
        },
      },
    ],
  });
});

afterAll(async () => {
  await server.close();
});

describe('dashboard server > security', () => {
  it('> sets the security headers and a CSP that admits the app, ECharts and Socket.IO', async () => {
    const answer = await server.inject({ method: 'GET', url: '/api/health' });
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.headers['cross-origin-opener-policy']).toBe('same-origin');
    const csp = String(answer.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(answer.headers['x-powered-by']).toBeUndefined();
  });

  it('> echoes a well-formed x-request-id, replaces a malformed one, and logs it as reqId', async () => {
    const given = await server.inject({ method: 'GET', url: '/api/echo', headers: { 'x-request-id': 'abc-123.def' } });
    expect(given.headers['x-request-id']).toBe('abc-123.def');
    const line = lines.map((l) => JSON.parse(l) as { msg?: string; reqId?: string }).find((l) => l.msg === 'echo handled');
    expect(line?.reqId).toBe('abc-123.def');
    const bad = await server.inject({ method: 'GET', url: '/metrics', headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await server.inject({ method: 'GET', url: '/metrics' });
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers['x-request-id']).not.toBe(bad.headers['x-request-id']);
  });

  it('> limits logins per address more strictly: 429 with Retry-After', async () => {
    const codes = [];
    for (let i = 0; i < 3; i += 1) codes.push((await server.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.9', payload: {} })).statusCode);
    expect(codes).toEqual([200, 200, 429]);
    const limited = await server.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.9', payload: {} });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ error: 'Too Many Requests' });
  });

  it('> limits every route per address, never the probes', async () => {
    const codes = [];
    for (let i = 0; i < 6; i += 1) codes.push((await server.inject({ method: 'GET', url: '/api/counts', remoteAddress: '10.0.0.7' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await server.inject({ method: 'GET', url: '/api/counts', remoteAddress: '10.0.0.7' });
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.headers['x-ratelimit-limit']).toBe('5');
    // Another address has its own budget; the probes are exempt.
    expect((await server.inject({ method: 'GET', url: '/api/counts', remoteAddress: '10.0.0.8' })).statusCode).toBe(200);
    for (let i = 0; i < 8; i += 1) {
      expect((await server.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
      expect((await server.inject({ method: 'GET', url: '/api/health', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
    }
  });

  it('> limits live subscriptions per socket: past the budget the ack refuses, without a snapshot query', async () => {
    const socket = connect(server.url, { transports: ['websocket'], auth: { scope: 'acme' }, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const answers: Array<{ ok: boolean; message?: string }> = [];
      for (let i = 0; i <= liveEventLimit.max; i += 1) answers.push(await socket.timeout(5_000).emitWithAck('subscribe', { scope: 'acme/plant1' }));
      expect(answers.slice(0, liveEventLimit.max).every((a) => a.ok)).toBe(true);
      expect(answers.at(-1)).toEqual({ ok: false, message: expect.stringMatching(/rate limit of 30 subscriptions per 10 s/) });
    } finally {
      socket.disconnect();
    }
  });
});

describe('dashboard server > security config', () => {
  it('> an event budget refuses past max in a window and starts afresh in the next', () => {
    let t = 0;
    const budget = eventBudget({ max: 2, windowMs: 1_000 }, () => t);
    expect([budget.take(), budget.take(), budget.take()]).toEqual([true, true, false]);
    t = 999;
    expect(budget.take()).toBe(false);
    t = 1_000;
    expect(budget.take()).toBe(true);
  });

  it('> reads the limits from the environment', () => {
    expect(rateLimitFromEnv({})).toEqual({ max: 1200, loginMax: 10, windowMs: 60_000 });
    expect(rateLimitFromEnv({ LINEPULSE_RATE_LIMIT: '50', LINEPULSE_LOGIN_RATE_LIMIT: '3', LINEPULSE_RATE_LIMIT_WINDOW_S: '10' })).toEqual({ max: 50, loginMax: 3, windowMs: 10_000 });
    expect(rateLimitFromEnv({ LINEPULSE_RATE_LIMIT: 'off' })).toBe(false);
    expect(() => rateLimitFromEnv({ LINEPULSE_RATE_LIMIT: 'lots' })).toThrow(/LINEPULSE_RATE_LIMIT/);
  });

  it('> request ids: tokens up to 128 characters are kept', () => {
    expect(requestId({ headers: { 'x-request-id': 'a'.repeat(128) } } as never)).toBe('a'.repeat(128));
    expect(requestId({ headers: { 'x-request-id': 'a'.repeat(129) } } as never)).not.toBe('a'.repeat(129));
    expect(requestId({ headers: {} } as never)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

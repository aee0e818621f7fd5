// Auth of the dashboard server over real sockets: login, refresh, kiosk tokens, one test per row of the route ->
// roles table (fastify inject) for every role and for no token, the alarm source rules, and Socket.IO
// (handshake, per-event check, renewal, expiry).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../../../platform/bus/embedded.ts';
import type { Bus } from '../../../platform/bus/port.ts';
import { createTypedProducer, linepulseTopicSpecs } from '../../../platform/bus/typed.ts';
import { createAvroCodec } from '../../../platform/codec/avro.ts';
import { silentLogger } from '../../../platform/log.ts';
import { createMetrics } from '../../../platform/metrics.ts';
import { createScheduleIngest, erpIngestConfig, erpScheduleRoutes } from '../../../ingest/erp/index.ts';
import { manualEntryRoutes } from '../../../ingest/manual/index.ts';
import { createLiveHub, type LiveHub } from '../../../sinks/live/hub.ts';
import type { ProductionQueries } from '../../../sinks/queries.ts';
import { waitFor } from '../../../test/services.ts';
import { startDashboardServer, type DashboardServer } from '../server.ts';
import { memoryUsers, readAuthSettings } from './index.ts';
import { alarmPolicy, allows, AUTHENTICATED, PUBLIC, routePolicy, type AlarmSource, type AlarmStep, type Role } from './policy.ts';

const secret = new Uint8Array(Buffer.from('test-secret-of-at-least-32-bytes-for-hs256'));
const password = 'correct horse battery';
const roles: Role[] = ['viewer', 'supervisor', 'quality', 'maintenance', 'admin', 'kiosk'];
const alarmSources: Record<string, AlarmSource> = { 'spc-1': 'SPC', 'down-1': 'DOWNTIME', 'sensor-1': 'SENSOR' };

/** Who acted on an alarm, as the API received it. */
const actions: Array<{ alarmId: string; who: string }> = [];

// Answers every query with an empty but well-formed result: these tests are about who gets through, not data.
const api = new Proxy(
  {
    countsByEquipment: async () => [],
    plannedFromWorkOrders: async () => [],
    idealRatePlan: async () => [],
    reliability: async () => [],
    stateTimeline: async () => ({ intervals: [], total: 0 }),
    spcChart: async () => ({ totalPoints: 1, hits: [], points: [], limits: [] }),
    listAlarms: async () => ({ alarms: [], total: 0 }),
    getAlarm: async (alarmId: string) => ({ alarm: { alarmId }, audit: [] }),
    alarmAction: async (alarmId: string, who: string) => {
      actions.push({ alarmId, who });
      return { alarm: { alarmId }, audit: [] };
    },
    trace: async () => ({ links: [] }),
  } as Record<string, unknown>,
  { get: (target, key: string) => target[key] ?? (async () => ({})) },
) as unknown as ProductionQueries;

let server: DashboardServer;
let hub: LiveHub;
let bus: Bus;
let staticDir: string;
const tokens = new Map<Role, string>();
const refreshTokens = new Map<Role, string>();
const sockets: Socket[] = [];

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'linepulse-auth-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><div id="app"></div>');
  hub = createLiveHub({ logger: silentLogger() });
  const users = await memoryUsers(roles.filter((r) => r !== 'kiosk').map((role) => ({ username: role, password, roles: [role as Exclude<Role, 'kiosk'>] })));
  // The ingest gateways the CLI mounts on the same server, so their rows of the table are checked on real routes.
  bus = createEmbeddedBus({ logger: silentLogger() });
  await bus.ensureTopics(linepulseTopicSpecs());
  const producer = await bus.producer();
  const codec = createAvroCodec();
  const ingest = createScheduleIngest({ producer, codec, logger: silentLogger(), metrics: createMetrics(), config: erpIngestConfig({}) });
  server = await startDashboardServer({
    port: 0,
    extraRoutes: [
      { plugin: manualEntryRoutes({ publish: createTypedProducer({ producer, codec, logger: silentLogger() }), logger: silentLogger() }), prefix: '/api' },
      { plugin: async (app) => app.register(erpScheduleRoutes, { ingest }), prefix: '/api/erp' },
    ],
    queries: { currentCountTotals: async () => [], countsOverRange: async () => [] },
    live: hub,
    logger: silentLogger(),
    staticDir,
    api,
    auth: { users, secret, alarmSource: async (id) => alarmSources[id] ?? null, maxFailedLogins: 3 },
  });
  for (const role of roles) {
    if (role === 'kiosk') continue;
    const answer = await server.inject({ method: 'POST', url: '/api/auth/login', payload: { username: role, password } });
    expect(answer.statusCode).toBe(200);
    const body = answer.json() as { accessToken: string; refreshToken: string };
    tokens.set(role, body.accessToken);
    refreshTokens.set(role, body.refreshToken);
  }
  const kiosk = await server.inject({ method: 'POST', url: '/api/auth/kiosk', headers: { authorization: `Bearer ${tokens.get('admin')}` }, payload: { name: 'hall-1' } });
  expect(kiosk.statusCode).toBe(200);
  tokens.set('kiosk', (kiosk.json() as { token: string }).token);
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await server?.close();
  hub?.close();
  await bus?.close();
  rmSync(staticDir, { recursive: true, force: true });
});

/** A concrete request for a route pattern of the table. */
function requestFor(key: string): { method: 'GET' | 'POST'; url: string; payload?: unknown } {
  const [method, pattern] = key.split(' ') as ['GET' | 'POST', string];
  const url = pattern.replace('/*', '/anything').replace(':alarmId', 'down-1');
  const payloads: Record<string, unknown> = {
    'POST /api/auth/login': { username: 'nobody-here', password: 'x' },
    'POST /api/auth/refresh': { refreshToken: 'not-a-token' },
    'POST /api/auth/kiosk': { name: 'matrix' },
    'POST /api/alarms/:alarmId/acknowledge': { note: null },
    'POST /api/alarms/:alarmId/comment': { text: 'checked' },
    'POST /api/alarms/:alarmId/cause': { assignableCause: 'worn tool', correctiveAction: 'tool changed' },
    'POST /api/alarms/:alarmId/close': { note: null },
  };
  return method === 'POST' ? { method, url, payload: payloads[key] ?? {} } : { method, url: key === 'GET /*' ? '/' : url };
}

describe('dashboard auth > route -> roles table (one test per row)', () => {
  it.each(Object.entries(routePolicy))('> %s', async (key, rule) => {
    // The alarm routes are refined per source (DOWNTIME for down-1): what the table says and the source allows.
    const step = /\/(acknowledge|comment|cause|close)$/.exec(key)?.[1] as AlarmStep | undefined;
    for (const who of [...roles, null]) {
      const req = requestFor(key);
      const answer = await server.inject({ ...req, headers: who ? { authorization: `Bearer ${tokens.get(who)}` } : {} } as never);
      const allowed = allows(rule, who ? [who] : null) && (!step || (who !== null && alarmPolicy.DOWNTIME[step].includes(who)));
      const status = answer.statusCode;
      if (allowed) expect([401, 403], `${who ?? 'anonymous'} ${key} -> ${status} ${answer.body}`).not.toContain(rule === PUBLIC ? -1 : status);
      else expect(status, `${who ?? 'anonymous'} ${key} -> ${status}`).toBe(who === null ? 401 : 403);
    }
  });

  it('> every route of the API has a row (a new route is closed until it gets one)', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
        if (!(key in routePolicy)) missing.push(key);
      }
    }
    expect(missing).toEqual([]);
  });

  it('> a route without a row is denied, even to an admin', async () => {
    const answer = await server.inject({ method: 'POST', url: '/api/counts', headers: { authorization: `Bearer ${tokens.get('admin')}` } });
    expect(answer.statusCode).toBe(403);
    expect(answer.json()).toMatchObject({ error: 'Forbidden', message: expect.stringContaining('no access policy') });
  });

  it('> public and authenticated rows mean what they say', () => {
    expect(allows(PUBLIC, null)).toBe(true);
    expect(allows(AUTHENTICATED, null)).toBe(false);
    expect(allows(AUTHENTICATED, ['kiosk'])).toBe(true);
    expect(allows(undefined, ['admin'])).toBe(false);
  });
});

describe('dashboard auth > alarms: the source decides who works them; the session names who acted', () => {
  const cases: Array<[AlarmSource, string]> = [
    ['SPC', 'spc-1'],
    ['DOWNTIME', 'down-1'],
    ['SENSOR', 'sensor-1'],
  ];
  it.each(cases)('> %s alarms', async (source, alarmId) => {
    for (const step of ['acknowledge', 'comment', 'cause', 'close'] as const) {
      for (const who of roles) {
        const req = requestFor(`POST /api/alarms/:alarmId/${step}`);
        const answer = await server.inject({ method: 'POST', url: `/api/alarms/${alarmId}/${step}`, payload: req.payload as object, headers: { authorization: `Bearer ${tokens.get(who)}` } });
        const allowed = (routePolicy[`POST /api/alarms/:alarmId/${step}`] as readonly Role[]).includes(who) && alarmPolicy[source][step].includes(who);
        expect(answer.statusCode, `${who} ${step} ${source}: ${answer.body}`).toBe(allowed ? 200 : 403);
      }
    }
  });

  it('> the acting user is the session user, whatever the body says', async () => {
    actions.length = 0;
    const answer = await server.inject({
      method: 'POST',
      url: '/api/alarms/spc-1/acknowledge',
      payload: { user: 'someone-else', note: 'seen' },
      headers: { authorization: `Bearer ${tokens.get('quality')}` },
    });
    expect(answer.statusCode).toBe(200);
    expect(actions).toEqual([{ alarmId: 'spc-1', who: 'quality' }]);
  });
});

describe('dashboard auth > sessions', () => {
  it('> login answers tokens and the user; a wrong password is 401; repeated failures are 429', async () => {
    const me = await server.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${tokens.get('quality')}` } });
    expect(me.json()).toMatchObject({ user: { username: 'quality', roles: ['quality'], kiosk: false } });
    for (let i = 0; i < 3; i += 1) expect((await server.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'viewer', password: 'wrong password' } })).statusCode).toBe(401);
    const locked = await server.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'viewer', password } });
    expect(locked.statusCode).toBe(429);
  });

  it('> refresh answers a new pair; an access token is no refresh token and vice versa', async () => {
    const ok = await server.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: refreshTokens.get('supervisor') } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ user: { username: 'supervisor' } });
    expect((await server.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: tokens.get('supervisor') } })).statusCode).toBe(401);
    expect((await server.inject({ method: 'GET', url: '/api/oee', headers: { authorization: `Bearer ${refreshTokens.get('supervisor')}` } })).statusCode).toBe(401);
  });

  it('> a kiosk token reads the wall and nothing else', async () => {
    const me = await server.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${tokens.get('kiosk')}` } });
    expect(me.json()).toMatchObject({ user: { username: 'kiosk:hall-1', roles: ['kiosk'], kiosk: true } });
    expect((await server.inject({ method: 'GET', url: '/api/alarms', headers: { authorization: `Bearer ${tokens.get('kiosk')}` } })).statusCode).toBe(403);
  });

  it('> a tampered token is refused', async () => {
    const token = tokens.get('viewer')!;
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${s}`;
    expect((await server.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${forged}` } })).statusCode).toBe(401);
  });

  it('> settings: the secret comes from a file or the variable, is long enough, and is random when unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'linepulse-secret-'));
    writeFileSync(join(dir, 'secret'), 'x'.repeat(40) + '\n');
    const fromFile = readAuthSettings({ LINEPULSE_JWT_SECRET_FILE: join(dir, 'secret'), LINEPULSE_JWT_SECRET: 'ignored' });
    expect(Buffer.from(fromFile.secret).toString()).toBe('x'.repeat(40));
    expect(fromFile.ephemeralSecret).toBe(false);
    expect(() => readAuthSettings({ LINEPULSE_JWT_SECRET: 'short' })).toThrow(/at least 32 bytes/);
    expect(() => readAuthSettings({ LINEPULSE_ADMIN_PASSWORD: 'short' })).toThrow(/at least 8/);
    expect(readAuthSettings({}).ephemeralSecret).toBe(true);
    expect(readAuthSettings({}).accessTtlSeconds).toBe(900);
    rmSync(dir, { recursive: true, force: true });
  });
});

function client(token: string | undefined): Socket {
  const socket = connect(server.url, { transports: ['websocket'], reconnection: false, auth: token ? { token, scope: '' } : { scope: '' } });
  sockets.push(socket);
  return socket;
}

describe('dashboard auth > Socket.IO', () => {
  it('> a handshake without a valid token is refused', async () => {
    for (const token of [undefined, 'not.a.token', refreshTokens.get('viewer')]) {
      const socket = client(token);
      const error = await new Promise<Error>((resolve) => socket.on('connect_error', resolve));
      expect(error.message).toMatch(/unauthorized/);
    }
  });

  it.each(roles)('> %s connects, gets the snapshot and may subscribe', async (role) => {
    const socket = client(tokens.get(role));
    const snapshots: unknown[] = [];
    socket.on('snapshot', (s: unknown) => snapshots.push(s));
    await waitFor(() => snapshots.length === 1, { what: 'snapshot' });
    expect(await socket.emitWithAck('subscribe', { scope: 'acme' })).toEqual({ ok: true });
  });

  it('> an event without a row is refused (with the ack answered)', async () => {
    const socket = client(tokens.get('admin'));
    await new Promise((resolve) => socket.on('connect', () => resolve(null)));
    expect(await socket.emitWithAck('dropTables', {})).toEqual({ ok: false, message: 'forbidden: dropTables' });
  });

  it('> auth renews the session with a token of the same user only', async () => {
    const socket = client(tokens.get('viewer'));
    await new Promise((resolve) => socket.on('connect', () => resolve(null)));
    expect(await socket.emitWithAck('auth', { token: tokens.get('viewer') })).toEqual({ ok: true });
    expect(await socket.emitWithAck('auth', { token: tokens.get('admin') })).toMatchObject({ ok: false });
  });
});

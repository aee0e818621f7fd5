// The drill-down trend, the current work orders of the wall and user administration, through fastify's inject over
// the real embedded stores (chDB, PGlite) with logins on: answers, 4xx answers, who may call them, and that an
// admin's changes reach the login.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/log.ts';
import { insertBatch } from '../../../sinks/clickhouse/insert.ts';
import { openClickHouse, type ClickHouseStore } from '../../../sinks/clickhouse/store.ts';
import { oeeWindowsTable } from '../../../sinks/clickhouse/tables.ts';
import { createLiveHub, type LiveHub } from '../../../sinks/live/hub.ts';
import { openPostgres, type Db } from '../../../sinks/postgres/db.ts';
import { writeDispatches } from '../../../sinks/postgres/genealogy/index.ts';
import { migratePostgres } from '../../../sinks/postgres/migrate.ts';
import { upsertUser } from '../../../sinks/postgres/users.ts';
import { createProductionQueries } from '../../../sinks/queries.ts';
import { oeeWindow, press, T0, welder } from '../../../sinks/testing/fixtures.ts';
import { authFromEnv } from '../auth/index.ts';
import { startDashboardServer, type DashboardServer } from '../server.ts';
import { trendBucketMs } from './lines.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-lines-users-'));
const hour = 3_600_000;
const adminPassword = 'admin-password-1';
let clickhouse: ClickHouseStore;
let postgres: Db;
let hub: LiveHub;
let server: DashboardServer;
const tokens: Record<string, string> = {};

/** An hour window of the press: `oee` = availability (performance and quality 1). */
const hourWindow = (h: number, availability: number) =>
  oeeWindow(1, {
    windowKind: 'HOUR', windowId: new Date(T0 + h * hour).toISOString(), windowStart: T0 + h * hour, windowEnd: T0 + (h + 1) * hour, eventTime: T0 + (h + 1) * hour,
    plannedProductionTimeMs: hour, runTimeMs: availability * hour, idealProductionTimeMs: availability * hour, totalCount: 100, goodCount: 100, rejectCount: 0,
    availability, performance: 1, quality: 1, oee: availability,
  });

async function login(username: string, password: string): Promise<{ status: number; token?: string }> {
  const r = await server.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  return { status: r.statusCode, ...(r.statusCode === 200 ? { token: (r.json() as { accessToken: string }).accessToken } : {}) };
}
async function call(method: 'GET' | 'POST', url: string, as: string, payload?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await server.inject({ method, url, headers: { authorization: `Bearer ${tokens[as]}` }, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  return { status: r.statusCode, body: r.json() };
}

beforeAll(async () => {
  clickhouse = await openClickHouse({ dataDir, database: 'lp_lines_users_test', logger: silentLogger(), retention: { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 } });
  await clickhouse.migrate();
  postgres = await openPostgres({ dataDir, logger: silentLogger() });
  await migratePostgres(postgres, silentLogger());
  await insertBatch(clickhouse, oeeWindowsTable as never, [hourWindow(0, 0.5), hourWindow(1, 0.75), hourWindow(3, 1)].map((e) => oeeWindowsTable.toRow(e)) as never);
  const dispatch = (eventId: string, equipment: string, workOrder: string | null, t: number) => ({ eventId, eventTime: t, equipment, workOrder, product: workOrder ? 'BRKT-200' : null, operation: workOrder ? '0010' : null, idealCycleTimeMs: 18_000, targetQuantity: 800 });
  await writeDispatches(postgres, [dispatch('d1', press, 'WO-1001', T0), dispatch('d2', press, 'WO-1002', T0 + 2 * hour), dispatch('d3', welder, 'WO-2001', T0)] as never);
  await upsertUser(postgres, { username: 'vera', password: 'viewer-password', roles: ['viewer'] });
  hub = createLiveHub({ logger: silentLogger() });
  const auth = await authFromEnv({ env: { LINEPULSE_JWT_SECRET: 'lines-users-secret-lines-users-secret-0123', LINEPULSE_ADMIN_PASSWORD: adminPassword }, db: postgres, logger: silentLogger() });
  server = await startDashboardServer({ port: 0, queries: { currentCountTotals: async () => [] }, live: hub, logger: silentLogger(), staticDir: dataDir, api: createProductionQueries({ clickhouse, postgres }), auth, rateLimit: false } as never);
  tokens.admin = (await login('admin', adminPassword)).token!;
  tokens.vera = (await login('vera', 'viewer-password')).token!;
}, 120_000);

afterAll(async () => {
  await server?.close();
  hub?.close();
  await postgres?.close();
  await clickhouse?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('dashboard API > OEE trend', () => {
  it('> one point per hour bucket from the closed hour windows; an hour without windows is a gap', async () => {
    const { status, body } = await call('GET', `/api/oee/trend?scope=${press}&from=${T0}&to=${T0 + 4 * hour}`, 'vera');
    expect(status).toBe(200);
    expect(body.bucketMs).toBe(hour);
    expect((body.points as Array<{ from: number; oee: number | null; windows: number }>).map((p) => [p.from - T0, p.oee, p.windows])).toEqual([
      [0, 0.5, 1],
      [hour, 0.75, 1],
      [2 * hour, null, 0],
      [3 * hour, 1, 1],
    ]);
  });

  it('> buckets grow with the range (at most 48); 400 past 31 days or a bad scope', async () => {
    expect(trendBucketMs(8 * hour)).toBe(hour);
    expect(trendBucketMs(7 * 24 * hour)).toBe(4 * hour);
    const week = await call('GET', `/api/oee/trend?from=${T0}&to=${T0 + 7 * 24 * hour}`, 'vera');
    expect((week.body.points as unknown[]).length).toBe(42);
    expect((await call('GET', `/api/oee/trend?from=${T0}&to=${T0 + 32 * 24 * hour}`, 'vera')).status).toBe(400);
    expect((await call('GET', `/api/oee/trend?scope=a%20b&from=${T0}&to=${T0 + hour}`, 'vera')).status).toBe(400);
  });
});

describe('dashboard API > current work orders', () => {
  it('> the latest dispatch per equipment, within the scope, or as of a time', async () => {
    const all = await call('GET', '/api/workorders/current', 'vera');
    expect((all.body.rows as Array<{ equipment: string; workOrder: string }>).map((r) => [r.equipment, r.workOrder])).toEqual([
      [press, 'WO-1002'],
      [welder, 'WO-2001'],
    ]);
    const scoped = await call('GET', `/api/workorders/current?scope=acme/plant1/stamping&at=${T0 + hour}`, 'vera');
    expect(scoped.body.rows).toMatchObject([{ equipment: press, workOrder: 'WO-1001', product: 'BRKT-200' }]);
  });
});

describe('dashboard API > user administration', () => {
  it('> only an admin lists or changes users', async () => {
    expect((await call('GET', '/api/users', 'vera')).status).toBe(403);
    expect((await call('POST', '/api/users', 'vera', { username: 'x1', password: 'password-x', roles: ['admin'] })).status).toBe(403);
    const list = await call('GET', '/api/users', 'admin');
    expect((list.body.users as Array<{ username: string }>).map((u) => u.username)).toEqual(['admin', 'vera']);
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|password/i);
  });

  it('> an admin creates a user who can log in with those roles; a taken name is 409; bad input 400', async () => {
    const created = await call('POST', '/api/users', 'admin', { username: 'quinn', password: 'quality-password', displayName: 'Quinn Q', roles: ['quality', 'viewer'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'quinn', displayName: 'Quinn Q', roles: ['quality', 'viewer'], disabled: false });
    const session = await server.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'quinn', password: 'quality-password' } });
    expect(session.json()).toMatchObject({ user: { username: 'quinn', roles: ['quality', 'viewer'] } });
    expect((await call('POST', '/api/users', 'admin', { username: 'quinn', password: 'other-password', roles: ['admin'] })).status).toBe(409);
    expect((await login('quinn', 'quality-password')).status).toBe(200);
    expect((await call('POST', '/api/users', 'admin', { username: 'Bad Name', password: 'password-x', roles: ['viewer'] })).status).toBe(400);
    expect((await call('POST', '/api/users', 'admin', { username: 'shorty', password: 'short', roles: ['viewer'] })).status).toBe(400);
    expect((await call('POST', '/api/users', 'admin', { username: 'norole', password: 'password-x', roles: [] })).status).toBe(400);
    expect((await call('POST', '/api/users', 'admin', { username: 'boss', password: 'password-x', roles: ['owner'] })).status).toBe(400);
  });

  it('> changing roles and disabling reach the next login; the last enabled admin stays', async () => {
    const changed = await call('POST', '/api/users/quinn/roles', 'admin', { roles: ['maintenance'] });
    expect(changed.body).toMatchObject({ username: 'quinn', roles: ['maintenance'] });
    const again = await server.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'quinn', password: 'quality-password' } });
    expect(again.json()).toMatchObject({ user: { roles: ['maintenance'] } });
    expect((await call('POST', '/api/users/quinn/disable', 'admin', {})).body).toMatchObject({ disabled: true });
    expect((await login('quinn', 'quality-password')).status).toBe(401);
    expect((await call('POST', '/api/users/quinn/disable', 'admin', { disabled: false })).body).toMatchObject({ disabled: false });
    expect((await login('quinn', 'quality-password')).status).toBe(200);
    expect((await call('POST', '/api/users/nobody/roles', 'admin', { roles: ['viewer'] })).status).toBe(404);
    expect((await call('POST', '/api/users/admin/disable', 'admin', {})).status).toBe(409);
    expect((await call('POST', '/api/users/admin/roles', 'admin', { roles: ['viewer'] })).status).toBe(409);
    // With a second admin, the first may step down.
    await call('POST', '/api/users/quinn/roles', 'admin', { roles: ['admin'] });
    expect((await call('POST', '/api/users/admin/roles', 'admin', { roles: ['admin', 'viewer'] })).status).toBe(200);
  });
});

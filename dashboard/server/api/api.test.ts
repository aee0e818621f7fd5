// The query API through fastify's inject, over the real embedded stores (chDB, PGlite) filled with fixture events:
// every route, its answer, and its 4xx answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/log.ts';
import { insertBatch } from '../../../sinks/clickhouse/insert.ts';
import { openClickHouse, type ClickHouseStore } from '../../../sinks/clickhouse/store.ts';
import {
  alertEventsTable,
  countIncrementsTable,
  oeeWindowsTable,
  spcAlarmsTable,
  spcPointsTable,
  stateEventsTable,
  telemetryTable,
  type ClickHouseTable,
} from '../../../sinks/clickhouse/tables.ts';
import { createLiveHub, type LiveHub } from '../../../sinks/live/hub.ts';
import { writeSpcAlarms } from '../../../sinks/postgres/alarms.ts';
import { openPostgres, type Db } from '../../../sinks/postgres/db.ts';
import { writeGenealogyLinks, writeWorkOrders } from '../../../sinks/postgres/genealogy/index.ts';
import { migratePostgres } from '../../../sinks/postgres/migrate.ts';
import { createProductionQueries } from '../../../sinks/queries.ts';
import { characteristic, countIncrement, equipmentState, oeeWindow, press, spcAlarm, spcPoint, T0, telemetry, welder } from '../../../sinks/testing/fixtures.ts';
import { startDashboardServer, type DashboardServer } from '../server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-api-'));
let clickhouse: ClickHouseStore;
let postgres: Db;
let hub: LiveHub;
let server: DashboardServer;
const hour = 3600_000;

const insert = <E,>(table: ClickHouseTable<E>, events: E[]) => insertBatch(clickhouse, table as ClickHouseTable<never>, events.map((e) => table.toRow(e)));

beforeAll(async () => {
  // The fixtures are from 2025: a retention that keeps them.
  clickhouse = await openClickHouse({ dataDir, database: 'lp_api_test', logger: silentLogger(), retention: { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 } });
  await clickhouse.migrate();
  postgres = await openPostgres({ dataDir, logger: silentLogger() });
  await migratePostgres(postgres, silentLogger());
  await insert(telemetryTable, Array.from({ length: 3 * 3600 }, (_, i) => telemetry(i, { eventId: `t-${i}`, value: i % 60 })));
  await insert(stateEventsTable, [
    equipmentState(0, 'EXECUTE'),
    equipmentState(100, 'STOPPED', { reasonCode: 'JAM' }),
    equipmentState(130, 'EXECUTE'),
    equipmentState(500, 'STOPPED', { reasonCode: 'JAM' }),
    equipmentState(520, 'EXECUTE'),
  ]);
  await insert(countIncrementsTable, [
    ...Array.from({ length: 200 }, (_, i) => countIncrement(i)),
    ...Array.from({ length: 5 }, (_, i) => countIncrement(300 + i, { good: 0, reject: 1, rejectReason: 'BURR' })),
    countIncrement(10, { equipment: welder, good: 40 }),
  ]);
  await insert(oeeWindowsTable, [oeeWindow(1), oeeWindow(2), oeeWindow(1, { equipment: welder })]);
  await insert(spcPointsTable, Array.from({ length: 50 }, (_, i) => spcPoint(i + 1, i === 24 ? { statistic: 13.4, rules: [1] } : {})));
  await insert(spcAlarmsTable, [spcAlarm(25, 1)]);
  await insert(alertEventsTable, []);
  await writeSpcAlarms(postgres, [spcAlarm(25, 1)]);
  await writeWorkOrders(postgres, [
    {
      eventId: 'wo:1',
      eventTime: T0 - hour,
      workOrder: 'WO-1001',
      product: 'BRKT-200',
      quantity: 800,
      unit: 'pcs',
      status: 'RELEASED',
      plannedStart: T0,
      plannedEnd: T0 + 8 * hour,
      operations: [{ operation: '0010', equipment: press, idealCycleTimeMs: 18_000, quantity: 800, plannedStart: T0, plannedEnd: T0 + 8 * hour }],
      erpMessageId: null,
      revision: 1,
      erpState: null,
    },
  ]);
  await writeGenealogyLinks(postgres, [
    {
      eventId: 'gen-1',
      eventTime: T0 + 1000,
      parentKind: 'SERIAL',
      parentId: 'SN-1',
      childKind: 'LOT',
      childId: 'LOT-7',
      relation: 'MADE_FROM',
      quantity: 1,
      unit: 'pcs',
      workOrder: 'WO-1001',
      equipment: press,
      sourceEventId: null,
      status: 'ACCEPTED',
      rejectReason: null,
    },
  ]);
  hub = createLiveHub({ logger: silentLogger() });
  server = await startDashboardServer({ port: 0, queries: { currentCountTotals: async () => [] }, live: hub, logger: silentLogger(), staticDir: dataDir, api: createProductionQueries({ clickhouse, postgres }) });
}, 180_000);

afterAll(async () => {
  await server?.close();
  hub?.close();
  await clickhouse?.close();
  await postgres?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await server.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
}
async function post(url: string, payload: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await server.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
  return { status: r.statusCode, body: r.json() };
}
const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
const shift = { from: T0, to: T0 + 8 * hour };

describe('query API', () => {
  it('> GET /api/oee drills down from the plant to areas with losses, by shift id or range; 400 on bad input', async () => {
    const plant = await get(`/api/oee?${q({ scope: 'acme/plant1', windowKind: 'SHIFT', ...shift })}`);
    expect(plant.status).toBe(200);
    expect(plant.body).toMatchObject({ scope: 'acme/plant1', groupBy: 'area', total: { windows: 2, totalCount: 2003 } });
    expect((plant.body.groups as Array<{ path: string }>).map((g) => g.path)).toEqual(['acme/plant1/stamping', 'acme/plant1/welding']);
    expect((plant.body.total as { losses: Record<string, number> }).losses.breakdown).toBe(7_200_000);
    const byId = await get(`/api/oee?${q({ scope: press, windowKind: 'SHIFT', windowId: '2025-03-03/A' })}`);
    expect(byId.body).toMatchObject({ total: { windows: 1, totalCount: 1002 } });
    expect((await get(`/api/oee?${q({ scope: 'acme/plant1' })}`)).status).toBe(400);
    expect((await get(`/api/oee?${q({ scope: 'acme/plant1', windowKind: 'WEEK', ...shift })}`)).status).toBe(400);
    expect((await get(`/api/oee?${q({ scope: 'a b', ...shift })}`)).body).toMatchObject({ error: 'Bad Request', message: "scope 'a b' is not an ISA-95 path" });
    expect((await get(`/api/oee?${q({ scope: press, groupBy: 'area', ...shift })}`)).status).toBe(400);
    expect((await get(`/api/oee?${q({ from: 10, to: 5 })}`)).body.message).toBe('`to` must be after `from`');
  });

  it('> GET /api/states pages the state timeline', async () => {
    const all = await get(`/api/states?${q({ scope: press, from: T0, to: T0 + hour })}`);
    expect(all.body).toMatchObject({ total: 5, limit: 100, offset: 0 });
    const page = await get(`/api/states?${q({ scope: press, from: T0, to: T0 + hour, limit: 2, offset: 1 })}`);
    expect((page.body.intervals as Array<{ state: string; durationMs: number }>).map((i) => [i.state, i.durationMs])).toEqual([
      ['STOPPED', 30_000],
      ['EXECUTE', 370_000],
    ]);
    expect((await get(`/api/states?${q({ scope: press, from: T0 })}`)).status).toBe(400);
    expect((await get(`/api/states?${q({ scope: press, from: T0, to: T0 + 500 * 86_400_000 })}`)).body.message).toMatch(/at most 400 days/);
    expect((await get(`/api/states?${q({ from: T0, to: T0 + hour, limit: 0 })}`)).status).toBe(400);
  });

  it('> GET /api/counts/plan compares pieces with the work-order plan, else the ideal rate', async () => {
    const r = await get(`/api/counts/plan?${q({ scope: 'acme/plant1', from: T0, to: T0 + 4 * hour })}`);
    expect(r.body.rows).toEqual([
      { equipment: press, good: 200, reject: 5, plan: 400, planSource: 'workOrders', workOrders: ['WO-1001'], idealRatePlan: 1500, attainment: 0.5 },
      { equipment: welder, good: 40, reject: 0, plan: 1500, planSource: 'idealRate', workOrders: [], idealRatePlan: 1500, attainment: 40 / 1500 },
    ]);
  });

  it('> GET /api/microstops and /api/quality', async () => {
    const m = await get(`/api/microstops?${q({ scope: press, from: T0, to: T0 + hour })}`);
    expect(m.body).toMatchObject({ count: 2, totalMs: 50_000, pareto: [{ reason: 'JAM', count: 2, totalMs: 50_000, share: 1, cumulativeShare: 1 }] });
    expect((await get(`/api/microstops?${q({ scope: press, from: T0, to: T0 + 40 * 86_400_000 })}`)).status).toBe(400);
    expect((await get(`/api/microstops?${q({ scope: press, from: T0, to: T0 + hour, thresholdMs: 10 })}`)).status).toBe(400);
    const quality = await get(`/api/quality?${q({ scope: 'acme', from: T0, to: T0 + hour })}`);
    expect(quality.body).toMatchObject({ good: 240, reject: 5, reasons: [{ reason: 'BURR', reject: 5, share: 1 }] });
  });

  it('> GET /api/reliability answers per equipment (empty without downtime alerts); 400 on a bad window', async () => {
    expect((await get(`/api/reliability?${q({ scope: 'acme', from: T0, to: T0 + hour })}`)).body).toEqual({ rows: [] });
    expect((await get(`/api/reliability?${q({ scope: 'acme', from: T0, to: T0 + hour, window: 'WEEK' })}`)).status).toBe(400);
  });

  it('> GET /api/spc/chart returns points, limits, zones and hits; 404 for an unknown characteristic', async () => {
    const chart = await get(`/api/spc/chart?${q({ characteristic, from: T0, to: T0 + 100 * 60_000, maxPoints: 10 })}`);
    expect(chart.status).toBe(200);
    expect(chart.body).toMatchObject({ totalPoints: 50, downsampled: true, hits: [{ index: 25, rule: 1 }] });
    expect((chart.body.points as Array<{ index: number; zone: string }>).find((p) => p.index === 25)).toMatchObject({ zone: 'OUT' });
    expect((await get(`/api/spc/chart?${q({ characteristic: 'nope', from: T0, to: T0 + hour })}`)).status).toBe(404);
    expect((await get(`/api/spc/chart?${q({ from: T0, to: T0 + hour })}`)).status).toBe(400);
  });

  it('> GET /api/telemetry picks the resolution by range; 400 for a non-equipment path', async () => {
    const raw = await get(`/api/telemetry?${q({ equipment: press, tag: 'temperature', from: T0, to: T0 + 60_000 })}`);
    expect(raw.body).toMatchObject({ resolution: 'raw', truncated: false });
    expect((raw.body.points as unknown[]).length).toBe(60);
    const day = await get(`/api/telemetry?${q({ equipment: press, tag: 'temperature', from: T0, to: T0 + 86_400_000 })}`);
    expect(day.body).toMatchObject({ resolution: 'minute' });
    expect((day.body.points as Array<{ samples: number; avg: number }>)[0]).toMatchObject({ samples: 60, avg: 29.5, min: 0, max: 59 });
    const month = await get(`/api/telemetry?${q({ equipment: press, tag: 'temperature', from: T0, to: T0 + 30 * 86_400_000 })}`);
    expect(month.body).toMatchObject({ resolution: 'hour' });
    expect((month.body.points as unknown[]).length).toBe(3);
    const cut = await get(`/api/telemetry?${q({ equipment: press, tag: 'temperature', from: T0, to: T0 + hour, resolution: 'raw', limit: 10 })}`);
    expect(cut.body).toMatchObject({ truncated: true });
    expect((await get(`/api/telemetry?${q({ equipment: 'acme/plant1', tag: 'temperature', from: T0, to: T0 + hour })}`)).status).toBe(400);
    expect((await get(`/api/telemetry?${q({ equipment: press, from: T0, to: T0 + hour })}`)).status).toBe(400);
  });

  it('> GET /api/genealogy/trace walks the genealogy links', async () => {
    const t = await get(`/api/genealogy/trace?${q({ id: 'SN-1', kind: 'SERIAL' })}`);
    expect(t.body).toMatchObject({ direction: 'backward', links: [{ parentId: 'SN-1', childId: 'LOT-7', depth: 1 }] });
    const f = await get(`/api/genealogy/trace?${q({ id: 'LOT-7', direction: 'forward' })}`);
    expect(f.body).toMatchObject({ direction: 'forward', links: [{ parentId: 'SN-1' }] });
    expect((await get(`/api/genealogy/trace?${q({ id: 'SN-1', kind: 'PALLET' })}`)).status).toBe(400);
  });

  it('> alarms: list, acknowledge, assign cause, comment, close, with 400/404/409', async () => {
    const id = spcAlarm(25, 1).eventId;
    const list = await get(`/api/alarms?${q({ status: 'raised', source: 'SPC' })}`);
    expect(list.body).toMatchObject({ total: 1, alarms: [{ alarmId: id, status: 'RAISED', source: 'SPC' }] });
    expect((await get(`/api/alarms?${q({ status: 'DONE' })}`)).body.message).toMatch(/status 'DONE' is not one of/);
    const url = `/api/alarms/${encodeURIComponent(id)}`;
    expect((await post(`${url}/acknowledge`, {})).status).toBe(400);
    expect((await post(`${url}/acknowledge`, { user: '  ' })).status).toBe(400);
    expect((await post(`${url}/close`, { user: 'qe.anna' })).status).toBe(409);
    expect((await post(`/api/alarms/nope/acknowledge`, { user: 'qe.anna' })).status).toBe(404);
    expect((await post(`${url}/acknowledge`, { user: 'qe.anna', note: 'on it' })).body).toMatchObject({ alarm: { status: 'ACKNOWLEDGED', acknowledged: { who: 'qe.anna' } } });
    expect((await post(`${url}/cause`, { user: 'qe.anna', assignableCause: 'worn tool' })).status).toBe(400);
    expect((await post(`${url}/cause`, { user: 'qe.anna', assignableCause: 'worn tool', correctiveAction: 'replace T12' })).status).toBe(200);
    expect((await post(`${url}/comment`, { user: 'qe.ben', text: 'done' })).status).toBe(200);
    const closed = await post(`${url}/close`, { user: 'qe.ben' });
    expect(closed.body).toMatchObject({ alarm: { status: 'CLOSED', closed: { who: 'qe.ben' } } });
    expect((closed.body.audit as Array<{ action: string }>).map((a) => a.action)).toEqual(['RAISE', 'ACKNOWLEDGE', 'ASSIGN_CAUSE', 'COMMENT', 'CLOSE']);
    expect((await get(url)).body).toMatchObject({ alarm: { status: 'CLOSED' } });
    expect((await get('/api/alarms/nope')).status).toBe(404);
  });

  it('> serves every route in the OpenAPI document', async () => {
    const doc = (await get('/api/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/alarms',
      '/api/alarms/{alarmId}',
      '/api/alarms/{alarmId}/acknowledge',
      '/api/alarms/{alarmId}/cause',
      '/api/alarms/{alarmId}/close',
      '/api/alarms/{alarmId}/comment',
      '/api/counts',
      '/api/counts/plan',
      '/api/genealogy/trace',
      '/api/health',
      '/api/microstops',
      '/api/oee',
      '/api/oee/trend',
      '/api/quality',
      '/api/reliability',
      '/api/spc/alarms/{alarmId}/containment',
      '/api/spc/alarms/{alarmId}/ncr',
      '/api/spc/capability',
      '/api/spc/capability/latest',
      '/api/spc/chart',
      '/api/spc/limits-audit',
      '/api/spc/ncrs',
      '/api/states',
      '/api/telemetry',
      '/api/users',
      '/api/users/{username}/disable',
      '/api/users/{username}/roles',
      '/api/workorders/current',
    ]);
  });
});

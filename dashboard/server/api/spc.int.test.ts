// The SPC quality routes (./spc.ts) through fastify's inject with logins on, over chDB and the real PostgreSQL server
// of the test stack: containment, NCR drafts (who comes from the session), capability history, the limits trail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/log.ts';
import { insertBatch } from '../../../sinks/clickhouse/insert.ts';
import { openClickHouse, type ClickHouseStore } from '../../../sinks/clickhouse/store.ts';
import { spcCapabilityTable, spcPointsTable, type ClickHouseTable } from '../../../sinks/clickhouse/tables.ts';
import { createLiveHub, type LiveHub } from '../../../sinks/live/hub.ts';
import { toLiveUpdate } from '../../../sinks/live/updates.ts';
import { writeAlertCases, writeSpcAlarms } from '../../../sinks/postgres/alarms.ts';
import { openPostgres, type Db } from '../../../sinks/postgres/db.ts';
import { writeGenealogyLinks } from '../../../sinks/postgres/genealogy/index.ts';
import { migratePostgres } from '../../../sinks/postgres/migrate.ts';
import { writeSpcLimitsAudit } from '../../../sinks/postgres/spc-audit.ts';
import { createProductionQueries } from '../../../sinks/queries.ts';
import { alert, characteristic, press, spcAlarm, spcCapability, spcLimitsAudit, spcPoint, T0, welder } from '../../../sinks/testing/fixtures.ts';
import { requireService, uniqueName } from '../../../test/services.ts';
import { memoryUsers } from '../auth/index.ts';
import type { Role } from '../auth/policy.ts';
import { startDashboardServer, type DashboardServer } from '../server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-spc-api-'));
const schema = uniqueName('lp_spcapi');
const secret = new Uint8Array(Buffer.from('test-secret-of-at-least-32-bytes-for-hs256'));
const password = 'correct horse battery';
const roles: Array<Exclude<Role, 'kiosk'>> = ['viewer', 'supervisor', 'quality', 'maintenance', 'admin'];
let clickhouse: ClickHouseStore;
let admin: Db;
let postgres: Db;
let hub: LiveHub;
let server: DashboardServer;
const tokens = new Map<Role, string>();

const alarm = spcAlarm(12, 6, { pointIndexes: [8, 9, 10, 11, 12], serials: ['SN-8', 'SN-12'], lots: ['LOT-7'] });
const insert = <E,>(table: ClickHouseTable<E>, events: E[]) => insertBatch(clickhouse, table as ClickHouseTable<never>, events.map((e) => table.toRow(e)));

beforeAll(async () => {
  clickhouse = await openClickHouse({ dataDir, database: 'lp_spc_api_test', logger: silentLogger(), retention: { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 } });
  await clickhouse.migrate();
  await insert(spcPointsTable, Array.from({ length: 15 }, (_, i) => spcPoint(i + 1)));
  await insert(spcCapabilityTable, [spcCapability(1), spcCapability(2), spcCapability(3), spcCapability(2, { eventId: 'weld-cap', equipment: welder, characteristic: `${welder}/seam` })]);

  const url = requireService('postgres');
  admin = await openPostgres({ url, dataDir: '.', logger: silentLogger(), maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  postgres = await openPostgres({ url: scoped.toString(), dataDir: '.', logger: silentLogger() });
  await migratePostgres(postgres, silentLogger());
  await writeSpcAlarms(postgres, [alarm]);
  await writeAlertCases(postgres, [alert('RAISED')]);
  await writeSpcLimitsAudit(postgres, [spcLimitsAudit(1), spcLimitsAudit(2)]);
  await writeGenealogyLinks(postgres, [
    { eventId: 'g1', eventTime: T0, parentKind: 'SERIAL', parentId: 'ASM-10', childKind: 'SERIAL', childId: 'SN-10', relation: 'CONSUMED_INTO', quantity: 1, unit: 'pcs', workOrder: 'WO-1001', equipment: press, sourceEventId: null, status: 'ACCEPTED', rejectReason: null },
  ]);

  hub = createLiveHub({ logger: silentLogger() });
  const users = await memoryUsers(roles.map((role) => ({ username: role, password, roles: [role] })));
  server = await startDashboardServer({
    port: 0,
    queries: { currentCountTotals: async () => [] },
    live: hub,
    logger: silentLogger(),
    staticDir: dataDir,
    api: createProductionQueries({ clickhouse, postgres }),
    auth: { users, secret },
  });
  for (const role of roles) {
    const answer = await server.inject({ method: 'POST', url: '/api/auth/login', payload: { username: role, password } });
    tokens.set(role, (answer.json() as { accessToken: string }).accessToken);
  }
}, 180_000);

afterAll(async () => {
  await server?.close();
  hub?.close();
  await postgres?.close();
  await admin?.exec(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  await admin?.close();
  await clickhouse?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// Answers are read field by field in the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes
type Answer = Record<string, any>;

async function call(role: Role, method: 'GET' | 'POST', url: string, payload?: object): Promise<{ status: number; body: Answer }> {
  const r = await server.inject({ method, url, headers: { authorization: `Bearer ${tokens.get(role)}` }, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.json() };
}
const enc = encodeURIComponent;

describe('SPC API > containment of an alarm', () => {
  it('answers the direct serials / lots from the first point of the pattern on and the expanded set with paths', async () => {
    const r = await call('supervisor', 'GET', `/api/spc/alarms/${enc(alarm.eventId)}/containment`);
    expect(r.status).toBe(200);
    expect(r.body.direct).toMatchObject({ fromIndex: 8, signalIndex: 12, throughIndex: 15, points: 8, complete: true, lots: ['LOT-7'], workOrders: ['WO-1001'] });
    expect(r.body.direct.serials).toEqual(['SN-8', 'SN-9', 'SN-10', 'SN-11', 'SN-12', 'SN-13', 'SN-14', 'SN-15']);
    expect(r.body.expanded.materials).toEqual([
      { kind: 'SERIAL', id: 'ASM-10', depth: 1, via: 'SN-10', path: [{ kind: 'SERIAL', id: 'SN-10', relation: null }, { kind: 'SERIAL', id: 'ASM-10', relation: 'CONSUMED_INTO' }] },
    ]);
    expect(r.body.limits).toEqual({ maxPoints: 10_000, maxDepth: 100, maxRows: 10_000 });
    const through = await call('quality', 'GET', `/api/spc/alarms/${enc(alarm.eventId)}/containment?throughIndex=12&maxDepth=3&maxRows=50`);
    expect(through.body.direct).toMatchObject({ throughIndex: 12, points: 5 });
    expect(through.body.limits).toEqual({ maxPoints: 10_000, maxDepth: 3, maxRows: 50 });
  });

  it('answers 404 for an unknown alarm, 409 for a downtime alert, 400 for bounds outside the trace limits; refuses viewers', async () => {
    expect((await call('admin', 'GET', '/api/spc/alarms/nope/containment')).status).toBe(404);
    expect((await call('admin', 'GET', '/api/spc/alarms/alert-1/containment')).status).toBe(409);
    expect((await call('admin', 'GET', `/api/spc/alarms/${enc(alarm.eventId)}/containment?maxDepth=101`)).status).toBe(400);
    expect((await call('admin', 'GET', `/api/spc/alarms/${enc(alarm.eventId)}/containment?throughIndex=11`)).status).toBe(400);
    expect((await call('viewer', 'GET', `/api/spc/alarms/${enc(alarm.eventId)}/containment`)).status).toBe(403);
    expect((await call('maintenance', 'GET', `/api/spc/alarms/${enc(alarm.eventId)}/containment`)).status).toBe(403);
  });
});

describe('SPC API > NCR drafts', () => {
  it('creates one draft per alarm (201, then 200 with the same draft); the session names who drafted it; the audit trail shows it', async () => {
    expect((await call('supervisor', 'POST', `/api/spc/alarms/${enc(alarm.eventId)}/ncr`, { user: 'supervisor' })).status).toBe(403);
    const first = await call('quality', 'POST', `/api/spc/alarms/${enc(alarm.eventId)}/ncr`, { user: 'someone-else' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ created: true, ncr: { alarmId: alarm.eventId, createdBy: 'quality', status: 'DRAFT', characteristic } });
    expect(first.body.ncr.detail).toMatchObject({ rule: { number: 6 }, points: { indexes: [8, 9, 10, 11, 12] }, serials: ['SN-8', 'SN-12'], containment: { fromIndex: 8, throughIndex: 15 } });
    expect(first.body.ncr.detail.containment.downstream).toEqual([{ kind: 'SERIAL', id: 'ASM-10', depth: 1, via: 'SN-10' }]);
    const again = await call('admin', 'POST', `/api/spc/alarms/${enc(alarm.eventId)}/ncr`, { user: 'admin' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ created: false, ncr: first.body.ncr });
    const trail = await call('quality', 'GET', `/api/alarms/${enc(alarm.eventId)}`);
    expect(trail.body.audit.map((a: { action: string; who: string }) => `${a.action} ${a.who}`)).toEqual(['RAISE linepulse', 'NCR_DRAFT quality']);
    expect(trail.body.audit[1].payload.ncrId).toBe(first.body.ncr.ncrId);

    const list = await call('supervisor', 'GET', `/api/spc/ncrs?scope=${enc('acme/plant1/stamping')}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, limit: 100, offset: 0, ncrs: [{ ncrId: first.body.ncr.ncrId }] });
    expect((await call('quality', 'GET', `/api/spc/ncrs?scope=${enc('acme/plant1/welding')}`)).body.total).toBe(0);
    expect((await call('viewer', 'GET', '/api/spc/ncrs')).status).toBe(403);
  });

  it('answers 404 for an unknown alarm and 409 for a downtime alert', async () => {
    expect((await call('quality', 'POST', '/api/spc/alarms/nope/ncr', { user: 'x' })).status).toBe(404);
    expect((await call('quality', 'POST', '/api/spc/alarms/alert-1/ncr', { user: 'x' })).status).toBe(409);
  });
});

describe('SPC API > capability and the limits trail', () => {
  it('answers the capability history of a characteristic in the shape the live update carries', async () => {
    const r = await call('viewer', 'GET', `/api/spc/capability?characteristic=${enc(characteristic)}&from=${T0}&to=${T0 + 86_400_000}`);
    expect(r.status).toBe(200);
    expect(r.body.records.map((c: { index: number }) => c.index)).toEqual([1, 2, 3]);
    expect(r.body.records[2]).toEqual(toLiveUpdate('spcCapability', spcCapability(3))?.payload);
    expect((await call('viewer', 'GET', `/api/spc/capability?characteristic=${enc(characteristic)}&from=${T0}&to=${T0}`)).status).toBe(400);
    expect((await call('viewer', 'GET', `/api/spc/capability?from=${T0}&to=${T0 + 1}`)).status).toBe(400);
  });

  it('answers the latest capability per characteristic in a scope', async () => {
    const all = await call('viewer', 'GET', '/api/spc/capability/latest');
    expect(all.body.records.map((c: { characteristic: string; index: number }) => `${c.characteristic.split('/').at(-1)} ${c.index}`)).toEqual(['bore-diameter 3', 'seam 2']);
    const stamping = await call('viewer', 'GET', `/api/spc/capability/latest?scope=${enc('acme/plant1/stamping')}`);
    expect(stamping.body.records).toHaveLength(1);
    expect((await call('viewer', 'GET', '/api/spc/capability/latest?scope=not%20a%20path!')).status).toBe(400);
  });

  it('answers the control-limit changes of a characteristic, oldest first, paged', async () => {
    const r = await call('viewer', 'GET', `/api/spc/limits-audit?characteristic=${enc(characteristic)}`);
    expect(r.status).toBe(200);
    expect(r.body.records.map((a: { toVersion: number; action: string }) => `${a.action} v${a.toVersion}`)).toEqual(['ESTABLISHED v1', 'FIXED v2']);
    expect((await call('viewer', 'GET', `/api/spc/limits-audit?characteristic=${enc(characteristic)}&limit=1&offset=1`)).body.records).toHaveLength(1);
    expect((await call('viewer', 'GET', `/api/spc/limits-audit?equipment=${enc(welder)}`)).body.records).toEqual([]);
  });

  it('describes every route in the OpenAPI document', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/api/spc/alarms/{alarmId}/containment', 'get'],
      ['/api/spc/alarms/{alarmId}/ncr', 'post'],
      ['/api/spc/ncrs', 'get'],
      ['/api/spc/capability', 'get'],
      ['/api/spc/capability/latest', 'get'],
      ['/api/spc/limits-audit', 'get'],
    ] as const)
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});

// SPC containment and NCR drafts across both stores: chDB (the plotted points) and the real PostgreSQL server of the
// test stack (alarm cases, genealogy links, NCR drafts), in a fresh schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/log.ts';
import type { GenealogyLink, MaterialKind } from '../schemas/generated/types.ts';
import { requireService, uniqueName } from '../test/services.ts';
import { insertBatch } from './clickhouse/insert.ts';
import { openClickHouse, type ClickHouseStore } from './clickhouse/store.ts';
import { spcPointsTable } from './clickhouse/tables.ts';
import { getAlarm, writeAlertCases, writeSpcAlarms } from './postgres/alarms.ts';
import { openPostgres, type Db } from './postgres/db.ts';
import { writeGenealogyLinks } from './postgres/genealogy/index.ts';
import { migratePostgres } from './postgres/migrate.ts';
import { createSpcQualityQueries, type SpcQualityQueries } from './spc-quality.ts';
import { alert, characteristic, press, spcAlarm, spcPoint, T0 } from './testing/fixtures.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-spc-quality-'));
const schema = uniqueName('lp_spcq');
let clickhouse: ClickHouseStore;
let admin: Db;
let postgres: Db;
let spc: SpcQualityQueries;

// A rule-2 run on points 22..30; lots change at point 21; point 35 was never stored.
const alarm = spcAlarm(30, 2, { pointIndexes: [22, 23, 24, 25, 26, 27, 28, 29, 30], serials: ['SN-22', 'SN-30'], lots: ['LOT-B'] });
const lotOf = (i: number) => (i <= 20 ? 'LOT-A' : 'LOT-B');

let n = 0;
function link(parent: [MaterialKind, string], child: [MaterialKind, string], relation: GenealogyLink['relation']): GenealogyLink {
  n += 1;
  return { eventId: `gen:spcq:${n}`, eventTime: T0 + n * 1000, parentKind: parent[0], parentId: parent[1], childKind: child[0], childId: child[1], relation, quantity: 1, unit: 'pcs', workOrder: 'WO-1001', equipment: press, sourceEventId: null, status: 'ACCEPTED', rejectReason: null };
}

beforeAll(async () => {
  clickhouse = await openClickHouse({ dataDir, database: 'lp_spcq_test', logger: silentLogger(), retention: { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 } });
  await clickhouse.migrate();
  const points = Array.from({ length: 40 }, (_, i) => i + 1)
    .filter((i) => i !== 35)
    .map((i) => spcPoint(i, { serials: [`SN-${i}`], lots: [lotOf(i)], workOrder: i >= 38 ? 'WO-1002' : 'WO-1001' }));
  const rows = [...points, spcPoint(30, { serials: ['SN-30'], lots: ['LOT-B'] }), spcPoint(25, { eventId: 'other', characteristic: `${characteristic}-2`, serials: ['OTHER'] })].map((p) => spcPointsTable.toRow(p));
  await insertBatch(clickhouse, spcPointsTable as never, rows);

  const url = requireService('postgres');
  admin = await openPostgres({ url, dataDir: '.', logger: silentLogger(), maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  postgres = await openPostgres({ url: scoped.toString(), dataDir: '.', logger: silentLogger() });
  await migratePostgres(postgres, silentLogger());
  await writeSpcAlarms(postgres, [alarm]);
  await writeAlertCases(postgres, [alert('RAISED')]);
  await writeGenealogyLinks(postgres, [
    link(['SERIAL', 'ASM-1'], ['SERIAL', 'SN-25'], 'CONSUMED_INTO'),
    link(['CONTAINER', 'BOX-1'], ['SERIAL', 'ASM-1'], 'CONTAINED_IN'),
    link(['SERIAL', 'OTHER-9'], ['LOT', 'LOT-B'], 'CONSUMED_INTO'),
    link(['SERIAL', 'ASM-33'], ['SERIAL', 'SN-33'], 'CONSUMED_INTO'),
    // Made before the pattern: not suspect.
    link(['SERIAL', 'ASM-0'], ['SERIAL', 'SN-3'], 'CONSUMED_INTO'),
    link(['SERIAL', 'ASM-0'], ['LOT', 'LOT-A'], 'CONSUMED_INTO'),
  ]);
  spc = createSpcQualityQueries({ clickhouse, postgres }, () => T0 + 86_400_000);
}, 180_000);

afterAll(async () => {
  await postgres?.close();
  await admin?.exec(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  await admin?.close();
  await clickhouse?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const range = (from: number, to: number, skip: number[] = []) => Array.from({ length: to - from + 1 }, (_, i) => `SN-${from + i}`).filter((s) => !skip.includes(Number(s.slice(3))));

describe('SPC containment > chart points (chDB) joined with genealogy (PostgreSQL)', () => {
  it('lists what was plotted from the first point of the pattern on, and what it went into, with the path of each', async () => {
    const c = await spc.spcContainment(alarm.eventId);
    expect(c?.direct).toMatchObject({ fromIndex: 22, signalIndex: 30, throughIndex: 40, points: 18, missingIndexes: [35], missingCount: 1, complete: false, pointsTruncated: false });
    expect(c?.direct.serials).toEqual(range(22, 40, [35]));
    expect(c?.direct.lots).toEqual(['LOT-B']);
    expect(c?.direct.workOrders).toEqual(['WO-1001', 'WO-1002']);
    expect(c?.direct.fromTime).toBe(T0 + 22 * 60_000);
    expect(c?.expanded.materials.map((m) => [m.kind, m.id, m.depth, m.via])).toEqual([
      ['SERIAL', 'ASM-1', 1, 'SN-25'],
      ['SERIAL', 'ASM-33', 1, 'SN-33'],
      ['SERIAL', 'OTHER-9', 1, 'LOT-B'],
      ['CONTAINER', 'BOX-1', 2, 'SN-25'],
    ]);
    expect(c?.expanded.materials.find((m) => m.id === 'BOX-1')?.path).toEqual([
      { kind: 'SERIAL', id: 'SN-25', relation: null },
      { kind: 'SERIAL', id: 'ASM-1', relation: 'CONSUMED_INTO' },
      { kind: 'CONTAINER', id: 'BOX-1', relation: 'CONTAINED_IN' },
    ]);
    expect(c?.expanded).toMatchObject({ untraced: [], truncated: false, rows: 4 });
    expect(c?.alarm).toMatchObject({ alarmId: alarm.eventId, characteristic, rule: 2, status: 'RAISED' });
  });

  it('stops at throughIndex; maxPoints cuts the read and says so', async () => {
    const through = await spc.spcContainment(alarm.eventId, { throughIndex: 30 });
    expect(through?.direct).toMatchObject({ throughIndex: 30, points: 9, complete: true });
    expect(through?.direct.serials).toEqual(range(22, 30));
    expect(through?.expanded.materials.map((m) => m.id)).toEqual(['ASM-1', 'OTHER-9', 'BOX-1']);
    const cut = await spc.spcContainment(alarm.eventId, { maxPoints: 10 });
    expect(cut?.direct).toMatchObject({ throughIndex: 31, points: 10, pointsTruncated: true, complete: true });
    expect(cut?.direct.serials).toEqual(range(22, 31));
    await expect(spc.spcContainment(alarm.eventId, { throughIndex: 29 })).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('bounds the genealogy walk: maxDepth per trace, maxRows over all traces; truncated says the list may be incomplete', async () => {
    const shallow = await spc.spcContainment(alarm.eventId, { maxDepth: 1 });
    expect(shallow?.expanded.materials.map((m) => m.id)).toEqual(['ASM-1', 'ASM-33', 'OTHER-9']);
    expect(shallow?.expanded.truncated).toBe(true);
    const budget = await spc.spcContainment(alarm.eventId, { maxRows: 1 });
    expect(budget?.expanded.rows).toBeLessThanOrEqual(1);
    expect(budget?.expanded.truncated).toBe(true);
    // Suspects are traced a chunk per query: once the budget cuts a chunk, those it did not reach are untraced.
    expect(budget?.expanded.untraced.length).toBeGreaterThan(0);
    // Nothing silently missing: every suspect with material downstream is reached, or listed untraced.
    const full = await spc.spcContainment(alarm.eventId);
    const reached = new Set(budget!.expanded.materials.map((m) => m.via));
    const withDownstream = [...new Set(full!.expanded.materials.map((m) => m.via))];
    expect(withDownstream.length).toBeGreaterThan(0);
    expect(withDownstream.filter((id) => !reached.has(id) && !budget!.expanded.untraced.includes(id))).toEqual([]);
  });

  it('is for SPC alarms: null for an unknown alarm, a conflict for a downtime alert', async () => {
    expect(await spc.spcContainment('nope')).toBeNull();
    await expect(spc.spcContainment('alert-1')).rejects.toMatchObject({ reason: 'conflict' });
  });
});

describe('SPC NCR drafts > prefilled from the alarm and its containment, one per alarm', () => {
  it('creates the draft once, with the audit step; the second call answers it', async () => {
    const first = await spc.createNcrDraft(alarm.eventId, 'qe.anna');
    expect(first.created).toBe(true);
    expect(first.ncr).toMatchObject({ alarmId: alarm.eventId, characteristic, equipment: press, createdBy: 'qe.anna', createdAt: T0 + 86_400_000, status: 'DRAFT' });
    expect(first.ncr.title).toContain('bore-diameter');
    const d = first.ncr.detail;
    expect(d).toMatchObject({ rule: { number: 2, ruleSet: 'NELSON', direction: 'UP' }, points: { indexes: alarm.pointIndexes, values: alarm.values }, workOrder: 'WO-1001', serials: ['SN-22', 'SN-30'], lots: ['LOT-B'] });
    expect(d.limits).toEqual(alarm.limits);
    expect(d.containment).toMatchObject({ fromIndex: 22, throughIndex: 40, complete: false, lots: ['LOT-B'], workOrders: ['WO-1001', 'WO-1002'], truncated: false });
    expect(d.containment.serials).toEqual(range(22, 40, [35]));
    expect(d.containment.downstream.map((m) => m.id)).toEqual(['ASM-1', 'ASM-33', 'OTHER-9', 'BOX-1']);
    const second = await spc.createNcrDraft(alarm.eventId, 'qe.ben');
    expect(second).toEqual({ created: false, ncr: first.ncr });
    expect((await getAlarm(postgres, alarm.eventId))?.audit.map((a) => a.action)).toEqual(['RAISE', 'NCR_DRAFT']);
    expect((await spc.listNcrs({})).ncrs.map((x) => x.ncrId)).toEqual([first.ncr.ncrId]);
    await expect(spc.createNcrDraft('alert-1', 'qe')).rejects.toMatchObject({ reason: 'conflict' });
    await expect(spc.createNcrDraft('nope', 'qe')).rejects.toMatchObject({ reason: 'not-found' });
  });
});

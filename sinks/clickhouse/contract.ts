// One contract suite for every ClickHouse connection (embedded chDB, ClickHouse server over HTTP): the same
// DDL, inserts and queries must give the same answers on both. Each test gets its own database.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/services.ts';
import {
  alert,
  characteristic,
  countIncrement,
  countTotal,
  equipmentState,
  oeeWindow,
  press,
  reliabilityWindow,
  spcAlarm,
  spcCapability,
  spcPoint,
  T0,
  telemetry,
  welder,
} from '../testing/fixtures.ts';
import { createHistoryQueries } from './history.ts';
import { insertBatch } from './insert.ts';
import { createClickHouseQueries } from './queries.ts';
import type { ClickHouseRetention } from './retention.ts';
import type { ClickHouseStore } from './store.ts';
import {
  alertEventsTable,
  countIncrementsTable,
  countTotalsTable,
  oeeWindowsTable,
  reliabilityTable,
  spcAlarmsTable,
  spcCapabilityTable,
  spcPointsTable,
  stateEventsTable,
  telemetryTable,
  type ClickHouseTable,
} from './tables.ts';

export type OpenStore = (database: string, options?: { retention?: ClickHouseRetention }) => Promise<ClickHouseStore>;

export function clickhouseContract(connection: string, open: OpenStore): void {
  describe(`ClickHouse store contract > ${connection}`, () => {
    const opened: ClickHouseStore[] = [];
    afterEach(async () => {
      for (const store of opened.splice(0)) {
        await store.command(`DROP DATABASE IF EXISTS ${store.database}`).catch(() => undefined);
        await store.close();
      }
    });

    // The fixtures' events are from 2025: every test but the retention one keeps them (20,000 days: TTLs are DateTime, which ends in 2106).
    const keepAll: ClickHouseRetention = { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 };
    async function fresh(options: { retention?: ClickHouseRetention } = { retention: keepAll }, database = `lp_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`): Promise<ClickHouseStore> {
      const store = await open(database, options);
      opened.push(store);
      await store.migrate();
      return store;
    }

    const insertAll = <E,>(store: ClickHouseStore, table: ClickHouseTable<E>, events: E[]) =>
      insertBatch(store, table as ClickHouseTable<never>, events.map((e) => table.toRow(e)));

    const countRows = async (store: ClickHouseStore, table: string, final = true) =>
      Number((await store.query<{ n: number | string }>(`SELECT count() AS n FROM ${store.database}.${table}${final ? ' FINAL' : ''}`))[0]?.n);

    it('migrates idempotently and creates every table', async () => {
      const store = await fresh();
      await store.migrate();
      const tables = await store.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name`, {
        db: store.database,
      });
      expect(tables.map((t) => t.name)).toEqual([
        'alert_events',
        'count_increments',
        'count_totals',
        'counts_1h',
        'counts_1h_mv',
        'counts_1m',
        'counts_1m_mv',
        'oee_windows',
        'reliability_windows',
        'spc_alarms',
        'spc_capability',
        'spc_points',
        'state_events',
        'telemetry',
        'telemetry_1h',
        'telemetry_1h_mv',
        'telemetry_1m',
        'telemetry_1m_mv',
      ]);
      expect(await store.ping()).toBe(true);
    });

    it('sums count increments over a range, per equipment and per minute bucket', async () => {
      const store = await fresh();
      const events = [
        ...Array.from({ length: 120 }, (_, i) => countIncrement(i, { good: 1, reject: i % 10 === 0 ? 1 : 0 })),
        ...Array.from({ length: 30 }, (_, i) => countIncrement(i, { equipment: welder, good: 2 })),
      ];
      await store.insert(countIncrementsTable.name, events.map(countIncrementsTable.toRow));
      const queries = createClickHouseQueries(store);

      const whole = await queries.countsOverRange({ from: T0, to: T0 + 3600_000 });
      expect(whole).toEqual([
        { equipment: press, bucketStart: null, good: 120, reject: 12 },
        { equipment: welder, bucketStart: null, good: 60, reject: 0 },
      ]);
      const perMinute = await queries.countsOverRange({ from: T0, to: T0 + 3600_000, scope: 'acme/plant1/stamping', bucket: 'minute' });
      expect(perMinute).toEqual([
        { equipment: press, bucketStart: T0, good: 60, reject: 6 },
        { equipment: press, bucketStart: T0 + 60_000, good: 60, reject: 6 },
      ]);
      const bounded = await queries.countsOverRange({ from: T0 + 10_000, to: T0 + 20_000, scope: press });
      expect(bounded).toEqual([{ equipment: press, bucketStart: null, good: 10, reject: 1 }]);
    });

    it('answers counts over a range past raw retention from the 1-minute, then the 1-hour rollup', async () => {
      // The fixtures are from 2025: with one raw day their increments are dropped at insert, the rollups keep them.
      const events = [
        ...Array.from({ length: 120 }, (_, i) => countIncrement(i, { good: 1, reject: i % 10 === 0 ? 1 : 0 })),
        ...Array.from({ length: 30 }, (_, i) => countIncrement(i, { equipment: welder, good: 2 })),
      ];
      const minuteKept = await fresh({ retention: { rawDays: 1, minuteDays: 20_000, hourDays: 20_000 } });
      await insertAll(minuteKept, countIncrementsTable, events);
      expect(await countRows(minuteKept, 'count_increments')).toBe(0);
      const fromMinutes = createClickHouseQueries(minuteKept);
      expect(await fromMinutes.countsOverRange({ from: T0, to: T0 + 3600_000 })).toEqual([
        { equipment: press, bucketStart: null, good: 120, reject: 12 },
        { equipment: welder, bucketStart: null, good: 60, reject: 0 },
      ]);
      expect(await fromMinutes.countsOverRange({ from: T0, to: T0 + 3600_000, scope: 'acme/plant1/stamping', bucket: 'minute' })).toEqual([
        { equipment: press, bucketStart: T0, good: 60, reject: 6 },
        { equipment: press, bucketStart: T0 + 60_000, good: 60, reject: 6 },
      ]);
      expect(await fromMinutes.countsOverRange({ from: T0 + 60_000, to: T0 + 3600_000, scope: press, bucket: 'day' })).toEqual([
        { equipment: press, bucketStart: T0 - 6 * 3600_000, good: 60, reject: 6 },
      ]);
      // Inside raw retention (by the clock) the raw table answers: here it is empty.
      expect(await createClickHouseQueries(minuteKept, { now: () => T0 + 3600_000 }).countsOverRange({ from: T0, to: T0 + 3600_000 })).toEqual([]);

      const hourOnly = await fresh({ retention: { rawDays: 1, minuteDays: 2, hourDays: 20_000 } });
      await insertAll(hourOnly, countIncrementsTable, events);
      expect(await createClickHouseQueries(hourOnly).countsOverRange({ from: T0, to: T0 + 3600_000, scope: press, bucket: 'minute' })).toEqual([
        { equipment: press, bucketStart: T0, good: 120, reject: 12 },
      ]);
    });

    it('is idempotent: the same batch twice, or re-cut into other batches, gives the same rows', async () => {
      const store = await fresh();
      const batch = Array.from({ length: 500 }, (_, i) => countIncrementsTable.toRow(countIncrement(i)));
      await store.insert(countIncrementsTable.name, batch);
      await store.insert(countIncrementsTable.name, batch);
      // A replay after a crash rarely cuts batches the same way: overlapping slices.
      await store.insert(countIncrementsTable.name, batch.slice(100, 300));
      await store.insert(countIncrementsTable.name, batch.slice(250, 500));
      expect(await countRows(store, countIncrementsTable.name)).toBe(500);
      const [sum] = await createClickHouseQueries(store).countsOverRange({ from: T0, to: T0 + 86_400_000 });
      expect(sum?.good).toBe(500);
      // After the merge the physical rows are the same as a single insert.
      await store.command(`OPTIMIZE TABLE ${store.database}.${countIncrementsTable.name} FINAL`);
      expect(await countRows(store, countIncrementsTable.name, false)).toBe(500);
    });

    it('keeps the highest revision of a count window, whatever the arrival order', async () => {
      const store = await fresh();
      const rows = [3, 1, 5, 2, 4, 5].map((r) => countTotalsTable.toRow(countTotal(r)));
      await store.insert(countTotalsTable.name, rows.slice(0, 3));
      await store.insert(countTotalsTable.name, rows.slice(3));
      await store.insert(countTotalsTable.name, [countTotalsTable.toRow(countTotal(2))]);
      const totals = await createClickHouseQueries(store).currentCountTotals();
      expect(totals).toEqual([
        {
          equipment: press,
          windowKind: 'SHIFT',
          windowId: '2025-03-03/A',
          windowStart: T0,
          windowEnd: T0 + 8 * 3600_000,
          good: 50,
          reject: 5,
          revision: 5,
          eventTime: T0 + 5000,
        },
      ]);
      expect(await countRows(store, countTotalsTable.name)).toBe(1);
    });

    it('answers the current window per equipment and window kind, filtered by kind and scope', async () => {
      const store = await fresh();
      const shiftB = T0 + 8 * 3600_000;
      await store.insert(
        countTotalsTable.name,
        [
          countTotal(7, { windowId: '2025-03-03/A' }),
          countTotal(2, { windowId: '2025-03-03/B', windowStart: shiftB, windowEnd: shiftB + 8 * 3600_000, eventTime: shiftB + 1000 }),
          countTotal(9, { windowKind: 'ALL_TIME', windowId: 'all', windowStart: null, windowEnd: null }),
          countTotal(4, { equipment: welder }),
        ].map(countTotalsTable.toRow),
      );
      const queries = createClickHouseQueries(store);
      const all = await queries.currentCountTotals();
      expect(all.map((t) => [t.equipment, t.windowKind, t.windowId, t.revision])).toEqual([
        [press, 'ALL_TIME', 'all', 9],
        [press, 'SHIFT', '2025-03-03/B', 2],
        [welder, 'SHIFT', '2025-03-03/A', 4],
      ]);
      const shifts = await queries.currentCountTotals({ windowKind: 'SHIFT', scope: 'acme/plant1/welding' });
      expect(shifts.map((t) => [t.equipment, t.windowId])).toEqual([[welder, '2025-03-03/A']]);
      expect(await queries.currentCountTotals({ scope: 'acme/plant1/weld' })).toEqual([]);
      const allTime = all.find((t) => t.windowKind === 'ALL_TIME');
      expect(allTime?.windowStart).toBeNull();
    });

    it('stores telemetry and state events with nullable fields and origin', async () => {
      const store = await fresh();
      await store.insert(telemetryTable.name, [
        telemetryTable.toRow(telemetry(1)),
        telemetryTable.toRow(telemetry(2, { value: null, text: 'AUTO', unit: null, quality: 'UNCERTAIN', statusCode: null })),
      ]);
      await store.insert(stateEventsTable.name, [
        stateEventsTable.toRow(equipmentState(1, 'EXECUTE')),
        stateEventsTable.toRow(equipmentState(2, 'STOPPED', { reasonCode: 'JAM', reasonText: 'Material jam' })),
      ]);
      const tel = await store.query<Record<string, unknown>>(
        `SELECT event_id, toUnixTimestamp64Milli(event_time) AS t, value, text, unit, quality, seq, historical
         FROM ${store.database}.telemetry FINAL ORDER BY event_time`,
      );
      expect(tel.map((r) => ({ ...r, t: Number(r.t), seq: Number(r.seq) }))).toEqual([
        { event_id: 'tel-1', t: T0 + 1000, value: 60.1, text: null, unit: 'degC', quality: 'GOOD', seq: 1, historical: false },
        { event_id: 'tel-2', t: T0 + 2000, value: null, text: 'AUTO', unit: null, quality: 'UNCERTAIN', seq: 2, historical: false },
      ]);
      const states = await store.query<{ state: string; reason_code: string | null }>(
        `SELECT state, reason_code FROM ${store.database}.state_events FINAL ORDER BY event_time`,
      );
      expect(states).toEqual([
        { state: 'EXECUTE', reason_code: null },
        { state: 'STOPPED', reason_code: 'JAM' },
      ]);
    });


    it('downsamples telemetry into 1-minute and 1-hour rollups, exact under replays, and picks the resolution by range', async () => {
      const store = await fresh();
      // Two hours at 1 Hz: value = minute number (+ 0.5 on odd seconds).
      const samples = Array.from({ length: 7200 }, (_, i) => telemetry(i, { eventId: `tel-${i}`, value: Math.floor(i / 60) + (i % 2) * 0.5 }));
      samples.push(telemetry(7300, { eventId: 'tel-text', value: null, text: 'AUTO' }));
      await insertAll(store, telemetryTable, samples);
      // A replay of a slice, and the same batch again: the views must not see them twice.
      await insertAll(store, telemetryTable, samples.slice(100, 4000));
      await insertAll(store, telemetryTable, samples);
      const history = createHistoryQueries(store);
      const minute = await history.telemetry({ equipment: press, tag: 'temperature', from: T0, to: T0 + 2 * 3600_000, resolution: 'minute' });
      expect(minute.resolution).toBe('minute');
      expect(minute.points).toHaveLength(120);
      expect(minute.points[3]).toEqual({ t: T0 + 180_000, samples: 60, avg: 3.25, min: 3, max: 3.5, last: 3.5 });
      const hour = await history.telemetry({ equipment: press, tag: 'temperature', from: T0, to: T0 + 2 * 3600_000, resolution: 'hour' });
      expect(hour.points.map((p) => [p.t, p.samples, p.min, p.max])).toEqual([
        [T0, 3600, 0, 59.5],
        [T0 + 3600_000, 3600, 60, 119.5],
      ]);
      expect(hour.points[0]?.avg).toBeCloseTo(29.75, 9);
      const raw = await history.telemetry({ equipment: press, tag: 'temperature', from: T0, to: T0 + 10_000, now: T0 + 86_400_000 });
      expect(raw.resolution).toBe('raw');
      expect(raw.points.map((p) => p.avg)).toEqual([0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5]);
      // Auto: a week is answered per minute, a quarter per hour, and raw data past retention from the rollups.
      const now = T0 + 3600_000;
      expect((await history.telemetry({ equipment: press, tag: 'temperature', from: T0 - 6 * 86_400_000, to: now, now })).resolution).toBe('minute');
      expect((await history.telemetry({ equipment: press, tag: 'temperature', from: T0 - 90 * 86_400_000, to: now, now })).resolution).toBe('hour');
      const rows = Number((await store.query<{ n: number | string }>(`SELECT count() AS n FROM ${store.database}.telemetry`))[0]?.n);
      expect(rows).toBe(7201);
    });

    it('creates tables with the configured retention and moves the TTL when the config changes', async () => {
      const database = `lp_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const ttlOf = async (store: ClickHouseStore, table: string) =>
        (await store.query<{ e: string }>(`SELECT engine_full AS e FROM system.tables WHERE database = {db:String} AND name = {t:String}`, { db: store.database, t: table }))[0]?.e;
      const first = await fresh({ retention: { rawDays: 30, minuteDays: 365, hourDays: 3650 } }, database);
      expect(await ttlOf(first, 'telemetry')).toContain('toIntervalDay(30)');
      expect(await ttlOf(first, 'telemetry_1m')).toContain('toIntervalDay(365)');
      expect(await ttlOf(first, 'telemetry_1h')).toContain('toIntervalDay(3650)');
      const second = await fresh({ retention: { rawDays: 90, minuteDays: 1826, hourDays: 9131 } }, database);
      expect(await ttlOf(second, 'telemetry')).toContain('toIntervalDay(90)');
      expect(await ttlOf(second, 'counts_1m')).toContain('toIntervalDay(1826)');
      expect(await ttlOf(second, 'oee_windows')).toContain('toIntervalDay(9131)');
      // Raw rows past retention go (at insert or at the next merge), their 1-minute rollup stays.
      const old = Math.floor((Date.now() - 365 * 86_400_000) / 60_000) * 60_000;
      await insertAll(second, telemetryTable, [telemetry(0, { eventId: 'old-1', eventTime: old }), telemetry(1, { eventId: 'old-2', eventTime: old + 1000 })]);
      const history = createHistoryQueries(second);
      await waitFor(
        async () => {
          await second.command(`OPTIMIZE TABLE ${second.database}.telemetry FINAL`);
          return (await countRows(second, 'telemetry', false)) === 0;
        },
        { what: 'expired raw telemetry dropped', timeoutMs: 15_000 },
      );
      // Asked for raw data past retention, the answer comes from the 1-minute rollup (and says so).
      expect((await history.telemetry({ equipment: press, tag: 'temperature', from: old, to: old + 60_000, resolution: 'raw' })).resolution).toBe('minute');
      const minute = await history.telemetry({ equipment: press, tag: 'temperature', from: old, to: old + 60_000, resolution: 'minute' });
      expect(minute.points.map((p) => p.samples)).toEqual([2]);
    });

    it('keeps the latest revision of an OEE window and drills down by ISA-95 level with loss buckets', async () => {
      const store = await fresh();
      await insertAll(store, oeeWindowsTable, [oeeWindow(3), oeeWindow(1), oeeWindow(2)]);
      await insertAll(store, oeeWindowsTable, [
        oeeWindow(1, { equipment: welder, losses: { breakdown: 1000 }, idealCycleTimeMs: null }),
        oeeWindow(1, { windowKind: 'HOUR', windowId: '2025-03-03T06:00+00:00', windowEnd: T0 + 3600_000 }),
        oeeWindow(4, { equipment: welder, windowId: '2025-03-02/C', windowStart: T0 - 8 * 3600_000, flags: ['RETRACTED'] }),
      ]);
      const history = createHistoryQueries(store);
      const plant = await history.oeeDrillDown({ scope: 'acme/plant1', windowKind: 'SHIFT', from: T0, to: T0 + 86_400_000 });
      expect(plant.groupBy).toBe('area');
      expect(plant.groups.map((g) => [g.path, g.windows, g.totalCount])).toEqual([
        ['acme/plant1/stamping', 1, 1003],
        ['acme/plant1/welding', 1, 1001],
      ]);
      expect(plant.total.windows).toBe(2);
      expect(plant.total.availability).toBeCloseTo(0.8, 12);
      expect(plant.total.performance).toBeCloseTo(18_000_000 / 21_600_000, 12);
      expect(plant.total.quality).toBeCloseTo(1900 / 2004, 12);
      expect(plant.total.losses.breakdown).toBe(3_601_000);
      expect(plant.total.plannedStopByKind).toEqual({ BREAK: 3_600_000 });
      const shift = await history.oeeDrillDown({ scope: press, windowKind: 'SHIFT', windowId: '2025-03-03/A' });
      expect(shift.total.totalCount).toBe(1003);
      expect(shift.groups.map((g) => g.path)).toEqual([press]);
      const line = await history.oeeDrillDown({ scope: 'acme', windowKind: 'SHIFT', groupBy: 'line', from: T0 - 86_400_000, to: T0 + 86_400_000 });
      expect(line.groups.map((g) => g.path)).toEqual(['acme/plant1/stamping/line1', 'acme/plant1/welding/line2']);
      const none = await history.oeeDrillDown({ scope: 'acme/plant2', windowKind: 'SHIFT' });
      expect(none.total).toMatchObject({ windows: 0, availability: null, oee: null });
    });

    it('an OEE trend in one query: per bucket, the same figures as a drill-down of that bucket; empty buckets too', async () => {
      const store = await fresh();
      const hourly = (h: number, equipment = press, revision = 1, flags: string[] = []) =>
        oeeWindow(revision, { equipment, windowKind: 'HOUR', windowId: `h${h}`, windowStart: T0 + h * 3600_000, windowEnd: T0 + (h + 1) * 3600_000, flags });
      // Hour 1 of the press twice (the later revision counts once); hour 3 retracted by its later revision.
      await insertAll(store, oeeWindowsTable, [hourly(0), hourly(1), hourly(1, press, 2), hourly(1, welder), hourly(3), hourly(3, press, 2, ['RETRACTED'])]);
      const history = createHistoryQueries(store);
      const bucketMs = 2 * 3600_000;
      const trend = await history.oeeTrend({ scope: 'acme', from: T0, to: T0 + 5 * 3600_000, bucketMs });
      expect(trend.map((p) => [p.from - T0, p.to - T0, p.windows])).toEqual([
        [0, bucketMs, 3],
        [bucketMs, 2 * bucketMs, 0],
        [2 * bucketMs, 5 * 3600_000, 0],
      ]);
      for (const p of trend) {
        const { total } = await history.oeeDrillDown({ scope: 'acme', windowKind: 'HOUR', from: p.from, to: p.to });
        expect(p).toEqual({ from: p.from, to: p.to, ...total });
      }
    });

    it('derives state intervals from state changes, merges repeats, clips to the range and finds micro-stops', async () => {
      const store = await fresh();
      const s = (second: number, state: string, reasonCode: string | null = null, equipment = press) =>
        equipmentState(second, state, { eventId: `st-${equipment}-${second}`, equipment, reasonCode, origin: { ...equipmentState(0, state).origin, seq: second + 1000 } });
      await insertAll(store, stateEventsTable, [
        s(-30, 'EXECUTE'),
        s(10, 'STOPPED', 'JAM'),
        s(40, 'EXECUTE'),
        s(100, 'EXECUTE'),
        s(200, 'SUSPENDED', 'STARVED'),
        s(230, 'EXECUTE'),
        s(300, 'STOPPED', 'JAM'),
        s(320, 'EXECUTE'),
        s(400, 'STOPPED', 'BREAKDOWN'),
        s(900, 'EXECUTE'),
        s(5, 'EXECUTE', null, welder),
      ]);
      const history = createHistoryQueries(store);
      const { intervals, total } = await history.stateTimeline({ scope: press, from: T0, to: T0 + 1000_000 });
      expect(total).toBe(9);
      expect(intervals.slice(0, 3)).toEqual([
        { equipment: press, state: 'EXECUTE', reasonCode: null, reasonText: null, start: T0, end: T0 + 10_000, durationMs: 10_000, closed: true },
        { equipment: press, state: 'STOPPED', reasonCode: 'JAM', reasonText: null, start: T0 + 10_000, end: T0 + 40_000, durationMs: 30_000, closed: true },
        { equipment: press, state: 'EXECUTE', reasonCode: null, reasonText: null, start: T0 + 40_000, end: T0 + 200_000, durationMs: 160_000, closed: true },
      ]);
      expect(intervals.at(-1)).toMatchObject({ state: 'EXECUTE', start: T0 + 900_000, end: T0 + 1000_000, closed: false });
      const page = await history.stateTimeline({ scope: 'acme', from: T0, to: T0 + 1000_000, limit: 2, offset: 9 });
      expect(page.total).toBe(10);
      expect(page.intervals.map((i) => i.equipment)).toEqual([welder]);
      const micro = await history.microStops({ scope: press, from: T0, to: T0 + 1000_000 });
      expect(micro).toMatchObject({ thresholdMs: 120_000, count: 3, totalMs: 80_000, oee: { microStopCount: 0, microStopMs: 0 } });
      expect(micro.pareto).toEqual([
        { reason: 'JAM', count: 2, totalMs: 50_000, share: 50 / 80, cumulativeShare: 50 / 80 },
        { reason: 'STARVED', count: 1, totalMs: 30_000, share: 30 / 80, cumulativeShare: 1 },
      ]);
    });

    it('breaks rejects down by reason from the 1-minute count rollup', async () => {
      const store = await fresh();
      const events = [
        ...Array.from({ length: 100 }, (_, i) => countIncrement(i, { good: 1 })),
        ...Array.from({ length: 6 }, (_, i) => countIncrement(200 + i, { good: 0, reject: 1, rejectReason: 'BURR' })),
        ...Array.from({ length: 3 }, (_, i) => countIncrement(300 + i, { good: 0, reject: 1, rejectReason: 'CRACK' })),
        countIncrement(400, { good: 0, reject: 1 }),
        countIncrement(5, { equipment: welder, good: 7 }),
      ];
      await insertAll(store, countIncrementsTable, events);
      await insertAll(store, countIncrementsTable, events.slice(0, 50));
      const q = await createHistoryQueries(store).qualityBreakdown({ scope: 'acme/plant1', from: T0, to: T0 + 3600_000 });
      expect(q).toEqual({
        good: 107,
        reject: 10,
        reasons: [
          { reason: 'BURR', reject: 6, share: 0.6 },
          { reason: 'CRACK', reject: 3, share: 0.3 },
          { reason: '', reject: 1, share: 0.1 },
        ],
        perEquipment: [
          { equipment: press, good: 100, reject: 10 },
          { equipment: welder, good: 7, reject: 0 },
        ],
      });
      const perHour = await createHistoryQueries(store).countsByEquipment({ scope: press, from: T0, to: T0 + 7200_000, bucket: 'hour' });
      expect(perHour).toEqual([{ equipment: press, bucketStart: T0, good: 100, reject: 10 }]);
    });

    it('answers MTBF/MTTR from the reliability figures of downtime alerts (latest per window)', async () => {
      const store = await fresh();
      const day = { windowKind: 'DAY', windowId: '2025-03-03', windowStart: T0 - 6 * 3600_000, windowEnd: T0 + 18 * 3600_000 };
      await insertAll(store, alertEventsTable, [
        alert('RAISED', { reliability: [{ ...day, failures: 1, repairs: 0, operatingTimeMs: 3_600_000, repairTimeMs: 0, mtbfMs: 3_600_000, mttrMs: null }] }),
        alert('CLEARED', { reliability: [{ ...day, failures: 1, repairs: 1, operatingTimeMs: 3_600_000, repairTimeMs: 300_000, mtbfMs: 3_600_000, mttrMs: 300_000 }] }),
        alert('RAISED', {
          eventId: 'alert-2-RAISED',
          alertId: 'alert-2',
          eventTime: T0 + 7200_000,
          startTime: T0 + 7200_000,
          reliability: [{ ...day, failures: 2, repairs: 1, operatingTimeMs: 7_000_000, repairTimeMs: 300_000, mtbfMs: 3_500_000, mttrMs: 300_000 }],
        }),
      ]);
      const rows = await createHistoryQueries(store).reliability({ scope: 'acme/plant1', from: T0 - 86_400_000, to: T0 + 86_400_000 });
      expect(rows).toEqual([
        { equipment: press, windows: 1, failures: 2, repairs: 1, operatingMs: 7_000_000, repairMs: 300_000, mtbfMs: 3_500_000, mttrMs: 300_000, downtimeAlerts: 2, meanDowntimeMs: 300_000 },
      ]);
    });

    it('prefers the reliability topic (highest revision per window) over the figures the alerts carried', async () => {
      const store = await fresh();
      const day = { windowKind: 'DAY', windowId: '2025-03-03', windowStart: T0 - 6 * 3600_000, windowEnd: T0 + 18 * 3600_000 };
      const yesterday = { windowKind: 'DAY', windowId: '2025-03-02', windowStart: T0 - 30 * 3600_000, windowEnd: T0 - 6 * 3600_000 };
      await insertAll(store, alertEventsTable, [
        alert('CLEARED', { reliability: [{ ...day, failures: 1, repairs: 1, operatingTimeMs: 3_600_000, repairTimeMs: 300_000, mtbfMs: 3_600_000, mttrMs: 300_000 }] }),
        // A window the reliability topic has no record of (from before it existed): the alerts' figures count.
        alert('CLEARED', {
          eventId: 'alert-0-CLEARED',
          alertId: 'alert-0',
          eventTime: T0 - 7 * 3600_000,
          startTime: T0 - 7.5 * 3600_000,
          reliability: [{ ...yesterday, failures: 1, repairs: 1, operatingTimeMs: 1_000_000, repairTimeMs: 100_000, mtbfMs: 1_000_000, mttrMs: 100_000 }],
        }),
      ]);
      // Revision 1 before revision 0, and a replay: the highest revision wins.
      await insertAll(store, reliabilityTable, [reliabilityWindow(1), reliabilityWindow(0), reliabilityWindow(1)]);
      await insertAll(store, reliabilityTable, [reliabilityWindow(0, { windowKind: 'SHIFT', windowId: '2025-03-03/A' })]);
      expect(await countRows(store, 'reliability_windows')).toBe(2);
      const rows = await createHistoryQueries(store).reliability({ scope: 'acme/plant1', from: T0 - 2 * 86_400_000, to: T0 + 86_400_000 });
      expect(rows).toEqual([
        {
          equipment: press,
          windows: 2,
          failures: 3,
          repairs: 3,
          operatingMs: 9_000_000,
          repairMs: 1_000_000,
          mtbfMs: 3_000_000,
          mttrMs: 1_000_000 / 3,
          downtimeAlerts: 0,
          meanDowntimeMs: 300_000,
        },
      ]);
      const shifts = await createHistoryQueries(store).reliability({ scope: press, from: T0 - 86_400_000, to: T0 + 86_400_000, windowKind: 'SHIFT' });
      expect(shifts.map((r) => [r.windows, r.failures, r.repairs])).toEqual([[1, 2, 1]]);
    });

    it('keeps SPC capability history and answers the latest per characteristic, idempotently', async () => {
      const store = await fresh();
      const other = `${press}/stroke-length`;
      const batch = [spcCapability(25), spcCapability(50), spcCapability(75), spcCapability(50, { characteristic: other, eventId: 'spc-capability:other:50' })];
      await insertAll(store, spcCapabilityTable, batch);
      await insertAll(store, spcCapabilityTable, batch.slice(1, 3));
      expect(await countRows(store, 'spc_capability')).toBe(4);
      const history = createHistoryQueries(store);
      const series = await history.spcCapabilityHistory({ characteristic, from: T0, to: T0 + 86_400_000 });
      expect(series.map((c) => [c.index, c.indexes.cpk?.value])).toEqual([
        [25, 1.25],
        [50, 1.5],
        [75, 1.75],
      ]);
      expect(series[0]).toMatchObject({ eventTime: T0 + 25 * 60_000, equipment: press, chart: 'IMR', limitsVersion: 1, lsl: 9, usl: 11, withinMethod: 'MRBAR_D2' });
      expect(series[0]!.indexes.ppl).toBeNull();
      expect(series[0]!.indexes.cp).toEqual({ value: 1.11, samples: 25 });
      const latest = await history.latestSpcCapability({ scope: 'acme/plant1' });
      expect(latest.map((c) => [c.characteristic, c.index])).toEqual([
        [characteristic, 75],
        [other, 50],
      ]);
      expect(await history.latestSpcCapability({ scope: welder })).toEqual([]);
      expect((await history.latestSpcCapability({ scope: '', characteristic: other })).map((c) => c.index)).toEqual([50]);
    });

    it('returns SPC chart data with limits, zones and rule hits, downsampled by LTTB keeping every hit', async () => {
      const store = await fresh();
      const points = Array.from({ length: 3000 }, (_, i) =>
        i === 1500 ? spcPoint(i + 1, { statistic: 13.5, values: [13.5], rules: [1] }) : spcPoint(i + 1, i >= 2000 ? { limits: { ...spcPoint(1).limits!, version: 2, center: 10.5 } } : {}),
      );
      await insertAll(store, spcPointsTable, points);
      await insertAll(store, spcAlarmsTable, [spcAlarm(1501, 1)]);
      const history = createHistoryQueries(store);
      const chart = await history.spcChart({ characteristic, from: T0, to: T0 + 4000 * 60_000, maxPoints: 500 });
      expect(chart).toMatchObject({ characteristic, equipment: press, chart: 'IMR', totalPoints: 3000, downsampled: true });
      expect(chart.points.length).toBeGreaterThanOrEqual(500);
      expect(chart.points.length).toBeLessThanOrEqual(501);
      expect(chart.points.find((p) => p.index === 1501)).toMatchObject({ statistic: 13.5, rules: [1], zone: 'OUT' });
      expect(chart.limits.map((l) => [l.version, l.center, l.fromIndex])).toEqual([
        [1, 10, 1],
        [2, 10.5, 2001],
      ]);
      expect(chart.limits[0]?.zones).toEqual({ upper2Sigma: 12, upper1Sigma: 11, lower1Sigma: 9, lower2Sigma: 8 });
      expect(chart.hits).toEqual([
        { eventId: `spc-alarm:${characteristic}:1501:1`, index: 1501, t: T0 + 1501 * 60_000, rule: 1, ruleSet: 'NELSON', description: 'one point beyond 3 sigma', direction: 'UP', chartPart: 'LOCATION' },
      ]);
      const small = await history.spcChart({ characteristic, from: T0, to: T0 + 11 * 60_000 });
      expect(small.downsampled).toBe(false);
      expect(small.points.map((p) => p.zone)).toEqual(small.points.map((p) => (Math.abs(p.statistic - 10) <= 1 ? 'C' : 'B')));
    });

    it('reports a refused statement in one line', async () => {
      const store = await fresh();
      const error = await store.query(`SELECT * FROM ${store.database}.no_such_table`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^ClickHouse refused the statement: .*no_such_table/);
      expect((error as Error).message).not.toContain('\n');
    });
  });
}

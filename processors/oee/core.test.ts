import { describe, expect, it } from 'vitest';
import type { OeeWindow } from '../../schemas/generated/types.ts';
import type { CoreInput } from '../contract.ts';
import { runOffline, type OfflineRecord } from '../runtime/offline.ts';
import { oeeConfig } from './config.ts';
import { oee, type OeeState } from './core.ts';
import { cnt, disp, equipment, find, invariantViolations, latest, st, windowsOf } from './test-helpers.ts';

const MIN = 60_000;
const H = 60 * MIN;
const at = (iso: string) => Date.parse(iso);

const calendars = {
  default: {
    timeZone: 'Europe/Berlin',
    shifts: [
      { name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:30', kind: 'MEAL' }] },
      { name: 'late', start: '14:00', end: '22:00' },
      { name: 'night', start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:15' }] },
    ],
  },
};

const config = (over: Record<string, unknown> = {}) => oeeConfig({ calendars, idealCycleTime: { defaultMs: 1000 }, ...over });
const run = (records: OfflineRecord[], over: Record<string, unknown> = {}) => runOffline([{ core: oee, config: config(over) }], records);

// A Tuesday early shift, 06:00-14:00 CET (05:00Z-13:00Z).
const d = (hhmm: string, sec = 0) => at(`2024-03-05T${hhmm}:00+01:00`) + sec * 1000;
const early = '2024-03-05/early';
/** Input after the shift so the watermark passes its end + micro-stop threshold. */
const closer = () => st(d('14:30'), 'IDLE');
/** The machine stops for the meal break (10:00-10:30) and runs again. */
const meal = () => [st(d('10:00'), 'IDLE'), st(d('10:30'), 'RUNNING')];

function expectInvariants(outputs: ReturnType<typeof run>): void {
  for (const w of windowsOf(outputs)) expect(invariantViolations(w), `${w.windowKind} ${w.windowId} r${w.revision}`).toEqual([]);
}

describe('OEE > state model and micro-stops', () => {
  it('a stop shorter than the threshold is a micro-stop: run time, performance loss', () => {
    const out = run([st(d('06:00'), 'RUNNING'), st(d('07:00'), 'STOPPED'), st(d('07:01'), 'RUNNING'), ...meal(), st(d('14:00'), 'IDLE'), closer()]);
    const w = find(out, 'SHIFT', early);
    expect(w).toMatchObject({ runTimeMs: 450 * MIN, microStopMs: MIN, microStopCount: 1, unplannedStopMs: 0, plannedStopMs: 30 * MIN });
    expect(w.losses.smallStops).toBe(MIN);
    expect(w.availability).toBe(1);
    expectInvariants(out);
  });

  it('a stop at or above the threshold is an unplanned stop (availability loss)', () => {
    const out = run([st(d('06:00'), 'RUNNING'), st(d('07:00'), 'STOPPED'), st(d('07:02'), 'RUNNING'), ...meal(), st(d('14:00'), 'IDLE'), closer()]);
    expect(find(out, 'SHIFT', early)).toMatchObject({ runTimeMs: 448 * MIN, microStopMs: 0, microStopCount: 0, unplannedStopMs: 2 * MIN });
    expect(find(out, 'SHIFT', early).availability).toBeCloseTo(448 / 450, 12);
  });

  it('idle, starved and blocked: micro-stops when short, idle time when long; one episode across both kinds of stop', () => {
    const out = run([
      st(d('06:00'), 'RUNNING'),
      st(d('07:00'), 'STARVED'), st(d('07:00', 50), 'STOPPED'), st(d('07:01', 40), 'RUNNING'), // 100 s episode: micro
      st(d('08:00'), 'BLOCKED'), st(d('08:10'), 'RUNNING'), // 10 min idle
      st(d('14:00'), 'IDLE'), closer(),
    ]);
    expect(find(out, 'SHIFT', early)).toMatchObject({ microStopMs: 100_000, microStopCount: 1, idleMs: 10 * MIN, unplannedStopMs: 0 });
  });

  it('setup and unknown are availability losses; a BAD quality state reading is unknown', () => {
    const out = run([
      st(d('06:00'), 'SETUP'), st(d('06:20'), 'RUNNING'),
      st(d('08:00'), 'RUNNING', { quality: 'BAD' }), st(d('08:05'), 'RUNNING'),
      ...meal(), st(d('14:00'), 'IDLE'), closer(),
    ]);
    const w = find(out, 'SHIFT', early);
    expect(w).toMatchObject({ setupMs: 20 * MIN, unknownMs: 5 * MIN, runTimeMs: 425 * MIN });
    expect(w.flags).toContain('UNKNOWN_STATE_TIME');
    expect(w.losses).toMatchObject({ setup: 20 * MIN, breakdown: 5 * MIN });
  });

  it('time before the first state is unknown; pieces count anyway', () => {
    // The timeline starts with the first input: a count starts it at the end of its 10 s count bucket.
    const out = run([cnt(d('06:00'), 0), cnt(d('06:30'), 10), st(d('07:00'), 'RUNNING'), ...meal(), st(d('14:00'), 'IDLE'), closer()]);
    expect(find(out, 'SHIFT', early)).toMatchObject({ unknownMs: 60 * MIN - 10_000, totalCount: 10, scheduledTimeMs: 480 * MIN - 10_000 });
  });

  it('a machine-reported planned stop is excluded from planned production time', () => {
    const out = run([st(d('06:00'), 'RUNNING'), st(d('09:00'), 'PLANNED_MAINTENANCE'), st(d('09:30'), 'RUNNING'), ...meal(), st(d('14:00'), 'IDLE'), closer()]);
    expect(find(out, 'SHIFT', early)).toMatchObject({ plannedStopMs: 60 * MIN, plannedStopByKind: { MEAL: 30 * MIN, PLANNED_STOP: 30 * MIN }, plannedProductionTimeMs: 420 * MIN });
  });

  it('idle as planned stop and no orders as planned stop, when configured', () => {
    const records = [st(d('06:00'), 'RUNNING'), st(d('07:00'), 'IDLE'), st(d('08:00'), 'RUNNING'), disp(d('09:00'), 'WO-1'), ...meal(), st(d('14:00'), 'IDLE'), closer()];
    expect(find(run(records, { idleAsPlannedStop: true }), 'SHIFT', early)).toMatchObject({ idleMs: 0, plannedStopByKind: { IDLE: 60 * MIN, MEAL: 30 * MIN } });
    // No order until 09:00: the idle hour 07:00-08:00 is NO_ORDERS; running without an order still counts as run.
    const noOrders = find(run(records, { noOrderIsPlannedStop: true }), 'SHIFT', early);
    expect(noOrders).toMatchObject({ idleMs: 0, runTimeMs: 390 * MIN, plannedStopByKind: { MEAL: 30 * MIN, NO_ORDERS: 60 * MIN } });
  });
});

describe('OEE > calendar', () => {
  it('breaks are planned stops of their kind; running through a break counts as run outside the schedule', () => {
    const stopped = run([st(d('06:00'), 'RUNNING'), st(d('10:00'), 'IDLE'), st(d('10:30'), 'RUNNING'), st(d('14:00'), 'IDLE'), closer()]);
    expect(find(stopped, 'SHIFT', early)).toMatchObject({ plannedStopByKind: { MEAL: 30 * MIN }, runOutsideScheduleMs: 0, idleMs: 0, runTimeMs: 450 * MIN });
    const through = run([st(d('06:00'), 'RUNNING'), st(d('14:00'), 'IDLE'), closer()]);
    const w = find(through, 'SHIFT', early);
    expect(w).toMatchObject({ plannedStopMs: 0, runOutsideScheduleMs: 30 * MIN, runTimeMs: 480 * MIN, scheduledTimeMs: 480 * MIN });
    expect(w.flags).toContain('RUN_OUTSIDE_SCHEDULE');
  });

  it('time outside every shift is not scheduled; windows with no planned production time have null ratios', () => {
    const cal = { default: { timeZone: 'Europe/Berlin', shifts: [{ name: 'early', start: '06:00', end: '14:00' }] } };
    const out = run([st(d('13:00'), 'RUNNING'), st(d('14:00'), 'IDLE'), st(d('16:00'), 'RUNNING'), st(d('16:30'), 'IDLE'), st(d('18:00'), 'IDLE')], { calendars: cal });
    const h15 = find(out, 'HOUR', '2024-03-05T15:00:00.000+01:00');
    expect(h15).toMatchObject({ scheduledTimeMs: 0, notScheduledMs: H, availability: null, performance: null, quality: null, oee: null });
    const h16 = find(out, 'HOUR', '2024-03-05T16:00:00.000+01:00');
    expect(h16).toMatchObject({ scheduledTimeMs: 30 * MIN, runTimeMs: 30 * MIN, runOutsideScheduleMs: 30 * MIN, notScheduledMs: 30 * MIN });
  });

  it('a calendar without shifts means always scheduled', () => {
    const out = run([st(d('06:00'), 'RUNNING'), st(d('07:00'), 'IDLE'), st(d('08:00'), 'IDLE')], { calendars: { default: { timeZone: 'Europe/Berlin' } } });
    expect(find(out, 'HOUR', '2024-03-05T06:00:00.000+01:00')).toMatchObject({ scheduledTimeMs: H, runTimeMs: H, shift: 'day' });
  });

  it('DST Europe/Berlin: the night shift across spring forward lasts 7 hours, across fall back 9 hours', () => {
    const spring = run([st(at('2024-03-30T22:00:00+01:00'), 'RUNNING'), st(at('2024-03-31T06:00:00+02:00'), 'IDLE'), st(at('2024-03-31T06:30:00+02:00'), 'IDLE')]);
    expect(find(spring, 'SHIFT', '2024-03-30/night')).toMatchObject({ scheduledTimeMs: 7 * H, runTimeMs: 7 * H, runOutsideScheduleMs: 15 * MIN });
    expect(find(spring, 'DAY', '2024-03-30T00:00:00.000+01:00').windowEnd - find(spring, 'DAY', '2024-03-30T00:00:00.000+01:00').windowStart).toBe(24 * H);
    const fall = run([st(at('2024-10-26T22:00:00+02:00'), 'RUNNING'), st(at('2024-10-27T06:00:00+01:00'), 'IDLE'), st(at('2024-10-27T06:30:00+01:00'), 'IDLE')]);
    expect(find(fall, 'SHIFT', '2024-10-26/night')).toMatchObject({ scheduledTimeMs: 9 * H, runTimeMs: 9 * H });
    // The repeated hour 02:00-03:00 gives two HOUR windows.
    expect(find(fall, 'HOUR', '2024-10-27T02:00:00.000+02:00').runTimeMs).toBe(H);
    expect(find(fall, 'HOUR', '2024-10-27T02:00:00.000+01:00').runTimeMs).toBe(H);
  });

  it('DST America/New_York: the night shift lasts 7 hours on 10 March 2024 and 9 hours on 3 November 2024', () => {
    const ny = { default: { timeZone: 'America/New_York', shifts: [{ name: 'night', start: '22:00', end: '06:00' }] } };
    const spring = run([st(at('2024-03-09T22:00:00-05:00'), 'RUNNING'), st(at('2024-03-10T06:30:00-04:00'), 'IDLE')], { calendars: ny });
    expect(find(spring, 'SHIFT', '2024-03-09/night')).toMatchObject({ scheduledTimeMs: 7 * H, runTimeMs: 7 * H });
    const fall = run([st(at('2024-11-02T22:00:00-04:00'), 'RUNNING'), st(at('2024-11-03T06:30:00-05:00'), 'IDLE')], { calendars: ny });
    expect(find(fall, 'SHIFT', '2024-11-02/night')).toMatchObject({ scheduledTimeMs: 9 * H, runTimeMs: 9 * H });
    expectInvariants(fall);
  });

  it('hours and shifts add up to the day', () => {
    const out = run([st(d('00:00'), 'RUNNING'), st(d('03:00'), 'STOPPED'), st(d('03:30'), 'RUNNING'), cnt(d('05:00'), 100, 3), st(d('11:00'), 'SETUP'), st(d('11:20'), 'RUNNING'), cnt(d('20:00'), 500, 7), st(at('2024-03-06T00:30:00+01:00'), 'IDLE')]);
    const day = find(out, 'DAY', '2024-03-05T00:00:00.000+01:00');
    const hours = [...latest(out).values()].filter((w) => w.windowKind === 'HOUR' && w.windowStart >= day.windowStart && w.windowEnd <= day.windowEnd);
    expect(hours).toHaveLength(24);
    for (const k of ['scheduledTimeMs', 'runTimeMs', 'unplannedStopMs', 'setupMs', 'plannedStopMs', 'goodCount', 'rejectCount'] as const)
      expect(hours.reduce((s, w) => s + w[k], 0)).toBe(day[k]);
    expectInvariants(out);
  });
});

describe('OEE > pieces, ideal cycle time and losses', () => {
  it('performance and quality per ISO 22400-2; over 100 % is flagged, not clamped', () => {
    const out = run([st(d('06:00'), 'RUNNING'), cnt(d('06:59'), 3900, 100), st(d('08:00'), 'IDLE'), st(d('08:10'), 'IDLE')]);
    const h = find(out, 'HOUR', '2024-03-05T06:00:00.000+01:00');
    expect(h).toMatchObject({ totalCount: 4000, goodCount: 3900, idealProductionTimeMs: 4_000_000, quality: 0.975, flags: ['PERFORMANCE_OVER_100'] });
    expect(h.performance).toBeCloseTo(4000 / 3600, 12);
    expect(h.losses.reducedSpeed).toBe(3_600_000 - 4_000_000);
  });

  it('ideal cycle time: dispatch, then equipment product, plant product, equipment default, plant default', () => {
    const ict = {
      defaultMs: 1000,
      products: { P1: 2000, P2: 3000 },
      equipment: { 'acme/plant1/assembly': { defaultMs: 1500, products: { P1: 2500 } } },
    };
    const h = (hh: string) => `2024-03-05T${hh}:00:00.000+01:00`;
    const out = run(
      [
        st(d('06:00'), 'RUNNING'),
        cnt(d('06:30'), 10), // equipment default 1.5 s
        disp(d('07:00'), 'WO-1', { product: 'P1' }), cnt(d('07:30'), 10), // equipment product 2.5 s
        disp(d('08:00'), 'WO-2', { product: 'P2' }), cnt(d('08:30'), 10), // plant product 3 s
        disp(d('09:00'), 'WO-3', { product: 'P1', idealCycleTimeMs: 900 }), cnt(d('09:30'), 10), // dispatch 0.9 s
        st(d('10:00'), 'IDLE'), st(d('10:10'), 'IDLE'),
      ],
      { idealCycleTime: ict },
    );
    expect([6, 7, 8, 9].map((x) => find(out, 'HOUR', h(String(x).padStart(2, '0'))).idealCycleTimeMs)).toEqual([1500, 2500, 3000, 900]);
    expect(find(out, 'WORK_ORDER', 'WO-2')).toMatchObject({ workOrder: 'WO-2', product: 'P2', totalCount: 10, idealProductionTimeMs: 30_000 });
  });

  it('no ideal cycle time: performance and OEE are null, flagged', () => {
    const out = runOffline([{ core: oee, config: oeeConfig({ calendars }) }], [st(d('06:00'), 'RUNNING'), cnt(d('06:30'), 10), st(d('07:00'), 'IDLE'), st(d('07:10'), 'IDLE')]);
    const h = find(out, 'HOUR', '2024-03-05T06:00:00.000+01:00');
    expect(h).toMatchObject({ performance: null, oee: null, quality: 1, flags: ['NO_IDEAL_CYCLE_TIME'] });
    expect(h.losses).toEqual({ breakdown: 0, setup: 0, smallStops: 0 });
  });

  it('zero denominators are null, never NaN; no piece in planned production time is OEE 0', () => {
    const out = run([st(d('06:00'), 'STOPPED'), st(d('07:00'), 'IDLE'), st(d('07:10'), 'IDLE')]);
    expect(find(out, 'HOUR', '2024-03-05T06:00:00.000+01:00')).toMatchObject({ availability: 0, performance: null, quality: null, oee: 0 });
  });

  it('startup rejects: after a setup or a new work order, during setup, or by reason code; others are production rejects', () => {
    const out = run([
      st(d('06:00'), 'SETUP'), cnt(d('06:10'), 0, 2), // during setup: startup
      st(d('06:30'), 'RUNNING'), cnt(d('06:35'), 50, 3), // within 10 min of the start: startup
      cnt(d('06:50'), 50, 4), // production
      cnt(d('07:10'), 50, 5, { rejectReason: 'warm-up' }), // reason code: startup
      disp(d('08:00'), 'WO-9'), cnt(d('08:05'), 50, 1), // running when the order changed: startup
      st(d('09:00'), 'IDLE'), st(d('09:10'), 'IDLE'),
    ]);
    const h6 = find(out, 'HOUR', '2024-03-05T06:00:00.000+01:00');
    expect(h6).toMatchObject({ rejectCount: 9, startupRejectCount: 5 });
    expect(h6.losses.startupRejects).toBeCloseTo((h6.idealProductionTimeMs * 5) / h6.totalCount, 9);
    expect(find(out, 'HOUR', '2024-03-05T07:00:00.000+01:00').startupRejectCount).toBe(5);
    expect(find(out, 'HOUR', '2024-03-05T08:00:00.000+01:00').startupRejectCount).toBe(1);
  });
});

describe('OEE > work order windows', () => {
  it('one window per work order, closed when the order leaves the equipment; dispatched again -> new revision', () => {
    const out = run([
      st(d('06:00'), 'RUNNING'),
      disp(d('06:00'), 'WO-1', { product: 'P' }), cnt(d('06:30'), 100),
      disp(d('07:00'), 'WO-2'), cnt(d('07:30'), 200),
      disp(d('08:00'), 'WO-1', { product: 'P' }), cnt(d('08:30'), 50),
      disp(d('09:00'), null), st(d('09:30'), 'IDLE'), st(d('09:40'), 'IDLE'),
    ]);
    const wo1 = windowsOf(out).filter((w) => w.windowKind === 'WORK_ORDER' && w.windowId === 'WO-1');
    // Closed at 07:00; open again (closed: false) once dispatched again at 08:00; closed again at 09:00.
    expect(wo1.map((w) => [w.revision, w.closed, w.totalCount, w.windowStart, w.closed ? w.windowEnd : 'open'])).toEqual([
      [0, true, 100, d('06:00'), d('07:00')],
      [1, false, 100, d('06:00'), 'open'],
      [2, true, 150, d('06:00'), d('09:00')],
    ]);
    expect(wo1[2]).toMatchObject({ eventId: `oee:${equipment}:WORK_ORDER:WO-1:r2`, runTimeMs: 2 * H });
    expect(find(out, 'HOUR', '2024-03-05T07:00:00.000+01:00').workOrder).toBe('WO-2');
    expect(windowsOf(out).filter((w) => w.windowKind === 'LIVE_SHIFT').at(-1)!.workOrder).toBeNull(); // several orders in the shift
  });
});

describe('OEE > live shift', () => {
  it('LIVE_SHIFT: partial views with increasing revisions, at most one per interval, then a final closed view', () => {
    const records = [st(d('06:00'), 'RUNNING')];
    for (let m = 1; m <= 60; m += 1) records.push(cnt(d('06:00') + m * MIN, 50));
    records.push(st(d('14:00'), 'IDLE'), closer());
    const live = windowsOf(run(records, { liveEmitIntervalMs: 10 * MIN })).filter((w) => w.windowKind === 'LIVE_SHIFT' && w.windowId === early);
    expect(live.map((w) => w.revision)).toEqual(live.map((_, i) => i));
    expect(live.slice(0, -1).every((w) => !w.closed)).toBe(true);
    expect(live.at(-1)).toMatchObject({ closed: true, windowId: early, totalCount: 3000 });
    // 06:00 .. 07:00 in 10-minute steps, then the jump to the end of input, then the final view.
    expect(live.length).toBeLessThanOrEqual(9);
    expect(live.slice(0, -1).map((w) => w.eventTime)).toEqual([...live.slice(0, -1).map((w) => w.eventTime)].sort((a, b) => a - b));
  });

  it('an unclassified stop shows as a provisional micro-stop in the live view', () => {
    const out = run([st(d('06:00'), 'RUNNING'), st(d('07:00'), 'STOPPED'), st(d('07:00', 30), 'STOPPED', { reasonCode: 'x' })], { liveEmitIntervalMs: 0, reorderMs: 0 });
    const last = windowsOf(out).filter((w) => w.windowKind === 'LIVE_SHIFT').at(-1)!;
    // End of input: the runtime's last watermark is the last event time + 1 ms.
    expect(last).toMatchObject({ closed: false, microStopMs: 30_001, microStopCount: 1, flags: ['PROVISIONAL'] });
  });
});

describe('OEE > late data, revisions, bounded state', () => {
  const base = () => [st(d('06:00'), 'RUNNING'), st(d('14:00'), 'IDLE'), cnt(d('13:00'), 1000), closer()];

  it('late counts for a closed shift: the shift is recomputed and re-emitted with revision + 1', () => {
    const late = cnt(d('09:00'), 500, 20, { eventId: 'late-1' });
    const out = run([...base(), late, st(d('15:00'), 'IDLE')]);
    const shifts = windowsOf(out).filter((w) => w.windowKind === 'SHIFT');
    expect(shifts.map((w) => [w.revision, w.totalCount, w.rejectCount])).toEqual([[0, 1000, 0], [1, 1520, 20]]);
    expect(shifts[1]!.eventId).toBe(`oee:${equipment}:SHIFT:${early}:r1`);
    expect(find(out, 'HOUR', '2024-03-05T09:00:00.000+01:00')).toMatchObject({ revision: 1, totalCount: 520 });
    // Unchanged windows are not re-emitted; the live view of a closed shift is not either.
    expect(windowsOf(out).filter((w) => w.windowKind === 'HOUR' && w.windowId.startsWith('2024-03-05T10')).map((w) => w.revision)).toEqual([0]);
    expect(windowsOf(out).filter((w) => w.windowKind === 'LIVE_SHIFT' && w.closed)).toHaveLength(1);
  });

  it('a late state change reclassifies time, even a micro-stop across the window boundary', () => {
    const out = run([...base(), st(d('11:00'), 'STOPPED', { eventId: 'late-stop' }), st(d('11:01'), 'RUNNING', { eventId: 'late-run' }), st(d('15:00'), 'IDLE')]);
    expect(find(out, 'SHIFT', early)).toMatchObject({ revision: 1, microStopMs: MIN, microStopCount: 1 });
  });

  it('a late dispatch that moves a work order retracts the window it replaced', () => {
    const out = run([st(d('06:00'), 'RUNNING'), disp(d('06:00'), 'WO-A', { eventId: 'da' }), disp(d('07:00'), null), st(d('08:00'), 'IDLE'), st(d('08:10'), 'IDLE'),
      disp(d('06:00'), 'WO-B', { eventId: 'dz' }) /* same time, sorts after 'da': WO-B replaces WO-A */, st(d('08:20'), 'IDLE')]);
    const a = windowsOf(out).filter((w) => w.windowId === 'WO-A');
    expect(a.at(-1)).toMatchObject({ revision: 1, flags: ['RETRACTED'], totalCount: 0, runTimeMs: 0 });
    expect(find(out, 'WORK_ORDER', 'WO-B')).toMatchObject({ revision: 0, runTimeMs: H });
  });

  it('events older than maxLatenessMs are dropped and counted; state stays bounded over a week', () => {
    const cfg = config({ maxLatenessMs: 2 * H, compactEveryMs: 15 * MIN });
    let state = oee.initialState(equipment, cfg);
    const t0 = d('06:00');
    let sizeAfterDay = 0;
    for (let i = 0; i < 7 * 24 * 60; i += 1) {
      const t = t0 + i * MIN;
      const input: CoreInput = i % 7 === 0
        ? { topic: 'state', key: equipment, value: st(t, i % 14 === 0 ? 'RUNNING' : 'STOPPED').value, eventTime: t, eventId: `s${i}`, late: false }
        : { topic: 'countIncrements', key: equipment, value: cnt(t, 5, 1).value, eventTime: t, eventId: `c${i}`, late: false };
      state = oee.process(state, input, cfg).state;
      state = oee.onWatermark!(state, equipment, t + 1, cfg).state;
      if (i === 24 * 60) sizeAfterDay = JSON.stringify(state).length;
    }
    const size = JSON.stringify(state).length;
    expect(size).toBeLessThan(sizeAfterDay * 1.5);
    expect(state.log.flat().length).toBeLessThanOrEqual(2 * 60 + 15 + 1);
    expect(Object.keys(state.win).length).toBeLessThan(40);
    const tooOld: CoreInput = { topic: 'countIncrements', key: equipment, value: cnt(t0, 1).value, eventTime: t0, eventId: 'old', late: true };
    expect(oee.process(state, tooOld, cfg).state.stats.tooLate).toBe(state.stats.tooLate + 1);
  });

  it('pure: the state passed in is never modified; a duplicate event changes nothing', () => {
    const cfg = config({ reorderMs: 0 });
    const deepFreeze = <T>(o: T): T => {
      if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
        Object.freeze(o);
        for (const v of Object.values(o)) deepFreeze(v);
      }
      return o;
    };
    let state: OeeState = oee.initialState(equipment, cfg);
    const inputs = [st(d('06:00'), 'RUNNING'), cnt(d('06:10'), 5), st(d('06:20'), 'STOPPED'), st(d('06:21'), 'RUNNING'), cnt(d('06:05'), 3), st(d('07:00'), 'IDLE')];
    for (const r of inputs) {
      const v = r.value as { eventId: string; eventTime: number };
      const input: CoreInput = { topic: r.topic, key: equipment, value: v, eventTime: v.eventTime, eventId: v.eventId, late: false };
      deepFreeze(state);
      const snapshot = JSON.stringify(state);
      state = oee.process(state, input, cfg).state;
      deepFreeze(state);
      // A duplicate state or dispatch changes nothing (pieces are summed per bucket: the runtime drops duplicates).
      if (r.topic !== 'countIncrements') expect(oee.process(state, input, cfg).state).toBe(state);
      state = oee.onWatermark!(state, equipment, v.eventTime + 1, cfg).state;
      expect(JSON.stringify(JSON.parse(snapshot))).toBe(snapshot);
    }
    const h = oee.onWatermark!(state, equipment, d('08:00'), cfg).outputs.map((o) => o.value as OeeWindow).find((w) => w.windowKind === 'HOUR')!;
    expect(h).toMatchObject({ totalCount: 8, microStopCount: 1 });
  });
});

describe('OEE > no data from the machine (offline rule)', () => {
  const hour = (hh: string) => `2024-03-05T${hh}:00:00.000+01:00`;
  // A healthy machine here reports at least every 30 minutes.
  const offline = { offline: { afterMs: 45 * MIN } };
  // Running and counting until 07:00, then nothing from the machine until 09:00 (the edge lost it) while the
  // watermark goes on (here: the closing event; live, the wall clock of an idle key).
  const before = () => [st(d('06:00'), 'RUNNING'), cnt(d('06:29', 50), 300), cnt(d('06:59', 50), 300), st(d('07:00'), 'RUNNING')];
  const after = () => [
    st(d('09:00'), 'RUNNING'), cnt(d('09:30'), 300), ...meal(),
    ...['10:50', '11:20', '11:50', '12:20', '12:50', '13:20', '13:50'].map((hhmm) => cnt(d(hhmm), 300)),
    st(d('14:00'), 'IDLE'), closer(),
  ];

  it('off by default: the last state goes on through the silence', () => {
    const out = run([...before(), ...after()]);
    expect(find(out, 'HOUR', hour('08'))).toMatchObject({ runTimeMs: H, unknownMs: 0 });
  });

  it('no data for longer than offline.afterMs while running: the time after is unknown, an availability loss', () => {
    const out = run([...before(), ...after()], offline);
    expect(find(out, 'HOUR', hour('07'))).toMatchObject({ runTimeMs: 45 * MIN, unknownMs: 15 * MIN, flags: expect.arrayContaining(['UNKNOWN_STATE_TIME']) });
    expect(find(out, 'HOUR', hour('08'))).toMatchObject({ runTimeMs: 0, unknownMs: H });
    // Data again at 09:00: running (the state it last reported) from then on.
    expect(find(out, 'HOUR', hour('09'))).toMatchObject({ runTimeMs: H, unknownMs: 0 });
    expect(find(out, 'SHIFT', early)).toMatchObject({ runTimeMs: 105 * MIN + 270 * MIN, unknownMs: 75 * MIN });
    expectInvariants(out);
  });

  it('the edge backlog arriving late corrects the windows with new revisions', () => {
    const backlog = [cnt(d('07:30'), 300), st(d('07:45'), 'RUNNING'), cnt(d('08:05'), 300), st(d('08:15'), 'STOPPED'), st(d('08:20'), 'RUNNING'), cnt(d('08:50'), 300)];
    const straight = run([...before(), ...backlog, ...after()], offline);
    const late = run([...before(), ...after(), ...backlog], { ...offline, maxLatenessMs: 24 * H });
    expect(find(straight, 'HOUR', hour('08'))).toMatchObject({ runTimeMs: 55 * MIN, unplannedStopMs: 5 * MIN, unknownMs: 0 });
    const closedOf = (outs: ReturnType<typeof run>) => [...latest(outs).values()].filter((w) => w.windowKind !== 'LIVE_SHIFT').map(({ eventId: _e, revision: _r, ...rest }) => rest);
    expect(closedOf(late)).toEqual(closedOf(straight));
    // The shift and the hours were emitted first with unknown time, then revised.
    expect(find(late, 'HOUR', hour('08')).revision).toBe(1);
    expect(windowsOf(late).find((w) => w.windowKind === 'HOUR' && w.windowId === hour('08') && w.revision === 0)).toMatchObject({ unknownMs: H });
  });

  it('categories the rule does not cover (a planned stop, by default) go on without data', () => {
    const out = run([st(d('06:00'), 'RUNNING'), st(d('07:00'), 'PLANNED_MAINTENANCE'), ...after()], offline);
    expect(find(out, 'HOUR', hour('08'))).toMatchObject({ plannedStopMs: H, unknownMs: 0 });
    const all = run([st(d('06:00'), 'RUNNING'), st(d('07:00'), 'PLANNED_MAINTENANCE'), ...after()], { offline: { afterMs: 45 * MIN, categories: ['running', 'plannedStop'] } });
    expect(find(all, 'HOUR', hour('08'))).toMatchObject({ plannedStopMs: 0, unknownMs: H });
  });
});

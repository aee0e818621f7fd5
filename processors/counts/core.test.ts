import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CoreOutput } from '../contract.ts';
import type { CountIncrement, CountTotal, PieceCount } from '../../schemas/generated/types.ts';
import { runOffline, type OfflineRecord } from '../runtime/offline.ts';
import { dispatch, equipmentPath, pieceCount } from '../runtime/test-events.ts';
import { countsConfig, type CountsConfig } from './config.ts';
import { countsCore } from './core.ts';

const config = countsConfig({
  reorderMs: 5_000,
  calendars: {
    default: {
      timeZone: 'Europe/Berlin',
      shifts: [
        { name: 'early', start: '06:00', end: '14:00' },
        { name: 'late', start: '14:00', end: '22:00' },
        { name: 'night', start: '22:00', end: '06:00' },
      ],
    },
  },
});

const t0 = Date.parse('2024-03-05T13:00:00+01:00'); // early shift
const min = 60_000;

const count = (p: Partial<PieceCount> & { eventId: string; eventTime: number }): OfflineRecord => ({ topic: 'counts', key: equipmentPath, value: pieceCount(p) });
const run = (records: OfflineRecord[], c: CountsConfig = config) => runOffline([{ core: countsCore, config: c }], records);
const increments = (out: CoreOutput[]) => out.filter((o) => o.topic === 'countIncrements').map((o) => o.value as CountIncrement);
const totals = (out: CoreOutput[]) => out.filter((o) => o.topic === 'countTotals').map((o) => o.value as CountTotal);

/** Latest revision per window, as consumers keep it. */
function latest(out: CoreOutput[]): Record<string, { good: number; reject: number }> {
  const best = new Map<string, CountTotal>();
  for (const t of totals(out)) {
    const k = `${t.windowKind} ${t.windowId}`;
    const prev = best.get(k);
    if (!prev || t.revision > prev.revision) best.set(k, t);
  }
  return Object.fromEntries([...best].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, t]) => [k, { good: t.good, reject: t.reject }]));
}

describe('counts > core', () => {
  it('counter readings: baseline, differences, rollover, reset; never negative', () => {
    const out = run([
      count({ eventId: 'r1', eventTime: t0, counterValue: 65_500, counterMax: 65_535 }),
      count({ eventId: 'r2', eventTime: t0 + min, counterValue: 65_530, counterMax: 65_535 }),
      count({ eventId: 'r3', eventTime: t0 + 2 * min, counterValue: 4, counterMax: 65_535 }),
      count({ eventId: 'r4', eventTime: t0 + 3 * min, counterValue: 20 }),
      count({ eventId: 'r5', eventTime: t0 + 4 * min, counterValue: 0 }),
      count({ eventId: 'r6', eventTime: t0 + 5 * min, counterValue: 9 }),
    ]);
    expect(increments(out).map((i) => [i.sourceEventId, i.good, i.reject, i.note])).toEqual([
      ['r1', 0, 0, 'FIRST_READING'],
      ['r2', 30, 0, null],
      ['r3', 10, 0, 'ROLLOVER'],
      ['r4', 16, 0, null],
      ['r5', 0, 0, 'RESET'],
      ['r6', 9, 0, null],
    ]);
    expect(increments(out)[1]!.eventId).toBe('r2:inc');
    expect(latest(out)['SHIFT 2024-03-05/early']).toEqual({ good: 65, reject: 0 });
  });

  it('discrete counts pass through; rejects carry their reason', () => {
    const out = run([
      count({ eventId: 'a', eventTime: t0, increment: 3 }),
      count({ eventId: 'b', eventTime: t0 + 1_000, kind: 'REJECT', increment: 1, rejectReason: 'SCRATCH' }),
      count({ eventId: 'c', eventTime: t0 + 2_000, increment: -4 }),
    ]);
    expect(increments(out).map((i) => [i.good, i.reject, i.rejectReason])).toEqual([
      [3, 0, null],
      [0, 1, 'SCRATCH'],
    ]);
  });

  it('totals per shift, hour, day and work order, each change a new revision', () => {
    const out = run([
      { topic: 'dispatch', key: equipmentPath, value: dispatch({ eventId: 'd1', eventTime: t0 - min, workOrder: 'WO-1' }) },
      count({ eventId: 'a', eventTime: t0, increment: 2 }),
      count({ eventId: 'b', eventTime: t0 + 70 * min, increment: 5 }), // 14:10: late shift, next hour
      count({ eventId: 'c', eventTime: t0 + 71 * min, increment: 1, workOrder: 'WO-X' }),
    ]);
    expect(latest(out)).toEqual({
      'DAY 2024-03-05T00:00:00.000+01:00': { good: 8, reject: 0 },
      'HOUR 2024-03-05T13:00:00.000+01:00': { good: 2, reject: 0 },
      'HOUR 2024-03-05T14:00:00.000+01:00': { good: 6, reject: 0 },
      'SHIFT 2024-03-05/early': { good: 2, reject: 0 },
      'SHIFT 2024-03-05/late': { good: 6, reject: 0 },
      'WORK_ORDER WO-1': { good: 7, reject: 0 },
      'WORK_ORDER WO-X': { good: 1, reject: 0 },
    });
    const day = totals(out).filter((t) => t.windowKind === 'DAY');
    expect(day.map((t) => t.revision)).toEqual([1, 2, 3]);
    expect(day[2]!.eventId).toBe(`${equipmentPath}|DAY|2024-03-05T00:00:00.000+01:00|3`);
    expect(increments(out).map((i) => i.workOrder)).toEqual(['WO-1', 'WO-1', 'WO-X']);
    const shift = totals(out).find((t) => t.windowKind === 'SHIFT')!;
    expect([shift.windowStart, shift.windowEnd]).toEqual([Date.parse('2024-03-05T06:00:00+01:00'), Date.parse('2024-03-05T14:00:00+01:00')]);
  });

  it('is idempotent by event id: a redelivered count is not counted twice', () => {
    const a = count({ eventId: 'a', eventTime: t0, increment: 2 });
    expect(latest(run([a, a, count({ eventId: 'b', eventTime: t0 + 1, increment: 1 }), a]))['SHIFT 2024-03-05/early']).toEqual({ good: 3, reject: 0 });
  });

  it('late data revises a closed window with a higher revision', () => {
    const out = run([
      count({ eventId: 'a', eventTime: t0, increment: 2 }),
      count({ eventId: 'b', eventTime: t0 + 3 * 60 * min, increment: 1 }), // watermark now past the early shift end
      count({ eventId: 'late', eventTime: t0 + 30 * min, increment: 4 }), // edge backlog
    ]);
    const early = totals(out).filter((t) => t.windowId === '2024-03-05/early');
    expect(early.map((t) => [t.revision, t.good])).toEqual([
      [1, 2],
      [2, 6],
    ]);
  });

  it('a TOTAL counter includes rejects: rejects are taken out of its following increments', () => {
    const out = run([
      count({ eventId: 't1', eventTime: t0, kind: 'TOTAL', counterValue: 100 }),
      count({ eventId: 'r1', eventTime: t0 + 1_000, kind: 'REJECT', counterValue: 10 }),
      count({ eventId: 't2', eventTime: t0 + 2_000, kind: 'TOTAL', counterValue: 110 }),
      count({ eventId: 'r2', eventTime: t0 + 3_000, kind: 'REJECT', counterValue: 12 }),
      count({ eventId: 't3', eventTime: t0 + 4_000, kind: 'TOTAL', counterValue: 120 }),
    ]);
    expect(latest(out)['SHIFT 2024-03-05/early']).toEqual({ good: 18, reject: 2 });
    expect(increments(out).every((i) => i.good >= 0 && i.reject >= 0)).toBe(true);
  });

  it('ignores BAD quality readings and counter readings older than the last one', () => {
    const out = run([
      count({ eventId: 'a', eventTime: t0, counterValue: 10 }),
      count({ eventId: 'bad', eventTime: t0 + 1_000, counterValue: 0, quality: 'BAD' }),
      count({ eventId: 'b', eventTime: t0 + 2_000, counterValue: 15 }),
      count({ eventId: 'c', eventTime: t0 + 60 * min, counterValue: 20 }),
      count({ eventId: 'old', eventTime: t0 + 1_500, counterValue: 12 }),
    ]);
    expect(increments(out).map((i) => i.sourceEventId)).toEqual(['a', 'b', 'c']);
  });

  it('with totalsIntervalMs, changed totals go out on interval ticks, and late data for a closed window at once', () => {
    const c = { ...config, totalsIntervalMs: 15 * min, windows: ['SHIFT' as const] };
    const out = run(
      [
        count({ eventId: 'a', eventTime: t0, increment: 1 }),
        count({ eventId: 'b', eventTime: t0 + min, increment: 1 }),
        count({ eventId: 'c', eventTime: t0 + 20 * min, increment: 1 }),
        count({ eventId: 'd', eventTime: t0 + 61 * min, increment: 1 }),
        count({ eventId: 'e', eventTime: t0 + 62 * min, increment: 1 }),
        count({ eventId: 'f', eventTime: t0 + 90 * min, increment: 1 }),
        count({ eventId: 'g', eventTime: t0 + 30 * min, increment: 1 }), // late, early shift already closed
      ],
      c,
    );
    expect(totals(out).map((t) => [t.windowId, t.revision, t.good])).toEqual([
      ['2024-03-05/early', 1, 1],
      ['2024-03-05/early', 2, 2],
      ['2024-03-05/early', 3, 3],
      ['2024-03-05/late', 1, 2],
      ['2024-03-05/early', 4, 4],
      ['2024-03-05/late', 2, 3],
    ]);
  });

  it('property: any arrival order within the reorder window gives the same outputs and totals', () => {
    const reorderMs = config.reorderMs;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 4 * min }),
            kind: fc.constantFrom('GOOD', 'REJECT', 'TOTAL' as const),
            counter: fc.boolean(),
            n: fc.integer({ min: 0, max: 70_000 }),
            delay: fc.integer({ min: 0, max: reorderMs }),
            dispatch: fc.option(fc.constantFrom('WO-1', 'WO-2'), { freq: 5 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (steps) => {
          let t = t0;
          const records = steps.map((s, i) => {
            t += s.gap;
            const record: OfflineRecord = s.dispatch
              ? { topic: 'dispatch', key: equipmentPath, value: dispatch({ eventId: `d${i}`, eventTime: t, workOrder: s.dispatch }) }
              : count({ eventId: `e${i}`, eventTime: t, kind: s.kind, counterValue: s.counter ? s.n : null, counterMax: s.counter ? 65_535 : null, increment: s.counter ? null : s.n % 10 });
            return { record, at: t + s.delay, i };
          });
          const inOrder = run(records.map((r) => r.record));
          const arrived = run([...records].sort((a, b) => a.at - b.at || a.i - b.i).map((r) => r.record));
          expect(arrived).toEqual(inOrder);
          expect(increments(arrived).every((i) => i.good >= 0 && i.reject >= 0)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: with interval totals, any arrival order within the reorder window gives the same final totals', () => {
    const c = { ...config, totalsIntervalMs: 10 * min };
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3 * min }), n: fc.integer({ min: 0, max: 5 }), delay: fc.integer({ min: 0, max: c.reorderMs }) }), { minLength: 1, maxLength: 60 }),
        (steps) => {
          let t = t0;
          const records = steps.map((s, i) => ({ record: count({ eventId: `e${i}`, eventTime: (t += s.gap), increment: s.n }), at: t + s.delay, i }));
          const inOrder = run(records.map((r) => r.record), c);
          const arrived = run([...records].sort((a, b) => a.at - b.at || a.i - b.i).map((r) => r.record), c);
          expect(latest(arrived)).toEqual(latest(inOrder));
        },
      ),
      { numRuns: 200 },
    );
  });
});

// Duplicate re-deliveries through the runtime driver with the real cores: raw events (origin sequence, exact) and
// derived events (event id within the consumer's lateness bound). "However late": a re-delivery can come hours of
// stream time after the original, far past the 10-minute id horizon of the first runtime version.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CountIncrement, PieceCount } from '../../schemas/generated/types.ts';
import type { CoreOutput } from '../contract.ts';
import { countsConfig } from '../counts/config.ts';
import { countsCore } from '../counts/core.ts';
import { oeeConfig } from '../oee/config.ts';
import { oee } from '../oee/core.ts';
import { runOffline, type OfflineRecord } from './offline.ts';

const MIN = 60_000;
const equipment = 'acme/plant1/assembly/line2/cell4/press';
const calendars = {
  default: { timeZone: 'Europe/Berlin', shifts: [{ name: 'early', start: '06:00', end: '14:00' }, { name: 'late', start: '14:00', end: '22:00' }, { name: 'night', start: '22:00', end: '06:00' }] },
};
const start = Date.parse('2024-03-05T05:00:00Z');
const runs = { numRuns: Number(process.env.DEDUP_PROPERTY_RUNS ?? 40) };

/** Inserts a copy of records[i] right after position j (> i) for each [i, j]: the later copies arrive after the originals. */
function withRedeliveries<T>(records: readonly T[], picks: ReadonlyArray<[number, number]>): T[] {
  const after = new Map<number, T[]>();
  for (const [a, b] of picks) {
    const i = a % records.length;
    const j = i + (b % (records.length - i));
    after.set(j, [...(after.get(j) ?? []), records[i]!]);
  }
  return records.flatMap((r, k) => [r, ...(after.get(k) ?? [])]);
}

const picks = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 30 });

describe('runtime > duplicate re-deliveries', () => {
  it('property (counts, raw PieceCount by origin seq): any re-delivery, however late, changes no output', () => {
    const step = fc.record({
      dt: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 1, max: 90 * MIN })),
      source: fc.constantFrom('opcua:press', 'mqtt:rejects'),
      n: fc.integer({ min: 0, max: 25 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 60 }), picks, (steps, redeliver) => {
        const seqs: Record<string, number> = {};
        let t = start;
        let counter = 1_000;
        const records: OfflineRecord[] = steps.map((s, i) => {
          t += s.dt;
          const seq = (seqs[s.source] = (seqs[s.source] ?? 0) + 1);
          // The press reports a GOOD counter, the reject station discrete REJECT increments.
          const byCounter = s.source === 'opcua:press';
          if (byCounter) counter += s.n;
          const value: PieceCount = {
            eventId: `${s.source}:${seq}`,
            eventTime: t,
            equipment,
            kind: byCounter ? 'GOOD' : 'REJECT',
            counterValue: byCounter ? counter : null,
            counterMax: byCounter ? 65_535 : null,
            increment: byCounter ? null : s.n,
            rejectReason: byCounter ? null : 'SCRATCH',
            workOrder: null,
            quality: 'GOOD',
            origin: { sourceId: s.source, seq, serverTime: null, edgeTime: t, historical: i % 3 === 0 },
          };
          return { topic: 'counts', key: equipment, value };
        });
        const config = countsConfig({ calendars });
        const straight = runOffline([{ core: countsCore, config }], records);
        const redelivered = runOffline([{ core: countsCore, config }], withRedeliveries(records, redeliver));
        expect(redelivered).toEqual(straight);
      }),
      runs,
    );
  });

  it('property (OEE, derived CountIncrement by id): any re-delivery, however late, changes no output', () => {
    // A short lateness bound so that re-deliveries both within it (dropped by id) and beyond it (the id forgotten,
    // the core drops the event as too late) occur.
    const config = oeeConfig({ calendars, idealCycleTime: { defaultMs: 1_000 }, maxLatenessMs: 60 * MIN, compactEveryMs: 10 * MIN, liveEmitIntervalMs: 0 });
    const step = fc.record({
      dt: fc.oneof(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 40 * MIN })),
      kind: fc.constantFrom('count', 'count', 'count', 'run', 'stop'),
      good: fc.integer({ min: 0, max: 20 }),
      reject: fc.integer({ min: 0, max: 2 }),
    });
    let uniq = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 60 }), picks, (steps, redeliver) => {
        const run = (uniq += 1);
        let t = start;
        let seq = 0;
        const records: OfflineRecord[] = steps.map((s, i) => {
          t += s.dt;
          if (s.kind === 'count') {
            const value: CountIncrement = { eventId: `r${run}-${i}:inc`, eventTime: t, equipment, good: s.good, reject: s.reject, workOrder: null, rejectReason: null, sourceEventId: `r${run}-${i}`, note: null };
            return { topic: 'countIncrements', key: equipment, value };
          }
          seq += 1;
          const origin = { sourceId: 'opcua:press', seq, serverTime: null, edgeTime: t, historical: false };
          return { topic: 'state', key: equipment, value: { eventId: `r${run}-s${seq}`, eventTime: t, equipment, state: s.kind === 'run' ? 'RUNNING' : 'STOPPED', reasonCode: null, reasonText: null, quality: 'GOOD', origin } };
        });
        const straight = runOffline([{ core: oee, config }], records);
        const redelivered = runOffline([{ core: oee, config }], withRedeliveries(records, redeliver));
        expect(redelivered).toEqual(straight);
      }),
      runs,
    );
  });

  it('a PieceCount re-delivered 30 hours of stream time later (a resent edge backlog) is not counted again', () => {
    const config = countsConfig({ calendars, windows: ['ALL_TIME'] });
    const at = (i: number) => start + i * 10 * MIN;
    const records: OfflineRecord[] = Array.from({ length: 200 }, (_, i) => ({
      topic: 'counts' as const,
      key: equipment,
      value: {
        eventId: `opcua:press:${i + 1}`, eventTime: at(i), equipment, kind: 'GOOD', counterValue: null, counterMax: null, increment: 2, rejectReason: null, workOrder: null, quality: 'GOOD',
        origin: { sourceId: 'opcua:press', seq: i + 1, serverTime: null, edgeTime: at(i), historical: false },
      } satisfies PieceCount,
    }));
    const again = records.slice(0, 20).map((r) => ({ ...r, value: { ...(r.value as PieceCount), origin: { ...(r.value as PieceCount).origin, historical: true } } }));
    const total = (out: CoreOutput[]) => out.filter((o) => o.topic === 'countTotals').map((o) => (o.value as { good: number }).good).at(-1);
    expect(total(runOffline([{ core: countsCore, config }], records))).toBe(400);
    expect(total(runOffline([{ core: countsCore, config }], [...records, ...again]))).toBe(400);
  });
});

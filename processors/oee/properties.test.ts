// Property tests (fast-check) of the OEE core through the runtime driver: arrival order, late data, time
// conservation, serialisation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OeeWindow } from '../../schemas/generated/types.ts';
import type { CoreOutput } from '../contract.ts';
import { createDriver, deserializeKeyState, serializeKeyState, type Arrival } from '../runtime/driver.ts';
import { oeeConfig, type OeeConfig } from './config.ts';
import { oee } from './core.ts';
import { cnt, disp, equipment, invariantViolations, latest, st } from './test-helpers.ts';

const MIN = 60_000;

const calendars = {
  default: {
    timeZone: 'Europe/Berlin',
    shifts: [
      { name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '09:00', end: '09:15' }, { start: '11:30', end: '12:00', kind: 'MEAL' }] },
      { name: 'late', start: '14:00', end: '22:00' },
      { name: 'night', start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30', kind: 'MEAL' }] },
    ],
  },
};

const baseConfig = {
  calendars,
  idealCycleTime: { defaultMs: 1000, products: { P1: 2000 } },
  reorderMs: 5_000,
  liveEmitIntervalMs: 60_000,
  noOrderIsPlannedStop: false,
};

/** Starts: an ordinary day, the nights of the 2024 DST changes in Europe/Berlin. */
const starts = ['2024-06-12T04:00:00Z', '2024-03-30T19:00:00Z', '2024-10-26T19:00:00Z'].map(Date.parse);

type Step =
  | { kind: 'state'; dt: number; raw: string; reason: string | null }
  | { kind: 'count'; dt: number; good: number; reject: number; reason: string | null }
  | { kind: 'dispatch'; dt: number; wo: string | null; product: string | null };

const dt = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * MIN }), fc.integer({ min: 1, max: 45 * MIN }));
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('state' as const), dt, raw: fc.constantFrom('RUNNING', 'RUNNING', 'STOPPED', 'STARVED', 'SETUP', 'PLANNED_MAINTENANCE', 'GIBBERISH'), reason: fc.constantFrom(null, null, 'PM') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('count' as const), dt, good: fc.integer({ min: 0, max: 40 }), reject: fc.integer({ min: 0, max: 4 }), reason: fc.constantFrom(null, null, 'STARTUP') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dispatch' as const), dt, wo: fc.constantFrom(null, 'WO-1', 'WO-2', 'WO-3'), product: fc.constantFrom(null, 'P1') }) },
);

const scenario = fc.record({ start: fc.constantFrom(...starts), steps: fc.array(step, { minLength: 3, maxLength: 60 }) });

let uniq = 0;
/** The scenario as arrivals in event-time order, ending 3 hours after the last step (windows close). */
function arrivals(s: { start: number; steps: Step[] }): Arrival[] {
  let t = s.start;
  const out: Arrival[] = [];
  const run = (uniq += 1);
  s.steps.forEach((x, i) => {
    t += x.dt;
    const eventId = `p${run}-${i}`;
    const r =
      x.kind === 'state'
        ? st(t, x.raw, { eventId, ...(x.reason ? { reasonCode: x.reason } : {}) })
        : x.kind === 'count'
          ? cnt(t, x.good, x.reject, { eventId, ...(x.reason ? { rejectReason: x.reason } : {}) })
          : disp(t, x.wo, { eventId, ...(x.product ? { product: x.product } : {}) });
    out.push({ topic: r.topic, key: r.key, value: r.value, eventTime: t, eventId });
  });
  const end = st(t + 3 * 3_600_000, 'IDLE', { eventId: `p${run}-end` });
  out.push({ topic: 'state', key: equipment, value: end.value, eventTime: t + 3 * 3_600_000, eventId: `p${run}-end` });
  return out;
}

function drive(config: OeeConfig, input: readonly Arrival[], options: { roundTrip?: boolean } = {}): CoreOutput[] {
  const driver = createDriver(oee, config);
  let ks = driver.initialKeyState(equipment);
  const outputs: CoreOutput[] = [];
  for (const a of input) {
    const r = driver.ingest(ks, a);
    outputs.push(...r.outputs);
    ks = options.roundTrip ? deserializeKeyState(serializeKeyState(r.state)) : r.state;
  }
  outputs.push(...driver.flush(ks, equipment).outputs);
  return outputs;
}

/**
 * The consumer's view of closed windows: highest revision of every SHIFT, HOUR, DAY and WORK_ORDER window that is
 * closed in it (a work order dispatched again is open: its earlier emissions depend on when data arrived).
 */
function closedView(outputs: readonly CoreOutput[]): Array<Omit<OeeWindow, 'eventId' | 'revision'>> {
  return [...latest(outputs).values()]
    .filter((w) => w.windowKind !== 'LIVE_SHIFT' && w.closed && !w.flags.includes('RETRACTED'))
    .map(({ eventId: _e, revision: _r, ...rest }) => rest)
    .sort((a, b) => (a.windowKind + a.windowId < b.windowKind + b.windowId ? -1 : 1));
}

/** More runs for a deeper search: OEE_PROPERTY_RUNS=500 npx vitest run processors/oee/properties.test.ts */
const runs = { numRuns: Number(process.env.OEE_PROPERTY_RUNS ?? 40) };

describe('OEE > properties', () => {
  it('arrival order within the reorder bound: identical outputs', () => {
    const config = oeeConfig(baseConfig);
    fc.assert(
      fc.property(scenario, fc.array(fc.integer({ min: 0, max: config.reorderMs - 1 }), { minLength: 70, maxLength: 70 }), (s, jitter) => {
        const sorted = arrivals(s);
        // Each event is delayed by less than the reorder bound: the runtime puts them back in order.
        const shuffled = sorted.map((a, i) => ({ a, at: a.eventTime + jitter[i % jitter.length]! })).sort((x, y) => x.at - y.at || 0).map((x) => x.a);
        const straight = drive(config, sorted);
        expect(closedView(drive(config, shuffled))).toEqual(closedView(straight));
        // Calendar windows are emitted once each (no late data, no revision; work orders may be dispatched again).
        expect(straight.map((o) => o.value as OeeWindow).filter((w) => ['HOUR', 'SHIFT', 'DAY'].includes(w.windowKind) && w.revision > 0)).toEqual([]);
      }),
      runs,
    );
  });

  it('any arrival order within the lateness bound (late data, revisions): the same final windows', () => {
    const config = oeeConfig({ ...baseConfig, maxLatenessMs: 7 * 24 * 3_600_000 });
    fc.assert(
      fc.property(scenario, fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (s, keys) => {
        const sorted = arrivals(s);
        const order = sorted.map((a) => ({ a, k: keys.next().value as number })).sort((x, y) => x.k - y.k).map((x) => x.a);
        expect(closedView(drive(config, order))).toEqual(closedView(drive(config, sorted)));
      }),
      runs,
    );
  });

  it('late data within a short lateness bound (the state compacts meanwhile): the same final windows', () => {
    const config = oeeConfig({ ...baseConfig, maxLatenessMs: 2 * 3_600_000, compactEveryMs: 10 * MIN });
    fc.assert(
      fc.property(scenario, fc.infiniteStream(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 90 * MIN }))), (s, delays) => {
        const sorted = arrivals(s);
        // Events delayed by up to 90 minutes: late for the runtime, within the 2-hour bound for the core.
        const delayed = sorted.map((a) => ({ a, at: a.eventTime + (delays.next().value as number) })).sort((x, y) => x.at - y.at).map((x) => x.a);
        const late = drive(config, delayed);
        expect(closedView(late)).toEqual(closedView(drive(config, sorted)));
      }),
      runs,
    );
  });

  it('with the no-data rule: any arrival order within the lateness bound gives the same final windows, time conserved', () => {
    const config = oeeConfig({ ...baseConfig, maxLatenessMs: 7 * 24 * 3_600_000, offline: { afterMs: 20 * MIN, categories: ['running', 'idle'] } });
    fc.assert(
      fc.property(scenario, fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (s, keys) => {
        const sorted = arrivals(s);
        const order = sorted.map((a) => ({ a, k: keys.next().value as number })).sort((x, y) => x.k - y.k).map((x) => x.a);
        const straight = drive(config, sorted);
        expect(closedView(drive(config, order))).toEqual(closedView(straight));
        for (const o of straight) expect(invariantViolations(o.value as OeeWindow)).toEqual([]);
      }),
      runs,
    );
  });

  it('time is conserved and never negative; losses add up; ratios are null or finite', () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), fc.boolean(), (s, idleAsPlannedStop, noOrderIsPlannedStop) => {
        const outputs = drive(oeeConfig({ ...baseConfig, idleAsPlannedStop, noOrderIsPlannedStop }), arrivals(s));
        for (const o of outputs) {
          const w = o.value as OeeWindow;
          expect(invariantViolations(w), `${w.windowKind} ${w.windowId} r${w.revision}`).toEqual([]);
        }
        // Closed windows after the start of the timeline (the first event; a count starts it at the end of its
        // 10 s bucket): every millisecond is scheduled (shift, or running outside shifts) or not scheduled.
        const first = arrivals(s)[0]!.eventTime + 10_000;
        for (const w of latest(outputs).values())
          if (w.closed && w.windowKind !== 'WORK_ORDER' && w.windowStart >= first) expect(w.scheduledTimeMs + w.notScheduledMs, `${w.windowKind} ${w.windowId}`).toBe(w.windowEnd - w.windowStart);
      }),
      runs,
    );
  });

  it('state serialised and restored after every arrival: identical outputs', () => {
    const config = oeeConfig({ ...baseConfig, maxLatenessMs: 24 * 3_600_000 });
    fc.assert(
      fc.property(scenario, fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (s, keys) => {
        // Some events late, so the refold path is serialised too.
        const order = arrivals(s).map((a, i) => ({ a, k: i + (keys.next().value as number) * 8 })).sort((x, y) => x.k - y.k).map((x) => x.a);
        expect(drive(config, order, { roundTrip: true })).toEqual(drive(config, order));
      }),
      { numRuns: Math.ceil(runs.numRuns / 2) },
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CoreInput, ProcessorCore } from '../contract.ts';
import { createDriver, deserializeKeyState, flushAll, ingestKeyed, serializeKeyState, type Arrival, type DriverState } from './driver.ts';

// A recording core: its state is the list of what it was called with.
interface Rec {
  seen: string[];
}
const recorder: ProcessorCore<Rec, { reorderMs: number }> = {
  name: 'recorder',
  inputs: ['state', 'telemetry'],
  outputs: ['alerts'],
  reorderMs: (c) => c.reorderMs,
  initialState: () => ({ seen: [] }),
  process: (s, input: CoreInput) => {
    const line = `${input.topic}:${input.eventId}@${input.eventTime}${input.late ? ' late' : ''}`;
    return { state: { seen: [...s.seen, line] }, outputs: [{ topic: 'alerts', key: input.key, value: line }] };
  },
  onWatermark: (s, _key, w) => ({ state: { seen: [...s.seen, `W${w}`] }, outputs: [] }),
};

const ev = (eventId: string, eventTime: number, topic: Arrival['topic'] = 'state', key = 'a/b/c'): Arrival => ({ topic, key, value: { eventId, eventTime }, eventId, eventTime });

function run(arrivals: Arrival[], reorderMs = 10): DriverState<Rec> {
  const driver = createDriver(recorder, { reorderMs });
  const states: DriverState<Rec> = new Map();
  for (const a of arrivals) ingestKeyed(driver, states, a);
  flushAll(driver, states);
  return states;
}

describe('runtime > driver', () => {
  it('holds events for reorderMs and releases them in event-time order, ties by topic then eventId', () => {
    const states = run([ev('b', 100, 'telemetry'), ev('c', 105), ev('a', 100, 'telemetry'), ev('z', 100, 'state'), ev('d', 120)]);
    expect(states.get('a/b/c')!.core.seen).toEqual([
      'W90',
      'W95',
      'state:z@100',
      'telemetry:a@100',
      'telemetry:b@100',
      'state:c@105',
      'W110',
      'state:d@120',
      'W121',
    ]);
  });

  it('flags events older than the watermark as late and processes them at once', () => {
    const states = run([ev('a', 100), ev('b', 200), ev('c', 150), ev('d', 195)], 10);
    expect(states.get('a/b/c')!.core.seen).toEqual(['W90', 'state:a@100', 'W190', 'state:c@150 late', 'state:d@195', 'state:b@200', 'W201']);
  });

  it('drops an event id it already accepted for the key (per topic)', () => {
    const states = run([ev('a', 100), ev('a', 100), ev('a', 101, 'telemetry'), ev('a', 300)]);
    expect(states.get('a/b/c')!.core.seen.filter((l) => !l.startsWith('W'))).toEqual(['state:a@100', 'telemetry:a@101']);
  });

  it('forgets ids once the stream time moved past the horizon, and caps how many it keeps', () => {
    const driver = createDriver(recorder, { reorderMs: 0 }, { dedupHorizonMs: 100, maxRememberedIds: 3 });
    const states: DriverState<Rec> = new Map();
    for (let i = 0; i < 10; i += 1) ingestKeyed(driver, states, ev(`e${i}`, i));
    expect([...states.get('a/b/c')!.seen.keys()]).toEqual(['state e7', 'state e8', 'state e9']);
    ingestKeyed(driver, states, ev('x', 1000));
    expect([...states.get('a/b/c')!.seen.keys()]).toEqual(['state x']);
  });

  it('raw events: drops a repeated (topic, sourceId, seq) however late; seqs of other topics and sources are apart', () => {
    const driver = createDriver(recorder, { reorderMs: 0 }, { dedupHorizonMs: 100, maxRememberedIds: 3 });
    const states: DriverState<Rec> = new Map();
    const raw = (eventId: string, eventTime: number, seq: number, topic: Arrival['topic'] = 'state', sourceId = 'opcua:press'): Arrival => ({
      topic, key: 'a/b/c', eventId, eventTime, value: { eventId, eventTime, origin: { sourceId, seq, edgeTime: eventTime } },
    });
    const got = (a: Arrival) => ingestKeyed(driver, states, a).duplicate;
    for (let i = 1; i <= 50; i += 1) expect(got(raw(`s${i}`, i * 1_000, i))).toBe(false);
    // 50 000 ms of stream time later than the first ones (500 x the id horizon), no id remembered at all.
    expect(states.get('a/b/c')!.seen.size).toBe(0);
    expect(got(raw('s1', 1_000, 1))).toBe(true);
    expect(got(raw('s50', 50_000, 50))).toBe(true);
    // Same seq on another topic or from another source: another event.
    expect(got(raw('t1', 50_500, 1, 'telemetry'))).toBe(false);
    expect(got(raw('x1', 50_600, 1, 'state', 'mqtt:other'))).toBe(false);
    // Out of seq order within the window: new the first time, a duplicate after.
    expect(got(raw('s60', 60_000, 60))).toBe(false);
    expect(got(raw('s55', 55_000, 55))).toBe(false);
    expect(got(raw('s55', 55_000, 55))).toBe(true);
    expect(got(raw('s52', 52_000, 52))).toBe(false);
    // The state stays one small record per (topic, source), and survives a snapshot.
    const restored = deserializeKeyState<Rec>(serializeKeyState(states.get('a/b/c')!));
    expect(restored.sources.size).toBe(3);
    expect(driver.ingest(restored, raw('s52', 52_000, 52)).duplicate).toBe(true);
    expect(driver.ingest(restored, raw('s53', 53_000, 53)).duplicate).toBe(false);
  });

  it('derived events: the id horizon is the core’s dedupHorizonMs when longer than 10 minutes', () => {
    expect(createDriver(recorder, { reorderMs: 0 }).dedupHorizonMs).toBe(10 * 60_000);
    expect(createDriver({ ...recorder, dedupHorizonMs: () => 8 * 3_600_000 }, { reorderMs: 0 }).dedupHorizonMs).toBe(8 * 3_600_000);
    expect(createDriver({ ...recorder, dedupHorizonMs: () => 60_000 }, { reorderMs: 0 }).dedupHorizonMs).toBe(10 * 60_000);
    expect(createDriver({ ...recorder, dedupHorizonMs: () => 8 * 3_600_000 }, { reorderMs: 0 }, { dedupHorizonMs: 5 }).dedupHorizonMs).toBe(5);
  });

  it('snapshots: remembered ids are front-coded, and version 1 snapshots are still read', () => {
    const driver = createDriver(recorder, { reorderMs: 0 });
    let s = driver.initialKeyState('k');
    for (let i = 0; i < 100; i += 1) s = driver.ingest(s, ev(`opcua:press:${1_000 + i}:inc`, i * 1_000, 'state', 'k')).state;
    const json = serializeKeyState(s);
    expect(deserializeKeyState<Rec>(json).seen).toEqual(s.seen);
    expect(JSON.stringify((JSON.parse(json) as { seen: unknown }).seen).length).toBeLessThan(JSON.stringify([...s.seen]).length / 2);
    const v1 = JSON.stringify({ v: 1, core: s.core, maxEventTime: s.maxEventTime, watermark: s.watermark, buffer: [], seen: [...s.seen] });
    const old = deserializeKeyState<Rec>(v1);
    expect(old.seen).toEqual(s.seen);
    expect(driver.ingest(old, ev('opcua:press:1050:inc', 50_000, 'state', 'k')).duplicate).toBe(true);
  });

  it('keeps keys apart', () => {
    const states = run([ev('a', 100, 'state', 'k1'), ev('b', 100, 'state', 'k2')]);
    expect(states.get('k1')!.core.seen).toEqual(['W90', 'state:a@100', 'W101']);
    expect(states.get('k2')!.core.seen).toEqual(['W90', 'state:b@100', 'W101']);
  });

  it('advance() moves an idle key on (synthetic watermark) and never moves it back', () => {
    const driver = createDriver(recorder, { reorderMs: 10 });
    let s = driver.initialKeyState('k');
    s = driver.ingest(s, ev('a', 100)).state;
    s = driver.advance(s, 'k', 500).state;
    expect(s.core.seen).toEqual(['W90', 'state:a@100', 'W500']);
    s = driver.advance(s, 'k', 300).state;
    expect(driver.ingest(s, ev('b', 400)).late).toBe(true);
  });

  it('a state survives serialisation (changelog) and continues identically', () => {
    const arrivals = [ev('a', 100), ev('b', 95), ev('c', 130), ev('d', 125), ev('e', 160)];
    const straight = run(arrivals).get('a/b/c')!;
    const driver = createDriver(recorder, { reorderMs: 10 });
    let s = driver.initialKeyState('a/b/c');
    for (const a of arrivals.slice(0, 3)) s = driver.ingest(s, a).state;
    s = deserializeKeyState<Rec>(serializeKeyState(s));
    for (const a of arrivals.slice(3)) s = driver.ingest(s, a).state;
    s = driver.flush(s, 'a/b/c').state;
    expect(serializeKeyState(s)).toEqual(serializeKeyState(straight));
  });

  it('property: any arrival order within the reorder bound releases the same sequence', () => {
    const reorderMs = 50;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: reorderMs }), { minLength: 40, maxLength: 40 }),
        (gaps, delays) => {
          let t = 1000;
          const events = gaps.map((g, i) => ev(`e${i}`, (t += g)));
          // Each event arrives at (eventTime + delay), delay within the reorder bound.
          const shuffled = events
            .map((e, i) => ({ e, at: e.eventTime + delays[i]!, i }))
            .sort((a, b) => a.at - b.at || a.i - b.i)
            .map(({ e }) => e);
          const release = (s: DriverState<Rec>) => s.get('a/b/c')!.core.seen.filter((l) => !l.startsWith('W'));
          expect(release(run(shuffled, reorderMs))).toEqual(release(run(events, reorderMs)));
        },
      ),
    );
  });
});

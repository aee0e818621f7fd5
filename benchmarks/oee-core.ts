// Throughput of the pure OEE core on one thread: events per second through `process` + `onWatermark`, no I/O, no
// codec, no Kafka (benchmarks/processors.ts measures the processor against real Kafka). Prints figures, asserts
// nothing.
//
//   npx tsx benchmarks/oee-core.ts [--hours 48] [--equipment 4] [--rounds 3]
//
// Workload per equipment: a 3-shift Europe/Berlin calendar with breaks; one CountIncrement per second while running,
// a state change about every 2-3 minutes (runs, micro-stops, breakdowns, setups), a dispatch every 2 hours.
// Rows:
//   core, watermark per event   every event is followed by onWatermark (what the runtime driver does when each
//                               event advances the key's stream time): the worst case;
//   core, watermark per 100     onWatermark once per 100 events (a consumer batch);
//   driver (reorder buffer)     through processors/runtime/driver.ts, reorderMs 5 s;
//   driver, 1 % late            1 % of the events arrive 10 minutes late: closed windows are recomputed;
//   snapshot cost               JSON.stringify of a key's state (what the changelog writes per commit).
import type { CoreInput, CoreOutput } from '../processors/contract.ts';
import { oeeConfig } from '../processors/oee/config.ts';
import { oee, type OeeState } from '../processors/oee/core.ts';
import { createDriver, type Arrival } from '../processors/runtime/driver.ts';
import { positiveArg, median } from './args.ts';

const hours = positiveArg('--hours', 48);
const equipmentCount = positiveArg('--equipment', 4);
const rounds = positiveArg('--rounds', 3);

const config = oeeConfig({
  idealCycleTime: { defaultMs: 800 },
  calendars: {
    default: {
      timeZone: 'Europe/Berlin',
      shifts: [
        { name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '09:00', end: '09:15' }, { start: '11:30', end: '12:00', kind: 'MEAL' }] },
        { name: 'late', start: '14:00', end: '22:00', breaks: [{ start: '18:00', end: '18:30', kind: 'MEAL' }] },
        { name: 'night', start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30', kind: 'MEAL' }] },
      ],
    },
  },
});

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same workload. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function workload(key: string, seed: number): Arrival[] {
  const random = rng(seed);
  const t0 = Date.parse('2024-03-04T00:00:00+01:00');
  const end = t0 + hours * 3_600_000;
  const out: Arrival[] = [];
  let n = 0;
  const push = (topic: Arrival['topic'], t: number, value: Record<string, unknown>) => {
    const eventId = `${topic}-${seed}-${(n += 1)}`;
    out.push({ topic, key, eventTime: t, eventId, value: { eventId, eventTime: t, equipment: key, ...value } });
  };
  let running = false;
  let nextState = t0;
  let nextDispatch = t0;
  let wo = 0;
  for (let t = t0; t < end; t += 1000) {
    if (t >= nextDispatch) {
      push('dispatch', t, { workOrder: `WO-${(wo += 1)}`, product: `P${wo % 3}`, operation: null, idealCycleTimeMs: null, targetQuantity: null });
      nextDispatch = t + 2 * 3_600_000;
    }
    if (t >= nextState) {
      const r = random();
      running = !running || r < 0.1;
      const state = running ? 'RUNNING' : r < 0.6 ? 'STOPPED' : r < 0.85 ? 'STARVED' : 'SETUP';
      push('state', t, { state, reasonCode: null, reasonText: null, quality: 'GOOD', origin: { sourceId: 'bench', seq: n, serverTime: null, edgeTime: t, historical: false } });
      nextState = t + (running ? 60_000 + random() * 240_000 : 20_000 + random() * (random() < 0.3 ? 900_000 : 100_000));
    }
    if (running) push('countIncrements', t, { good: random() < 0.98 ? 1 : 0, reject: random() < 0.02 ? 1 : 0, workOrder: null, rejectReason: null, sourceEventId: 'x', note: null });
  }
  return out;
}

const keys = Array.from({ length: equipmentCount }, (_, i) => `acme/plant1/assembly/line1/cell${i + 1}/press`);
const streams = keys.map((k, i) => workload(k, i + 1));
const totalEvents = streams.reduce((s, x) => s + x.length, 0);

function measure(label: string, body: () => { outputs: number; states: OeeState[] }): void {
  const rates: number[] = [];
  let last = { outputs: 0, states: [] as OeeState[] };
  for (let r = 0; r < rounds; r += 1) {
    const start = performance.now();
    last = body();
    rates.push(totalEvents / ((performance.now() - start) / 1000));
  }
  const stateBytes = median(last.states.map((s) => JSON.stringify(s).length));
  console.log(
    `${label.padEnd(28)} ${Math.round(median(rates)).toLocaleString('en-US').padStart(10)} events/s   outputs ${last.outputs.toLocaleString('en-US').padStart(7)}   state ${(stateBytes / 1024).toFixed(0).padStart(5)} KiB/key`,
  );
}

function coreOnly(watermarkEvery: number): { outputs: number; states: OeeState[] } {
  let outputs = 0;
  const states: OeeState[] = [];
  for (const [i, stream] of streams.entries()) {
    const key = keys[i]!;
    let state = oee.initialState(key, config);
    for (let j = 0; j < stream.length; j += 1) {
      const a = stream[j]!;
      const input: CoreInput = { topic: a.topic, key, value: a.value, eventTime: a.eventTime, eventId: a.eventId, late: false };
      state = oee.process(state, input, config).state;
      if ((j + 1) % watermarkEvery === 0) {
        const r = oee.onWatermark!(state, key, a.eventTime + 1, config);
        state = r.state;
        outputs += r.outputs.length;
      }
    }
    states.push(state);
  }
  return { outputs, states };
}

function viaDriver(lateFraction: number): { outputs: number; states: OeeState[] } {
  const driver = createDriver(oee, config);
  let outputs = 0;
  const states: OeeState[] = [];
  for (const [i, stream] of streams.entries()) {
    const key = keys[i]!;
    let arrivals = stream;
    if (lateFraction > 0) {
      // Every 1/lateFraction-th event is held back 10 minutes (it arrives after the watermark passed it).
      const every = Math.round(1 / lateFraction);
      const held = stream.filter((_, j) => j % every === 0).map((a) => ({ a, at: a.eventTime + 600_000 }));
      const onTime = stream.filter((_, j) => j % every !== 0).map((a) => ({ a, at: a.eventTime }));
      arrivals = [...onTime, ...held].sort((x, y) => x.at - y.at).map((x) => x.a);
    }
    let ks = driver.initialKeyState(key);
    const sink = (o: readonly CoreOutput[]) => (outputs += o.length);
    for (const a of arrivals) {
      const r = driver.ingest(ks, a);
      ks = r.state;
      sink(r.outputs);
    }
    const f = driver.flush(ks, key);
    sink(f.outputs);
    states.push(f.state.core);
  }
  return { outputs, states };
}

console.log(`OEE core: ${equipmentCount} equipment x ${hours} h, ${totalEvents.toLocaleString('en-US')} events, median of ${rounds} rounds, node ${process.version}`);
measure('core, watermark per event', () => coreOnly(1));
measure('core, watermark per 100', () => coreOnly(100));
measure('driver (reorder buffer)', () => viaDriver(0));
measure('driver, 1 % late', () => viaDriver(0.01));
{
  const { states } = coreOnly(100);
  const json = states.map((s) => JSON.stringify(s));
  const n = 200;
  const start = performance.now();
  for (let i = 0; i < n; i += 1) for (const s of states) JSON.stringify(s);
  const perSnapshotMs = (performance.now() - start) / (n * states.length);
  console.log(`snapshot cost                ${perSnapshotMs.toFixed(3)} ms per key state (${(median(json.map((j) => j.length)) / 1024).toFixed(0)} KiB)`);
}

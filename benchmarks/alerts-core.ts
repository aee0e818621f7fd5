// Alert processor core throughput: telemetry samples per second on one core (single thread), median of rounds.
// Prints figures, asserts nothing.
//
//   npx tsx benchmarks/alerts-core.ts [--equipment 50] [--tags 20] [--samples 200000] [--rounds 5]
//
// The workload is the end-to-end bench's (harness/workload.ts, harness/run.ts benchSensorRules): every equipment
// reports every tag round-robin, values uniform in [20, 30), one high-limit rule per tag (above 29.5, deadband 0.5,
// 2-s holds), so about 5 % of the samples are out of range and alerts raise and clear at a realistic rate. Each
// equipment also changes state (running / unplanned stop) every 10 s of event time, and every key gets a
// watermark call per 100 ms of event time, as the runtime does. Rows:
// - process: alertsCore.process + onWatermark with the state threaded per key, as the runtime drives it;
// - no matching rule: the same samples with the rules on other tags (the early exit for telemetry nobody watches).
import type { EquipmentState, Telemetry } from '../schemas/generated/types.ts';
import type { CoreInput } from '../processors/contract.ts';
import { alertsConfig } from '../processors/alerts/config.ts';
import { alertsCore, type AlertsState } from '../processors/alerts/core.ts';
import { positiveArg, median } from './args.ts';

const equipmentCount = positiveArg('--equipment', 50);
const tags = positiveArg('--tags', 20);
const samples = positiveArg('--samples', 200_000);
const rounds = positiveArg('--rounds', 5);

function rules(tagPrefix: string): Array<Record<string, unknown>> {
  return Array.from({ length: tags }, (_, t) => ({ id: `bench-tag${t}-high`, tag: `${tagPrefix}${t}`, above: 29.5, deadband: 0.5, raiseAfterMs: 2_000, clearAfterMs: 2_000 }));
}

type Input = CoreInput<Telemetry | EquipmentState>;

function workload(): Input[] {
  let seed = 42;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const equipment = Array.from({ length: equipmentCount }, (_, i) => `bench/site/area/line${i % 5}/eq${i}`);
  const stepMs = 1_000 / (samples / 100); // 100 s of event time per round
  const inputs: Input[] = [];
  let nextState = 0;
  for (let i = 0; i < samples; i++) {
    const eventTime = 1_700_000_000_000 + Math.round(i * stepMs);
    const key = equipment[i % equipmentCount]!;
    if (eventTime >= nextState) {
      const stopped = Math.floor((eventTime - 1_700_000_000_000) / 10_000) % 2 === 1;
      for (const eq of equipment) {
        const origin = { sourceId: 'bench', seq: i, serverTime: null, edgeTime: eventTime, historical: false };
        const value: EquipmentState = { eventId: `s${i}${eq}`, eventTime, equipment: eq, state: stopped ? 'STOPPED' : 'RUNNING', reasonCode: null, reasonText: null, quality: 'GOOD', origin };
        inputs.push({ topic: 'state', key: eq, eventTime, eventId: value.eventId, late: false, value });
      }
      nextState = eventTime + 10_000;
    }
    const tag = `tag${Math.floor(i / equipmentCount) % tags}`;
    const value: Telemetry = {
      eventId: `t${i}`,
      eventTime,
      equipment: key,
      tag,
      value: Math.round((20 + 10 * random()) * 1000) / 1000,
      text: null,
      unit: null,
      quality: 'GOOD',
      statusCode: null,
      outOfRange: false,
      origin: { sourceId: 'bench', seq: i, serverTime: null, edgeTime: eventTime, historical: false },
    };
    inputs.push({ topic: 'telemetry', key, eventTime, eventId: value.eventId, late: false, value });
  }
  return inputs;
}

function run(inputs: readonly Input[], tagPrefix: string): () => number {
  const config = alertsConfig({ reorderMs: 0, sensors: rules(tagPrefix) });
  return () => {
    const states = new Map<string, AlertsState>();
    const watermarks = new Map<string, number>();
    let outputs = 0;
    for (const input of inputs) {
      let state = states.get(input.key) ?? alertsCore.initialState(input.key, config);
      const r = alertsCore.process(state, input, config);
      state = r.state;
      outputs += r.outputs.length;
      const due = (watermarks.get(input.key) ?? 0) + 100;
      if (input.eventTime >= due) {
        const w = alertsCore.onWatermark!(state, input.key, input.eventTime, config, false);
        state = w.state;
        outputs += w.outputs.length;
        watermarks.set(input.key, input.eventTime);
      }
      states.set(input.key, state);
    }
    return outputs;
  };
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const inputs = workload();
const telemetry = inputs.filter((i) => i.topic === 'telemetry').length;
console.log(`alerts core: ${equipmentCount} equipment x ${tags} tags, ${tags} sensor rules, ${fmt(telemetry)} samples + ${fmt(inputs.length - telemetry)} state events per round; median of ${rounds} rounds; Node ${process.version}; single thread`);
console.log('row'.padEnd(24), 'samples/s'.padStart(12), 'us/sample'.padStart(10), 'outputs'.padStart(9));
for (const [name, prefix] of [
  ['process', 'tag'],
  ['no matching rule', 'other'],
] as const) {
  const round = run(inputs, prefix);
  const durations: number[] = [];
  let outputs = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    outputs = round();
    durations.push((performance.now() - t0) / 1000);
  }
  const seconds = median(durations);
  console.log(name.padEnd(24), fmt(telemetry / seconds).padStart(12), ((seconds * 1e6) / telemetry).toFixed(2).padStart(10), fmt(outputs).padStart(9));
}

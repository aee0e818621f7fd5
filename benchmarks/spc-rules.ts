// SPC rule evaluation throughput: points per second on one core (single thread), median of several rounds.
// Prints figures, asserts nothing.
//
//   npx tsx benchmarks/spc-rules.ts [--points 200000] [--core-points 20000] [--rounds 5]
//
// Rows:
// - rules only: classify a point against precomputed zone lines and evaluate all 8 Nelson rules on the bounded
//   15-point window (rules.ts pushPoint), the per-point work of the live processor's rule engine;
// - Western Electric 1-4: the same with the 4-rule set (8-point window);
// - core, X-bar/R n=5: the whole SPC processor core (processors/spc/core.ts) fed measurements one by one, 5 per point:
//   subgrouping, statistics, limits, rules, SpcPoint/SpcAlarm outputs; figures per plotted point and per measurement;
// - core, I-MR: one measurement per point.
// The data are a deterministic pseudo-random normal series (seeded LCG + Box-Muller) with a mean shift in the
// second half, so rules fire at a realistic rate.
import type { QualityMeasurement } from '../schemas/generated/types.ts';
import type { CoreInput } from '../processors/contract.ts';
import { spcConfigSchema } from '../processors/spc/config.ts';
import { spcCore } from '../processors/spc/core.ts';
import { classify, defaultSelection, emptyWindow, pushPoint, zoneLines, type RuleSelection } from '../processors/spc/rules.ts';
import { positiveArg, median } from './args.ts';

const points = positiveArg('--points', 200_000);
const rounds = positiveArg('--rounds', 5);
const corePoints = positiveArg('--core-points', 20_000);

function series(n: number): Float64Array {
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = 10 + z + (i > n / 2 ? 0.5 : 0);
  }
  return out;
}

function time(run: () => number): { seconds: number; hits: number } {
  const durations: number[] = [];
  let hits = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    hits = run();
    durations.push((performance.now() - t0) / 1000);
  }
  return { seconds: median(durations), hits };
}

const data = series(points);
const zones = zoneLines({ center: 10, sigma: 1, ucl: 13, lcl: 7 });

function rulesOnly(selection: RuleSelection): number {
  let window = emptyWindow;
  let hits = 0;
  for (let i = 0; i < points; i++) {
    const step = pushPoint(window, classify(i + 1, data[i]!, zones), selection);
    window = step.window;
    hits += step.hits.length;
  }
  return hits;
}

const equipment = 'bench/site/area/line/cell/eq';
function measurements(n: number): Array<CoreInput<QualityMeasurement>> {
  const values = series(n);
  return Array.from(values, (value, i) => ({
    topic: 'measurements',
    key: equipment,
    eventTime: i * 1000,
    eventId: `m${i}`,
    late: false,
    value: {
      eventId: `m${i}`,
      eventTime: i * 1000,
      equipment,
      characteristic: 'c',
      value,
      unit: null,
      subgroupId: null,
      serial: `S${i}`,
      lot: 'L1',
      workOrder: 'WO1',
      operator: null,
      entry: 'TAG',
      origin: { sourceId: 'bench', seq: i, serverTime: null, edgeTime: i * 1000, historical: false },
    },
  }));
}

function coreRun(chart: 'XBAR_R' | 'IMR', n: number): { perRound: () => number; measurementsPerPoint: number } {
  const config = spcConfigSchema.parse({ characteristics: [{ id: 'c', equipment, chart, subgroupSize: chart === 'IMR' ? 1 : n }] });
  const inputs = measurements(corePoints * (chart === 'IMR' ? 1 : n));
  return {
    measurementsPerPoint: chart === 'IMR' ? 1 : n,
    perRound: () => {
      let state = spcCore.initialState(equipment, config);
      let alarms = 0;
      for (const input of inputs) {
        const r = spcCore.process(state, input, config);
        state = r.state;
        for (const o of r.outputs) if (o.topic === 'spcAlarms') alarms++;
      }
      return alarms;
    },
  };
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`SPC rule evaluation: ${fmt(points)} points per round (rules only), ${fmt(corePoints)} (core); median of ${rounds} rounds; Node ${process.version}; single thread`);
console.log('row'.padEnd(34), 'points/s'.padStart(14), 'measurements/s'.padStart(16), 'signals'.padStart(10));

for (const [name, selection] of [
  ['rules only, Nelson 1-8', defaultSelection('NELSON')],
  ['rules only, Western Electric 1-4', defaultSelection('WESTERN_ELECTRIC')],
] as const) {
  const { seconds, hits } = time(() => rulesOnly(selection));
  console.log(name.padEnd(34), fmt(points / seconds).padStart(14), '-'.padStart(16), fmt(hits).padStart(10));
}

for (const [name, chart, n] of [
  ['core, X-bar/R n=5, Nelson 1-8', 'XBAR_R', 5],
  ['core, I-MR, Nelson 1-8', 'IMR', 1],
] as const) {
  const run = coreRun(chart, n);
  const total = corePoints * run.measurementsPerPoint;
  const plotted = total / run.measurementsPerPoint;
  const { seconds, hits } = time(run.perRound);
  console.log(name.padEnd(34), fmt(plotted / seconds).padStart(14), fmt(total / seconds).padStart(16), fmt(hits).padStart(10));
}

// Serving a control chart of 10 000 points to the dashboard: how long the API takes to build the JSON of the points.
// Prints ms p50 / p95 over several rounds and the payload size; asserts nothing.
//
//   npx tsx benchmarks/spc-chart-serving.ts [--points 10000] [--rounds 60]
//
// No LTTB (largest-triangle-three-buckets) downsampling module exists in sinks/ yet, so the full payload is timed,
// not a ~1 000-point downsampled one. Rows:
// - build + JSON.stringify: the points as stored (SpcPoint records, as the spc processor emits them) mapped to the
//   API's response objects (a shallow copy per point, as a row -> DTO mapping does) and serialised;
// - fastify inject: the same payload through a fastify route (GET, default serializer) in-process, with no network:
//   routing, hooks, serialisation, the injected response;
// - chart series: only what an ECharts control chart draws (columnar arrays: index, time, statistic, dispersion,
//   centre, UCL, LCL, the rule label), built and serialised: the size a chart endpoint could ship instead.
// The points are realistic: the SPC core itself plots them from 5 x N deterministic pseudo-random measurements
// (X-bar/R, n = 5, a mean shift in the second half so rules fire), with serials, lots and limits on every point.
import fastify from 'fastify';
import type { QualityMeasurement, SpcPoint } from '../schemas/generated/types.ts';
import type { CoreInput } from '../processors/contract.ts';
import { spcConfigSchema } from '../processors/spc/config.ts';
import { spcCore } from '../processors/spc/core.ts';
import { positiveArg } from './args.ts';

const nPoints = positiveArg('--points', 10_000);
const rounds = positiveArg('--rounds', 60);
const warmup = 5;

const equipment = 'acme/plant1/machining/line2/cell4/lathe';
const t0 = Date.parse('2025-03-03T06:00:00Z');

function chartPoints(n: number): SpcPoint[] {
  let state = 987654321;
  const uniform = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const config = spcConfigSchema.parse({ characteristics: [{ id: 'bore-diameter', equipment, chart: 'XBAR_R', subgroupSize: 5, unit: 'mm', lsl: 11.95, usl: 12.05, capability: { everyPoints: 0 } }] });
  let s = spcCore.initialState(equipment, config);
  const out: SpcPoint[] = [];
  for (let i = 0; i < n * 5; i++) {
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const part = Math.floor(i / 5);
    const m: QualityMeasurement = {
      eventId: `cmm-7:${i + 1}`,
      eventTime: t0 + i * 12_000,
      equipment,
      characteristic: 'bore-diameter',
      value: 12 + 0.01 * z + (i > n * 2.5 ? 0.004 : 0),
      unit: 'mm',
      subgroupId: null,
      serial: `SN${String(part + 1).padStart(8, '0')}`,
      lot: `LOT-2025-${String(Math.floor(part / 200) + 1).padStart(4, '0')}`,
      workOrder: `WO-${4700 + Math.floor(part / 1000)}`,
      operator: null,
      entry: 'TAG',
      origin: { sourceId: 'opcua:cmm-7', seq: i + 1, serverTime: null, edgeTime: t0 + i * 12_000 + 15, historical: false },
    };
    const input: CoreInput = { topic: 'measurements', key: equipment, value: m, eventTime: m.eventTime, eventId: m.eventId, late: false };
    const r = spcCore.process(s, input, config);
    s = r.state;
    for (const o of r.outputs) if (o.topic === 'spcPoints') out.push(o.value as SpcPoint);
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(name: string, run: () => string | Promise<string>): Promise<void> {
  let bytes = 0;
  const ms: number[] = [];
  for (let r = 0; r < warmup + rounds; r++) {
    const start = performance.now();
    const body = await run();
    const elapsed = performance.now() - start;
    bytes = Buffer.byteLength(body);
    if (r >= warmup) ms.push(elapsed);
  }
  ms.sort((a, b) => a - b);
  console.log(`${name.padEnd(36)} p50 ${percentile(ms, 50).toFixed(2).padStart(7)} ms   p95 ${percentile(ms, 95).toFixed(2).padStart(7)} ms   ${(bytes / 1024 / 1024).toFixed(2)} MiB`);
}

const stored = chartPoints(nPoints);
const alarmsOn = stored.filter((p) => p.rules.length > 0).length;
console.log(`SPC chart serving: ${stored.length} X-bar/R points (n = 5, ${alarmsOn} with rule hits), ${rounds} rounds after ${warmup} warm-up, Node ${process.version}`);
console.log('No LTTB module in sinks/: timing the full payload, no downsampling.');

const response = () => ({ characteristic: 'bore-diameter', chart: 'XBAR_R', points: stored.map((p) => ({ ...p })) });

await measure('build + JSON.stringify', () => JSON.stringify(response()));

const app = fastify();
app.get('/api/spc/bore-diameter/points', async () => response());
await app.ready();
await measure('fastify inject (GET, default JSON)', async () => (await app.inject({ method: 'GET', url: '/api/spc/bore-diameter/points' })).body);
await app.close();

await measure('chart series (columnar) + stringify', () => {
  const n = stored.length;
  const series = { index: new Array<number>(n), time: new Array<number>(n), statistic: new Array<number>(n), dispersion: new Array<number | null>(n), center: new Array<number | null>(n), ucl: new Array<number | null>(n), lcl: new Array<number | null>(n), label: new Array<number>(n) };
  stored.forEach((p, i) => {
    series.index[i] = p.index;
    series.time[i] = p.eventTime;
    series.statistic[i] = p.statistic;
    series.dispersion[i] = p.dispersion;
    series.center[i] = p.limits?.center ?? null;
    series.ucl[i] = p.limits?.ucl ?? null;
    series.lcl[i] = p.limits?.lcl ?? null;
    series.label[i] = p.rules[0] ?? 0;
  });
  return JSON.stringify({ characteristic: 'bore-diameter', chart: 'XBAR_R', series });
});

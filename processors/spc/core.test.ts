import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { QualityMeasurement, SpcAlarm, SpcPoint } from '../../schemas/generated/types.ts';
import { topics } from '../../schemas/topics.ts';
import { validateEvent } from '../../schemas/validate.ts';
import type { CoreInput, CoreOutput } from '../contract.ts';
import { spcConfigSchema, type SpcConfig } from './config.ts';
import { applyFixedLimits, requestRecompute, spcCore, type SpcState } from './core.ts';

const equipment = 'acme/plant1/litho/line1/cell1/hardbake';
const flow = (JSON.parse(readFileSync(new URL('./vectors/montgomery-flow-width-xbar-r.json', import.meta.url), 'utf8')) as { data: { subgroups: number[][] } }).data.subgroups;

function config(characteristics: unknown[]): SpcConfig {
  return spcConfigSchema.parse({ characteristics });
}

let seq = 0;
function measurement(characteristic: string, value: number, eventTime: number, extra: Partial<QualityMeasurement> = {}): CoreInput<QualityMeasurement> {
  seq += 1;
  const m: QualityMeasurement = {
    eventId: `m:${seq}`,
    eventTime,
    equipment,
    characteristic,
    value,
    unit: null,
    subgroupId: null,
    serial: `SN${seq}`,
    lot: 'LOT-1',
    workOrder: 'WO-1',
    operator: null,
    entry: 'TAG',
    origin: { sourceId: 'test', seq, serverTime: null, edgeTime: eventTime, historical: false },
    ...extra,
  };
  return { topic: 'measurements', key: equipment, value: m, eventTime, eventId: m.eventId, late: false };
}

/** Runs inputs through the core; with `roundTrip`, the state goes through JSON between every step (crash-resume). */
function run(cfg: SpcConfig, inputs: Array<CoreInput | { watermark: number }>, roundTrip = false): { state: SpcState; outputs: CoreOutput[] } {
  let state = spcCore.initialState(equipment, cfg);
  const outputs: CoreOutput[] = [];
  for (const input of inputs) {
    const r = 'watermark' in input ? spcCore.onWatermark!(state, equipment, input.watermark, cfg) : spcCore.process(state, input, cfg);
    state = roundTrip ? (JSON.parse(JSON.stringify(r.state)) as SpcState) : r.state;
    outputs.push(...r.outputs);
  }
  return { state, outputs };
}

const points = (outputs: CoreOutput[]) => outputs.filter((o) => o.topic === 'spcPoints').map((o) => o.value as SpcPoint);
const alarms = (outputs: CoreOutput[]) => outputs.filter((o) => o.topic === 'spcAlarms').map((o) => o.value as SpcAlarm);

describe('SPC > core > X-bar/R on the Montgomery flow-width data', () => {
  const cfg = config([{ id: 'flow-width', equipment, chart: 'XBAR_R', subgroupSize: 5, unit: 'um', lsl: 1, usl: 2 }]);
  const inputs = flow.flatMap((row, i) => row.map((v, j) => measurement('flow-width', v, 1_000_000 + i * 60_000 + j * 1_000)));
  const { state, outputs } = run(cfg, inputs);

  it('plots 45 points; Phase I points carry no limits until the 25th, which freezes them', () => {
    const ps = points(outputs);
    expect(ps.map((p) => p.index)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    expect(ps.slice(0, 24).every((p) => p.limits === null)).toBe(true);
    expect(ps[24]!.limits).toMatchObject({ version: 1, source: 'PHASE1', subgroupSize: 5 });
    expect(ps[24]!.limits!.ucl).toBeCloseTo(1.6932554, 7);
    expect(ps[44]!.eventId).toBe('spc:flow-width:45');
    expect(ps[44]!.sourceEventIds).toHaveLength(5);
    expect(state.characteristics['flow-width']!.lastAudit).toMatchObject({ action: 'ESTABLISHED', who: 'spc', toVersion: 1 });
  });

  it('raises the published rule hits as alarms with deterministic ids, points, values and serials', () => {
    const as = alarms(outputs);
    expect(as.map((a) => a.eventId)).toEqual(
      [['5', 40], ['5', 41], ['6', 41], ['6', 42], ['1', 43], ['5', 43], ['6', 43], ['5', 44], ['6', 44], ['1', 45], ['5', 45], ['6', 45]].map(([r, i]) => `spc-alarm:flow-width:${i}:${r}`),
    );
    const a43 = as.find((a) => a.eventId === 'spc-alarm:flow-width:43:5')!;
    expect(a43).toMatchObject({ rule: 5, label: 1, ruleSet: 'NELSON', direction: 'UP', chartPart: 'LOCATION', pointIndexes: [41, 42, 43], workOrder: 'WO-1', lots: ['LOT-1'] });
    expect(a43.serials).toHaveLength(15);
    expect(a43.values[2]).toBeCloseTo(1.69696, 12);
    expect(points(outputs)[42]!.rules).toEqual([1, 5, 6]);
  });

  it('emits records valid against the Avro contracts', () => {
    for (const o of outputs) {
      const result = validateEvent(topics[o.topic].schema, o.value);
      expect(result).toEqual({ ok: true });
      expect(o.key).toBe('flow-width');
    }
  });

  it('gives the same outputs when the state is serialised and restored after every event', () => {
    expect(run(cfg, inputs, true).outputs).toEqual(outputs);
  });

  it('keeps a bounded state: the 15-point rule window, no baseline points after Phase I', () => {
    const cs = state.characteristics['flow-width']!;
    expect(cs.window.points.length).toBeLessThanOrEqual(15);
    expect(cs.meta.length).toBe(cs.window.points.length);
    expect(cs.phase1Points).toEqual([]);
    expect(cs.baseline).toBeNull();
    expect(JSON.stringify(state).length).toBeLessThan(20_000);
  });
});

describe('SPC > core > Phase I alarms are retrospective', () => {
  it('applies the rules to the baseline when the limits are frozen', () => {
    // I-MR with a 10-point baseline whose 10th value is far out: x-bar 10.4, MR-bar 5.6 / 9, UCL 12.05, so rule 1
    // on point 10 (and its moving range 4.1 above D4 MR-bar = 2.03), raised when point 10 closes Phase I.
    const cfg = config([{ id: 'torque', equipment, chart: 'IMR', phase1Subgroups: 10, rules: [1] }]);
    const values = [10, 10.2, 9.9, 10.1, 10, 9.8, 10.1, 10, 9.9, 14];
    const { outputs } = run(cfg, values.map((v, i) => measurement('torque', v, 1000 + i)));
    expect(alarms(outputs).map((a) => [a.eventId, a.chartPart])).toEqual([['spc-alarm:torque:10:1', 'LOCATION'], ['spc-alarm:torque:10:D1', 'DISPERSION']]);
    expect(points(outputs)[9]!).toMatchObject({ rules: [1], dispersionOutOfLimits: true });
    const cfg2 = config([{ id: 'torque', equipment, chart: 'IMR', phase1Subgroups: 10, rules: [1], fixedLimits: { center: 10, ucl: 10.6, lcl: 9.4 } }]);
    const r2 = run(cfg2, values.map((v, i) => measurement('torque', v, 1000 + i)));
    expect(alarms(r2.outputs).map((a) => a.eventId)).toEqual(['spc-alarm:torque:10:1']);
    expect(points(r2.outputs)[0]!.limits).toMatchObject({ source: 'FIXED', version: 1 });
    expect(points(r2.outputs)[0]!.limits!.sigma).toBeCloseTo(0.2, 15);
  });

  it('raises a Phase I hit found only once the limits exist', () => {
    const cfg = config([{ id: 'len', equipment, chart: 'IMR', phase1Subgroups: 12, rules: [3] }]);
    const values = [5, 1, 2, 3, 4, 5, 6, 2, 4, 3, 5, 4];
    const { outputs } = run(cfg, values.map((v, i) => measurement('len', v, 1000 + i)));
    const as = alarms(outputs);
    expect(as.map((a) => a.eventId)).toEqual(['spc-alarm:len:7:3']);
    expect(as[0]!.pointIndexes).toEqual([2, 3, 4, 5, 6, 7]);
    expect(points(outputs)[6]!.limits).toBeNull();
  });
});

describe('SPC > core > subgroup formation', () => {
  it('PER_SERIAL: one subgroup per part; an incomplete one is counted, not plotted', () => {
    const cfg = config([{ id: 'bores', equipment, chart: 'XBAR_S', subgroupSize: 3, subgroups: { mode: 'PER_SERIAL' } }]);
    const inputs = [
      measurement('bores', 1, 1, { serial: 'A' }),
      measurement('bores', 2, 2, { serial: 'A' }),
      measurement('bores', 3, 3, { serial: 'B' }),
      measurement('bores', 4, 4, { serial: 'B' }),
      measurement('bores', 5, 5, { serial: 'B' }),
      measurement('bores', 6, 6, { serial: null, subgroupId: null }),
    ];
    const { state, outputs } = run(cfg, inputs);
    expect(points(outputs).map((p) => [p.subgroupId, p.values])).toEqual([['B', [3, 4, 5]]]);
    expect(state.characteristics['bores']!.counters).toMatchObject({ incomplete: 1, invalid: 1 });
  });

  it('TIME_WINDOW p chart: windows close on the watermark with variable sample sizes; late events are counted', () => {
    const cfg = config([{ id: 'leaks', equipment, chart: 'P', subgroups: { mode: 'TIME_WINDOW', windowMs: 1000 }, phase1Subgroups: 2 }]);
    const inputs: Array<CoreInput | { watermark: number }> = [
      measurement('leaks', 1, 100),
      measurement('leaks', 0, 200),
      measurement('leaks', 0, 300),
      measurement('leaks', 0, 1100),
      { watermark: 999 },
      { watermark: 1000 },
      measurement('leaks', 1, 500),
      measurement('leaks', 1, 1500),
      { watermark: 2000 },
    ];
    const { state, outputs } = run(cfg, inputs);
    const ps = points(outputs);
    expect(ps.map((p) => [p.subgroupId, p.statistic, p.values.length])).toEqual([
      ['window:0', 1 / 3, 3],
      ['window:1000', 0.5, 2],
    ]);
    expect(ps[1]!.limits).toMatchObject({ center: 0.4, subgroupSize: 2 });
    expect(ps[1]!.limits!.sigma).toBeCloseTo(Math.sqrt(0.24 / 2), 15);
    expect(state.characteristics['leaks']!.counters.late).toBe(1);
  });

  it('TIME_WINDOW X-bar: the first n values of a window; fewer are counted as incomplete', () => {
    const cfg = config([{ id: 'od', equipment, chart: 'XBAR_R', subgroupSize: 2, subgroups: { mode: 'TIME_WINDOW', windowMs: 100 } }]);
    const { state, outputs } = run(cfg, [measurement('od', 1, 10), measurement('od', 3, 20), measurement('od', 9, 30), measurement('od', 4, 110), { watermark: 300 }]);
    expect(points(outputs).map((p) => p.values)).toEqual([[1, 3]]);
    expect(state.characteristics['od']!.counters).toMatchObject({ extra: 1, incomplete: 1 });
  });
});

describe('SPC > core > audited limit changes', () => {
  const cfg = config([{ id: 'gap', equipment, chart: 'IMR', phase1Subgroups: 5 }]);
  const request = { characteristic: 'gap', who: 'q.engineer', when: 5_000, why: 'fixture replaced' };
  const first = run(cfg, [1, 2, 1, 2, 1].map((v, i) => measurement('gap', v, 1000 + i)));

  it('recomputes from the next points only on request: version 2, audit with old and new', () => {
    let state = requestRecompute(first.state, cfg, request, 3);
    const outputs: CoreOutput[] = [];
    for (const [i, v] of [10, 11, 10, 12].entries()) {
      const r = spcCore.process(state, measurement('gap', v, 2000 + i), cfg);
      state = r.state;
      outputs.push(...r.outputs);
    }
    const ps = points(outputs);
    expect(ps.map((p) => p.limits!.version)).toEqual([1, 1, 1, 2]);
    expect(ps[3]!.limits!.source).toBe('RECOMPUTED');
    const audit = state.characteristics['gap']!.lastAudit!;
    expect(audit).toMatchObject({ action: 'RECOMPUTED', fromVersion: 1, toVersion: 2, who: 'q.engineer', when: 5_000, why: 'fixture replaced' });
    expect(audit.old!.center).toBeCloseTo(1.4, 12);
    expect(audit.new.center).toBeCloseTo(31 / 3, 12);
    expect(() => requestRecompute(first.state, cfg, { ...request, why: '' })).toThrow();
  });

  it('replaces the limits with fixed ones entered by an engineer', () => {
    const { state, audit } = applyFixedLimits(first.state, cfg, { center: 1.5, ucl: 3, lcl: 0 }, request);
    expect(audit).toMatchObject({ action: 'FIXED', fromVersion: 1, toVersion: 2 });
    const r = spcCore.process(state, measurement('gap', 3.5, 9000), cfg);
    expect(points(r.outputs)[0]!.limits).toMatchObject({ version: 2, source: 'FIXED', ucl: 3 });
    expect(alarms(r.outputs).map((a) => a.eventId)).toEqual(['spc-alarm:gap:6:1']);
  });
});

describe('SPC > core > input hygiene', () => {
  it('counts unconfigured characteristics, wrong equipment and invalid values', () => {
    const cfg = config([{ id: 'p1', equipment, chart: 'P', subgroupSize: 5 }]);
    const { state, outputs } = run(cfg, [measurement('other', 1, 1), measurement('p1', 2, 2), measurement('p1', 1, 3, { equipment: 'acme/x' })]);
    expect(outputs).toEqual([]);
    expect(state.stats).toEqual({ unconfigured: 1, wrongEquipment: 1 });
    expect(state.characteristics['p1']!.counters.invalid).toBe(1);
  });

  it('validates the config: subgroup sizes, rule numbers, duplicate ids', () => {
    expect(() => config([{ id: 'a', equipment, chart: 'XBAR_R', subgroupSize: 12 }])).toThrow();
    expect(() => config([{ id: 'a', equipment, chart: 'IMR', ruleSet: 'WESTERN_ELECTRIC', rules: [5] }])).toThrow();
    expect(() => config([{ id: 'a', equipment, chart: 'IMR' }, { id: 'a', equipment, chart: 'IMR' }])).toThrow('duplicate');
    expect(config([{ id: 'a', equipment, chart: 'IMR' }]).characteristics[0]).toMatchObject({ phase1Subgroups: 25, ruleSet: 'NELSON', constants: 'TABLE', subgroups: { mode: 'CONSECUTIVE' } });
  });
});

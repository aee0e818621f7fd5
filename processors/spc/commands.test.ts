// The SPC core's second input (linepulse.spc-commands.v1), its audit trail (linepulse.spc-audit.v1) and capability
// records (linepulse.spc-capability.v1).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { QualityMeasurement, SpcCapability, SpcCommand, SpcLimitsAudit, SpcPoint } from '../../schemas/generated/types.ts';
import { topics } from '../../schemas/topics.ts';
import { validateEvent } from '../../schemas/validate.ts';
import type { CoreInput, CoreOutput } from '../contract.ts';
import { analyse, capability } from './charts.ts';
import { spcConfigSchema, type SpcConfig } from './config.ts';
import { REMEMBERED_COMMANDS, spcCore, type SpcState } from './core.ts';

const equipment = 'acme/plant1/litho/line1/cell1/hardbake';
const flow = (JSON.parse(readFileSync(new URL('./vectors/montgomery-flow-width-xbar-r.json', import.meta.url), 'utf8')) as { data: { subgroups: number[][] } }).data.subgroups;

const config = (characteristics: unknown[]): SpcConfig => spcConfigSchema.parse({ characteristics });

let seq = 0;
function measurement(characteristic: string, value: number, eventTime: number): CoreInput<QualityMeasurement> {
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
  };
  return { topic: 'measurements', key: equipment, value: m, eventTime, eventId: m.eventId, late: false };
}

function command(over: Partial<SpcCommand> & Pick<SpcCommand, 'eventId' | 'kind'>): CoreInput<SpcCommand> {
  const c: SpcCommand = { eventTime: 50_000, equipment, characteristic: 'gap', fixedLimits: null, points: null, user: 'q.engineer', reason: 'fixture replaced', ...over };
  return { topic: 'spcCommands', key: c.equipment, value: c, eventTime: c.eventTime, eventId: c.eventId, late: false };
}

function run(cfg: SpcConfig, inputs: CoreInput[], from?: SpcState, roundTrip = false): { state: SpcState; outputs: CoreOutput[] } {
  let state = from ?? spcCore.initialState(equipment, cfg);
  const outputs: CoreOutput[] = [];
  for (const input of inputs) {
    const r = spcCore.process(state, input, cfg);
    state = roundTrip ? (JSON.parse(JSON.stringify(r.state)) as SpcState) : r.state;
    outputs.push(...r.outputs);
  }
  return { state, outputs };
}

const of = <T>(outputs: CoreOutput[], topic: CoreOutput['topic']) => outputs.filter((o) => o.topic === topic).map((o) => o.value as T);
const audits = (outputs: CoreOutput[]) => of<SpcLimitsAudit>(outputs, 'spcAudit');
const points = (outputs: CoreOutput[]) => of<SpcPoint>(outputs, 'spcPoints');
const caps = (outputs: CoreOutput[]) => of<SpcCapability>(outputs, 'spcCapability');

function expectValid(outputs: CoreOutput[]): void {
  for (const o of outputs) expect(validateEvent(topics[o.topic].schema, o.value), o.topic).toEqual({ ok: true });
}

const gap = config([{ id: 'gap', equipment, chart: 'IMR', phase1Subgroups: 5, lsl: 0, usl: 20 }]);
const phase1 = () => run(gap, [1, 2, 1, 2, 1].map((v, i) => measurement('gap', v, 1000 + i)));

describe('SPC > commands > inputs and outputs', () => {
  it('takes measurements and commands, both keyed by equipment (co-partitioned), and declares the new outputs', () => {
    expect(spcCore.inputs).toEqual(['measurements', 'spcCommands']);
    expect(spcCore.inputs.map((t) => topics[t].key)).toEqual(['equipment', 'equipment']);
    expect(new Set(spcCore.inputs.map((t) => topics[t].partitions)).size).toBe(1);
    expect(spcCore.outputs).toEqual(['spcPoints', 'spcAlarms', 'spcAudit', 'spcCapability']);
  });

  it('records the Phase I establishment on the audit topic (version 1, who = spc)', () => {
    const { outputs } = phase1();
    expect(audits(outputs)).toEqual([
      expect.objectContaining({ eventId: 'spc-audit:gap:v1', action: 'ESTABLISHED', user: 'spc', fromVersion: null, toVersion: 1, commandId: null, oldLimits: null, eventTime: 1004 }),
    ]);
    expect(audits(outputs)[0]!.newLimits).toMatchObject({ chart: 'IMR', version: 1, source: 'PHASE1', basisPoints: 5, basisFirstIndex: 1, basisLastIndex: 5 });
    expectValid(outputs);
  });
});

describe('SPC > commands > SET_FIXED_LIMITS', () => {
  it('puts the limits in force at once as the next version, audited with old and new', () => {
    const first = phase1();
    const fixed = { center: 1.5, ucl: 3, lcl: 0, sigma: null, dispersionCenter: null, dispersionUcl: null, dispersionLcl: null, sigmaWithin: null };
    const { outputs } = run(gap, [command({ eventId: 'c1', kind: 'SET_FIXED_LIMITS', fixedLimits: fixed }), measurement('gap', 3.5, 60_000)], first.state);
    const [a] = audits(outputs);
    expect(a).toMatchObject({ eventId: 'spc-audit:gap:v2', action: 'FIXED', commandId: 'c1', commandKind: 'SET_FIXED_LIMITS', user: 'q.engineer', reason: 'fixture replaced', requestedAt: 50_000, fromVersion: 1, toVersion: 2 });
    expect(a!.oldLimits).toMatchObject({ version: 1, source: 'PHASE1' });
    expect(a!.newLimits).toMatchObject({ version: 2, source: 'FIXED', center: 1.5, ucl: 3, lcl: 0, sigma: 0.5, basisPoints: null });
    expect(points(outputs)[0]!.limits).toMatchObject({ version: 2, source: 'FIXED' });
    expect(points(outputs)[0]!.rules).toEqual([1]);
    expectValid(outputs);
  });
});

describe('SPC > commands > RECOMPUTE_LIMITS', () => {
  it('accepts the request at once, then records the new version with the command id when the baseline is complete', () => {
    const first = phase1();
    const inputs = [command({ eventId: 'c2', kind: 'RECOMPUTE_LIMITS', points: 3 }), ...[10, 11, 10, 12].map((v, i) => measurement('gap', v, 60_000 + i))];
    const { state, outputs } = run(gap, inputs, first.state);
    expect(audits(outputs).map((a) => [a.eventId, a.action, a.fromVersion, a.toVersion, a.pendingPoints, a.commandId])).toEqual([
      ['spc-audit:gap:cmd:c2', 'RECOMPUTE_REQUESTED', 1, 1, 3, 'c2'],
      ['spc-audit:gap:v2', 'RECOMPUTED', 1, 2, null, 'c2'],
    ]);
    const done = audits(outputs)[1]!;
    expect(done).toMatchObject({ user: 'q.engineer', reason: 'fixture replaced', requestedAt: 50_000, eventTime: 60_002 });
    expect(done.newLimits!.center).toBeCloseTo(31 / 3, 12);
    expect(done.newLimits).toMatchObject({ source: 'RECOMPUTED', basisFirstIndex: 6, basisLastIndex: 8 });
    // the point completing the new baseline is judged against the old limits; the new version applies from the next
    expect(points(outputs).map((p) => p.limits!.version)).toEqual([1, 1, 1, 2]);
    expect(state.characteristics['gap']!.pendingCommand).toBeNull();
    expectValid(outputs);
  });

  it('rejects a second request while the first is still collecting its baseline', () => {
    const first = phase1();
    const { outputs } = run(gap, [command({ eventId: 'c3', kind: 'RECOMPUTE_LIMITS', points: 10 }), command({ eventId: 'c4', kind: 'RECOMPUTE_LIMITS', eventTime: 50_001 })], first.state);
    expect(audits(outputs).map((a) => a.action)).toEqual(['RECOMPUTE_REQUESTED', 'REJECTED']);
    expect(audits(outputs)[1]!.rejection).toMatch(/still collecting its baseline \(0 of 10 points\)/);
  });
});

describe('SPC > commands > RESET_PHASE1', () => {
  it('drops the limits, runs Phase I again and establishes the next version (versions never repeat)', () => {
    const first = phase1();
    const inputs = [command({ eventId: 'c5', kind: 'RESET_PHASE1', points: 4 }), ...[5, 6, 5, 6, 5].map((v, i) => measurement('gap', v, 60_000 + i))];
    const { outputs } = run(gap, inputs, first.state, true);
    expect(audits(outputs).map((a) => [a.eventId, a.action, a.fromVersion, a.toVersion, a.pendingPoints, a.commandId, a.user])).toEqual([
      ['spc-audit:gap:cmd:c5', 'PHASE1_RESET', 1, null, 4, 'c5', 'q.engineer'],
      ['spc-audit:gap:v2', 'ESTABLISHED', null, 2, null, 'c5', 'spc'],
    ]);
    expect(audits(outputs)[0]!.oldLimits).toMatchObject({ version: 1 });
    expect(points(outputs).map((p) => p.limits?.version ?? null)).toEqual([null, null, null, 2, 2]);
    expect(points(outputs).map((p) => p.index)).toEqual([6, 7, 8, 9, 10]);
    expectValid(outputs);
  });

  it('fixed limits entered during a reset Phase I continue the version numbers', () => {
    const first = phase1();
    const fixed = { center: 1.5, ucl: 3, lcl: 0, sigma: null, dispersionCenter: null, dispersionUcl: null, dispersionLcl: null, sigmaWithin: null };
    const { outputs } = run(gap, [command({ eventId: 'c6', kind: 'RESET_PHASE1' }), command({ eventId: 'c7', kind: 'SET_FIXED_LIMITS', fixedLimits: fixed, eventTime: 50_001 })], first.state);
    expect(audits(outputs).map((a) => [a.action, a.toVersion])).toEqual([
      ['PHASE1_RESET', null],
      ['FIXED', 2],
    ]);
  });
});

describe('SPC > commands > invalid requests are audited as rejected, never thrown', () => {
  const fixed = { center: 1.5, ucl: 3, lcl: 0, sigma: null, dispersionCenter: null, dispersionUcl: null, dispersionLcl: null, sigmaWithin: null };
  const cases: Array<[string, Partial<SpcCommand> & Pick<SpcCommand, 'eventId' | 'kind'>, RegExp, boolean]> = [
    ['unknown characteristic', { eventId: 'r1', kind: 'RESET_PHASE1', characteristic: 'nope' }, /unknown characteristic "nope"/, false],
    ['another equipment', { eventId: 'r2', kind: 'RESET_PHASE1', equipment: 'acme/plant1/x' }, /gap is measured on acme\/plant1\/litho\/line1\/cell1\/hardbake, not on acme\/plant1\/x/, true],
    ['no reason', { eventId: 'r3', kind: 'RECOMPUTE_LIMITS', reason: ' ' }, /needs who and why/, true],
    ['SET without limits', { eventId: 'r4', kind: 'SET_FIXED_LIMITS' }, /needs fixedLimits/, true],
    ['limits upside down', { eventId: 'r5', kind: 'SET_FIXED_LIMITS', fixedLimits: { ...fixed, lcl: 4 } }, /lcl < center < ucl/, true],
    ['partial dispersion limits', { eventId: 'r6', kind: 'SET_FIXED_LIMITS', fixedLimits: { ...fixed, dispersionUcl: 2 } }, /dispersion limits need all/, true],
    ['baseline of one point', { eventId: 'r7', kind: 'RECOMPUTE_LIMITS', points: 1 }, /needs 2\.\.1000 points, got 1/, true],
  ];
  it.each(cases)('%s', (_name, over, reason, known) => {
    const first = phase1();
    const { state, outputs } = run(gap, [command(over)], first.state);
    expect(outputs).toHaveLength(1);
    const [a] = audits(outputs);
    expect(a).toMatchObject({ action: 'REJECTED', eventId: `spc-audit:${over.characteristic ?? 'gap'}:cmd:${over.eventId}`, commandId: over.eventId, newLimits: null });
    expect(a!.rejection).toMatch(reason);
    expect(outputs[0]!.key).toBe(over.characteristic ?? 'gap');
    expect(state.characteristics['gap']!.limits).toEqual(first.state.characteristics['gap']!.limits);
    if (known) expect(a!.fromVersion).toBe(1);
    expectValid(outputs);
  });

  it('rejects a recomputation during Phase I', () => {
    const { outputs } = run(gap, [measurement('gap', 1, 1), command({ eventId: 'r8', kind: 'RECOMPUTE_LIMITS' })]);
    expect(audits(outputs)[0]).toMatchObject({ action: 'REJECTED', rejection: 'characteristic gap is still in Phase I', fromVersion: null });
  });
});

describe('SPC > commands > redelivery and restore', () => {
  it('ignores a command id it has already handled', () => {
    const first = phase1();
    const c = command({ eventId: 'd1', kind: 'RECOMPUTE_LIMITS', points: 10 });
    const { outputs, state } = run(gap, [c, c], first.state);
    expect(audits(outputs)).toHaveLength(1);
    expect(state.characteristics['gap']!.recentCommands).toEqual(['d1']);
  });

  it('remembers at most REMEMBERED_COMMANDS ids', () => {
    const first = phase1();
    const many = Array.from({ length: REMEMBERED_COMMANDS + 5 }, (_, i) => command({ eventId: `x${i}`, kind: 'SET_FIXED_LIMITS' }));
    const { state } = run(gap, many, first.state);
    expect(state.characteristics['gap']!.recentCommands).toHaveLength(REMEMBERED_COMMANDS);
  });

  it('gives the same outputs with the state serialised after every event, and restores a snapshot from before commands existed', () => {
    const inputs = [...[1, 2, 1, 2, 1].map((v, i) => measurement('gap', v, 1000 + i)), command({ eventId: 'e1', kind: 'RECOMPUTE_LIMITS', points: 3 }), ...[10, 11, 10, 12].map((v, i) => measurement('gap', v, 60_000 + i))];
    expect(run(gap, inputs, undefined, true).outputs).toEqual(run(gap, inputs).outputs);
    const first = phase1();
    const cs = { ...first.state.characteristics['gap']! } as Record<string, unknown>;
    for (const k of ['lastVersion', 'capStats', 'pendingCommand', 'recentCommands']) delete cs[k];
    const old = { ...first.state, characteristics: { gap: cs } } as unknown as SpcState;
    const { outputs } = run(gap, [command({ eventId: 'e2', kind: 'RESET_PHASE1', points: 2 }), measurement('gap', 3, 70_000), measurement('gap', 4, 70_001)], old);
    expect(audits(outputs).map((a) => [a.action, a.toVersion])).toEqual([
      ['PHASE1_RESET', null],
      ['ESTABLISHED', 2],
    ]);
  });
});

describe('SPC > core > manual entries', () => {
  it('drops a MANUAL measurement whose event id it has seen (a retry from a restarted gateway), counting it', () => {
    const m = measurement('gap', 1, 1000);
    const manual = { ...m, value: { ...m.value, entry: 'MANUAL' as const, eventId: 'manual:key:k1' }, eventId: 'manual:key:k1' };
    const again = { ...manual, value: { ...manual.value, origin: { ...manual.value.origin, sourceId: 'manual-entry:other', seq: 1 } } };
    const { state, outputs } = run(gap, [manual, again, measurement('gap', 2, 1001)]);
    expect(points(outputs).map((p) => p.sourceEventIds)).toEqual([['manual:key:k1'], [expect.stringMatching(/^m:/)]]);
    expect(state.characteristics['gap']!.counters.duplicate).toBe(1);
    // tag measurements are never filtered here (the runtime filters them by origin seq)
    const tag = measurement('gap', 3, 1002);
    expect(points(run(gap, [tag, tag]).outputs)).toHaveLength(2);
  });
});

describe('SPC > capability records', () => {
  const cfg = config([{ id: 'flow-width', equipment, chart: 'XBAR_R', subgroupSize: 5, lsl: 1, usl: 2 }]);
  const inputs = flow.flatMap((row, i) => row.map((v, j) => measurement('flow-width', v, 1_000_000 + i * 60_000 + j * 1_000)));
  const { outputs } = run(cfg, inputs);

  it('one per plotted point once the limits exist; at point 25 Montgomery Example 6.1: sigma = R-bar/d2 = 0.1398, Cp = 1.192', () => {
    const cs = caps(outputs);
    expect(cs.map((c) => c.index)).toEqual(Array.from({ length: 21 }, (_, i) => 25 + i));
    const at25 = cs[0]!;
    expect(at25).toMatchObject({ eventId: 'spc-capability:flow-width:25', limitsVersion: 1, firstIndex: 1, points: 25, samples: 125, withinMethod: 'RBAR_D2', constants: 'TABLE', lsl: 1, usl: 2 });
    expect(at25.sigmaWithin!).toBeCloseTo(0.1398, 4);
    expect(Math.abs(at25.cp!.value - 1.192)).toBeLessThan(5e-4);
    expect(at25.cp!.samples).toBe(125);
    // the same as the offline analysis of the Phase I baseline
    const offline = analyse({ chart: 'XBAR_R', subgroupSize: 5, constants: 'TABLE' }, { kind: 'variables', subgroups: flow }, { phase1: 25, specLimits: { lsl: 1, usl: 2 } });
    const expected = capability(offline.limits, offline.baseline.moments, { lsl: 1, usl: 2 })!;
    for (const k of ['cp', 'cpk', 'cpl', 'cpu', 'pp', 'ppk', 'ppl', 'ppu'] as const) expect(at25[k]!.value, k).toBeCloseTo(expected[k]!.value, 12);
    expect(cs.at(-1)).toMatchObject({ index: 45, points: 45, samples: 225 });
    expect(outputs.filter((o) => o.topic === 'spcCapability').every((o) => o.key === 'flow-width')).toBe(true);
    expectValid(outputs);
  });

  it('every N points (index divisible by N), or none', () => {
    const every10 = run(config([{ id: 'flow-width', equipment, chart: 'XBAR_R', subgroupSize: 5, lsl: 1, usl: 2, capability: { everyPoints: 10 } }]), inputs).outputs;
    expect(caps(every10).map((c) => c.index)).toEqual([30, 40]);
    const none = run(config([{ id: 'flow-width', equipment, chart: 'XBAR_R', subgroupSize: 5, lsl: 1, usl: 2, capability: { everyPoints: 0 } }]), inputs).outputs;
    expect(caps(none)).toEqual([]);
    const noSpecs = run(config([{ id: 'flow-width', equipment, chart: 'XBAR_R', subgroupSize: 5 }]), inputs).outputs;
    expect(caps(noSpecs)).toEqual([]);
  });

  it('restarts with a new limits version: fixed limits cover the points after their entry; one-sided spec', () => {
    const first = phase1();
    const fixed = { center: 1.5, ucl: 3, lcl: 0, sigma: null, dispersionCenter: null, dispersionUcl: null, dispersionLcl: null, sigmaWithin: null };
    const { outputs } = run(gap, [command({ eventId: 'f1', kind: 'SET_FIXED_LIMITS', fixedLimits: fixed }), ...[1, 2, 1.5].map((v, i) => measurement('gap', v, 60_000 + i))], first.state);
    expect(caps(outputs).map((c) => [c.index, c.limitsVersion, c.firstIndex, c.samples])).toEqual([
      // point 6 alone has one value: no overall sigma yet
      [7, 2, 6, 2],
      [8, 2, 6, 3],
    ]);
    const usl = run(config([{ id: 'gap', equipment, chart: 'IMR', phase1Subgroups: 5, usl: 20 }]), [1, 2, 1, 2, 1].map((v, i) => measurement('gap', v, 1000 + i))).outputs;
    expect(caps(usl)[0]).toMatchObject({ cp: null, cpl: null, pp: null, lsl: null, usl: 20, withinMethod: 'MRBAR_D2' });
    expect(caps(usl)[0]!.cpk!.value).toBeCloseTo(caps(usl)[0]!.cpu!.value, 15);
  });
});

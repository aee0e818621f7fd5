import { describe, expect, it } from 'vitest';
import { simulatePlant } from './index.ts';
import { createRng } from './prng.ts';
import { createMachine, defaultMachineSpec, type MachineStateName } from './machine.ts';

describe('edge > sim > machine', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = simulatePlant({ machines: 3, seed: 42, ticks: 20_000 });
    const b = simulatePlant({ machines: 3, seed: 42, ticks: 20_000 });
    const c = simulatePlant({ machines: 3, seed: 43, ticks: 20_000 });
    expect(JSON.stringify(a.at(-1))).toBe(JSON.stringify(b.at(-1)));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.at(-1))).not.toBe(JSON.stringify(c.at(-1)));
  });

  it('visits every state over a simulated day, with reason codes only when down', () => {
    const trace = simulatePlant({ machines: 2, seed: 7, ticks: 86_400, tickMs: 1_000 });
    const seen = new Set<MachineStateName>();
    for (const tick of trace) {
      for (const m of tick) {
        seen.add(m.state);
        if (m.state === 'DOWN') expect(m.reasonCode).toMatch(/^E\d{3}$/);
        else expect(m.reasonCode).toBeNull();
      }
    }
    expect([...seen].sort()).toEqual(['BLOCKED', 'CHANGEOVER', 'DOWN', 'IDLE', 'PLANNED_STOP', 'RUNNING']);
    const last = trace.at(-1)?.[0];
    expect(last?.partsMade).toBeGreaterThan(5_000);
  });

  it('counters are monotonic modulo the rollover value and add up to the parts made', () => {
    const rng = createRng(5);
    const spec = { ...defaultMachineSpec(0, rng), counterMax: 999, initialGood: 990, initialReject: 0, idealCycleTimeMs: 1000 };
    const machine = createMachine(spec, createRng('m'), 0);
    let prev = machine.snapshot();
    let good = 0;
    let reject = 0;
    let rollovers = 0;
    for (let i = 1; i <= 50_000; i += 1) {
      const s = machine.step(i * 1000, 1000);
      const dg = (s.goodCount - prev.goodCount + 1000) % 1000;
      const dr = (s.rejectCount - prev.rejectCount + 1000) % 1000;
      if (s.goodCount < prev.goodCount) rollovers += 1;
      expect(dg).toBeLessThanOrEqual(2);
      good += dg;
      reject += dr;
      prev = s;
    }
    expect(rollovers).toBeGreaterThan(0);
    expect(good + reject).toBe(prev.partsMade);
    expect(reject / prev.partsMade).toBeGreaterThan(0.005);
    expect(reject / prev.partsMade).toBeLessThan(0.2);
  });

  it('measurements stay near nominal with drifts and shifts that move the mean', () => {
    const trace = simulatePlant({ machines: 1, seed: 11, ticks: 100_000, tickMs: 1_000 });
    const values: number[] = [];
    let lastParts = 0;
    for (const [m] of trace) if (m && m.partsMade !== lastParts) {
      lastParts = m.partsMade;
      values.push(m.measurement);
    }
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(Math.abs(mean - 25)).toBeLessThan(0.01);
    // At least one run of 9 consecutive points on one side of the nominal (Nelson rule 2 material).
    let run = 0;
    let side = 0;
    let longest = 0;
    for (const v of values) {
      const s = Math.sign(v - 25);
      run = s === side ? run + 1 : 1;
      side = s;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThanOrEqual(9);
  });
});

// One simulated discrete-manufacturing machine: a pure, tick-driven state machine. Given the same spec, seed and
// number of ticks it produces the same trace, whatever the wall clock does (the server only decides when ticks run).
//
// States (PackML-like names; codes in `stateCodes`):
//   RUNNING       producing parts at a jittered cycle time; rejects at a base rate, more right after a changeover
//   IDLE          starved: no material from upstream (short, frequent)
//   BLOCKED       downstream full (short)
//   DOWN          unplanned stop with a reason code (jam, tool wear, hydraulics, ...), minutes
//   CHANGEOVER    product change after a batch of parts, tens of minutes; the first parts after it reject more
//   PLANNED_STOP  scheduled break, every `breakEveryMs`, taken as soon as the machine is not down or in changeover
// The process measurement (e.g. a diameter) is normal around its nominal, with occasional drift and shift episodes
// so that SPC rules have something to find; the temperature sensor follows the machine's load and sometimes spikes.
import type { Rng } from './prng.ts';

export type MachineStateName = 'RUNNING' | 'IDLE' | 'BLOCKED' | 'DOWN' | 'CHANGEOVER' | 'PLANNED_STOP';

export const stateCodes: Record<MachineStateName, number> = {
  RUNNING: 1,
  IDLE: 2,
  BLOCKED: 3,
  DOWN: 4,
  CHANGEOVER: 5,
  PLANNED_STOP: 6,
};

export interface DownReason {
  code: string;
  text: string;
  /** Relative likelihood among the reasons. */
  weight: number;
  /** Mean duration in ms (exponentially distributed). */
  meanMs: number;
}

export const downReasons: readonly DownReason[] = [
  { code: 'E101', text: 'Part jam at infeed', weight: 5, meanMs: 3 * 60_000 },
  { code: 'E205', text: 'Tool wear / tool change', weight: 2, meanMs: 8 * 60_000 },
  { code: 'E310', text: 'Hydraulic pressure low', weight: 1, meanMs: 15 * 60_000 },
  { code: 'E402', text: 'Sensor fault', weight: 2, meanMs: 4 * 60_000 },
  { code: 'E517', text: 'Safety door opened', weight: 3, meanMs: 90_000 },
];

export interface CharacteristicSpec {
  name: string;
  unit: string;
  nominal: number;
  sigma: number;
  lsl: number;
  usl: number;
}

export interface MachineSpec {
  id: string;
  idealCycleTimeMs: number;
  /** Base probability that a part is rejected. */
  rejectRate: number;
  /** Counters roll over to 0 after this value (e.g. 65535, or 4294967295 for a UInt32). */
  counterMax: number;
  characteristic: CharacteristicSpec;
  /** Mean number of parts in a batch before a changeover. */
  batchSize: number;
  /** Period of planned breaks (simulated ms) and their length. */
  breakEveryMs: number;
  breakMs: number;
  /** Offset of the first break, so machines do not all stop at once. */
  breakOffsetMs: number;
  /** Unplanned stops, starvation and blocking per simulated hour of running. */
  downPerHour: number;
  idlePerHour: number;
  blockedPerHour: number;
  /** Initial counter values (a machine is rarely at 0 when a collector connects). */
  initialGood: number;
  initialReject: number;
}

export interface MachineSnapshot {
  id: string;
  state: MachineStateName;
  stateCode: number;
  reasonCode: string | null;
  reasonText: string | null;
  goodCount: number;
  rejectCount: number;
  /** Duration of the last completed cycle, seconds. */
  cycleTimeS: number;
  /** Last measured value of the characteristic. */
  measurement: number;
  temperatureC: number;
  /** Simulated time of the last state change. */
  stateSince: number;
  /** Parts completed since the simulation started (not rolled over). */
  partsMade: number;
}

export interface Machine {
  readonly spec: MachineSpec;
  /** Advances the machine by `dtMs` of simulated time ending at `now`; returns the new snapshot. */
  step(now: number, dtMs: number): MachineSnapshot;
  snapshot(): MachineSnapshot;
}

export function defaultMachineSpec(index: number, rng: Rng): MachineSpec {
  const id = `M${String(index + 1).padStart(2, '0')}`;
  const nominal = [25, 40, 12.5, 60][index % 4] as number;
  return {
    id,
    idealCycleTimeMs: Math.round(rng.int(20, 60) * 100),
    rejectRate: 0.01 + rng.next() * 0.02,
    counterMax: 4294967295,
    characteristic: { name: 'diameter', unit: 'mm', nominal, sigma: nominal * 0.001, lsl: nominal * 0.995, usl: nominal * 1.005 },
    batchSize: rng.int(300, 900),
    breakEveryMs: 4 * 3_600_000,
    breakMs: 30 * 60_000,
    breakOffsetMs: 3_600_000 + index * 10 * 60_000,
    downPerHour: 0.8,
    idlePerHour: 1.5,
    blockedPerHour: 1,
    initialGood: rng.int(1_000, 50_000),
    initialReject: rng.int(10, 500),
  };
}

export function createMachine(spec: MachineSpec, rng: Rng, startTime: number): Machine {
  let state: MachineStateName = 'RUNNING';
  let stateSince = startTime;
  let remainingMs = 0;
  let reason: DownReason | null = null;
  let good = spec.initialGood % (spec.counterMax + 1);
  let reject = spec.initialReject % (spec.counterMax + 1);
  let partsMade = 0;
  let partsInBatch = 0;
  let batchTarget = Math.max(10, Math.round(rng.normal(spec.batchSize, spec.batchSize * 0.2)));
  let partsSinceChangeover = 100;
  let partElapsedMs = 0;
  let partCycleMs = drawCycle();
  let lastCycleS = spec.idealCycleTimeMs / 1000;
  let measurement = spec.characteristic.nominal;
  let temperature = 25 + rng.next() * 2;
  let nextBreakAt = startTime + spec.breakOffsetMs;
  let breakPending = false;
  // Process disturbances, in units of sigma: a drift adds `driftPerPart` each part, a shift is a step.
  let drift = 0;
  let driftPerPart = 0;
  let driftPartsLeft = 0;
  let shift = 0;
  let shiftPartsLeft = 0;
  let spikeMsLeft = 0;
  const totalReasonWeight = downReasons.reduce((sum, r) => sum + r.weight, 0);

  function drawCycle(): number {
    // Mostly near the ideal, sometimes slow (micro-hesitation), never faster than 97 % of ideal.
    const jitter = Math.abs(rng.normal(0, 0.04));
    const slow = rng.next() < 0.03 ? rng.exponential(0.5) : 0;
    return Math.max(spec.idealCycleTimeMs * 0.97, spec.idealCycleTimeMs * (1 + jitter + slow));
  }

  function enter(next: MachineStateName, now: number, durationMs: number, why: DownReason | null): void {
    state = next;
    stateSince = now;
    remainingMs = durationMs;
    reason = why;
  }

  function pickReason(): DownReason {
    let r = rng.next() * totalReasonWeight;
    for (const reasonItem of downReasons) {
      r -= reasonItem.weight;
      if (r <= 0) return reasonItem;
    }
    return downReasons[0] as DownReason;
  }

  function completePart(): void {
    partsMade += 1;
    partsInBatch += 1;
    partsSinceChangeover += 1;
    lastCycleS = Math.round(partCycleMs) / 1000;
    // Disturbances start rarely and last a few dozen parts.
    if (driftPartsLeft <= 0 && shiftPartsLeft <= 0 && rng.next() < 0.004) {
      driftPerPart = (rng.next() < 0.5 ? -1 : 1) * (0.08 + rng.next() * 0.08);
      driftPartsLeft = rng.int(20, 40);
      drift = 0;
    } else if (driftPartsLeft <= 0 && shiftPartsLeft <= 0 && rng.next() < 0.003) {
      shift = (rng.next() < 0.5 ? -1 : 1) * (1.5 + rng.next());
      shiftPartsLeft = rng.int(15, 40);
    }
    if (driftPartsLeft > 0) {
      drift += driftPerPart;
      driftPartsLeft -= 1;
      if (driftPartsLeft === 0) drift = 0;
    }
    if (shiftPartsLeft > 0) {
      shiftPartsLeft -= 1;
      if (shiftPartsLeft === 0) shift = 0;
    }
    const c = spec.characteristic;
    measurement = round(c.nominal + c.sigma * (rng.normal() + drift + shift), 4);
    const startup = partsSinceChangeover <= 10 ? 4 : 1;
    const outOfSpec = measurement < c.lsl || measurement > c.usl;
    if (outOfSpec || rng.next() < spec.rejectRate * startup) reject = (reject + 1) % (spec.counterMax + 1);
    else good = (good + 1) % (spec.counterMax + 1);
    partElapsedMs = 0;
    partCycleMs = drawCycle();
  }

  function snapshot(): MachineSnapshot {
    return {
      id: spec.id,
      state,
      stateCode: stateCodes[state],
      reasonCode: reason?.code ?? null,
      reasonText: reason?.text ?? null,
      goodCount: good,
      rejectCount: reject,
      cycleTimeS: lastCycleS,
      measurement,
      temperatureC: round(temperature, 2),
      stateSince,
      partsMade,
    };
  }

  function step(now: number, dtMs: number): MachineSnapshot {
    if (now >= nextBreakAt) {
      breakPending = true;
      nextBreakAt += spec.breakEveryMs;
    }
    if (state === 'RUNNING') {
      const hours = dtMs / 3_600_000;
      if (breakPending) {
        breakPending = false;
        enter('PLANNED_STOP', now, spec.breakMs, null);
      } else if (partsInBatch >= batchTarget) {
        partsInBatch = 0;
        batchTarget = Math.max(10, Math.round(rng.normal(spec.batchSize, spec.batchSize * 0.2)));
        enter('CHANGEOVER', now, Math.max(5 * 60_000, rng.normal(20 * 60_000, 5 * 60_000)), null);
        partsSinceChangeover = 0;
        partElapsedMs = 0;
      } else {
        const u = rng.next();
        const pDown = spec.downPerHour * hours;
        const pIdle = spec.idlePerHour * hours;
        const pBlocked = spec.blockedPerHour * hours;
        if (u < pDown) {
          const why = pickReason();
          enter('DOWN', now, Math.max(20_000, rng.exponential(why.meanMs)), why);
        } else if (u < pDown + pIdle) {
          enter('IDLE', now, Math.max(5_000, rng.exponential(90_000)), null);
        } else if (u < pDown + pIdle + pBlocked) {
          enter('BLOCKED', now, Math.max(5_000, rng.exponential(60_000)), null);
        } else {
          partElapsedMs += dtMs;
          while (partElapsedMs >= partCycleMs) {
            const carry = partElapsedMs - partCycleMs;
            completePart();
            partElapsedMs = carry;
          }
        }
      }
    } else {
      remainingMs -= dtMs;
      if (remainingMs <= 0) {
        if (breakPending && state !== 'PLANNED_STOP') {
          breakPending = false;
          enter('PLANNED_STOP', now, spec.breakMs, null);
        } else {
          enter('RUNNING', now, 0, null);
        }
      }
    }
    // Temperature: first-order toward a load-dependent target, noise, rare spikes above 80 °C.
    const target = state === 'RUNNING' ? 48 : state === 'DOWN' && reason?.code === 'E310' ? 62 : 30;
    if (spikeMsLeft <= 0 && state === 'RUNNING' && rng.next() < dtMs / (6 * 3_600_000)) spikeMsLeft = rng.int(5, 15) * 60_000;
    const spike = spikeMsLeft > 0 ? 40 : 0;
    if (spikeMsLeft > 0) spikeMsLeft -= dtMs;
    const alpha = 1 - Math.exp(-dtMs / 120_000);
    temperature += (target + spike - temperature) * alpha + rng.normal(0, 0.02);
    return snapshot();
  }

  return { spec, step, snapshot };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// The plant simulator: N machines (edge/sim/machine.ts) behind an OPC-UA server, optionally Sparkplug B sensor
// nodes on MQTT and GS1 scanner streams over TCP. Deterministic for a seed: the machines advance in fixed ticks of
// simulated time, and a timer only decides when the ticks run (acceleration = simulated ms per wall ms).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../platform/log.ts';
import { ConfigError } from '../../platform/errors.ts';
import { createMachine, defaultMachineSpec, type Machine, type MachineSnapshot, type MachineSpec } from './machine.ts';
import { createRng } from './prng.ts';
import { startSimServer, type SimServer, type SimServerSecurity } from './opcua-server.ts';
import { startSimScanners, type SimScanners, type SimStation } from './scanners.ts';
import { startSimSparkplugNode, type SimSparkplugNode } from './sparkplug-node.ts';

export { simNodeId, machineVariables, type MachineVariable } from './opcua-server.ts';
export type { MachineSpec, MachineSnapshot, MachineStateName } from './machine.ts';
export { stateCodes, downReasons } from './machine.ts';

export interface PlantSimulatorOptions {
  /** Number of machines (M01, M02, ...). Default 3. */
  machines?: number;
  seed?: number | string;
  /** OPC-UA port; 0 picks a free port. Default 4840. */
  port?: number;
  host?: string;
  /** Simulated ms per wall ms. Default 1 (real time). */
  acceleration?: number;
  /** Simulated length of one tick. Default 100 ms. */
  tickMs?: number;
  /** Simulated time of tick 0 (epoch ms). Default: now. */
  startTime?: number;
  /** Folder of the server's PKI (own certificate, trusted clients). Default: <tmpdir>/linepulse-sim-pki. */
  pkiDir?: string;
  /** Counter rollover value for every machine. Default 4294967295 (UInt32). */
  counterMax?: number;
  /** Adjust machine specs (e.g. in tests). */
  machineSpec?: (spec: MachineSpec) => MachineSpec;
  security?: SimServerSecurity;
  /** Extra Double variables `ns=1;s=Load.<i>` updated every `loadIntervalMs` (benchmarks). */
  loadVariables?: number;
  loadIntervalMs?: number;
  /** Several load groups with their own update period; node ids continue across groups (benchmarks). */
  load?: Array<{ count: number; intervalMs: number }>;
  /** Also publish Sparkplug B sensor nodes to this MQTT broker. */
  mqttUrl?: string;
  /** Sparkplug data period in simulated ms. Default 1000. */
  sparkplugEveryMs?: number;
  /** Also serve GS1 scanner streams over TCP on this port (0: a free port). */
  scannerPort?: number;
  logger?: Logger;
}

export interface PlantSimulator {
  readonly endpointUrl: string;
  readonly port: number;
  readonly machines: readonly MachineSpec[];
  /** The Sparkplug B edge node, when `mqttUrl` was given: group, node and one device per machine (`<id>-env`). */
  readonly mqtt: { url: string; groupId: string; nodeId: string; devices: string[]; published(): number } | null;
  /** The scanner streams, when `scannerPort` was given: one TCP port per station (`st-<machine>`). */
  readonly scanners: { stations: SimStation[]; written(station: string): string[] } | null;
  /** Current machine snapshots. */
  snapshots(): MachineSnapshot[];
  /** Simulated time of the last tick. */
  simTime(): number;
  /** Load-variable values written so far (benchmarks compare it with what a client received). */
  loadWrites(): number;
  /** Stops and restarts the OPC-UA server on the same port while the machines keep running (tests). */
  restartOpcUa(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `ticks` ticks of a plant with no server: the pure trace, for tests and replays. */
export function simulatePlant(options: { machines: number; seed: number | string; ticks: number; tickMs?: number; startTime?: number }): MachineSnapshot[][] {
  const tickMs = options.tickMs ?? 100;
  const start = options.startTime ?? 0;
  const machines = buildMachines(options.machines, options.seed, start, undefined, undefined);
  const trace: MachineSnapshot[][] = [];
  for (let i = 1; i <= options.ticks; i += 1) trace.push(machines.map((m) => m.step(start + i * tickMs, tickMs)));
  return trace;
}

function buildMachines(
  count: number,
  seed: number | string,
  startTime: number,
  counterMax: number | undefined,
  adjust: ((spec: MachineSpec) => MachineSpec) | undefined,
): Machine[] {
  const root = createRng(seed);
  const specRng = root.fork('specs');
  return Array.from({ length: count }, (_, i) => {
    let spec = defaultMachineSpec(i, specRng);
    if (counterMax !== undefined) spec = { ...spec, counterMax, initialGood: spec.initialGood % (counterMax + 1), initialReject: spec.initialReject % (counterMax + 1) };
    if (adjust) spec = adjust(spec);
    return createMachine(spec, root.fork(`machine:${spec.id}`), startTime);
  });
}

export async function startPlantSimulator(options: PlantSimulatorOptions = {}): Promise<PlantSimulator> {
  const count = options.machines ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 500) throw new ConfigError('sim.machines', `must be an integer 1..500, got ${count}`);
  const acceleration = options.acceleration ?? 1;
  if (!(acceleration > 0)) throw new ConfigError('sim.acceleration', `must be > 0, got ${acceleration}`);
  const tickMs = options.tickMs ?? 100;
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger();
  const startTime = options.startTime ?? Date.now();
  const machines = buildMachines(count, options.seed ?? 1, startTime, options.counterMax, options.machineSpec);
  const specs = machines.map((m) => m.spec);
  const serverOptions = {
    host,
    port: options.port ?? 4840,
    pkiDir: options.pkiDir ?? join(tmpdir(), 'linepulse-sim-pki'),
    machines: specs,
    security: options.security,
    loadVariables: (options.load ?? []).reduce((n, g) => n + g.count, 0) + (options.loadVariables ?? 0),
    logger,
  };
  let server: SimServer | null = await startSimServer(serverOptions);
  const port = server.port;
  const endpointUrl = server.endpointUrl;
  let previous: Array<MachineSnapshot | null> = machines.map(() => null);
  let current = machines.map((m) => m.snapshot());
  let tick = 0;
  const wallStart = performance.now();

  const writeAll = (force: boolean): void => {
    if (!server) return;
    const at = new Date(startTime + tick * tickMs);
    current.forEach((s, i) => server?.write(s, force ? null : (previous[i] ?? null), at));
  };
  writeAll(true);

  const root = createRng(options.seed ?? 1);
  let sparkplug: SimSparkplugNode | null = null;
  const devices = specs.map((m) => `${m.id}-env`);
  if (options.mqttUrl) {
    sparkplug = await startSimSparkplugNode({ url: options.mqttUrl, groupId: 'plant1', nodeId: 'line1-sensors', devices, rng: root.fork('sparkplug'), logger, now: () => startTime + tick * tickMs });
  }
  let scanners: SimScanners | null = null;
  if (options.scannerPort !== undefined) {
    scanners = await startSimScanners({ machineIds: specs.map((m) => m.id), basePort: options.scannerPort, host, rng: root.fork('scanners') });
  }
  const sparkplugEvery = Math.max(1, Math.round((options.sparkplugEveryMs ?? 1_000) / tickMs));

  // Each timer fire runs the ticks that are due; a slow event loop catches up in bounded steps.
  const period = Math.max(10, Math.min(tickMs / acceleration, 250));
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - wallStart) * acceleration) / tickMs);
    let budget = 2_000;
    while (tick < due && budget > 0) {
      tick += 1;
      budget -= 1;
      const now = startTime + tick * tickMs;
      previous = current;
      current = machines.map((m) => m.step(now, tickMs));
      writeAll(false);
      scanners?.onTick(previous as MachineSnapshot[], current, now);
      if (sparkplug && tick % sparkplugEvery === 0) sparkplug.publishData();
    }
  }, period);
  timer.unref();

  const groups = [...(options.load ?? []), ...(options.loadVariables ? [{ count: options.loadVariables, intervalMs: options.loadIntervalMs ?? 100 }] : [])];
  const loadTimers: NodeJS.Timeout[] = [];
  let loadWrites = 0;
  let first = 0;
  for (const group of groups) {
    const from = first;
    first += group.count;
    const loadRng = createRng(`${options.seed ?? 1}:load:${from}`);
    let phase = 0;
    const timer = setInterval(() => {
      phase += 1;
      const at = new Date();
      if (!server) return;
      for (let i = from; i < from + group.count; i += 1) server.writeLoad(i, phase + loadRng.next(), at);
      loadWrites += group.count;
    }, group.intervalMs);
    timer.unref();
    loadTimers.push(timer);
  }

  return {
    endpointUrl,
    port,
    machines: specs,
    mqtt: sparkplug && options.mqttUrl ? { url: options.mqttUrl, groupId: 'plant1', nodeId: 'line1-sensors', devices, published: () => sparkplug?.published ?? 0 } : null,
    scanners: scanners ? { stations: scanners.stations, written: (station: string) => scanners?.written(station) ?? [] } : null,
    snapshots: () => current.map((s) => ({ ...s })),
    simTime: () => startTime + tick * tickMs,
    loadWrites: () => loadWrites,
    async restartOpcUa(downMs = 1_000) {
      const old = server;
      server = null;
      await old?.stop();
      await new Promise((r) => setTimeout(r, downMs));
      server = await startSimServer({ ...serverOptions, port });
      writeAll(true);
    },
    async stop() {
      clearInterval(timer);
      for (const t of loadTimers) clearInterval(t);
      await sparkplug?.stop().catch(() => undefined);
      await scanners?.stop();
      const old = server;
      server = null;
      await old?.stop();
    },
  };
}

// The fault-injection harness (issue 10): a whole pipeline of real processes on private services, so that the suite
// can kill, stop and cut them without touching the shared stack other tests use.
//
//   workload (simulator trace as MQTT JSON) ─► private Mosquitto ─► `linepulse edge` ─► TCP proxy ─► private Kafka
//   private Kafka ─► `linepulse processors` ─► private Kafka ─► `linepulse sinks` ─► chDB (sinks' data dir) + private PostgreSQL
//
// The workload is fixed: the seeded simulator's pure trace (edge/sim: same seed, same machines, same values and
// event times) is turned into MQTT JSON messages with the simulated time as source timestamp. Only the pace of
// publishing depends on the run, never the content, so the final counts and OEE of a disturbed run must equal an
// undisturbed run's exactly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import mqtt, { type MqttClient } from 'mqtt';
import { instanceUp, kafkaService, postgresService, databaseName, type StackService } from '../../compose/stack/index.ts';
import { repoRoot } from '../../compose/stack/artifacts.js';
import { createRng } from '../../edge/sim/prng.ts';
import { defaultMachineSpec, type MachineSpec } from '../../edge/sim/machine.ts';
import { simulatePlant } from '../../edge/sim/index.ts';
import { demoEquipmentPath } from '../../edge/sim/demo-config.ts';
import { startPrivateMosquitto, type PrivateBroker } from '../../edge/testing/mosquitto.ts';
import { demoPlantConfig } from '../../cli/demo-plant.ts';
import { sinkRoutes } from '../../sinks/routes.ts';
import { topics } from '../../schemas/topics.ts';
import { freePort } from '../../platform/net/ports.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


// ---------------------------------------------------------------------------------------------------------------
// Workload

export interface WorkloadMessage {
  topic: string;
  payload: string;
  /** Simulated time (epoch ms): the message's source timestamp. */
  ts: number;
}

export interface Workload {
  machines: MachineSpec[];
  messages: WorkloadMessage[];
  /** Messages per equipment path. */
  perEquipment: Record<string, number>;
  start: number;
  tickMs: number;
}

/**
 * 06:00 UTC (a shift start of the demo calendar) seven days ago: recent enough for the raw tables' retention
 * (rows older than it are dropped by TTL), fixed for the whole suite.
 */
export function defaultWorkloadStart(now = Date.now()): number {
  const day = 86_400_000;
  return Math.floor(now / day) * day - 7 * day + 6 * 3_600_000;
}

/**
 * The fixed workload: `ticks` simulated seconds of `machines` simulated machines (seed `seed`). Per machine and
 * tick: the temperature (sensor); the state name, good and reject counters when they change; the process
 * measurement when a part was made. JSON `{ value, ts }` on `lp/<machine>/<tag>`.
 */
export function buildWorkload(options: { machines: number; seed: number; ticks: number; tickMs?: number; start?: number }): Workload {
  const tickMs = options.tickMs ?? 1_000;
  const workloadStart = options.start ?? defaultWorkloadStart();
  const specRng = createRng(options.seed).fork('specs');
  const machines = Array.from({ length: options.machines }, (_, i) => defaultMachineSpec(i, specRng));
  const trace = simulatePlant({ machines: options.machines, seed: options.seed, ticks: options.ticks, tickMs, startTime: workloadStart });
  const messages: WorkloadMessage[] = [];
  const perEquipment: Record<string, number> = {};
  const last = new Map<string, { state: string; good: number; reject: number; parts: number }>();
  trace.forEach((tick, t) => {
    const ts = workloadStart + (t + 1) * tickMs;
    for (const m of tick) {
      const previous = last.get(m.id);
      const equipment = demoEquipmentPath(m.id, machines.findIndex((s) => s.id === m.id));
      const push = (tag: string, value: number | string) => {
        messages.push({ topic: `lp/${m.id}/${tag}`, payload: JSON.stringify({ value, ts }), ts });
        perEquipment[equipment] = (perEquipment[equipment] ?? 0) + 1;
      };
      if (previous?.state !== m.state) push('State', m.state);
      if (previous?.good !== m.goodCount) push('GoodCount', m.goodCount);
      if (previous?.reject !== m.rejectCount) push('RejectCount', m.rejectCount);
      if (previous !== undefined && previous.parts !== m.partsMade) push('Diameter', m.measurement);
      push('Temperature', Math.round(m.temperatureC * 100) / 100);
      last.set(m.id, { state: m.state, good: m.goodCount, reject: m.rejectCount, parts: m.partsMade });
    }
  });
  return { machines, messages, perEquipment, start: workloadStart, tickMs };
}

/** The edge config for the workload: one MQTT connection, a JSON topic per tag with its role. */
export function edgeConfig(mqttUrl: string, machines: readonly MachineSpec[]): unknown {
  const json = machines.flatMap((m, i) => {
    const equipment = demoEquipmentPath(m.id, i);
    return [
      { topic: `lp/${m.id}/State`, equipment, role: 'state', tag: 'State', timestampPath: 'ts' },
      { topic: `lp/${m.id}/GoodCount`, equipment, role: 'goodCounter', tag: 'GoodCount', timestampPath: 'ts', counterMax: m.counterMax },
      { topic: `lp/${m.id}/RejectCount`, equipment, role: 'rejectCounter', tag: 'RejectCount', timestampPath: 'ts', counterMax: m.counterMax },
      { topic: `lp/${m.id}/Diameter`, equipment, role: 'processValue', tag: 'Diameter', unit: m.characteristic.unit, characteristic: `${m.id}-${m.characteristic.name}`, timestampPath: 'ts' },
      { topic: `lp/${m.id}/Temperature`, equipment, role: 'sensor', tag: 'Temperature', unit: 'degC', range: { low: 0, high: 80 }, timestampPath: 'ts' },
    ];
  });
  return { edge: { outboxFile: 'edge/outbox.sqlite', mqtt: [{ id: 'workload', url: mqttUrl, qos: 1, cleanSession: false, json }] } };
}

/** Publishes messages [from, to) of the workload at `ratePerSecond` (QoS 1, one connection: in order). */
export async function publish(client: MqttClient, messages: readonly WorkloadMessage[], from: number, to: number, ratePerSecond: number): Promise<void> {
  const started = performance.now();
  const slice = 500;
  for (let i = from; i < to; i += slice) {
    const end = Math.min(to, i + slice);
    await Promise.all(messages.slice(i, end).map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })));
    const due = ((end - from) / ratePerSecond) * 1000 - (performance.now() - started);
    if (due > 0) await sleep(due);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A TCP proxy between the edge and the broker: dropping it cuts that one client off.

export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(port: number, target: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(target, '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  const cut = async () => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

// ---------------------------------------------------------------------------------------------------------------
// The pipeline: private services + the linepulse processes

export type ProcessName = 'edge' | 'processors' | 'sinks';

interface Child {
  name: ProcessName;
  process: ChildProcess;
  metricsPort: number;
  exited: Promise<number | null>;
}

export interface PipelineOptions {
  dir: string;
  workload: Workload;
  log?: (line: string) => void;
}

export class Pipeline {
  readonly dir: string;
  readonly workload: Workload;
  private readonly log: (line: string) => void;
  kafka!: StackService;
  postgres!: StackService;
  mosquitto!: PrivateBroker;
  proxy!: TcpProxy;
  private admin!: Admin;
  private kafkaClient!: Kafka;
  private readonly children = new Map<ProcessName, Child>();
  private readonly metricsPorts = new Map<ProcessName, number>();
  private publisher!: MqttClient;
  readonly clickhouseFlag: string;
  published = 0;
  env: Record<string, string> = {};

  constructor(options: PipelineOptions) {
    this.dir = options.dir;
    this.workload = options.workload;
    this.log = options.log ?? (() => undefined);
    this.clickhouseFlag = join(this.dir, 'clickhouse-down');
  }

  async start(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    // As root the postgres user must be able to enter the folders above its data directory.
    chmodSync(this.dir, 0o755);
    const [kafkaPort, controllerPort, edgeListenerPort, proxyPort, pgPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    this.kafka = kafkaService({
      port: kafkaPort,
      controllerPort,
      home: join(this.dir, 'kafka'),
      extraListeners: [{ name: 'EDGE', port: edgeListenerPort, advertisedPort: proxyPort }],
    });
    mkdirSync(join(this.dir, 'pg'), { recursive: true, mode: 0o755 });
    chmodSync(join(this.dir, 'pg'), 0o755);
    this.postgres = postgresService({ port: pgPort, dataDir: join(this.dir, 'pg', 'data'), log: join(this.dir, 'pg', 'postgres.log') });
    const t0 = Date.now();
    [, , this.mosquitto] = await Promise.all([instanceUp(this.kafka), instanceUp(this.postgres), startPrivateMosquitto()]);
    this.proxy = await startTcpProxy(proxyPort, edgeListenerPort);
    this.log(`services up in ${Date.now() - t0} ms (kafka ${this.kafka.address}, postgres ${this.postgres.address}, mqtt ${this.mosquitto.url})`);
    this.kafkaClient = new Kafka({ clientId: 'reliability', brokers: [this.kafka.address], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    this.admin = this.kafkaClient.admin();
    await this.admin.connect();

    const configFile = join(this.dir, 'plant.json');
    writeFileSync(configFile, JSON.stringify({ ...demoPlantConfig(this.workload.machines, 'UTC'), ...(edgeConfig(this.mosquitto.url, this.workload.machines) as object) }, null, 2));
    this.env = {
      DATABASE_URL: `postgres://postgres@${this.postgres.address}/${databaseName}`,
      LINEPULSE_CONFIG: configFile,
      LOG_LEVEL: 'info',
    };
    for (const name of ['processors', 'sinks', 'edge'] as const) this.metricsPorts.set(name, await freePort());
    await this.startProcess('processors');
    await this.startProcess('sinks');
    await this.startProcess('edge');
    this.publisher = await mqtt.connectAsync(this.mosquitto.url, { clientId: 'reliability-workload', clean: true });
    // The edge subscribes before the first message (its session is persistent from then on).
    await this.waitFor('edge connected to MQTT', async () => (await this.metric('edge', 'linepulse_edge_source_connected')) === 1, 60_000);
  }

  brokersFor(name: ProcessName): string {
    return name === 'edge' ? `127.0.0.1:${this.proxy.port}` : this.kafka.address;
  }

  async startProcess(name: ProcessName): Promise<void> {
    const dataDir = join(this.dir, 'data', name);
    mkdirSync(dataDir, { recursive: true });
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const metricsPort = this.metricsPorts.get(name) as number;
    const args = ['bin/linepulse.js', name, '--metrics-port', String(metricsPort)];
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.env, KAFKA_BROKERS: this.brokersFor(name), LINEPULSE_DATA_DIR: dataDir };
    for (const key of ['CLICKHOUSE_URL', 'MQTT_URL', 'SCHEMA_REGISTRY_URL', 'NODE_OPTIONS', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID']) delete env[key];
    if (name === 'sinks') env.LINEPULSE_FAULT_CLICKHOUSE_FILE = this.clickhouseFlag;
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    this.children.set(name, { name, process: child, metricsPort, exited });
    await this.waitFor(`${name} probe`, async () => (await this.scrape(name)) !== null, 120_000);
  }

  /** SIGKILL (kill -9) of one linepulse process. */
  async killProcess(name: ProcessName): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    child.process.kill('SIGKILL');
    await child.exited;
    this.children.delete(name);
  }

  async stopProcess(name: ProcessName): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    child.process.kill('SIGTERM');
    const code = await Promise.race([child.exited, sleep(60_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    this.children.delete(name);
  }

  /** kill -9 of the broker's JVM. */
  async killBroker(): Promise<void> {
    const pid = this.kafka.pid();
    if (pid === undefined) throw new Error('private Kafka is not running');
    process.kill(pid, 'SIGKILL');
    await this.waitFor('broker gone', async () => this.kafka.pid() === undefined, 30_000);
  }

  async startBroker(): Promise<void> {
    await instanceUp(this.kafka);
  }

  async stopPostgres(): Promise<void> {
    await this.postgres.stop();
  }

  async startPostgres(): Promise<void> {
    await instanceUp(this.postgres);
  }

  clickhouseDown(down: boolean): void {
    if (down) writeFileSync(this.clickhouseFlag, 'injected outage\n');
    else rmSync(this.clickhouseFlag, { force: true });
  }

  /** Publishes the next `count` messages of the workload at `ratePerSecond`. */
  async publishNext(count: number, ratePerSecond: number): Promise<void> {
    const to = Math.min(this.workload.messages.length, this.published + count);
    await publish(this.publisher, this.workload.messages, this.published, to, ratePerSecond);
    this.published = to;
  }

  // -- observation ---------------------------------------------------------------------------------------------

  async scrape(name: ProcessName): Promise<string | null> {
    const port = this.metricsPorts.get(name);
    if (!this.children.has(name) || port === undefined) return null;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3_000) });
      return response.ok ? await response.text() : null;
    } catch {
      return null;
    }
  }

  /** Samples of one metric (all label sets). */
  async samples(name: ProcessName, metric: string): Promise<number[] | null> {
    const text = await this.scrape(name);
    if (text === null) return null;
    const values: number[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) values.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return values;
  }

  /** Sum of a processors metric per `processor` label. */
  async perProcessor(metric: string): Promise<Record<string, number>> {
    const text = (await this.scrape('processors')) ?? '';
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}{`)) continue;
      const processor = /processor="([^"]+)"/.exec(line)?.[1] ?? '?';
      out[processor] = (out[processor] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return out;
  }

  async metric(name: ProcessName, metric: string): Promise<number | null> {
    const values = await this.samples(name, metric);
    return values === null ? null : values.reduce((a, b) => a + b, 0);
  }

  /** Records the sinks' group has not committed yet, per topic of sinks/routes.ts. */
  async sinkLag(): Promise<number> {
    let lag = 0;
    for (const route of sinkRoutes) {
      const topic = topics[route.topic].topic;
      const [ends, committed] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId: 'linepulse-sinks', topics: [topic] })]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const));
      for (const end of ends) {
        const at = done.get(end.partition) ?? -1;
        const high = Number(end.high);
        if (high === 0) continue;
        // A transactional topic ends with a commit marker the consumer never sees as a record: one short is done.
        const behind = high - Math.max(at, 0);
        if (behind > 1 || at < 0) lag += behind;
      }
    }
    return lag;
  }

  /** What is still on its way: edge outbox, events not yet captured, processor lag, sink lag. */
  async backlog(): Promise<{ drained: boolean; outbox: number | null; uncaptured: number | null; processorLag: number | null; sinkLag: number | null }> {
    const outbox = await this.metric('edge', 'linepulse_edge_outbox_backlog');
    const captured = await this.metric('edge', 'linepulse_edge_events_captured_total');
    const lags = await this.samples('processors', 'linepulse_processor_lag');
    const processorLag = lags === null || lags.length === 0 ? null : lags.reduce((a, b) => a + b, 0);
    const sinkLag = await this.sinkLag().catch(() => null);
    // One message can become two events (a process value: telemetry + measurement); compare messages per kind.
    const uncaptured = captured === null ? null : Math.max(0, this.expectedEvents(this.published) - captured);
    const drained = outbox === 0 && uncaptured === 0 && processorLag === 0 && sinkLag === 0;
    return { drained, outbox, uncaptured, processorLag, sinkLag };
  }

  /** Raw events the edge captures from the first `messages` workload messages. */
  expectedEvents(messages: number): number {
    let events = 0;
    for (let i = 0; i < messages; i++) events += this.workload.messages[i]!.topic.endsWith('/Diameter') ? 2 : 1;
    return events;
  }

  /**
   * Polls until everything published has gone through (outbox empty, every raw event captured, processors and
   * sinks caught up); resolves to the ms it took, or throws after `timeoutMs` naming what is still behind.
   */
  async waitDrained(timeoutMs: number): Promise<number> {
    const started = Date.now();
    let last = await this.backlog();
    while (!last.drained) {
      if (Date.now() - started > timeoutMs) throw new Error(`not drained after ${timeoutMs / 1000} s: ${JSON.stringify(last)}`);
      await sleep(500);
      last = await this.backlog();
    }
    return Date.now() - started;
  }

  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(250);
    }
  }

  /** Stops the linepulse processes (sinks last, so that chDB is closed cleanly); the services keep running. */
  async stopProcesses(): Promise<void> {
    await this.publisher?.endAsync().catch(() => undefined);
    for (const name of ['edge', 'processors', 'sinks'] as const) await this.stopProcess(name).catch(() => undefined);
  }

  /** Stops every service this pipeline started. */
  async stopServices(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    await this.proxy?.close().catch(() => undefined);
    await this.mosquitto?.close().catch(() => undefined);
    await this.kafka?.stop().catch(() => undefined);
    await this.postgres?.stop().catch(() => undefined);
  }
}

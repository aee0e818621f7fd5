// The barcode scanner collector: keyboard-wedge lines from a TCP stream or a serial port -> BarcodeScan events.
// Each line is parsed (edge/barcode/gs1.ts); an invalid one becomes a REJECTED scan with the reason so an
// operator terminal can show it. Double reads within the window are dropped (and counted). Scans carry the
// station and the work order active there (from config, a work-order barcode, or `setWorkOrder`).
import { Socket } from 'node:net';
import type { Logger } from '../../platform/log.ts';
import { describeCause } from '../../platform/errors.ts';
import type { EdgeEvent, Publish } from '../events.ts';
import type { EdgeMetrics } from '../metrics.ts';
import type { ScannerConfig } from './config.ts';
import { parseBarcode } from './gs1.ts';

/** A line source: calls `onLine` per scanned line, reconnects by itself. */
export interface LineSource {
  readonly connected: boolean;
  stop(): Promise<void>;
}

export interface ScanStation {
  /** Handles one scanned line (what the line sources call). */
  scan(line: string): void;
  setWorkOrder(workOrder: string | null): void;
  workOrder(): string | null;
}

/** The pure-ish part: parsing, duplicate window, work-order binding, event building. */
export function createScanStation(options: { config: ScannerConfig; publish: Publish; metrics: EdgeMetrics; now?: () => number }): ScanStation {
  const { config, publish, metrics } = options;
  const now = options.now ?? Date.now;
  const sourceId = `scanner:${config.station}`;
  const pattern = config.workOrderPattern ? new RegExp(config.workOrderPattern) : null;
  let active: string | null = config.workOrder ?? null;
  const recent = new Map<string, number>();

  return {
    setWorkOrder(workOrder) {
      active = workOrder;
    },
    workOrder: () => active,
    scan(line) {
      const raw = line.replace(/[\r\n]+$/, '');
      if (raw.length === 0) return;
      const t = now();
      const last = recent.get(raw);
      if (last !== undefined && t - last < config.duplicateWindowMs) {
        recent.set(raw, t);
        metrics.sourceErrors.inc({ source: sourceId, kind: 'duplicate-scan' });
        return;
      }
      recent.set(raw, t);
      if (recent.size > 1_000) for (const [k, v] of recent) if (t - v >= config.duplicateWindowMs) recent.delete(k);
      const parsed = parseBarcode(raw, { now: new Date(t), maxLength: config.maxLength });
      const base = {
        eventTime: t,
        equipment: config.equipment,
        station: config.station,
        raw: raw.length > 1_000 ? raw.slice(0, 1_000) : raw,
        origin: { sourceId, serverTime: null, edgeTime: t, historical: false },
      };
      let event: EdgeEvent;
      if (!parsed.ok) {
        metrics.scansRejected.inc({ station: config.station });
        event = { topic: 'scans', event: { ...base, status: 'REJECTED', rejectReason: parsed.reason, gs1: null, code: null, workOrder: active } };
      } else if (parsed.kind === 'gs1') {
        event = { topic: 'scans', event: { ...base, status: 'ACCEPTED', rejectReason: null, gs1: parsed.gs1, code: null, workOrder: active } };
      } else {
        if (pattern?.test(parsed.code)) active = parsed.code;
        event = { topic: 'scans', event: { ...base, status: 'ACCEPTED', rejectReason: null, gs1: null, code: parsed.code, workOrder: active } };
      }
      publish(event);
    },
  };
}

function splitLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('latin1');
    const parts = buffer.split(/\r\n|\n|\r/);
    buffer = parts.pop() ?? '';
    if (buffer.length > 100_000) buffer = '';
    for (const p of parts) onLine(p);
  };
}

/** Connects to a TCP keyboard-wedge stream, reconnecting with back-off. */
export function tcpLineSource(options: {
  host: string;
  port: number;
  onLine: (line: string) => void;
  logger: Logger;
  initialDelayMs: number;
  maxDelayMs: number;
  onConnected?: (connected: boolean, reconnect: boolean) => void;
}): LineSource {
  let stopped = false;
  let connected = false;
  let socket: Socket | null = null;
  let delay = options.initialDelayMs;
  let everConnected = false;
  let timer: NodeJS.Timeout | null = null;
  const connect = () => {
    if (stopped) return;
    const s = new Socket();
    socket = s;
    s.setKeepAlive(true, 10_000);
    s.on('data', splitLines(options.onLine));
    s.once('connect', () => {
      connected = true;
      delay = options.initialDelayMs;
      options.onConnected?.(true, everConnected);
      everConnected = true;
      options.logger.info({ host: options.host, port: options.port }, 'scanner stream connected');
    });
    s.on('error', (error) => options.logger.debug({ err: describeCause(error) }, 'scanner stream error'));
    s.once('close', () => {
      if (connected && !stopped) options.logger.warn({ host: options.host, port: options.port }, 'scanner stream closed, reconnecting');
      connected = false;
      options.onConnected?.(false, false);
      if (stopped) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(options.maxDelayMs, delay * 2);
    });
    s.connect(options.port, options.host);
  };
  connect();
  return {
    get connected() {
      return connected;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket?.destroy();
    },
  };
}

/** Reads a serial scanner (serialport, loaded only when a serial scanner is configured), reopening on errors. */
export async function serialLineSource(options: {
  config: NonNullable<ScannerConfig['serial']>;
  onLine: (line: string) => void;
  logger: Logger;
  initialDelayMs: number;
  maxDelayMs: number;
  onConnected?: (connected: boolean, reconnect: boolean) => void;
  /** Tests pass serialport's SerialPortMock. */
  portClass?: unknown;
}): Promise<LineSource> {
  const mod = await import('serialport');
  const PortClass = (options.portClass ?? mod.SerialPort) as typeof mod.SerialPort;
  let stopped = false;
  let connected = false;
  let everConnected = false;
  let port: InstanceType<typeof mod.SerialPort> | null = null;
  let delay = options.initialDelayMs;
  let timer: NodeJS.Timeout | null = null;
  const open = () => {
    if (stopped) return;
    const p = new PortClass({
      path: options.config.path,
      baudRate: options.config.baudRate,
      dataBits: options.config.dataBits,
      parity: options.config.parity,
      stopBits: options.config.stopBits,
      autoOpen: false,
    });
    port = p;
    p.on('data', splitLines(options.onLine));
    const retry = (why: string) => {
      if (connected && !stopped) options.logger.warn({ path: options.config.path, why }, 'serial scanner lost, reopening');
      connected = false;
      options.onConnected?.(false, false);
      if (stopped) return;
      timer = setTimeout(open, delay);
      delay = Math.min(options.maxDelayMs, delay * 2);
    };
    p.once('close', () => retry('closed'));
    p.open((error) => {
      if (error) {
        options.logger.debug({ path: options.config.path, err: describeCause(error) }, 'serial scanner open failed');
        retry(describeCause(error));
        return;
      }
      connected = true;
      delay = options.initialDelayMs;
      options.onConnected?.(true, everConnected);
      everConnected = true;
      options.logger.info({ path: options.config.path }, 'serial scanner open');
    });
  };
  open();
  return {
    get connected() {
      return connected;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const p = port;
      if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
    },
  };
}

export interface ScannerCollector {
  readonly sourceId: string;
  readonly connected: boolean;
  readonly ready: Promise<void>;
  readonly station: ScanStation;
  status(): { connected: boolean; reconnects: number; workOrder: string | null };
  stop(): Promise<void>;
}

export function startScannerCollector(options: { config: ScannerConfig; publish: Publish; logger: Logger; metrics: EdgeMetrics; now?: () => number; serialPortClass?: unknown }): ScannerCollector {
  const { config, metrics } = options;
  const sourceId = `scanner:${config.station}`;
  const logger = options.logger.child({ component: 'edge.barcode', source: sourceId });
  const station = createScanStation(options);
  let reconnects = 0;
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => {
    resolveReady = r;
  });
  const onConnected = (up: boolean, reconnect: boolean) => {
    metrics.connected.set({ source: sourceId }, up ? 1 : 0);
    if (up && reconnect) {
      reconnects += 1;
      metrics.reconnects.inc({ source: sourceId });
    }
    if (up) resolveReady();
  };
  metrics.connected.set({ source: sourceId }, 0);
  const common = { onLine: (line: string) => station.scan(line), logger, initialDelayMs: config.reconnect.initialDelayMs, maxDelayMs: config.reconnect.maxDelayMs, onConnected };
  let source: LineSource | null = null;
  const sourcePromise: Promise<LineSource> = config.tcp
    ? Promise.resolve(tcpLineSource({ ...common, host: config.tcp.host, port: config.tcp.port }))
    : serialLineSource({ ...common, config: config.serial as NonNullable<ScannerConfig['serial']>, portClass: options.serialPortClass });
  void sourcePromise.then((s) => {
    source = s;
  }, (error: unknown) => logger.error({ err: describeCause(error) }, 'scanner source could not start'));
  return {
    sourceId,
    station,
    ready,
    get connected() {
      return source?.connected ?? false;
    },
    status: () => ({ connected: source?.connected ?? false, reconnects, workOrder: station.workOrder() }),
    async stop() {
      const s = await sourcePromise.catch(() => null);
      await s?.stop();
      metrics.connected.set({ source: sourceId }, 0);
    },
  };
}

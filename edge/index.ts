// The edge process: collectors -> durable outbox -> bus. `startEdge` is the composition of one edge; the CLI
// (cli/commands/edge.ts, cli/commands/start.ts) passes in the real Producer, Codec, logger and metrics registry.
import { join, resolve } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import type { Producer } from '../platform/bus/port.ts';
import type { Codec } from '../platform/codec/port.ts';
import type { Logger } from '../platform/log.ts';
import { parseEdgeConfig, type EdgeConfig, type EdgeConfigInput } from './config.ts';
import type { EdgeEvent, Publish } from './events.ts';
import { createEdgeMetrics, type EdgeMetrics } from './metrics.ts';
import { startOpcUaCollector, type OpcUaCollector } from './opcua/collector.ts';
import { startMqttCollector } from './mqtt/collector.ts';
import { startScannerCollector, type ScannerCollector } from './barcode/collector.ts';
import { startForwarder, type Forwarder } from './outbox/forwarder.ts';
import { startEdgeDeadLetters } from './dead-letter.ts';
import { openOutbox, type Outbox } from './outbox/outbox.ts';

export { edgeConfigSchema, parseEdgeConfig, loadEdgeConfig, type EdgeConfig, type EdgeConfigInput } from './config.ts';
export type { EdgeEvent, Publish, RawTopic } from './events.ts';
export { startOpcUaCollector } from './opcua/collector.ts';
export { startMqttCollector } from './mqtt/collector.ts';
export { startScannerCollector } from './barcode/collector.ts';
export { openOutbox } from './outbox/outbox.ts';
export { startForwarder } from './outbox/forwarder.ts';
export { createEdgeMetrics } from './metrics.ts';

export interface StartEdgeOptions {
  /** Parsed or raw edge config (validated here). */
  config: EdgeConfig | EdgeConfigInput;
  producer: Producer;
  codec: Codec;
  logger: Logger;
  /** prom-client registry for the edge metrics (or platform/metrics.ts's Metrics, whose registry is used). */
  metrics?: Registry | { registry: Registry };
  /** Data directory: outbox file and default PKI folder live under it. */
  dataDir: string;
  now?: () => number;
}

export interface SourceHealth {
  sourceId: string;
  connected: boolean;
  eventsPerSecond: number;
  reconnects: number;
}

export interface EdgeHealth {
  sources: SourceHealth[];
  backlog: number;
  oldestUnsentAgeMs: number;
  forwarding: 'ok' | 'failing';
}

interface Collector {
  readonly sourceId: string;
  readonly connected: boolean;
  readonly ready: Promise<void>;
  status(): { reconnects: number };
  stop(): Promise<void>;
}

export interface Edge {
  readonly outbox: Outbox;
  readonly forwarder: Forwarder;
  readonly collectors: readonly Collector[];
  readonly metrics: EdgeMetrics;
  /** Publishes into the outbox like a collector (manual events, tests). */
  readonly publish: Publish;
  /** Resolves when every collector has its first subscription. */
  ready(): Promise<void>;
  /** Sets the work order active at a scanner station (by station id or equipment path); null clears it. */
  setWorkOrder(stationOrEquipment: string, workOrder: string | null): number;
  health(): EdgeHealth;
  stop(): Promise<void>;
}

export async function startEdge(options: StartEdgeOptions): Promise<Edge> {
  const config: EdgeConfig = parseEdgeConfig(options.config);
  const logger = options.logger.child({ component: 'edge' });
  const now = options.now ?? Date.now;
  const registry = options.metrics === undefined ? new Registry() : 'registry' in options.metrics ? options.metrics.registry : options.metrics;
  const metrics = createEdgeMetrics(registry);
  const dataDir = resolve(options.dataDir);
  const outbox = openOutbox({
    path: join(dataDir, config.outboxFile),
    maxEvents: config.outbox.maxEvents,
    overflow: config.outbox.overflow,
    synchronous: config.outbox.synchronous,
    logger,
    metrics,
    now,
  });
  const forwarder = startForwarder({
    outbox,
    producer: options.producer,
    codec: options.codec,
    logger,
    metrics,
    historicalAfterMs: config.outbox.historicalAfterMs,
    batchSize: config.outbox.batchSize,
    retry: config.outbox.retry,
    now,
  });

  const perSource = new Map<string, number>();
  const publish: Publish = (event: EdgeEvent) => {
    const source = event.event.origin.sourceId;
    perSource.set(source, (perSource.get(source) ?? 0) + 1);
    outbox.append(event);
  };

  const collectors: Collector[] = [];
  const opcuaCollectors: OpcUaCollector[] = config.opcua.map((endpoint) =>
    startOpcUaCollector({ config: endpoint, publish, logger, metrics, pkiDir: join(dataDir, 'pki', 'opcua'), now }),
  );
  collectors.push(...opcuaCollectors);
  // Rejected source messages (bad JSON, oversized, unmapped) go to the dead-letter topic with the reason.
  const deadLetters = startEdgeDeadLetters({ producer: options.producer, registry: metrics.registry, logger, now });
  collectors.push(...config.mqtt.map((connection) => startMqttCollector({ config: connection, publish, logger, metrics, now, deadLetter: deadLetters.reject })));
  const scanners: ScannerCollector[] = config.scanners.map((scanner) => startScannerCollector({ config: scanner, publish, logger, metrics, now }));
  collectors.push(...scanners);

  // Events/s per source over the last health period, and the outbox gauges.
  let lastCounts = new Map<string, number>();
  let lastAt = now();
  let rates = new Map<string, number>();
  const rateGauge =
    (metrics.registry.getSingleMetric('linepulse_edge_source_events_per_second') as Gauge<'source'> | undefined) ??
    new Gauge({ name: 'linepulse_edge_source_events_per_second', help: 'Events captured per second, per source (5 s average)', labelNames: ['source'], registers: [metrics.registry] });
  const refresh = () => {
    const t = now();
    const dt = Math.max(1, t - lastAt) / 1000;
    rates = new Map([...perSource].map(([source, count]) => [source, (count - (lastCounts.get(source) ?? 0)) / dt]));
    for (const [source, rate] of rates) rateGauge.set({ source }, rate);
    lastCounts = new Map(perSource);
    lastAt = t;
    metrics.backlog.set(outbox.size());
    const oldest = outbox.oldestCapturedAt();
    metrics.oldestUnsentAge.set(oldest === null ? 0 : Math.max(0, (t - oldest) / 1000));
  };
  const healthTimer = setInterval(refresh, 5_000);
  healthTimer.unref();

  logger.info({ opcua: config.opcua.length, mqtt: config.mqtt.length, scanners: config.scanners.length, backlog: outbox.size(), dataDir }, 'edge started');

  return {
    outbox,
    forwarder,
    collectors,
    metrics,
    publish,
    async ready() {
      await Promise.all(collectors.map((c) => c.ready));
    },
    setWorkOrder(stationOrEquipment, workOrder) {
      let n = 0;
      for (const [i, s] of scanners.entries()) {
        const c = config.scanners[i];
        if (c && (c.station === stationOrEquipment || c.equipment === stationOrEquipment)) {
          s.station.setWorkOrder(workOrder);
          n += 1;
        }
      }
      return n;
    },
    health() {
      const oldest = outbox.oldestCapturedAt();
      return {
        sources: collectors.map((c) => ({
          sourceId: c.sourceId,
          connected: c.connected,
          eventsPerSecond: Math.round((rates.get(c.sourceId) ?? 0) * 10) / 10,
          reconnects: c.status().reconnects,
        })),
        backlog: outbox.size(),
        oldestUnsentAgeMs: oldest === null ? 0 : Math.max(0, now() - oldest),
        forwarding: forwarder.failing ? 'failing' : 'ok',
      };
    },
    async stop() {
      clearInterval(healthTimer);
      await Promise.all(collectors.map((c) => c.stop()));
      await deadLetters.stop();
      outbox.flush();
      await forwarder.stop();
      outbox.close();
      logger.info('edge stopped');
    },
  };
}

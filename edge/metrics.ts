// Edge metrics (prom-client) on the Registry the composition root passes in. Creating them twice on one registry
// returns the existing ones, so several edge components (or tests) can share a registry.
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

export interface EdgeMetrics {
  registry: Registry;
  captured: Counter<'source' | 'topic'>;
  forwarded: Counter<'topic'>;
  forwardFailures: Counter;
  forwardSeconds: Histogram;
  dropped: Counter<'reason'>;
  deadLettered: Counter<'topic'>;
  backlog: Gauge;
  oldestUnsentAge: Gauge;
  outboxWrites: Counter;
  reconnects: Counter<'source'>;
  connected: Gauge<'source'>;
  outOfRange: Counter<'source'>;
  scansRejected: Counter<'station'>;
  rebirthRequests: Counter<'node'>;
  sourceErrors: Counter<'source' | 'kind'>;
}

function once<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createEdgeMetrics(registry: Registry = new Registry()): EdgeMetrics {
  const r = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    once(registry, name, () => new Counter<L>({ name, help, labelNames, registers: r }));
  const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    once(registry, name, () => new Gauge<L>({ name, help, labelNames, registers: r }));
  return {
    registry,
    captured: counter('linepulse_edge_events_captured_total', 'Events captured by the collectors, per source and topic', ['source', 'topic']),
    forwarded: counter('linepulse_edge_events_forwarded_total', 'Events acknowledged by the bus', ['topic']),
    forwardFailures: counter('linepulse_edge_forward_failures_total', 'Failed forward attempts (the batch is retried with back-off)'),
    forwardSeconds: once(registry, 'linepulse_edge_forward_batch_seconds', () =>
      new Histogram({ name: 'linepulse_edge_forward_batch_seconds', help: 'Time to encode and send one outbox batch until the bus acknowledged it', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r })),
    dropped: counter('linepulse_edge_outbox_dropped_total', 'Events dropped by the outbox overflow policy', ['reason']),
    deadLettered: counter('linepulse_edge_outbox_dead_total', 'Events that could not be encoded, kept in the outbox dead table', ['topic']),
    backlog: gauge('linepulse_edge_outbox_backlog', 'Events stored in the outbox and not yet acknowledged by the bus'),
    oldestUnsentAge: gauge('linepulse_edge_outbox_oldest_unsent_age_seconds', 'Age of the oldest unsent event (0 when empty)'),
    outboxWrites: counter('linepulse_edge_outbox_writes_total', 'Events written to the outbox'),
    reconnects: counter('linepulse_edge_reconnects_total', 'Reconnections of a collector to its source', ['source']),
    connected: gauge('linepulse_edge_source_connected', '1 when the collector is connected to its source', ['source']),
    outOfRange: counter('linepulse_edge_out_of_range_total', 'Values outside the configured range (flagged, forwarded)', ['source']),
    scansRejected: counter('linepulse_edge_scans_rejected_total', 'Barcode scans rejected (invalid), per station', ['station']),
    rebirthRequests: counter('linepulse_edge_sparkplug_rebirth_requests_total', 'Sparkplug B rebirth requests sent', ['node']),
    sourceErrors: counter('linepulse_edge_source_errors_total', 'Errors of a collector (bad payloads, failed subscriptions)', ['source', 'kind']),
  };
}

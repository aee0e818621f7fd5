// Metrics completeness: each process kind (edge, processors, sinks, dashboard) composed as its CLI command composes
// it, on the embedded bus, with one piece count flowing from an MQTT message to the dashboard; then /metrics of each
// is scraped and must carry the series of issue 10: events in and out, consumer lag, batch latency, dead-letter
// count, and the edge backlog; /health and /ready answer on every one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startEdge } from '../edge/index.ts';
import { createEmbeddedBus } from '../platform/bus/embedded.ts';
import { linepulseTopicSpecs } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { readEnv } from '../platform/config/env.ts';
import { startEmbeddedMqttBroker } from '../platform/embedded-mqtt.ts';
import { silentLogger } from '../platform/log.ts';
import { createMetrics, type Metrics } from '../platform/metrics.ts';
import { startProcessors } from '../processors/runtime/index.ts';
import { createLiveHub } from '../sinks/live/hub.ts';
import { startLiveFeed } from '../sinks/live/feed.ts';
import { openStores } from '../sinks/stores.ts';
import { startSinks } from '../sinks/writer.ts';
import { startDashboardServer } from '../dashboard/server/server.ts';
import { waitFor } from '../test/services.ts';
import { followDispatch } from './dispatch-follower.ts';
import { startProbeServer } from './probe-server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-metrics-'));
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

/** The metric names with a TYPE line in a Prometheus text exposition. */
function series(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

function sample(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('metrics > every process kind', () => {
  it('> edge, processors, sinks and dashboard expose events in/out, lag, batch latency, dead letters, backlog; /health and /ready', async () => {
    const logger = silentLogger();
    const codec = createAvroCodec();
    const bus = createEmbeddedBus({ logger });
    stops.push(() => bus.close());
    await bus.ensureTopics(linepulseTopicSpecs());
    const broker = await startEmbeddedMqttBroker();
    stops.push(() => broker.close());
    const metricsOf = (process: string): Metrics => createMetrics({ defaultLabels: { process } });

    // edge (cli/commands/edge.ts)
    const edgeMetrics = metricsOf('edge');
    const producer = await bus.producer();
    const edge = await startEdge({
      config: { mqtt: [{ id: 'm', url: broker.url, json: [{ topic: 'plant1/+/count', equipment: 'acme/plant1/assembly/line1/cell1/{2}', role: 'goodCounter', valuePath: 'n' }] }] },
      producer,
      codec,
      logger,
      metrics: edgeMetrics,
      dataDir: join(dataDir, 'edge'),
    });
    stops.push(() => edge.stop());
    const follower = await followDispatch({ bus, codec, edge, logger, metrics: edgeMetrics, deadLetterProducer: producer, groupId: 'edge-dispatch' });
    stops.push(() => follower.stop());
    const edgeProbe = await startProbeServer({ port: 0, metrics: edgeMetrics, health: () => ({ ok: edge.health().forwarding === 'ok' }) });
    stops.push(() => edgeProbe.close());

    // processors (cli/commands/processors.ts)
    const processorMetrics = metricsOf('processors');
    const processors = await startProcessors({ bus, codec, logger, metrics: processorMetrics, only: ['counts'], idle: { tickMs: 100, afterMs: 200 } });
    stops.push(() => processors.stop());
    const processorsProbe = await startProbeServer({ port: 0, metrics: processorMetrics });
    stops.push(() => processorsProbe.close());

    // sinks (cli/commands/sinks.ts), embedded stores
    const sinkMetrics = metricsOf('sinks');
    const stores = await openStores({ env: readEnv({ LINEPULSE_DATA_DIR: join(dataDir, 'stores') }), logger });
    stops.push(() => stores.close());
    const sinks = await startSinks({ bus, codec, logger, metrics: sinkMetrics, clickhouse: stores.clickhouse, postgres: stores.postgres, maxDelayMs: 50 });
    stops.push(() => sinks.stop());
    const sinksProbe = await startProbeServer({ port: 0, metrics: sinkMetrics });
    stops.push(() => sinksProbe.close());

    // dashboard (cli/commands/dashboard.ts): /metrics, /health and /ready on its own port
    const dashboardMetrics = metricsOf('dashboard');
    const hub = createLiveHub({ logger });
    const feed = await startLiveFeed({ bus, codec, logger, metrics: dashboardMetrics, hub });
    stops.push(() => feed.stop());
    const server = await startDashboardServer({ port: 0, queries: stores.queries, live: hub, logger, metrics: dashboardMetrics, staticDir: join(dataDir, 'no-app') });
    stops.push(() => server.close());

    // One piece count through the pipeline, and one message the edge refuses.
    const client = await mqtt.connectAsync(broker.url, { clientId: 'metrics-test' });
    await client.publishAsync('plant1/press/count', JSON.stringify({ n: 1 }), { qos: 1 });
    await client.publishAsync('plant1/press/count', JSON.stringify({ n: 2 }), { qos: 1 });
    await client.publishAsync('plant1/press/count', '{"n": ', { qos: 1 });
    await client.endAsync();
    const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
    await waitFor(async () => (sample(await scrape(server.url), 'linepulse_consumer_records_total') > 0 ? true : undefined), { what: 'a count total at the dashboard', timeoutMs: 30_000 });

    const required: Record<string, { url: string; names: string[] }> = {
      edge: {
        url: edgeProbe.url,
        names: ['linepulse_edge_events_captured_total', 'linepulse_edge_events_forwarded_total', 'linepulse_edge_forward_batch_seconds', 'linepulse_dead_letters_total', 'linepulse_edge_outbox_backlog', 'linepulse_consumer_lag'],
      },
      processors: {
        url: processorsProbe.url,
        names: ['linepulse_processor_events_in_total', 'linepulse_processor_events_out_total', 'linepulse_processor_lag', 'linepulse_processor_batch_seconds', 'linepulse_dead_letters_total', 'linepulse_input_rejected_total', 'linepulse_consumer_lag'],
      },
      sinks: {
        url: sinksProbe.url,
        names: ['linepulse_consumer_records_total', 'linepulse_sink_rows_written_total', 'linepulse_consumer_lag', 'linepulse_sink_flush_seconds', 'linepulse_consumer_batch_seconds', 'linepulse_dead_letters_total'],
      },
      dashboard: {
        url: server.url,
        names: ['linepulse_consumer_records_total', 'linepulse_live_updates_emitted', 'linepulse_http_requests_total', 'linepulse_consumer_lag', 'linepulse_consumer_batch_seconds', 'linepulse_dead_letters_total'],
      },
    };
    for (const [kind, { url, names }] of Object.entries(required)) {
      const text = await scrape(url);
      const have = series(text);
      expect(names.filter((n) => !have.has(n)), `${kind} /metrics lacks`).toEqual([]);
      expect(text, `${kind} metrics carry process="${kind}"`).toContain(`process="${kind}"`);
      for (const path of ['/health', '/ready']) expect((await fetch(`${url}${path}`)).status, `${kind} ${path}`).toBe(200);
    }
    const edgeText = await scrape(edgeProbe.url);
    expect(sample(edgeText, 'linepulse_edge_events_captured_total')).toBeGreaterThanOrEqual(2);
    await waitFor(async () => (sample(await scrape(edgeProbe.url), 'linepulse_dead_letters_total') >= 1 ? true : undefined), { what: 'the edge dead letter counted', timeoutMs: 10_000 });
    expect(sample(await scrape(processorsProbe.url), 'linepulse_processor_events_in_total')).toBeGreaterThanOrEqual(2);
  }, 90_000);
});

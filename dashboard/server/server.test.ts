// The dashboard server end to end over real sockets: REST API, OpenAPI document, static files, and Socket.IO
// (connect, snapshot, live updates from the embedded bus through the live feed and hub, rooms per scope).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../../platform/bus/embedded.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createTypedProducer, type TypedProducer } from '../../platform/bus/typed.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import type { CountTotal } from '../../schemas/generated/types.ts';
import { createLiveHub, type LiveHub } from '../../sinks/live/hub.ts';
import { startLiveFeed, type LiveFeed } from '../../sinks/live/feed.ts';
import { countTotalView } from '../../sinks/live/updates.ts';
import { inScope, type CountQueries, type CountTotalView } from '../../sinks/model.ts';
import { countTotal, press, welder } from '../../sinks/testing/fixtures.ts';
import { waitFor } from '../../test/services.ts';
import { startDashboardServer, type ComponentHealth, type DashboardServer } from './server.ts';

/** Current totals kept in memory, as the stores would answer. */
function memoryQueries(initial: CountTotal[]): CountQueries & { put(t: CountTotal): void } {
  const rows = new Map<string, CountTotalView>();
  const put = (t: CountTotal) => rows.set(`${t.equipment}|${t.windowKind}`, countTotalView(t));
  initial.forEach(put);
  return {
    put,
    async currentCountTotals(filter = {}) {
      return [...rows.values()].filter((r) => inScope(r.equipment, filter.scope) && (!filter.windowKind || r.windowKind === filter.windowKind));
    },
  };
}

let bus: Bus;
let producer: TypedProducer;
let hub: LiveHub;
let feed: LiveFeed;
let server: DashboardServer;
let staticDir: string;
const components: Record<string, ComponentHealth> = { clickhouse: { up: true, kind: 'chdb' }, postgres: { up: true, kind: 'pglite' } };
const sockets: Socket[] = [];

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'linepulse-dist-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>linepulse</title><div id="app"></div>');
  writeFileSync(join(staticDir, 'assets', 'index-abc123.js'), 'console.log("app")');
  bus = createEmbeddedBus({ logger: silentLogger() });
  const codec = createAvroCodec();
  await bus.ensureTopics([{ name: 'linepulse.count-totals.v1', partitions: 6 }]);
  producer = createTypedProducer({ producer: await bus.producer(), codec, logger: silentLogger() });
  hub = createLiveHub({ logger: silentLogger(), minIntervalMs: 50 });
  feed = await startLiveFeed({ bus, codec, logger: silentLogger(), metrics: createMetrics(), hub });
  server = await startDashboardServer({
    port: 0,
    queries: memoryQueries([countTotal(3), countTotal(1, { equipment: welder })]),
    live: hub,
    logger: silentLogger(),
    health: () => components,
    staticDir,
    metrics: createMetrics(),
  });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await server?.close();
  await feed?.stop();
  hub?.close();
  await bus?.close();
  rmSync(staticDir, { recursive: true, force: true });
});

function client(scope?: string): Socket {
  const socket = connect(server.url, { transports: ['websocket'], reconnection: false, ...(scope === undefined ? {} : { auth: { scope } }) });
  sockets.push(socket);
  return socket;
}

function collect(socket: Socket, event: string): unknown[] {
  const seen: unknown[] = [];
  socket.on(event, (payload: unknown) => seen.push(payload));
  return seen;
}

describe('dashboard server', () => {
  it('> listens on 127.0.0.1 with a free port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('> GET /api/health reports the components, 503 when one is down', async () => {
    const ok = await fetch(`${server.url}/api/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', components: { clickhouse: { up: true, kind: 'chdb' } } });
    components.postgres = { up: false, kind: 'pglite', error: 'cannot reach PostgreSQL at x: ECONNREFUSED' };
    const down = await fetch(`${server.url}/api/health`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'degraded', components: { postgres: { up: false } } });
    components.postgres = { up: true, kind: 'pglite' };
  });

  it('> GET /api/counts answers the current totals, filtered by window and scope, and rejects bad input', async () => {
    const all = (await (await fetch(`${server.url}/api/counts`)).json()) as { totals: CountTotalView[] };
    expect(all.totals.map((t) => [t.equipment, t.good])).toEqual([
      [press, 30],
      [welder, 10],
    ]);
    const scoped = (await (await fetch(`${server.url}/api/counts?window=SHIFT&scope=acme/plant1/welding`)).json()) as { totals: CountTotalView[] };
    expect(scoped.totals.map((t) => t.equipment)).toEqual([welder]);
    const badWindow = await fetch(`${server.url}/api/counts?window=WEEK`);
    expect(badWindow.status).toBe(400);
    expect(await badWindow.json()).toMatchObject({ error: 'Bad Request', message: expect.stringContaining('window') });
    const badScope = await fetch(`${server.url}/api/counts?scope=${encodeURIComponent('acme/../etc')}`);
    expect(badScope.status).toBe(400);
    expect((await fetch(`${server.url}/api/nothing-here`)).status).toBe(404);
  });

  it('> serves an OpenAPI document of the API', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/counts', '/api/health']);
  });

  it('> serves the built app, falls back to index.html for app routes, and nothing outside the build', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(`${server.url}/assets/index-abc123.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await (await fetch(`${server.url}/lines/line1`)).text()).toContain('<div id="app">');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/assets/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });

  it('> Socket.IO: a client gets a snapshot of its scope on connect, then live updates from the bus', async () => {
    const everything = client();
    const line = client('acme/plant1/stamping/line1');
    const welding = client('acme/plant1/welding');
    const snapshots = [everything, line, welding].map((s) => collect(s, 'snapshot'));
    const updates = [everything, line, welding].map((s) => collect(s, 'countTotal'));
    await waitFor(() => snapshots.every((s) => s.length === 1), { what: 'three snapshots' });
    expect((snapshots[0]?.[0] as { totals: CountTotalView[] }).totals).toHaveLength(2);
    expect((snapshots[1]?.[0] as { scope: string; totals: CountTotalView[] }).scope).toBe('acme/plant1/stamping/line1');
    expect((snapshots[1]?.[0] as { totals: CountTotalView[] }).totals.map((t) => t.equipment)).toEqual([press]);

    await producer.send('countTotals', [countTotal(4), countTotal(5)]);
    await waitFor(() => (updates[1]?.at(-1) as CountTotalView | undefined)?.revision === 5, { what: 'revision 5 on the line client' });
    await waitFor(() => (updates[0]?.at(-1) as CountTotalView | undefined)?.revision === 5, { what: 'revision 5 on the plant-wide client' });
    expect(updates[1]?.at(-1)).toMatchObject({ equipment: press, good: 50, reject: 5, windowKind: 'SHIFT' });
    // The welding client is subscribed to another scope: nothing about the press.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(updates[2]).toEqual([]);
  });

  it('> Socket.IO: subscribe switches the scope and answers with a fresh snapshot; a bad scope is refused', async () => {
    const socket = client('acme/plant1/welding');
    const snapshots = collect(socket, 'snapshot');
    await waitFor(() => snapshots.length === 1, { what: 'first snapshot' });
    const answer = await socket.emitWithAck('subscribe', { scope: press });
    expect(answer).toEqual({ ok: true });
    await waitFor(() => snapshots.length === 2, { what: 'second snapshot' });
    expect((snapshots[1] as { totals: CountTotalView[] }).totals.map((t) => t.equipment)).toEqual([press]);
    expect(await socket.emitWithAck('subscribe', { scope: '../../x' })).toEqual({ ok: false, message: 'scope is not an ISA-95 path' });
  });
});

// End to end in a real browser: the single-machine tail of the pipeline (embedded bus, chDB, PGlite, sink
// writer, live feed, dashboard server, built Svelte app), Debian's Chromium driven by playwright-core. Count
// totals are published on the bus as the count processor would; the page must show them and a count must rise
// live. Screenshots (dark and light) go to .tmp/screenshots/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSinksAndDashboard, type PipelineTail } from '../cli/commands/dashboard.ts';
import { createEmbeddedBus } from '../platform/bus/embedded.ts';
import type { Bus } from '../platform/bus/port.ts';
import { createTypedProducer, type TypedProducer } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { readEnv } from '../platform/config/env.ts';
import { silentLogger } from '../platform/log.ts';
import { createMetrics } from '../platform/metrics.ts';
import type { CountTotal } from '../schemas/generated/types.ts';
import { waitFor } from '../test/services.ts';

const screenshots = join(process.cwd(), '.tmp', 'screenshots');
const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// A small plant: three lines, eight machines, one running shift.
const shiftStart = Date.UTC(2025, 2, 3, 6, 0, 0);
const plant: Array<{ equipment: string; good: number; reject: number }> = [
  { equipment: 'acme/plant1/stamping/line1/cell1/press1', good: 4212, reject: 37 },
  { equipment: 'acme/plant1/stamping/line1/cell1/press2', good: 3987, reject: 52 },
  { equipment: 'acme/plant1/stamping/line1/cell2/trim1', good: 4120, reject: 9 },
  { equipment: 'acme/plant1/welding/line2/cell1/robot1', good: 1288, reject: 4 },
  { equipment: 'acme/plant1/welding/line2/cell1/robot2', good: 1271, reject: 11 },
  { equipment: 'acme/plant1/welding/line2/cell2/inspect1', good: 1240, reject: 71 },
  { equipment: 'acme/plant1/assembly/line3/cell1/screw1', good: 862, reject: 3 },
  { equipment: 'acme/plant1/assembly/line3/cell1/pack1', good: 845, reject: 0 },
];

function total(equipment: string, good: number, reject: number, revision: number): CountTotal {
  return {
    eventId: `${equipment}|SHIFT|2025-03-03/A|${revision}`,
    eventTime: Date.now() - 2_000,
    equipment,
    windowKind: 'SHIFT',
    windowId: '2025-03-03/A',
    windowStart: shiftStart,
    windowEnd: shiftStart + 8 * 3_600_000,
    good,
    reject,
    revision,
  };
}

let dataDir: string;
let profileDir: string;
let bus: Bus;
let producer: TypedProducer;
let tail: PipelineTail;
let context: BrowserContext;
let page: Page;
// The page's Socket.IO connection passes through this route, so a test can cut it and keep it cut.
let socketBlocked = false;
let socketRoute: WebSocketRoute | null = null;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'linepulse-e2e-'));
  profileDir = mkdtempSync(join(tmpdir(), 'linepulse-chromium-'));
  // The single-machine defaults: no Kafka, ClickHouse or PostgreSQL URL, whatever the test stack exported.
  const env = readEnv({ LINEPULSE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
  const logger = silentLogger();
  bus = createEmbeddedBus({ logger });
  const codec = createAvroCodec();
  // Logins are covered by views.e2e.test.ts; this test is about live counts and reconnects.
  tail = await startSinksAndDashboard({ env, logger, metrics: createMetrics(), bus, codec, authEnv: false });
  producer = createTypedProducer({ producer: await bus.producer(), codec, logger });
  await producer.send(
    'countTotals',
    plant.map((m) => total(m.equipment, m.good, m.reject, 1)),
  );
  await waitFor(async () => (await tail.stores.queries.currentCountTotals()).length === plant.length, { what: 'the plant totals in PostgreSQL' });
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'dark',
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (socketBlocked) return ws.close({ code: 1001, reason: 'test: network down' });
    socketRoute = ws;
    ws.connectToServer();
  });
});

afterAll(async () => {
  await context?.close();
  await tail?.stop();
  await bus?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profileDir, { recursive: true, force: true });
});

describe('dashboard > live count in the browser', () => {
  it('> shows a tile per equipment and a count that rises live over Socket.IO', async () => {
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(tail.url);
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('[data-testid="count-tile"]').count(), { timeout: 30_000 }).toBe(plant.length);

    const press1 = page.locator('[data-testid="count-tile"][data-equipment="acme/plant1/stamping/line1/cell1/press1"] [data-testid="good-count"]');
    await expect.poll(() => press1.textContent(), { timeout: 30_000 }).toBe('4,212');

    // The processor counts on: a few revisions in quick succession (coalesced by the hub to <= 4 Hz).
    for (let i = 1; i <= 12; i += 1) {
      await producer.send('countTotals', [total(plant[0]!.equipment, 4212 + i * 3, 37 + Math.floor(i / 6), 1 + i)]);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await expect.poll(() => press1.textContent(), { timeout: 30_000 }).toBe('4,248');
    await expect.poll(() => page.locator('[data-testid="summary-good"]').textContent(), { timeout: 10_000 }).toBe('17,861');

    await page.waitForTimeout(1_000); // let the update flash fade
    await page.screenshot({ path: join(screenshots, 'live-count-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(screenshots, 'live-count-light.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it('> resyncs from the API after a reconnect, so no tile stays stale', async () => {
    // Cut the live connection and keep it cut; meanwhile the count moves on (its live update reaches no one).
    socketBlocked = true;
    await socketRoute?.close({ code: 1001, reason: 'test: network down' });
    await page.locator('[data-testid="connection-state"][data-state="reconnecting"]').waitFor({ timeout: 30_000 });
    await producer.send('countTotals', [total(plant[3]!.equipment, 1400, 4, 2)]);
    await waitFor(async () => (await tail.stores.queries.currentCountTotals()).some((t) => t.good === 1400), { what: 'robot1 total written' });
    const robot1 = page.locator('[data-testid="count-tile"][data-equipment="acme/plant1/welding/line2/cell1/robot1"] [data-testid="good-count"]');
    expect(await robot1.textContent()).toBe('1,288');
    // Back online: the page reconnects and resyncs from /api/counts.
    socketBlocked = false;
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => robot1.textContent(), { timeout: 30_000 }).toBe('1,400');
  });
});

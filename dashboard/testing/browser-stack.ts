// The single-machine tail of the pipeline with a real browser, for the dashboard's end-to-end tests: embedded bus,
// chDB, PGlite, sink writer, live feed, dashboard server with logins and the query API, the built Svelte app, and
// Debian's Chromium driven by playwright-core. Tests publish on the bus as the processors would.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createEmbeddedBus } from '../../platform/bus/embedded.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createTypedProducer, type TypedProducer } from '../../platform/bus/typed.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { readEnv } from '../../platform/config/env.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createLiveHub } from '../../sinks/live/hub.ts';
import { startLiveFeed } from '../../sinks/live/feed.ts';
import { upsertUser, type Role } from '../../sinks/postgres/users.ts';
import { createProductionQueries, type ProductionQueries } from '../../sinks/queries.ts';
import { openStores, type Stores } from '../../sinks/stores.ts';
import { startSinks } from '../../sinks/writer.ts';
import { authFromEnv } from '../server/auth/index.ts';
import { ensureDashboardBuilt } from '../server/build.ts';
import { startDashboardServer, type DashboardServer } from '../server/server.ts';

export const screenshotDir = join(process.cwd(), '.tmp', 'screenshots');
export const adminPassword = 'e2e-admin-password';
const chromiumFlags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserStack {
  bus: Bus;
  producer: TypedProducer;
  stores: Stores;
  api: ProductionQueries;
  server: DashboardServer;
  context: BrowserContext;
  page: Page;
  /** Console errors the page logged. */
  consoleErrors: string[];
  /** Opens the wall, signs in and waits for the signed-in user's name. */
  logIn(username: string, password: string): Promise<void>;
  close(): Promise<void>;
}

export interface BrowserStackOptions {
  /** Users besides the admin (password `adminPassword`). */
  users?: Array<{ username: string; displayName: string; password: string; roles: Role[] }>;
}

export async function startBrowserStack(options: BrowserStackOptions = {}): Promise<BrowserStack> {
  mkdirSync(screenshotDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-e2e-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'linepulse-chromium-'));
  const env = readEnv({ LINEPULSE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
  const logger = silentLogger();
  const metrics = createMetrics();
  const bus = createEmbeddedBus({ logger });
  const codec = createAvroCodec();
  const stores = await openStores({ env, logger });
  const sinks = await startSinks({ bus, codec, logger, metrics, clickhouse: stores.clickhouse, postgres: stores.postgres });
  const hub = createLiveHub({ logger });
  const feed = await startLiveFeed({ bus, codec, logger, metrics, hub });
  const api = createProductionQueries(stores);
  const auth = await authFromEnv({
    env: { LINEPULSE_JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e-secret', LINEPULSE_ADMIN_PASSWORD: adminPassword },
    db: stores.postgres,
    logger,
    alarmSource: async (id) => (await api.getAlarm(id))?.alarm.source ?? null,
  });
  for (const user of options.users ?? []) await upsertUser(stores.postgres, user);
  // A fresh clone has no built app yet: build it as `linepulse start` and `linepulse dashboard` do.
  await ensureDashboardBuilt(logger);
  const server = await startDashboardServer({ port: 0, queries: stores.queries, api, live: hub, logger, metrics, auth });
  const producer = createTypedProducer({ producer: await bus.producer(), codec, logger });

  const context = await chromium.launchPersistentContext(profileDir, { executablePath: '/usr/bin/chromium', headless: true, args: chromiumFlags, viewport: { width: 1920, height: 1080 }, colorScheme: 'dark' });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });

  return {
    bus,
    producer,
    stores,
    api,
    server,
    context,
    page,
    consoleErrors,
    async logIn(username, password) {
      await page.goto(`${server.url}/#wall`);
      await page.locator('[data-testid="login-form"]').waitFor({ timeout: 30_000 });
      await page.fill('input[name="username"]', username);
      await page.fill('input[name="password"]', password);
      await page.click('button[type="submit"]');
      await page.locator('[data-testid="user-name"]').waitFor({ timeout: 30_000 });
    },
    async close() {
      await context.close();
      await server.close();
      await feed.stop();
      hub.close();
      await sinks.stop();
      await stores.close();
      await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

// The walking skeleton as a user meets it: `linepulse start` (what `npm start` runs) from an empty data directory,
// on embedded defaults, prints a URL; in Chromium the page's piece counts rise live. Simulated machines run in
// real time (acceleration 1), as `npm start` does. The first run creates an admin password file (never printed):
// the test logs in with it as a user would. Also checks a clean shutdown on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test/services.ts';

const repoRoot = join(import.meta.dirname, '..');
const screenshots = join(repoRoot, '.tmp', 'screenshots');

let child: ChildProcess | undefined;
let browser: Browser | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-start-'));

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Sum of the good counts shown on the page's tiles (NaN-free: tiles without counts show '–'). */
async function shownGoodTotal(page: Page): Promise<number> {
  const texts = await page.locator('[data-testid="good-count"]').allTextContents();
  return texts.map((t) => Number(t.replace(/[^\d]/g, ''))).filter((n) => Number.isFinite(n)).reduce((a, b) => a + b, 0);
}

describe('linepulse start > single machine, embedded defaults', () => {
  it('serves a page whose piece counts rise live, and stops cleanly on SIGTERM', async () => {
    const spawnedAt = Date.now();
    // Embedded defaults: none of the test stack's service variables.
    const env: NodeJS.ProcessEnv = { ...process.env, LINEPULSE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
    for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'CLICKHOUSE_URL', 'MQTT_URL', 'SCHEMA_REGISTRY_URL', 'LINEPULSE_CONFIG']) delete env[name];
    const proc = spawn(process.execPath, [join(repoRoot, 'bin', 'linepulse.js'), 'start', '--time-zone', 'UTC'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const url = await waitFor(() => /open (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], {
      what: 'the start-up line "open http://..."',
      timeoutMs: 120_000,
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; output: ${output.slice(-800)}`);
    });
    const urlAfterMs = Date.now() - spawnedAt;
    const passwordFile = /log in as admin with the password in (\S+)/.exec(output)?.[1];
    expect(passwordFile, `the start-up output names the admin password file: ${output.slice(-400)}`).toBeDefined();
    const password = readFileSync(passwordFile as string, 'utf8').trim();
    expect(output).not.toContain(password);

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}/#counts`);
    await page.locator('[data-testid="login-form"]').waitFor({ timeout: 30_000 });
    await page.fill('input[name="username"]', 'admin');
    await page.fill('input[name="password"]', password);
    await page.click('button[type="submit"]');
    await page.locator('[data-testid="user-name"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="count-tile"]').first().waitFor({ timeout: 60_000 });

    const first = await waitFor(async () => {
      const n = await shownGoodTotal(page);
      return n > 0 ? n : undefined;
    }, { what: 'a first piece count on the page', timeoutMs: 90_000 });
    const firstCountAfterMs = Date.now() - spawnedAt;
    const risen = await waitFor(async () => {
      const n = await shownGoodTotal(page);
      return n > first ? n : undefined;
    }, { what: `the page's piece count to rise above ${first}`, timeoutMs: 60_000 });
    const riseAfterMs = Date.now() - spawnedAt;
    expect(risen).toBeGreaterThan(first);

    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'start-live-counts.png'), fullPage: true });
    console.log(`start: URL after ${(urlAfterMs / 1000).toFixed(1)} s, first count after ${(firstCountAfterMs / 1000).toFixed(1)} s, count rose (${first} -> ${risen}) after ${(riseAfterMs / 1000).toFixed(1)} s`);

    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
    expect(code, `exit after SIGTERM; output: ${output.slice(-600)}`).toBe(0);
  });
});

// End to end in a real browser with logins on, on the single-machine tail of the pipeline (testing/browser-stack.ts).
// A plant of 500 machines is published on the bus as the processors would; the test logs in, watches the OEE wall
// fill and update live, measures the render time of 500 tiles and of a 10k-point SPC chart, acknowledges an SPC
// alarm, assigns its cause, lists its containment and drafts an NCR, opens the maintenance view and a kiosk wall. Screenshots (dark,
// light, tablet 1024x768, TV 1920x1080) go to .tmp/screenshots/.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TypedProducer } from '../platform/bus/typed.ts';
import type { CountTotal, EquipmentState, OeeWindow, SpcLimits, SpcPoint } from '../schemas/generated/types.ts';
import type { ProductionQueries } from '../sinks/queries.ts';
import type { Stores } from '../sinks/stores.ts';
import { alert, oeeWindow, spcAlarm, spcPoint } from '../sinks/testing/fixtures.ts';
import { waitFor } from '../test/services.ts';
import type { DashboardServer } from './server/server.ts';
import { adminPassword, screenshotDir as screenshots, startBrowserStack, type BrowserStack } from './testing/browser-stack.ts';

const password = 'e2e-user-password';

// A plant of 500 machines: 5 areas x 4 lines x 25 machines (5 cells of 5).
const areas = ['stamping', 'welding', 'paint', 'assembly', 'test'];
const machines: string[] = [];
for (const [a, area] of areas.entries())
  for (let l = 1; l <= 4; l += 1)
    for (let c = 1; c <= 5; c += 1) for (let m = 1; m <= 5; m += 1) machines.push(`acme/plant1/${area}/line${a * 4 + l}/cell${c}/${area.slice(0, 3)}${String((c - 1) * 5 + m).padStart(2, '0')}`);

const now = Date.now();
const shiftStart = now - 3 * 3_600_000;
const shiftEnd = shiftStart + 8 * 3_600_000;
const shiftId = `${new Date(shiftStart).toISOString().slice(0, 10)}/A`;
/** Deterministic pseudo-random in [0, 1). */
const rnd = (i: number, salt: number) => ((Math.sin(i * 12.9898 + salt * 78.233) * 43758.5453) % 1 + 1) % 1;

function countTotal(equipment: string, i: number, revision: number, extra = 0): CountTotal {
  return { eventId: `e2e-total-${equipment}-${revision}`, eventTime: now - 1_000, equipment, windowKind: 'SHIFT', windowId: shiftId, windowStart: shiftStart, windowEnd: shiftEnd, good: Math.round(800 + rnd(i, 1) * 900) + extra, reject: Math.round(rnd(i, 2) * 40), revision };
}

function liveOee(equipment: string, i: number, revision: number, boost = 0): OeeWindow {
  const availability = 0.62 + rnd(i, 3) * 0.36;
  const performance = 0.78 + rnd(i, 4) * 0.21;
  const quality = Math.min(1, 0.95 + rnd(i, 5) * 0.05 + boost);
  return oeeWindow(revision, {
    eventId: `oee:${equipment}:LIVE_SHIFT:${shiftId}:r${revision}`, eventTime: now - 2_000, equipment, windowKind: 'LIVE_SHIFT', windowId: shiftId, windowStart: shiftStart, windowEnd: now, closed: false,
    workOrder: `WO-${4100 + (i % 37)}`, availability, performance, quality, oee: availability * performance * quality, totalCount: 1000, goodCount: Math.round(1000 * quality), rejectCount: Math.round(1000 * (1 - quality)),
    // Times consistent with the ratios: the REST drill-down recomputes ratios from summed times and counts.
    plannedProductionTimeMs: 10_000_000, runTimeMs: Math.round(10_000_000 * availability), idealProductionTimeMs: Math.round(10_000_000 * availability * performance),
  });
}

function state(equipment: string, i: number, raw: string, eventTime: number): EquipmentState {
  return { eventId: `e2e-state-${equipment}-${eventTime}`, eventTime, equipment, state: raw, reasonCode: null, reasonText: null, quality: 'GOOD', origin: { sourceId: 'e2e', seq: i, edgeTime: eventTime, serverTime: eventTime, historical: false } };
}
const rawStates = ['EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'EXECUTE', 'FAULT', 'SETUP', 'STARVED', 'BREAK', 'EXECUTE', 'EXECUTE', 'IDLE', 'EXECUTE', 'EXECUTE'];

// SPC: an X-bar/R chart of 10,000 subgroups over the last week, a rule-1 hit every 997th point.
const characteristic = `${machines[0]}/bore-diameter`;
const spcLimits: SpcLimits = { version: 1, center: 25, ucl: 25.3, lcl: 24.7, sigma: 0.1, dispersionCenter: 0.23, dispersionUcl: 0.49, dispersionLcl: 0, source: 'PHASE1', subgroupSize: 5, upper2Sigma: 25.2, upper1Sigma: 25.1, lower1Sigma: 24.9, lower2Sigma: 24.8 };
const spcPoints = 10_000;
function point(index: number): SpcPoint {
  const hit = index % 997 === 0;
  const statistic = hit ? 25.34 : 25 + 0.08 * Math.sin(index / 40) + (rnd(index, 6) - 0.5) * 0.16;
  return spcPoint(index, {
    eventId: `e2e-spc:${index}`, eventTime: now - (spcPoints - index) * 60_000, equipment: machines[0]!, characteristic, chart: 'XBAR_R', values: [statistic], statistic,
    dispersion: 0.12 + rnd(index, 7) * 0.25, limits: spcLimits, rules: hit ? [1] : [],
  });
}
const alarmIndex = 9_970;

let stack: BrowserStack;
let producer: TypedProducer;
let stores: Stores;
let api: ProductionQueries;
let server: DashboardServer;
let page: Page;
let consoleErrors: string[];

beforeAll(async () => {
  stack = await startBrowserStack({
    users: [
      { username: 'sam', displayName: 'Sam Supervisor', password, roles: ['supervisor'] },
      { username: 'quinn', displayName: 'Quinn Quality', password, roles: ['quality'] },
      { username: 'max', displayName: 'Max Maintenance', password, roles: ['maintenance'] },
    ],
  });
  ({ producer, stores, api, server, page, consoleErrors } = stack);
  await producer.send('countTotals', machines.map((m, i) => countTotal(m, i, 1)));
  await producer.send('oee', machines.map((m, i) => liveOee(m, i, 1)));
  await producer.send('state', machines.map((m, i) => state(m, i, rawStates[i % rawStates.length]!, now - Math.round(rnd(i, 8) * 7_200_000))));
  for (let start = 1; start <= spcPoints; start += 1_000) await producer.send('spcPoints', Array.from({ length: 1_000 }, (_, k) => point(start + k)));
  await producer.send('spcAlarms', [spcAlarm(alarmIndex, 1, { eventTime: now - (spcPoints - alarmIndex) * 60_000, equipment: machines[0]!, characteristic, limits: spcLimits, values: [25.34] })]);
  await producer.send('alerts', [alert('RAISED', { alertId: 'e2e-down-1', eventId: 'e2e-down-1', equipment: machines[37]!, eventTime: now - 240_000, startTime: now - 240_000, message: 'stopped for more than 60 s' })]);
  await waitFor(async () => (await stores.queries.currentCountTotals()).length === machines.length, { what: '500 totals in PostgreSQL', timeoutMs: 60_000 });
  await waitFor(async () => (await api.listAlarms({ source: ['SPC'] } as never)).total === 1, { what: 'the SPC alarm', timeoutMs: 60_000 });
  await waitFor(async () => (await api.spcChart({ characteristic, from: now - 8 * 86_400_000, to: now + 1, maxPoints: 20_000 })).totalPoints === spcPoints, { what: '10k SPC points', timeoutMs: 60_000 });
});

afterAll(async () => {
  await stack?.close();
});

const logIn = (username: string) => stack.logIn(username, password);

const tile = (equipment: string) => page.locator(`[data-testid="wall-tile"][data-equipment="${equipment}"]`);

describe('dashboard > views in the browser, with logins', () => {
  it('> refuses a wrong password, then logs in and shows the OEE wall of 500 machines, updating live', async () => {
    await page.goto(`${server.url}/#wall`);
    await page.fill('input[name="username"]', 'sam');
    await page.fill('input[name="password"]', 'not the password');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.locator('.error').textContent(), { timeout: 10_000 }).toContain('Wrong username or password');
    await page.screenshot({ path: join(screenshots, 'login.png') });

    await logIn('sam');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('[data-testid="wall-tile"]').count(), { timeout: 60_000 }).toBe(machines.length);
    await expect.poll(() => tile(machines[0]!).getAttribute('data-category'), { timeout: 30_000 }).toBe('running');
    await expect.poll(() => tile(machines[11]!).getAttribute('data-category'), { timeout: 30_000 }).toBe('unplannedStop');
    await page.waitForTimeout(1_500);

    // Render time: the batch that created the 500 tiles, and a burst that changes all 500 at once.
    const first = await page.evaluate(() => (window as unknown as { __linepulseWall: Array<{ tiles: number; changed: number; ms: number; paintMs: number | null }> }).__linepulseWall.find((t) => t.tiles >= 500));
    const mark = await page.evaluate(() => (window as unknown as { __linepulseWall: unknown[] }).__linepulseWall.length);
    await producer.send('oee', machines.map((m, i) => liveOee(m, i, 2, 0.01)));
    await producer.send('countTotals', machines.map((m, i) => countTotal(m, i, 2, 25)));
    await expect.poll(async () => (await tile(machines[499]!).locator('[data-testid="wall-good"]').textContent())?.replace(/,/g, ''), { timeout: 30_000 }).toBe(String(countTotal(machines[499]!, 499, 2, 25).good));
    await page.waitForTimeout(800);
    const burst = await page.evaluate((from) => (window as unknown as { __linepulseWall: Array<{ changed: number; ms: number; paintMs: number | null }> }).__linepulseWall.slice(from), mark);
    const live = burst.filter((b) => b.changed > 0);
    console.log(`e2e measure > wall: first render of ${first?.tiles} tiles ${first?.ms.toFixed(1)} ms to DOM, ${first?.paintMs?.toFixed(1)} ms to paint; live burst over ${live.length} frame(s), changed ${live.reduce((s, b) => s + b.changed, 0)} tiles, worst frame ${Math.max(...live.map((b) => b.ms)).toFixed(1)} ms to DOM, ${Math.max(...live.map((b) => b.paintMs ?? 0)).toFixed(1)} ms to paint`);
    expect(first?.tiles).toBe(500);

    // A machine goes down: its tile turns red within a second or two, in place (tiles never move).
    const box = await tile(machines[5]!).boundingBox();
    await producer.send('state', [state(machines[5]!, 5, 'FAULT', Date.now())]);
    await expect.poll(() => tile(machines[5]!).getAttribute('data-category'), { timeout: 10_000 }).toBe('unplannedStop');
    expect(await tile(machines[5]!).boundingBox()).toEqual(box);

    await page.screenshot({ path: join(screenshots, 'wall-tv-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(screenshots, 'wall-tv-light.png') });
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(screenshots, 'wall-tablet-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('> maintenance: the open downtime alert, MTBF/MTTR; a supervisor acknowledges it', async () => {
    await page.click('[data-testid="tab-maintenance"]');
    const row = page.locator('[data-testid="maintenance-alarm"]').first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await page.click('[data-testid="alarm-acknowledge"]');
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('Acknowledged');
    await page.screenshot({ path: join(screenshots, 'maintenance-dark.png') });
  });

  it('> SPC review: 10k points render in under a second; a quality engineer acknowledges the alarm and assigns the cause', async () => {
    await page.click('[data-testid="sign-out"]');
    await logIn('quinn');
    await page.click('[data-testid="tab-spc"]');
    const alarm = page.locator('[data-testid="spc-alarm"]').first();
    await alarm.waitFor({ timeout: 30_000 });
    await alarm.click();
    await page.locator('[data-testid="spc-chart"]').waitFor({ timeout: 30_000 });
    const measured = await page.waitForFunction(() => (window as unknown as { __linepulseSpc?: { points: number; drawn: number; ms: number } }).__linepulseSpc, null, { timeout: 30_000 });
    const spc = (await measured.jsonValue()) as { points: number; drawn: number; ms: number };
    console.log(`e2e measure > SPC chart: ${spc.points} points, ${spc.drawn} drawn after LTTB, rendered in ${spc.ms.toFixed(1)} ms`);
    expect(spc.points).toBe(spcPoints);
    expect(spc.ms).toBeLessThan(1_000);

    await page.click('[data-testid="alarm-acknowledge"]');
    await expect.poll(() => page.locator('[data-testid="spc-alarm-status"]').textContent(), { timeout: 10_000 }).toBe('Acknowledged');
    await page.click('[data-testid="alarm-cause"]');
    await page.fill('[data-testid="alarm-cause-text"]', 'Boring bar insert worn (tool life exceeded)');
    await page.fill('[data-testid="alarm-action-text"]', 'Insert changed; tool life counter set to 800 parts');
    await page.click('form.form button.primary');
    await expect.poll(() => page.locator('[data-testid="spc-alarm-status"]').textContent(), { timeout: 10_000 }).toBe('Cause assigned');
    // The alarm's containment (chart serials from the first point of the pattern on), then an NCR draft from it.
    await page.locator('[data-testid="spc-containment-serials"]').waitFor({ state: 'attached', timeout: 30_000 });
    expect(await page.locator('[data-testid="spc-containment-serials"]').textContent()).toContain(`SN-${alarmIndex}`);
    await page.click('[data-testid="alarm-ncr"]');
    await expect.poll(() => page.locator('[data-testid="alarm-ncr-id"]').textContent(), { timeout: 10_000 }).toMatch(/^NCR-\d{6} · draft created$/);
    // The drafts list of the queue shows it, and leads back to its alarm.
    const ncrId = (await page.locator('[data-testid="alarm-ncr-id"]').textContent())!.split(' ')[0]!;
    await expect.poll(() => page.locator(`[data-testid="spc-ncr"][data-ncr="${ncrId}"]`).count(), { timeout: 10_000 }).toBe(1);
    const audit = await (await fetch(`${server.url}/api/health`)).status;
    expect(audit).toBe(200);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(screenshots, 'spc-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(screenshots, 'spc-tablet-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('> a kiosk link shows the wall read-only, without tabs or login', async () => {
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const kiosk = await fetch(`${server.url}/api/auth/kiosk`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ name: 'hall-east' }) });
    const { path } = (await kiosk.json()) as { path: string };
    await page.click('[data-testid="sign-out"]');
    await page.goto(`${server.url}${path}`);
    await expect.poll(() => page.locator('[data-testid="wall-tile"]').count(), { timeout: 60_000 }).toBe(machines.length);
    expect(await page.locator('[data-testid="tab-spc"]').count()).toBe(0);
    expect(page.url()).not.toContain('token=');
    await page.waitForTimeout(1_000);
    await page.screenshot({ path: join(screenshots, 'wall-kiosk-tv-dark.png') });
    expect(consoleErrors.filter((e) => !e.includes('401'))).toEqual([]);
  });
});

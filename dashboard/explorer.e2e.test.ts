// End to end in a real browser: the drill-down, the genealogy explorer, the current work order on the wall and user
// administration, on the single-machine tail of the pipeline (testing/browser-stack.ts),
// with one line of four presses: hour OEE windows, states with micro-stops, work orders dispatched, material links.
// Screenshots (dark TV 1920x1080, light tablet 1024x768) go to .tmp/screenshots/.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TypedProducer } from '../platform/bus/typed.ts';
import type { CountTotal, Dispatch, EquipmentState, GenealogyLink, OeeWindow, WorkOrder } from '../schemas/generated/types.ts';
import type { ProductionQueries } from '../sinks/queries.ts';
import type { Stores } from '../sinks/stores.ts';
import { countIncrement, oeeWindow } from '../sinks/testing/fixtures.ts';
import { waitFor } from '../test/services.ts';
import type { DashboardServer } from './server/server.ts';
import { adminPassword, screenshotDir as screenshots, startBrowserStack, type BrowserStack } from './testing/browser-stack.ts';


const hour = 3_600_000;
const line = 'acme/plant1/stamping/line1';
const presses = [1, 2, 3, 4].map((n) => `${line}/cell1/press${n}`);
const now = Date.now();
const shiftStart = now - 3 * hour;
const shiftEnd = shiftStart + 8 * hour;
const shiftId = `${new Date(shiftStart).toISOString().slice(0, 10)}/A`;
const firstHour = Math.floor(now / hour) * hour - 6 * hour;

function countTotal(equipment: string, good: number): CountTotal {
  return { eventId: `x-total-${equipment}`, eventTime: now - 1_000, equipment, windowKind: 'SHIFT', windowId: shiftId, windowStart: shiftStart, windowEnd: shiftEnd, good, reject: 4, revision: 1 };
}

function liveOee(equipment: string): OeeWindow {
  return oeeWindow(1, { eventId: `x-live-${equipment}`, eventTime: now - 2_000, equipment, windowKind: 'LIVE_SHIFT', windowId: shiftId, windowStart: shiftStart, windowEnd: now, closed: false, workOrder: 'WO-FROM-OEE' });
}

/** Six closed hours per press: A 0.8, P 0.875, Q 0.95 (OEE 66.5 %) and the six losses that go with them. */
function hourOee(equipment: string, h: number): OeeWindow {
  const start = firstHour + h * hour;
  return oeeWindow(1, {
    eventId: `x-hour-${equipment}-${h}`, eventTime: start + hour, equipment, windowKind: 'HOUR', windowId: new Date(start).toISOString(), windowStart: start, windowEnd: start + hour, closed: true,
    scheduledTimeMs: hour, plannedStopMs: 0, plannedProductionTimeMs: hour, runTimeMs: 0.8 * hour, unplannedStopMs: 0.15 * hour, setupMs: 0.05 * hour, idleMs: 0, unknownMs: 0,
    microStopMs: 0.025 * hour, microStopCount: 3, idealProductionTimeMs: 0.7 * hour, totalCount: 100, goodCount: 95, rejectCount: 5, startupRejectCount: 2,
    availability: 0.8, performance: 0.875, quality: 0.95, oee: 0.665, plannedStopByKind: {},
    losses: { breakdown: 0.15 * hour, setup: 0.05 * hour, smallStops: 0.025 * hour, reducedSpeed: 0.075 * hour, startupRejects: 0.014 * hour, productionRejects: 0.021 * hour },
  });
}

let seq = 0;
function state(equipment: string, raw: string, eventTime: number, reasonCode: string | null = null): EquipmentState {
  seq += 1;
  return { eventId: `x-state-${seq}`, eventTime, equipment, state: raw, reasonCode, reasonText: null, quality: 'GOOD', origin: { sourceId: 'x', seq, edgeTime: eventTime, serverTime: eventTime, historical: false } };
}
/** Per press over the last 6 h: running, micro-stops (JAM 40 s, 60 s; SENSOR 30 s), a 20 min fault, a setup. */
function stateHistory(equipment: string): EquipmentState[] {
  const t = now - 6 * hour;
  return [
    state(equipment, 'EXECUTE', t),
    state(equipment, 'STOPPED', t + 30 * 60_000, 'JAM'),
    state(equipment, 'EXECUTE', t + 30 * 60_000 + 40_000),
    state(equipment, 'STOPPED', t + 60 * 60_000, 'JAM'),
    state(equipment, 'EXECUTE', t + 61 * 60_000),
    state(equipment, 'STOPPED', t + 90 * 60_000, 'SENSOR'),
    state(equipment, 'EXECUTE', t + 90 * 60_000 + 30_000),
    state(equipment, 'FAULT', t + 2 * hour, 'HYDRAULICS'),
    state(equipment, 'EXECUTE', t + 2 * hour + 20 * 60_000),
    state(equipment, 'SETUP', t + 4 * hour),
    state(equipment, 'EXECUTE', t + 4 * hour + 15 * 60_000),
  ];
}

const workOrder: WorkOrder = {
  eventId: 'x-wo-1', eventTime: shiftStart - hour, workOrder: 'WO-E2E-7', product: 'BRKT-200', quantity: 3_200, unit: 'pcs', status: 'RELEASED', plannedStart: shiftStart, plannedEnd: shiftEnd,
  operations: presses.map((equipment) => ({ operation: '0010', equipment, idealCycleTimeMs: 36_000, quantity: 800, plannedStart: shiftStart, plannedEnd: shiftEnd })),
  erpMessageId: null, revision: 1, erpState: null,
};
const dispatch = (equipment: string, order: string | null, t: number, id: string): Dispatch => ({ eventId: id, eventTime: t, equipment, workOrder: order, product: order ? 'BRKT-200' : null, operation: order ? '0010' : null, idealCycleTimeMs: 36_000, targetQuantity: 800 });

let linkN = 0;
function link(parent: [GenealogyLink['parentKind'], string], child: [GenealogyLink['childKind'], string], relation: GenealogyLink['relation']): GenealogyLink {
  linkN += 1;
  return {
    eventId: `x-gen-${linkN}`, eventTime: now - (10 - linkN) * 60_000, parentKind: parent[0], parentId: parent[1], childKind: child[0], childId: child[1], relation, quantity: 1, unit: 'pcs',
    workOrder: 'WO-E2E-7', equipment: presses[0]!, sourceEventId: null, status: 'ACCEPTED', rejectReason: null,
  };
}
// SN-E2E-1 was made from steel lot STEEL-1 and board PCB-1 (made from resin lot RESIN-1); it was packed into BOX-1.
const links = [
  link(['SERIAL', 'PCB-1'], ['LOT', 'RESIN-1'], 'MADE_FROM'),
  link(['SERIAL', 'SN-E2E-1'], ['LOT', 'STEEL-1'], 'MADE_FROM'),
  link(['SERIAL', 'SN-E2E-1'], ['SERIAL', 'PCB-1'], 'CONSUMED_INTO'),
  link(['CONTAINER', 'BOX-1'], ['SERIAL', 'SN-E2E-1'], 'CONTAINED_IN'),
];

let stack: BrowserStack;
let producer: TypedProducer;
let stores: Stores;
let api: ProductionQueries;
let server: DashboardServer;
let page: Page;
let consoleErrors: string[];

beforeAll(async () => {
  stack = await startBrowserStack();
  ({ producer, stores, api, server, page, consoleErrors } = stack);
  await producer.send('countTotals', presses.map((p, i) => countTotal(p, 500 + i * 40)));
  await producer.send('oee', [...presses.map(liveOee), ...presses.flatMap((p) => [0, 1, 2, 3, 4, 5].map((h) => hourOee(p, h)))]);
  await producer.send('state', presses.flatMap(stateHistory));
  // Pieces of the last hours (plan vs actual reads the increments): 40 good and 2 rejects per press and hour.
  await producer.send('countIncrements', presses.flatMap((equipment, i) => [1, 2, 3].map((h) => countIncrement(i * 10 + h, { eventId: `x-inc-${i}-${h}`, equipment, eventTime: now - h * hour, good: 40 + i * 5, reject: 2, workOrder: 'WO-E2E-7' }))));
  await producer.send('workOrders', [workOrder]);
  await producer.send('dispatch', [dispatch(presses[0]!, 'WO-E2E-6', shiftStart - hour, 'x-d-0'), dispatch(presses[0]!, 'WO-E2E-7', shiftStart, 'x-d-1'), dispatch(presses[1]!, 'WO-E2E-7', shiftStart, 'x-d-2')]);
  await producer.send('genealogy', links);
  await waitFor(async () => (await stores.queries.currentCountTotals()).length === presses.length, { what: 'the totals in PostgreSQL', timeoutMs: 60_000 });
  await waitFor(async () => (await api.currentDispatch({ scope: '' })).length === 2, { what: 'the dispatches', timeoutMs: 60_000 });
  await waitFor(async () => (await api.trace('backward', { id: 'SN-E2E-1' })).links.length === 3, { what: 'the genealogy links', timeoutMs: 60_000 });
  await waitFor(async () => (await api.oeeDrillDown({ scope: line, windowKind: 'HOUR', from: firstHour, to: now })).total.windows === 24, { what: 'the hour OEE windows', timeoutMs: 60_000 });
  await waitFor(async () => (await api.stateTimeline({ scope: line, from: now - 7 * hour, to: now + 1 })).total === 44, { what: 'the states', timeoutMs: 60_000 });
});

afterAll(async () => {
  await stack?.close();
});

const logIn = (username: string, password: string) => stack.logIn(username, password);

const rendered = (testid: string) => page.locator(`[data-testid="${testid}"][data-rendered="true"]`).waitFor({ timeout: 30_000 });
const attr = (testid: string, name: string) => page.locator(`[data-testid="${testid}"]`).getAttribute(name);

describe('dashboard > explorer views in the browser', () => {
  it('> a wall tile shows its dispatched work order and opens the drill-down with its charts; the line drill-down follows', async () => {
    await logIn('admin', adminPassword);
    const tile = page.locator(`[data-testid="wall-tile"][data-equipment="${presses[0]}"]`);
    await tile.waitFor({ timeout: 30_000 });
    // The latest dispatch wins over the work order the OEE window names.
    await expect.poll(() => tile.locator('[data-testid="wall-wo"]').textContent(), { timeout: 30_000 }).toBe('WO-E2E-7');
    const clicked = Date.now();
    await tile.click();
    await page.locator('[data-testid="drilldown"]').waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).hash).toBe('#line');
    expect(new URL(page.url()).searchParams.get('scope')).toBe(presses[0]);
    for (const chart of ['drill-trend', 'drill-waterfall', 'drill-gantt', 'drill-pareto', 'drill-plan']) await rendered(chart);
    console.log(`e2e measure > drill-down: tile click to five charts drawn in ${Date.now() - clicked} ms (8 h range, one press)`);
    // Six closed hours of A 0.8 x P 0.875 x Q 0.95, recomputed from the summed times and counts.
    await expect.poll(() => page.locator('[data-testid="drill-oee"]').textContent(), { timeout: 30_000 }).toBe('66.5 %');
    expect(await page.locator('[data-testid="drill-availability"]').textContent()).toBe('80.0 %');
    expect(await attr('drill-waterfall-steps', 'data-steps')).toBe('8');
    expect(await attr('drill-gantt-rows', 'data-rows')).toBe('1');
    expect(await page.locator('[data-testid="drill-pareto-panel"]').textContent()).toContain('3 stops · 2 min');
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(screenshots, 'drilldown-equipment-tv-dark.png'), fullPage: true });

    // The line: one timeline row per press, and the presses to drill further.
    await page.goto(`${server.url}/?scope=${line}&range=24h#line`);
    await page.locator('[data-testid="drilldown"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => attr('drill-gantt-rows', 'data-rows'), { timeout: 30_000 }).toBe('4');
    await rendered('drill-gantt');
    await expect.poll(() => page.locator('[data-testid="drill-child"]').count(), { timeout: 30_000 }).toBe(1); // the line's one cell
    await expect.poll(() => page.locator('[data-testid="drill-pareto-panel"]').textContent(), { timeout: 30_000 }).toContain('12 stops');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(screenshots, 'drilldown-line-tablet-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('> "trace a serial": the genealogy explorer shows what it was made from, where it went, and its timeline', async () => {
    await page.click('[data-testid="tab-genealogy"]');
    await page.fill('[data-testid="genealogy-input"]', 'SN-E2E-1');
    await page.click('[data-testid="genealogy-trace"]');
    await rendered('genealogy-backward-tree');
    await rendered('genealogy-forward-tree');
    // Backward: SN-E2E-1 <- STEEL-1, PCB-1 <- RESIN-1. Forward: SN-E2E-1 -> BOX-1.
    expect(await attr('genealogy-backward-nodes', 'data-nodes')).toBe('4');
    expect(await attr('genealogy-forward-nodes', 'data-nodes')).toBe('2');
    const events = page.locator('[data-testid="genealogy-event"]');
    expect(await events.count()).toBe(4);
    expect(await events.last().textContent()).toContain('SERIAL SN-E2E-1 (1 pcs) packed into CONTAINER BOX-1');
    expect(new URL(page.url()).searchParams.get('item')).toBe('SN-E2E-1');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(screenshots, 'genealogy-tv-dark.png'), fullPage: true });

    await page.fill('[data-testid="genealogy-input"]', 'NO-SUCH-SERIAL');
    await page.click('[data-testid="genealogy-trace"]');
    await page.locator('[data-testid="genealogy-none"]').waitFor({ timeout: 30_000 });
  });

  it('> an admin creates a user, who then logs in with that role (and no user administration)', async () => {
    await page.click('[data-testid="tab-admin"]');
    await page.locator('[data-testid="admin-user"][data-username="admin"]').waitFor({ timeout: 30_000 });
    await page.fill('input[name="new-username"]', 'olga');
    await page.fill('input[name="new-display-name"]', 'Olga Maintenance');
    await page.fill('input[name="new-password"]', 'olga-password-1');
    await page.uncheck('input[name="new-role-viewer"]');
    await page.check('input[name="new-role-maintenance"]');
    await page.click('[data-testid="admin-create"] button[type="submit"]');
    const row = page.locator('[data-testid="admin-user"][data-username="olga"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('Maintenance');
    expect(await page.locator('[data-testid="admin-notice"]').textContent()).toBe('Created olga (maintenance)');
    await page.screenshot({ path: join(screenshots, 'admin-users-tv-dark.png') });

    await page.click('[data-testid="sign-out"]');
    await logIn('olga', 'olga-password-1');
    expect(await page.locator('[data-testid="user-name"]').textContent()).toBe('Olga Maintenance');
    expect(await page.locator('.who small').textContent()).toBe('maintenance');
    expect(await page.locator('[data-testid="tab-admin"]').count()).toBe(0);
    expect(await page.locator('[data-testid="tab-line"]').count()).toBe(1);
    expect(consoleErrors.filter((e) => !e.includes('401'))).toEqual([]);
  });
});

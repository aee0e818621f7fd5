// One contract suite for work orders, dispatch and genealogy on both PostgreSQL connections (PGlite, a server
// through `pg`): the same writers and trace queries must give the same answers. Each test gets a fresh, migrated
// database (schema).
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/log.ts';
import type { Dispatch, GenealogyLink, MaterialKind, WorkOrder } from '../../../schemas/generated/types.ts';
import type { Db } from '../db.ts';
import { migratePostgres } from '../migrate.ts';
import { asBuiltTree, currentDispatch, listGenealogyRejections, listWorkOrders, lotTimeline, traceBackward, traceForward, traceForwardMany, workOrderTimeline, writeDispatches, writeGenealogyLinks, writeWorkOrders } from './index.ts';

export interface OpenedDb {
  db: Db;
  cleanup(): Promise<void>;
}

const t0 = Date.parse('2025-03-03T06:00:00Z');
const press = 'acme/plant1/assembly/line1/cell2/press';

export const workOrderEvent = (over: Partial<WorkOrder> = {}): WorkOrder => ({
  eventId: 'wo:S1:WO-1:r1',
  eventTime: t0 - 3_600_000,
  workOrder: 'WO-1',
  product: 'BRKT-200',
  quantity: 500,
  unit: 'pcs',
  status: 'RELEASED',
  plannedStart: t0,
  plannedEnd: t0 + 8 * 3_600_000,
  operations: [{ operation: '0010-press', equipment: press, idealCycleTimeMs: 12_000, quantity: 500, plannedStart: t0, plannedEnd: t0 + 3_600_000 }],
  erpMessageId: 'S1',
  revision: 1,
  erpState: 'Released',
  ...over,
});

let n = 0;
export function linkEvent(parent: [MaterialKind, string], child: [MaterialKind, string], over: Partial<GenealogyLink> = {}): GenealogyLink {
  n += 1;
  return {
    eventId: `gen:test:${n}`,
    eventTime: t0 + n * 1000,
    parentKind: parent[0],
    parentId: parent[1],
    childKind: child[0],
    childId: child[1],
    relation: parent[0] === 'CONTAINER' ? 'CONTAINED_IN' : child[0] === 'LOT' && parent[0] === 'SERIAL' ? 'MADE_FROM' : 'CONSUMED_INTO',
    quantity: 1,
    unit: 'pcs',
    workOrder: 'WO-1',
    equipment: press,
    sourceEventId: null,
    status: 'ACCEPTED',
    rejectReason: null,
    ...over,
  };
}

const dispatchEvent = (eventId: string, t: number, workOrder: string | null): Dispatch => ({ eventId, eventTime: t, equipment: press, workOrder, product: workOrder ? 'BRKT-200' : null, operation: null, idealCycleTimeMs: workOrder ? 12_000 : null, targetQuantity: null });

export function genealogyContract(connection: string, open: () => Promise<OpenedDb>): void {
  describe(`PostgreSQL work orders and genealogy > ${connection}`, () => {
    const opened: OpenedDb[] = [];
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.cleanup();
    });
    async function fresh(): Promise<Db> {
      const o = await open();
      opened.push(o);
      await migratePostgres(o.db, silentLogger());
      return o.db;
    }

    it('keeps the latest revision of a work order with its operations, audits every event once', async () => {
      const db = await fresh();
      const r2 = workOrderEvent({ eventId: 'wo:S2:WO-1:r2', revision: 2, quantity: 450, operations: [] });
      await writeWorkOrders(db, [r2, workOrderEvent()]);
      await writeWorkOrders(db, [workOrderEvent()]); // an older revision arriving late
      const [wo] = await listWorkOrders(db, { workOrder: 'WO-1' });
      expect(wo).toMatchObject({ workOrder: 'WO-1', quantity: 450, revision: 2, operations: [], plannedEnd: t0 + 8 * 3_600_000 });
      await writeWorkOrders(db, [workOrderEvent({ eventId: 'wo:S3:WO-1:r3', revision: 3, status: 'RUNNING' })]);
      const [again] = await listWorkOrders(db, { equipment: 'acme/plant1/assembly' });
      expect(again).toMatchObject({ status: 'RUNNING', revision: 3, operations: [{ operation: '0010-press', equipment: press, idealCycleTimeMs: 12_000, quantity: 500, plannedStart: t0, plannedEnd: t0 + 3_600_000 }] });
      expect((await db.query<{ c: number }>('SELECT count(*)::int AS c FROM work_order_events'))[0]?.c).toBe(3);
    });

    it('answers the work order dispatched on an equipment now and at a time', async () => {
      const db = await fresh();
      await writeDispatches(db, [dispatchEvent('d1', t0, 'WO-1'), dispatchEvent('d2', t0 + 60_000, null), dispatchEvent('d1', t0, 'WO-1')]);
      expect((await currentDispatch(db)).map((d) => [d.workOrder, d.since])).toEqual([[null, t0 + 60_000]]);
      expect((await currentDispatch(db, { at: t0 + 30_000, scope: 'acme/plant1' }))[0]).toMatchObject({ workOrder: 'WO-1', idealCycleTimeMs: 12_000, since: t0 });
    });

    it('writes links once by event id and by edge; traces backward and forward with depth, as-built tree', async () => {
      const db = await fresh();
      const asm: [MaterialKind, string] = ['SERIAL', 'ASM-1'];
      const batch = [
        linkEvent(asm, ['SERIAL', 'MOTOR-7']),
        linkEvent(['SERIAL', 'MOTOR-7'], ['LOT', 'L-MOTOR']),
        linkEvent(asm, ['LOT', 'SCREWS-3'], { quantity: 4 }),
        linkEvent(['CONTAINER', 'BOX-1'], asm),
        linkEvent(['CONTAINER', 'PALLET-1'], ['CONTAINER', 'BOX-1']),
      ];
      await writeGenealogyLinks(db, batch);
      await writeGenealogyLinks(db, batch); // replay
      await writeGenealogyLinks(db, [{ ...batch[0]!, eventId: 'gen:other' }]); // the same edge by another event
      expect((await db.query<{ c: number }>('SELECT count(*)::int AS c FROM genealogy_links'))[0]?.c).toBe(5);

      const back = await traceBackward(db, { kind: 'SERIAL', id: 'ASM-1' });
      expect(back.links.map((l) => [l.depth, l.parentId, l.childId])).toEqual([
        [1, 'ASM-1', 'MOTOR-7'],
        [1, 'ASM-1', 'SCREWS-3'],
        [2, 'MOTOR-7', 'L-MOTOR'],
      ]);
      expect(back).toMatchObject({ depth: 2, truncated: false });
      expect((await traceBackward(db, { id: 'ASM-1' }, { maxDepth: 1 })).truncated).toBe(true);

      const forward = await traceForward(db, { kind: 'LOT', id: 'L-MOTOR' });
      expect(forward.links.map((l) => [l.depth, l.childId, l.relation, l.parentId])).toEqual([
        [1, 'L-MOTOR', 'MADE_FROM', 'MOTOR-7'],
        [2, 'MOTOR-7', 'CONSUMED_INTO', 'ASM-1'],
        [3, 'ASM-1', 'CONTAINED_IN', 'BOX-1'],
        [4, 'BOX-1', 'CONTAINED_IN', 'PALLET-1'],
      ]);

      const tree = await asBuiltTree(db, { kind: 'SERIAL', id: 'ASM-1' });
      expect(tree.root).toMatchObject({
        kind: 'SERIAL',
        id: 'ASM-1',
        children: [
          { kind: 'SERIAL', id: 'MOTOR-7', relation: 'CONSUMED_INTO', children: [{ kind: 'LOT', id: 'L-MOTOR', relation: 'MADE_FROM', children: [] }] },
          { kind: 'LOT', id: 'SCREWS-3', quantity: 4, children: [] },
        ],
      });
    });

    it('refuses a link that would close a cycle across the whole graph, and records processor rejections', async () => {
      const db = await fresh();
      await writeGenealogyLinks(db, [linkEvent(['CONTAINER', 'A'], ['CONTAINER', 'B']), linkEvent(['CONTAINER', 'B'], ['CONTAINER', 'C'])]);
      const closing = linkEvent(['CONTAINER', 'C'], ['CONTAINER', 'A'], { eventId: 'gen:closing' });
      const fromCore = linkEvent(['SERIAL', 'X'], ['SERIAL', 'Y'], { eventId: 'gen:core', status: 'REJECTED', rejectReason: 'refused: by the station' });
      const same = linkEvent(['LOT', 'Z'], ['LOT', 'Z'], { eventId: 'gen:self' });
      // In one batch, a link and the one that closes a cycle with it: the later is refused.
      const d = linkEvent(['CONTAINER', 'D'], ['CONTAINER', 'A'], { eventId: 'gen:d' });
      const back = linkEvent(['CONTAINER', 'A'], ['CONTAINER', 'D'], { eventId: 'gen:back' });
      await writeGenealogyLinks(db, [closing, fromCore, same, back, d]);
      await writeGenealogyLinks(db, [closing]);
      const rejections = await listGenealogyRejections(db);
      expect(rejections.map((r) => [r.eventId, r.rejectedBy]).sort()).toEqual([['gen:back', 'sink'], ['gen:closing', 'sink'], ['gen:core', 'processor'], ['gen:self', 'sink']]);
      expect(rejections.find((r) => r.eventId === 'gen:closing')?.reason).toBe(
        'refused: linking CONTAINER A CONTAINED_IN CONTAINER C would close a cycle, because CONTAINER C is already inside CONTAINER A (CONTAINER A > CONTAINER B > CONTAINER C)',
      );
      expect((await traceForward(db, { kind: 'CONTAINER', id: 'C' })).links.map((l) => l.parentId)).toEqual(['B', 'A', 'D']);
      expect((await traceBackward(db, { kind: 'CONTAINER', id: 'D' }, { maxDepth: 50 })).depth).toBe(3);
    });

    it('gives the execution timeline of a lot and of a work order', async () => {
      const db = await fresh();
      await writeWorkOrders(db, [workOrderEvent()]);
      await writeDispatches(db, [dispatchEvent('d1', t0, 'WO-1'), dispatchEvent('d2', t0 + 3_600_000, 'WO-2')]);
      await writeGenealogyLinks(db, [linkEvent(['SERIAL', 'S-1'], ['LOT', 'L-9']), linkEvent(['CONTAINER', 'BOX-1'], ['SERIAL', 'S-1'], { workOrder: null })]);
      const lot = await lotTimeline(db, 'L-9');
      expect(lot.entries.map((e) => e.text)).toEqual(['LOT L-9 MADE_FROM SERIAL S-1 (1 pcs)', 'SERIAL S-1 CONTAINED_IN CONTAINER BOX-1 (1 pcs)']);
      const wo = await workOrderTimeline(db, 'WO-1');
      expect(wo.entries.map((e) => [e.kind, e.text])).toEqual([
        ['WORK_ORDER_RECEIVED', 'revision 1 from ERP message S1: 500 pcs BRKT-200, RELEASED'],
        ['DISPATCHED', `dispatched on ${press}`],
        ['LINK', 'LOT L-9 MADE_FROM SERIAL S-1 (1 pcs)'],
        ['UNDISPATCHED', `off ${press} (now WO-2)`],
      ]);
    });

    it('reports each link once where paths converge (a box reached through each of its items)', async () => {
      const db = await fresh();
      await writeGenealogyLinks(db, [
        linkEvent(['SERIAL', 'S1'], ['LOT', 'L']),
        linkEvent(['SERIAL', 'S2'], ['LOT', 'L']),
        linkEvent(['CONTAINER', 'BOX'], ['SERIAL', 'S1']),
        linkEvent(['CONTAINER', 'BOX'], ['SERIAL', 'S2']),
        linkEvent(['CONTAINER', 'PAL'], ['CONTAINER', 'BOX']),
      ]);
      const forward = await traceForward(db, { id: 'L' });
      expect(forward.links.map((l) => `${l.depth} ${l.childId}>${l.parentId}`)).toEqual(['1 L>S1', '1 L>S2', '2 S1>BOX', '2 S2>BOX', '3 BOX>PAL']);
      expect((await traceBackward(db, { kind: 'CONTAINER', id: 'PAL' }, { maxRows: 2 })).truncated).toBe(true);
    });

    it('traces many starts in one query: each as its own forward trace, one row budget for all', async () => {
      const db = await fresh();
      await writeGenealogyLinks(db, [
        linkEvent(['SERIAL', 'S1'], ['LOT', 'L']),
        linkEvent(['SERIAL', 'S2'], ['LOT', 'L']),
        linkEvent(['SERIAL', 'S3'], ['LOT', 'M']),
        linkEvent(['CONTAINER', 'BOX'], ['SERIAL', 'S1']),
        linkEvent(['CONTAINER', 'BOX'], ['SERIAL', 'S2']),
        linkEvent(['CONTAINER', 'PAL'], ['CONTAINER', 'BOX']),
      ]);
      const starts = [
        { kind: 'LOT', id: 'L' },
        { kind: 'SERIAL', id: 'S1' },
        { kind: 'LOT', id: 'M' },
        { kind: 'SERIAL', id: 'NOWHERE' },
        { kind: 'SERIAL', id: 'L' }, // the id of a lot, as a serial: nothing
      ] as const;
      const many = await traceForwardMany(db, starts);
      expect(many.traces).toEqual(await Promise.all(starts.map((start) => traceForward(db, start))));
      expect(many.traces.map((t) => t.links.length)).toEqual([5, 2, 1, 0, 0]);
      expect(many.rowsCut).toBe(false);
      const deep = await traceForwardMany(db, starts, { maxDepth: 1 });
      expect(deep.traces.map((t) => t.truncated)).toEqual([true, true, false, false, false]);
      expect(deep.rowsCut).toBe(false);
      const cut = await traceForwardMany(db, starts, { maxRows: 3 });
      expect(cut.rowsCut).toBe(true);
      expect(cut.traces.every((t) => t.truncated)).toBe(true);
      expect(cut.traces.reduce((n, t) => n + t.links.length, 0)).toBe(3);
      expect(await traceForwardMany(db, [])).toEqual({ traces: [], rowsCut: false });
    });

    it('follows a 100-level chain within the depth limit and stops at it', async () => {
      const db = await fresh();
      const chain = Array.from({ length: 120 }, (_, i) => linkEvent(['SERIAL', `N-${i}`], ['SERIAL', `N-${i + 1}`]));
      await writeGenealogyLinks(db, chain);
      const deep = await traceBackward(db, { kind: 'SERIAL', id: 'N-0' }, { maxDepth: 100 });
      expect(deep).toMatchObject({ depth: 100, truncated: true });
      expect(deep.links.at(-1)?.childId).toBe('N-100');
      expect((await traceForward(db, { kind: 'SERIAL', id: 'N-120' }, { maxDepth: 200 })).links.length).toBe(120);
    });
  });
}

import { describe, expect, it } from 'vitest';
import type { CountTotalView } from './types.ts';
import { applyWallEvents, formatDuration, oeeBand, planProgress, wallLayout, type OeeLiveView, type WallTile } from './wall.ts';

const press = 'acme/plant1/stamping/line1/cell1/press1';
const robot = 'acme/plant1/welding/line2/cell1/robot1';

function oee(revision: number, over: Partial<OeeLiveView> = {}): OeeLiveView {
  return {
    equipment: press, windowId: '2025-03-03/A', windowStart: 1_000, windowEnd: 29_801_000, closed: false, revision, eventTime: 1_000 + revision,
    shift: 'A', workOrder: 'WO-1', product: 'P', availability: 0.9, performance: 0.95, quality: 0.99, oee: 0.846, totalCount: 100, goodCount: 99, rejectCount: 1, flags: [], ...over,
  };
}

function count(revision: number, good: number): CountTotalView {
  return { equipment: press, windowKind: 'SHIFT', windowId: '2025-03-03/A', windowStart: 1_000, windowEnd: 29_801_000, good, reject: 0, revision, eventTime: revision };
}

describe('wall > merging', () => {
  it('> keeps the highest OEE revision whatever the order, and a later shift over an earlier one', () => {
    const index = new Map<string, WallTile>();
    applyWallEvents(index, [{ kind: 'oee', view: oee(3) }, { kind: 'oee', view: oee(2, { oee: 0.1 }) }]);
    expect(index.get(press)?.oee?.revision).toBe(3);
    expect(applyWallEvents(index, [{ kind: 'oee', view: oee(1) }]).size).toBe(0);
    applyWallEvents(index, [{ kind: 'oee', view: oee(0, { windowId: '2025-03-03/B', windowStart: 29_801_000 }) }]);
    expect(index.get(press)?.oee?.windowId).toBe('2025-03-03/B');
    expect(index.get(press)?.workOrder).toBe('WO-1');
  });

  it('> a state keeps its start while the same state is reported again; a new state starts now', () => {
    const index = new Map<string, WallTile>();
    const state = (state: string, eventTime: number) => ({ equipment: press, state, reasonCode: null, reasonText: null, quality: 'GOOD', eventTime });
    applyWallEvents(index, [{ kind: 'state', view: state('EXECUTE', 100), since: 50, sinceClipped: true }]);
    applyWallEvents(index, [{ kind: 'state', view: state('EXECUTE', 200) }]);
    expect(index.get(press)?.state).toMatchObject({ category: 'running', since: 50, sinceClipped: true });
    applyWallEvents(index, [{ kind: 'state', view: state('FAULT', 300) }]);
    expect(index.get(press)?.state).toMatchObject({ category: 'unplannedStop', since: 300, sinceClipped: false });
    // An older report arriving late changes nothing.
    expect(applyWallEvents(index, [{ kind: 'state', view: state('EXECUTE', 250) }]).size).toBe(0);
  });

  it('> counts of the shift by revision; plans and work orders', () => {
    const index = new Map<string, WallTile>();
    applyWallEvents(index, [{ kind: 'count', view: count(2, 20) }, { kind: 'count', view: count(1, 10) }, { kind: 'plan', equipment: press, plan: 400, workOrders: ['WO-7'] }]);
    expect(index.get(press)).toMatchObject({ count: { good: 20 }, plan: 400, workOrder: 'WO-7' });
    applyWallEvents(index, [{ kind: 'count', view: { ...count(9, 5), windowKind: 'HOUR' } }]);
    expect(index.get(press)?.count?.good).toBe(20);
  });

  it('> the dispatched work order wins over the ones OEE windows and plans name, and follows a new dispatch', () => {
    const index = new Map<string, WallTile>();
    applyWallEvents(index, [{ kind: 'plan', equipment: press, plan: 400, workOrders: ['WO-7'] }, { kind: 'dispatch', equipment: press, workOrder: 'WO-9', product: 'BRKT-200' }]);
    expect(index.get(press)).toMatchObject({ workOrder: 'WO-9', product: 'BRKT-200', dispatched: true });
    applyWallEvents(index, [{ kind: 'oee', view: oee(1, { workOrder: 'WO-1' }) }, { kind: 'plan', equipment: press, plan: 500, workOrders: ['WO-8'] }]);
    expect(index.get(press)?.workOrder).toBe('WO-9');
    expect(applyWallEvents(index, [{ kind: 'dispatch', equipment: press, workOrder: 'WO-9', product: 'BRKT-200' }]).size).toBe(0);
    applyWallEvents(index, [{ kind: 'dispatch', equipment: press, workOrder: null, product: null }]);
    expect(index.get(press)?.workOrder).toBeNull();
  });

  it('> tiles are replaced, never mutated (a keyed view re-renders only what changed)', () => {
    const index = new Map<string, WallTile>();
    applyWallEvents(index, [{ kind: 'oee', view: oee(1) }, { kind: 'count', view: { ...count(1, 1), equipment: robot } }]);
    const before = index.get(robot);
    const changed = applyWallEvents(index, [{ kind: 'oee', view: oee(2) }]);
    expect([...changed]).toEqual([press]);
    expect(index.get(robot)).toBe(before);
  });
});

describe('wall > layout and figures', () => {
  it('> groups by line in path order, independent of arrival order', () => {
    const layout = wallLayout([robot, press, 'acme/plant1/stamping/line1/cell2/trim1']);
    expect(layout.map((l) => [l.label, l.equipment.length])).toEqual([
      ['stamping / line1', 2],
      ['welding / line2', 1],
    ]);
    expect(wallLayout([press, robot])).toEqual(wallLayout([robot, press]));
  });

  it('> OEE bands, plan progress, durations', () => {
    expect([oeeBand(0.9), oeeBand(0.7), oeeBand(0.3), oeeBand(null)]).toEqual(['good', 'fair', 'poor', 'none']);
    expect(planProgress(50, 200, 0, 100, 50)).toEqual({ done: 0.25, expected: 0.5 });
    expect(planProgress(50, null, 0, 100, 50)).toEqual({ done: null, expected: null });
    expect(planProgress(50, 100, 0, 100, 500).expected).toBe(1);
    expect([formatDuration(4_000), formatDuration(720_000), formatDuration(11_100_000), formatDuration(28_800_000, true)]).toEqual(['4 s', '12 min', '3 h 05', '> 8 h 00']);
  });
});

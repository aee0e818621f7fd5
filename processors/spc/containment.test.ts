import { describe, expect, it } from 'vitest';
import type { SpcAlarm } from '../../schemas/generated/types.ts';
import { containment, expandThroughGenealogy, type ContainmentPoint } from './containment.ts';

const alarm = (over: Partial<SpcAlarm> = {}): Pick<SpcAlarm, 'eventId' | 'characteristic' | 'pointIndexes' | 'serials' | 'lots' | 'workOrder'> => ({
  eventId: 'spc-alarm:bore:12:5',
  characteristic: 'bore',
  pointIndexes: [10, 11, 12],
  serials: ['S10', 'S12'],
  lots: ['L1'],
  workOrder: 'WO-2',
  ...over,
});

const point = (index: number, serials: string[], lots: string[], workOrder: string | null = 'WO-2', characteristic = 'bore'): ContainmentPoint => ({ index, eventTime: 1000 * index, serials, lots, workOrder, characteristic });

describe('SPC > containment > from the first point of the pattern onwards', () => {
  it('lists serials, lots and work orders of every point from the first of the pattern through the latest known', () => {
    const pts = [point(8, ['S8'], ['L0']), point(9, ['S9'], ['L0']), point(10, ['S10'], ['L1'], 'WO-1'), point(11, ['S11a', 'S11b'], ['L1']), point(12, ['S12'], ['L1']), point(13, ['S13'], ['L2'])];
    const c = containment(alarm(), pts);
    expect(c).toMatchObject({ fromIndex: 10, signalIndex: 12, throughIndex: 13, fromTime: 10_000, throughTime: 13_000, points: 4, complete: true, missingCount: 0 });
    expect(c.serials).toEqual(['S10', 'S11a', 'S11b', 'S12', 'S13']);
    expect(c.lots).toEqual(['L1', 'L2']);
    expect(c.workOrders).toEqual(['WO-1', 'WO-2']);
  });

  it('stops at throughIndex; ignores other characteristics and duplicate indexes', () => {
    const pts = [point(10, ['S10'], ['L1']), point(10, ['DUP'], ['LX']), point(11, ['X'], ['LX'], null, 'other'), point(11, ['S11'], ['L1']), point(12, ['S12'], ['L1']), point(20, ['S20'], ['L9'])];
    const c = containment(alarm(), pts, { throughIndex: 12 });
    expect(c.serials).toEqual(['S10', 'S11', 'S12']);
    expect(c.lots).toEqual(['L1']);
    expect(c.complete).toBe(true);
    expect(() => containment(alarm(), pts, { throughIndex: 11 })).toThrow('before the signal point 12');
  });

  it('says which points are missing, and still lists the pattern serials carried by the alarm', () => {
    const c = containment(alarm(), [point(12, ['S12'], ['L1']), point(15, ['S15'], ['L3'])], { maxMissingListed: 2 });
    expect(c).toMatchObject({ complete: false, missingCount: 4, missingIndexes: [10, 11], points: 2 });
    expect(c.serials).toEqual(['S12', 'S15', 'S10']);
    const none = containment(alarm(), []);
    expect(none).toMatchObject({ throughIndex: 12, points: 0, fromTime: null, serials: ['S10', 'S12'], lots: ['L1'], missingCount: 3 });
  });
});

describe('SPC > containment > through genealogy', () => {
  it('adds what the suspect serials and lots went into, nearest first; reports untraced and truncated traces', () => {
    const c = { serials: ['S1', 'S2'], lots: ['L1'] };
    const traces = [
      { start: { kind: 'SERIAL' as const, id: 'S1' }, truncated: false, links: [{ parentKind: 'SERIAL' as const, parentId: 'ASSY-1', depth: 1 }, { parentKind: 'CONTAINER' as const, parentId: 'PAL-7', depth: 2 }] },
      { start: { kind: 'LOT' as const, id: 'L1' }, truncated: true, links: [{ parentKind: 'SERIAL' as const, parentId: 'S2', depth: 1 }, { parentKind: 'CONTAINER' as const, parentId: 'PAL-7', depth: 1 }] },
      { start: { kind: 'LOT' as const, id: 'UNRELATED' }, truncated: false, links: [{ parentKind: 'SERIAL' as const, parentId: 'NO', depth: 1 }] },
    ];
    const g = expandThroughGenealogy(c, traces);
    expect(g.materials.map((m) => [m.kind, m.id, m.depth, m.via])).toEqual([
      ['SERIAL', 'S1', 0, 'S1'],
      ['SERIAL', 'S2', 0, 'S2'],
      ['LOT', 'L1', 0, 'L1'],
      ['SERIAL', 'ASSY-1', 1, 'S1'],
      ['CONTAINER', 'PAL-7', 1, 'L1'],
    ]);
    expect(g.untraced).toEqual(['S2']);
    expect(g.truncated).toBe(true);
  });
});

describe('SPC > containment > through genealogy > paths', () => {
  it('gives every material the chain of links from the chart serial or lot it was reached from, shortest first', () => {
    const c = { serials: ['S1'], lots: ['L1'] };
    const link = (depth: number, child: [string, string], parent: [string, string], relation: string) => ({
      depth,
      childKind: child[0] as 'SERIAL',
      childId: child[1],
      parentKind: parent[0] as 'SERIAL',
      parentId: parent[1],
      relation,
    });
    const traces = [
      { start: { kind: 'SERIAL' as const, id: 'S1' }, truncated: false, links: [link(1, ['SERIAL', 'S1'], ['SERIAL', 'ASSY-1'], 'CONSUMED_INTO'), link(2, ['SERIAL', 'ASSY-1'], ['CONTAINER', 'BOX-3'], 'CONTAINED_IN'), link(3, ['CONTAINER', 'BOX-3'], ['CONTAINER', 'PAL-7'], 'CONTAINED_IN')] },
      { start: { kind: 'LOT' as const, id: 'L1' }, truncated: false, links: [link(1, ['LOT', 'L1'], ['SERIAL', 'S9'], 'MADE_FROM'), link(2, ['SERIAL', 'S9'], ['CONTAINER', 'PAL-7'], 'CONTAINED_IN')] },
    ];
    const g = expandThroughGenealogy(c, traces);
    const byId = new Map(g.materials.map((m) => [m.id, m]));
    expect(byId.get('S1')!.path).toEqual([{ kind: 'SERIAL', id: 'S1', relation: null }]);
    expect(byId.get('BOX-3')!.path.map((p) => `${p.relation ?? ''}>${p.id}`)).toEqual(['>S1', 'CONSUMED_INTO>ASSY-1', 'CONTAINED_IN>BOX-3']);
    // PAL-7 is nearer through the lot (depth 2) than through S1 (depth 3): that path wins.
    expect(byId.get('PAL-7')).toMatchObject({ depth: 2, via: 'L1' });
    expect(byId.get('PAL-7')!.path.map((p) => `${p.kind} ${p.id}`)).toEqual(['LOT L1', 'SERIAL S9', 'CONTAINER PAL-7']);
  });

  it('falls back to start -> material when the trace has no child side', () => {
    const g = expandThroughGenealogy({ serials: ['S1'], lots: [] }, [{ start: { id: 'S1' }, truncated: false, links: [{ parentKind: 'SERIAL', parentId: 'A', depth: 1 }] }]);
    expect(g.materials.at(-1)!.path).toEqual([{ kind: 'SERIAL', id: 'S1', relation: null }, { kind: 'SERIAL', id: 'A', relation: null }]);
  });
});

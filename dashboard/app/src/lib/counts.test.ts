import { describe, expect, it } from 'vitest';
import { availableKinds, defaultKind, groupTiles, lineOf, mergeTotals, summarize, supersedes, type TotalsIndex } from './counts.ts';
import type { CountTotalView } from './types.ts';

const T = Date.UTC(2025, 2, 3, 6, 0, 0);
const press = 'acme/plant1/stamping/line1/cell1/press1';
const press2 = 'acme/plant1/stamping/line1/cell2/press2';
const welder = 'acme/plant1/welding/line2/cell1/welder1';

function view(revision: number, overrides: Partial<CountTotalView> = {}): CountTotalView {
  return {
    equipment: press,
    windowKind: 'SHIFT',
    windowId: 'A',
    windowStart: T,
    windowEnd: T + 8 * 3_600_000,
    good: revision * 10,
    reject: revision,
    revision,
    eventTime: T + revision * 1000,
    ...overrides,
  };
}

describe('dashboard counts state', () => {
  it('> same window: the higher revision wins; another window: the later one wins', () => {
    expect(supersedes(view(2), view(1))).toBe(true);
    expect(supersedes(view(1), view(2))).toBe(false);
    expect(supersedes(view(2), view(2))).toBe(false);
    const next = view(1, { windowId: 'B', windowStart: T + 8 * 3_600_000 });
    expect(supersedes(next, view(50))).toBe(true);
    expect(supersedes(view(51), next)).toBe(false); // a late revision of the old shift
    expect(supersedes(view(1, { windowKind: 'WORK_ORDER', windowId: 'WO-2', windowStart: null, eventTime: T + 9_000 }), view(5, { windowKind: 'WORK_ORDER', windowId: 'WO-1', windowStart: null }))).toBe(true);
  });

  it('> merging is order-independent and idempotent (snapshot vs live races)', () => {
    const updates = [view(1), view(3), view(2), view(1, { equipment: welder }), view(4), view(3)];
    const forward: TotalsIndex = new Map();
    mergeTotals(forward, updates);
    const backward: TotalsIndex = new Map();
    mergeTotals(backward, [...updates].reverse());
    mergeTotals(backward, updates);
    expect(forward).toEqual(backward);
    expect(forward.get(press)?.get('SHIFT')?.revision).toBe(4);
    expect([...mergeTotals(forward, [view(4)])]).toEqual([]);
    expect([...mergeTotals(forward, [view(5)])]).toEqual([press]);
  });

  it('> picks the first window kind the data has, in preference order', () => {
    const index: TotalsIndex = new Map();
    expect(defaultKind(index)).toBe('SHIFT');
    mergeTotals(index, [view(1, { windowKind: 'HOUR' }), view(1, { windowKind: 'ALL_TIME', windowId: 'all', equipment: welder })]);
    expect(defaultKind(index)).toBe('HOUR');
    expect(availableKinds(index)).toEqual(['HOUR', 'ALL_TIME']);
    mergeTotals(index, [view(1, { windowKind: 'DAY' })]);
    expect(defaultKind(index)).toBe('DAY');
  });

  it('> groups tiles by line in path order, with empty tiles for equipment without the chosen window', () => {
    const index: TotalsIndex = new Map();
    mergeTotals(index, [view(3, { equipment: welder }), view(2, { equipment: press2 }), view(1), view(7, { windowKind: 'DAY', equipment: press2 })]);
    mergeTotals(index, [view(1, { windowKind: 'DAY', equipment: 'acme/plant1/assembly/line9/cell1/robot1' })]);
    const groups = groupTiles(index, 'SHIFT');
    expect(groups.map((g) => [g.line, g.label, g.tiles.map((t) => t.name), g.good])).toEqual([
      ['acme/plant1/assembly/line9', 'assembly / line9', ['robot1'], 0],
      ['acme/plant1/stamping/line1', 'stamping / line1', ['press1', 'press2'], 30],
      ['acme/plant1/welding/line2', 'welding / line2', ['welder1'], 30],
    ]);
    expect(groups[0]?.tiles[0]?.view).toBeNull();
    expect(summarize(groups)).toEqual({ equipment: 4, reporting: 3, good: 60, reject: 6, lastEventTime: T + 3000 });
  });

  it('> line of short paths', () => {
    expect(lineOf(press)).toBe('acme/plant1/stamping/line1');
    expect(lineOf('acme/plant1/stamping/line1')).toBe('acme/plant1/stamping');
    expect(lineOf('press')).toBe('press');
  });
});

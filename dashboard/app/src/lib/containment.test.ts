import { describe, expect, it } from 'vitest';
import { containmentSummary, containmentUrl, formatPath, mayDraftNcr, mayListNcrs, mayReadContainment, mergeCapability, type SpcCapabilityView, type SpcContainmentView } from './containment.ts';

const view = (over: Partial<SpcContainmentView['direct']> = {}, expanded: Partial<SpcContainmentView['expanded']> = {}): SpcContainmentView => ({
  alarm: { alarmId: 'a', equipment: 'e', characteristic: 'c', rule: 2, ruleSet: 'NELSON', title: 't', status: 'RAISED', raisedAt: 0, pointIndexes: [22, 30], workOrder: 'WO-1' },
  direct: { fromIndex: 22, signalIndex: 30, throughIndex: 40, fromTime: 0, throughTime: 1, serials: ['S1', 'S2'], lots: ['L1'], workOrders: ['WO-1'], points: 18, missingIndexes: [35], missingCount: 1, complete: false, pointsTruncated: false, ...over },
  expanded: {
    materials: [
      { kind: 'SERIAL', id: 'ASM-1', depth: 1, via: 'S1', path: [{ kind: 'SERIAL', id: 'S1', relation: null }, { kind: 'SERIAL', id: 'ASM-1', relation: 'CONSUMED_INTO' }] },
      { kind: 'CONTAINER', id: 'BOX-1', depth: 2, via: 'S1', path: [{ kind: 'SERIAL', id: 'S1', relation: null }, { kind: 'SERIAL', id: 'ASM-1', relation: 'CONSUMED_INTO' }, { kind: 'CONTAINER', id: 'BOX-1', relation: 'CONTAINED_IN' }] },
    ],
    untraced: [],
    truncated: false,
    rows: 2,
    ...expanded,
  },
  limits: { maxPoints: 10_000, maxDepth: 100, maxRows: 10_000 },
});

describe('containment > who sees the panel and the NCR action (the server route table)', () => {
  it('> containment: quality, supervisors, admins; NCR drafts: quality and admins, SPC alarms only', () => {
    expect(mayReadContainment(['supervisor'])).toBe(true);
    expect(mayReadContainment(['viewer'])).toBe(false);
    expect(mayReadContainment(['maintenance'])).toBe(false);
    expect(mayDraftNcr({ source: 'SPC' }, ['quality'])).toBe(true);
    expect(mayDraftNcr({ source: 'SPC' }, ['supervisor'])).toBe(false);
    expect(mayDraftNcr({ source: 'DOWNTIME' }, ['admin'])).toBe(false);
    expect(mayListNcrs(['quality'])).toBe(true);
    expect(mayListNcrs(['supervisor'])).toBe(true);
    expect(mayListNcrs(['maintenance'])).toBe(false);
  });
});

describe('containment > panel shaping', () => {
  it('> paths read as a chain of relations', () => {
    expect(formatPath(view().expanded.materials[1]!.path)).toBe('S1 → consumed into ASM-1 → packed in BOX-1');
    expect(formatPath([{ kind: 'LOT', id: 'L1', relation: null }, { kind: 'SERIAL', id: 'X', relation: null }])).toBe('L1 → X');
  });

  it('> summarises the range, the counts, the rows (bounded) and why the list may be incomplete', () => {
    const s = containmentSummary(view(), 1);
    expect(s).toMatchObject({ range: 'points 22–40 (18 plotted, signal at 30)', serials: 2, lots: ['L1'], workOrders: ['WO-1'], more: 1, byKind: { SERIAL: 1, LOT: 0, CONTAINER: 1 } });
    expect(s.rows).toEqual([{ kind: 'SERIAL', id: 'ASM-1', depth: 1, via: 'S1', path: 'S1 → consumed into ASM-1' }]);
    expect(s.warnings).toEqual(['1 point of the range not stored (35)']);
    const cut = containmentSummary(view({ missingCount: 0, missingIndexes: [], pointsTruncated: true }, { truncated: true, untraced: ['L1'] }));
    expect(cut.warnings).toEqual(['only the first 10000 points read: later parts are not listed', '1 serial(s) / lot(s) not traced (row limit 10000)']);
    expect(containmentSummary(view({ missingCount: 0, missingIndexes: [] }, { truncated: true })).warnings).toEqual(['genealogy cut at depth 100 or 10000 links: the downstream list may be incomplete']);
    expect(containmentSummary(view({ missingCount: 0, missingIndexes: [] })).warnings).toEqual([]);
  });

  it('> builds the URL with the alarm id encoded and only the bounds given', () => {
    expect(containmentUrl('spc-alarm:a/b:12:2')).toBe('/api/spc/alarms/spc-alarm%3Aa%2Fb%3A12%3A2/containment');
    expect(containmentUrl('x', { maxDepth: 3, throughIndex: undefined })).toBe('/api/spc/alarms/x/containment?maxDepth=3');
  });
});

describe('containment > live capability', () => {
  const cap = (characteristic: string, index: number) => ({ characteristic, index, limitsVersion: 1 }) as SpcCapabilityView;
  it('> takes a newer record of the shown characteristic, ignores others and older ones', () => {
    expect(mergeCapability(null, cap('c', 3), 'c')).toEqual(cap('c', 3));
    expect(mergeCapability(cap('c', 3), cap('c', 2), 'c')).toEqual(cap('c', 3));
    expect(mergeCapability(cap('c', 3), cap('c', 4), 'c')).toEqual(cap('c', 4));
    expect(mergeCapability(cap('c', 3), cap('d', 9), 'c')).toEqual(cap('c', 3));
    expect(mergeCapability(cap('d', 9), cap('c', 1), 'c')).toEqual(cap('c', 1));
  });
});

import { describe, expect, it } from 'vitest';
import { countNodes, traceTimeline, traceTree, traceTreeOption, type TraceLink } from './genealogy.ts';
import { defaultPalette } from './palette.ts';

const link = (depth: number, parent: [string, string], child: [string, string], t: number, over: Partial<TraceLink> = {}): TraceLink => ({
  depth, parentKind: parent[0] as 'SERIAL', parentId: parent[1], childKind: child[0] as 'LOT', childId: child[1], relation: 'MADE_FROM', quantity: null, unit: null,
  workOrder: 'WO-1', equipment: 'acme/p/a/l/c/e', eventTime: t, eventId: `g-${parent[1]}-${child[1]}`, ...over,
});

describe('dashboard app > genealogy explorer', () => {
  const backward = {
    start: { id: 'SN-1' },
    direction: 'backward' as const,
    links: [
      link(1, ['SERIAL', 'SN-1'], ['SERIAL', 'PCB-7'], 20),
      link(1, ['SERIAL', 'SN-1'], ['LOT', 'SCREW-L1'], 10, { quantity: 4, unit: 'pcs', relation: 'CONSUMED_INTO' }),
      link(2, ['SERIAL', 'PCB-7'], ['LOT', 'SCREW-L1'], 5),
      link(2, ['SERIAL', 'PCB-7'], ['LOT', 'RESIN-9'], 6),
    ],
  };

  it('> builds the backward tree from the start serial, children oldest first; a shared lot is expanded once', () => {
    const tree = traceTree(backward);
    expect(tree.name).toBe('SERIAL SN-1');
    expect(tree.children.map((c) => c.name)).toEqual(['LOT SCREW-L1', 'SERIAL PCB-7']);
    expect(tree.children[0]).toMatchObject({ quantity: 4, unit: 'pcs', relation: 'CONSUMED_INTO', repeated: false });
    expect(tree.children[1]!.children.map((c) => [c.name, c.repeated])).toEqual([['LOT SCREW-L1', true], ['LOT RESIN-9', false]]);
    expect(countNodes(tree)).toBe(5);
  });

  it('> builds the forward tree (where a lot went), following child -> parent', () => {
    const tree = traceTree({ start: { id: 'SCREW-L1', kind: 'LOT' }, direction: 'forward', links: [link(1, ['SERIAL', 'PCB-7'], ['LOT', 'SCREW-L1'], 5), link(2, ['SERIAL', 'SN-1'], ['SERIAL', 'PCB-7'], 20)] });
    expect(tree.name).toBe('LOT SCREW-L1');
    expect(tree.children[0]!.name).toBe('SERIAL PCB-7');
    expect(tree.children[0]!.children[0]!.name).toBe('SERIAL SN-1');
  });

  it('> an item without links is a lone root', () => {
    expect(countNodes(traceTree({ start: { id: 'NOPE' }, direction: 'backward', links: [] }))).toBe(1);
  });

  it('> the timeline lists each link once, oldest first', () => {
    const forward = { direction: 'forward' as const, links: [link(1, ['SERIAL', 'BOX-1'], ['SERIAL', 'SN-1'], 30, { relation: 'CONTAINED_IN' }), backward.links[0]!] };
    const timeline = traceTimeline([backward, forward]);
    expect(timeline.map((e) => e.eventTime)).toEqual([5, 6, 10, 20, 30]);
    expect(timeline.at(-1)!.text).toBe('SERIAL SN-1 packed into SERIAL BOX-1');
    expect(timeline[2]!.text).toBe('LOT SCREW-L1 (4 pcs) consumed into SERIAL SN-1');
  });

  it('> the tree option is a left-to-right ECharts tree of the same nodes', () => {
    const option = traceTreeOption(traceTree(backward), defaultPalette) as { series: Array<{ type: string; orient: string; data: Array<{ name: string; children: unknown[] }> }> };
    expect(option.series[0]!.type).toBe('tree');
    expect(option.series[0]!.orient).toBe('LR');
    expect(option.series[0]!.data[0]!.children).toHaveLength(2);
  });
});

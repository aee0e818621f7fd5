// The genealogy explorer as pure functions of GET /api/genealogy/trace: the backward trace (what an item was made
// from) and the forward trace (where it went) as trees for the ECharts tree series, and the item's timeline (every
// link of both traces, oldest first).
import type { Trace, TraceLink } from '../../../../sinks/postgres/genealogy/trace.ts';
import type { Palette } from './palette.ts';

export type { Trace, TraceLink };
type Option = Record<string, unknown>;

export interface TreeNode {
  name: string;
  kind: string;
  id: string;
  /** The link that led here (null for the root). */
  relation: string | null;
  quantity: number | null;
  unit: string | null;
  workOrder: string | null;
  equipment: string | null;
  eventTime: number | null;
  /** True when the node was already shown higher up (a shared component): not expanded again. */
  repeated: boolean;
  children: TreeNode[];
}

const key = (kind: string, id: string) => `${kind}\u0000${id}`;

/**
 * The trace as a tree rooted at the start item. Backward links go parent (assembly) -> child (component); forward
 * links child -> parent. A material reached twice is shown twice but expanded once (`repeated`), so a box of 20
 * assemblies sharing a lot stays readable and a cycle cannot loop.
 */
export function traceTree(trace: Pick<Trace, 'start' | 'direction' | 'links'>): TreeNode {
  const backward = trace.direction === 'backward';
  const near = (l: TraceLink) => (backward ? key(l.parentKind, l.parentId) : key(l.childKind, l.childId));
  const byNear = new Map<string, TraceLink[]>();
  for (const link of trace.links) {
    const k = near(link);
    const list = byNear.get(k);
    if (list) list.push(link);
    else byNear.set(k, [link]);
  }
  for (const list of byNear.values()) list.sort((a, b) => a.eventTime - b.eventTime || (a.eventId < b.eventId ? -1 : 1));
  // The start's kind: given, else the kind its links name.
  const first = trace.links.find((l) => (backward ? l.parentId : l.childId) === trace.start.id && l.depth === 1);
  const startKind = trace.start.kind ?? (first ? (backward ? first.parentKind : first.childKind) : 'ITEM');
  const expanded = new Set<string>();
  const build = (kind: string, id: string, via: TraceLink | null): TreeNode => {
    const k = key(kind, id);
    const repeated = expanded.has(k);
    expanded.add(k);
    const links = repeated ? [] : (byNear.get(k) ?? []);
    return {
      name: `${kind} ${id}`,
      kind,
      id,
      relation: via?.relation ?? null,
      quantity: via?.quantity ?? null,
      unit: via?.unit ?? null,
      workOrder: via?.workOrder ?? null,
      equipment: via?.equipment ?? null,
      eventTime: via?.eventTime ?? null,
      repeated,
      children: links.map((l) => (backward ? build(l.childKind, l.childId, l) : build(l.parentKind, l.parentId, l))),
    };
  };
  return build(startKind, trace.start.id, null);
}

export function countNodes(node: TreeNode): number {
  return 1 + node.children.reduce((n, c) => n + countNodes(c), 0);
}

export interface TimelineEntry {
  eventTime: number;
  eventId: string;
  direction: 'backward' | 'forward';
  text: string;
  workOrder: string | null;
  equipment: string | null;
}

const amount = (l: TraceLink) => (l.quantity === null ? '' : ` (${l.quantity}${l.unit ? ` ${l.unit}` : ''})`);

/** Every link of both traces once (by event id), oldest first, as one line each. */
export function traceTimeline(traces: ReadonlyArray<Pick<Trace, 'direction' | 'links'>>): TimelineEntry[] {
  const seen = new Map<string, TimelineEntry>();
  for (const trace of traces)
    for (const l of trace.links)
      if (!seen.has(l.eventId))
        seen.set(l.eventId, {
          eventTime: l.eventTime,
          eventId: l.eventId,
          direction: trace.direction,
          text: `${l.childKind} ${l.childId}${amount(l)} ${relationVerb(l.relation)} ${l.parentKind} ${l.parentId}`,
          workOrder: l.workOrder,
          equipment: l.equipment,
        });
  return [...seen.values()].sort((a, b) => a.eventTime - b.eventTime || (a.eventId < b.eventId ? -1 : 1));
}

function relationVerb(relation: string): string {
  switch (relation) {
    case 'MADE_FROM':
      return 'went into';
    case 'CONSUMED_INTO':
      return 'consumed into';
    case 'CONTAINED_IN':
      return 'packed into';
    default:
      return `${relation.toLowerCase().replaceAll('_', ' ')}`;
  }
}

const kindColor = (kind: string, p: Palette) => (kind === 'SERIAL' ? p.accent : kind === 'LOT' ? p.states.idle : kind === 'CONTAINER' ? p.plan : p.muted);

function toSeriesNode(node: TreeNode, p: Palette): Option {
  return {
    name: node.name,
    value: node.relation ? `${node.relation}${node.quantity !== null ? ` ${node.quantity}${node.unit ? ` ${node.unit}` : ''}` : ''}` : 'start',
    itemStyle: { color: kindColor(node.kind, p), borderColor: kindColor(node.kind, p) },
    label: node.repeated ? { color: p.muted, fontStyle: 'italic' } : undefined,
    children: node.children.map((c) => toSeriesNode(c, p)),
  };
}

/** A left-to-right tree (backward: components to the right; forward: where it went to the right). */
export function traceTreeOption(tree: TreeNode, p: Palette): Option {
  return {
    animation: false,
    tooltip: { trigger: 'item', triggerOn: 'mousemove', backgroundColor: p.surface, borderColor: p.grid, textStyle: { color: p.text }, formatter: '{b}<br/>{c}' },
    series: [
      {
        type: 'tree',
        data: [toSeriesNode(tree, p)],
        top: 16,
        left: 130,
        bottom: 16,
        right: 170,
        symbolSize: 9,
        orient: 'LR',
        initialTreeDepth: -1,
        expandAndCollapse: true,
        lineStyle: { color: p.grid, width: 1.5 },
        label: { position: 'left', verticalAlign: 'middle', align: 'right', color: p.text, fontSize: 12 },
        leaves: { label: { position: 'right', verticalAlign: 'middle', align: 'left' } },
      },
    ],
  };
}

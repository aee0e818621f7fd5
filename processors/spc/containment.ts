// Containment for an SPC alarm: which parts (serials) and lots may be affected. Pure: the caller passes the alarm and
// the plotted points of its characteristic it has (from the spc-points topic or the chart store); nothing is read here.
//
// Suspect = everything plotted on the characteristic from the FIRST point of the pattern onwards (a rule-2 run of nine
// makes all nine points suspect, not just the one the signal is marked on), through the latest point known (or
// `throughIndex`): parts made after the signal and before the process was corrected are suspect too. The serials and
// lots come from the SpcPoint records, which carry those of every measurement in their subgroup; the alarm's own
// serials/lots (those of the pattern) are always included, so the answer is never empty for lack of points.
//
// Genealogy extends the list downstream (README.md, "Containment"): `expandThroughGenealogy` takes forward traces of
// the suspect serials and lots (sinks/postgres/genealogy `traceForward`, joined by the API) and adds the assemblies,
// containers and lots they went into.
import type { SpcAlarm, SpcPoint } from '../../schemas/generated/types.ts';

/** What containment needs of a plotted point (an SpcPoint has all of it). */
export type ContainmentPoint = Pick<SpcPoint, 'index' | 'eventTime' | 'serials' | 'lots' | 'workOrder'> & { readonly characteristic?: string };

export interface Containment {
  readonly alarmId: string;
  readonly characteristic: string;
  /** First point of the pattern: containment starts here. */
  readonly fromIndex: number;
  /** The point the signal is marked on. */
  readonly signalIndex: number;
  /** Last point considered. */
  readonly throughIndex: number;
  /** Event time of the first and last point found in the range (null when none was given). */
  readonly fromTime: number | null;
  readonly throughTime: number | null;
  /** In order of first appearance (point index order), without duplicates. */
  readonly serials: string[];
  readonly lots: string[];
  readonly workOrders: string[];
  /** Points found in fromIndex..throughIndex. */
  readonly points: number;
  /** Point indexes in the range that were not given (the list is incomplete when any); at most `maxMissingListed`. */
  readonly missingIndexes: number[];
  readonly missingCount: number;
  readonly complete: boolean;
}

export interface ContainmentOptions {
  /** Last point to include; default the highest index given (at least the signal point). */
  readonly throughIndex?: number;
  /** How many missing indexes to list (the count is always exact). Default 1000. */
  readonly maxMissingListed?: number;
}

/**
 * The serials, lots and work orders plotted on the alarm's characteristic from the first point of its pattern
 * onwards. Points of another characteristic (when they say so) and duplicates of an index are ignored.
 */
export function containment(alarm: Pick<SpcAlarm, 'eventId' | 'characteristic' | 'pointIndexes' | 'serials' | 'lots' | 'workOrder'>, points: Iterable<ContainmentPoint>, options: ContainmentOptions = {}): Containment {
  if (alarm.pointIndexes.length === 0) throw new RangeError(`alarm ${alarm.eventId} has no points`);
  const fromIndex = Math.min(...alarm.pointIndexes);
  const signalIndex = Math.max(...alarm.pointIndexes);
  const byIndex = new Map<number, ContainmentPoint>();
  let highest = signalIndex;
  for (const p of points) {
    if (p.characteristic !== undefined && p.characteristic !== alarm.characteristic) continue;
    if (p.index < fromIndex || byIndex.has(p.index)) continue;
    byIndex.set(p.index, p);
    if (p.index > highest) highest = p.index;
  }
  const throughIndex = options.throughIndex ?? highest;
  if (!Number.isInteger(throughIndex) || throughIndex < signalIndex) throw new RangeError(`throughIndex ${throughIndex} is before the signal point ${signalIndex}`);
  const inRange = [...byIndex.values()].filter((p) => p.index <= throughIndex).sort((a, b) => a.index - b.index);

  const serials = new Set<string>();
  const lots = new Set<string>();
  const workOrders = new Set<string>();
  for (const p of inRange) {
    for (const s of p.serials) serials.add(s);
    for (const l of p.lots) lots.add(l);
    if (p.workOrder !== null) workOrders.add(p.workOrder);
  }
  // The pattern's own serials and lots travel with the alarm: always part of the answer.
  for (const s of alarm.serials) serials.add(s);
  for (const l of alarm.lots) lots.add(l);
  if (alarm.workOrder !== null) workOrders.add(alarm.workOrder);

  const maxListed = options.maxMissingListed ?? 1000;
  const missingIndexes: number[] = [];
  let missingCount = 0;
  for (let i = fromIndex; i <= throughIndex; i++) {
    if (byIndex.has(i)) continue;
    missingCount++;
    if (missingIndexes.length < maxListed) missingIndexes.push(i);
  }
  return {
    alarmId: alarm.eventId,
    characteristic: alarm.characteristic,
    fromIndex,
    signalIndex,
    throughIndex,
    fromTime: inRange[0]?.eventTime ?? null,
    throughTime: inRange.at(-1)?.eventTime ?? null,
    serials: [...serials],
    lots: [...lots],
    workOrders: [...workOrders],
    points: inRange.length,
    missingIndexes,
    missingCount,
    complete: missingCount === 0,
  };
}

// --- Through genealogy -----------------------------------------------------------------------------------------

export type MaterialKindName = 'LOT' | 'SERIAL' | 'CONTAINER';

/** The part of a forward trace (sinks/postgres/genealogy `traceForward`) containment needs: structurally compatible. */
export interface ForwardTrace {
  readonly start: { readonly kind?: MaterialKindName; readonly id: string };
  /** The child side and relation (TraceLink has them) give each material its path; without them the path is start -> material. */
  readonly links: ReadonlyArray<{
    readonly parentKind: MaterialKindName;
    readonly parentId: string;
    readonly depth: number;
    readonly childKind?: MaterialKindName;
    readonly childId?: string;
    readonly relation?: string;
  }>;
  readonly truncated: boolean;
}

/** One material on the way from a chart serial or lot to a suspect material; `relation` links it to the step before. */
export interface PathStep {
  readonly kind: MaterialKindName;
  readonly id: string;
  /** How the previous step went into this one (CONSUMED_INTO, MADE_FROM, CONTAINED_IN); null on the first step or when unknown. */
  readonly relation: string | null;
}

export interface SuspectMaterial {
  readonly kind: MaterialKindName;
  readonly id: string;
  /** Levels from the nearest suspect serial or lot of the chart (0: on the chart itself). */
  readonly depth: number;
  /** The chart serial or lot it was reached from first. */
  readonly via: string;
  /** The links from `via` to this material, `via` first (one step at depth 0). */
  readonly path: readonly PathStep[];
}

export interface GenealogyContainment {
  /** The chart's own serials and lots (depth 0), then everything they went into, nearest first, then by kind and id. */
  readonly materials: SuspectMaterial[];
  /** Serials and lots of the containment with no trace given: not followed. */
  readonly untraced: string[];
  /** A trace was cut short by its depth or row bound: the list may be incomplete. */
  readonly truncated: boolean;
}

/**
 * Extends a containment downstream: every material the suspect serials and lots were consumed into, made from or
 * packed into (the parents of their forward traces), at the smallest depth it was reached at.
 */
export function expandThroughGenealogy(c: Pick<Containment, 'serials' | 'lots'>, traces: readonly ForwardTrace[]): GenealogyContainment {
  const best = new Map<string, SuspectMaterial>();
  const put = (m: SuspectMaterial) => {
    const key = `${m.kind} ${m.id}`;
    const seen = best.get(key);
    if (!seen || m.depth < seen.depth) best.set(key, m);
  };
  for (const s of c.serials) put({ kind: 'SERIAL', id: s, depth: 0, via: s, path: [{ kind: 'SERIAL', id: s, relation: null }] });
  for (const l of c.lots) put({ kind: 'LOT', id: l, depth: 0, via: l, path: [{ kind: 'LOT', id: l, relation: null }] });
  const wanted = new Set([...c.serials.map((s) => `SERIAL ${s}`), ...c.lots.map((l) => `LOT ${l}`)]);
  const traced = new Set<string>();
  let truncated = false;
  for (const t of traces) {
    const kinds: MaterialKindName[] = t.start.kind ? [t.start.kind] : ['SERIAL', 'LOT'];
    const own = kinds.map((k) => `${k} ${t.start.id}`).filter((k) => wanted.has(k));
    if (own.length === 0) continue;
    for (const k of own) traced.add(k);
    truncated ||= t.truncated;
    const startKind = own[0]!.slice(0, own[0]!.indexOf(' ')) as MaterialKindName;
    const paths = tracePaths({ kind: startKind, id: t.start.id }, t.links);
    for (const link of t.links) {
      const path = paths.get(`${link.parentKind} ${link.parentId}`) ?? [{ kind: startKind, id: t.start.id, relation: null }, { kind: link.parentKind, id: link.parentId, relation: null }];
      put({ kind: link.parentKind, id: link.parentId, depth: link.depth, via: t.start.id, path });
    }
  }
  const order: Record<MaterialKindName, number> = { SERIAL: 0, LOT: 1, CONTAINER: 2 };
  const materials = [...best.values()].sort((a, b) => a.depth - b.depth || order[a.kind] - order[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const untraced = [...wanted].filter((k) => !traced.has(k)).map((k) => k.slice(k.indexOf(' ') + 1));
  return { materials, untraced, truncated };
}

/**
 * The path from the start of a forward trace to every parent in it: each material is reached through the link of the
 * smallest depth that reaches it (ties: the first given), so paths are shortest and follow the trace's own levels.
 * Links without their child side give no path (the caller falls back to start -> material).
 */
function tracePaths(start: { kind: MaterialKindName; id: string }, links: ForwardTrace['links']): Map<string, PathStep[]> {
  const startKey = `${start.kind} ${start.id}`;
  const reachedFrom = new Map<string, { child: string; relation: string | null }>();
  for (const l of [...links].sort((a, b) => a.depth - b.depth)) {
    if (l.childKind === undefined || l.childId === undefined) continue;
    const key = `${l.parentKind} ${l.parentId}`;
    if (key === startKey || reachedFrom.has(key)) continue;
    reachedFrom.set(key, { child: `${l.childKind} ${l.childId}`, relation: l.relation ?? null });
  }
  const step = (key: string, relation: string | null): PathStep => ({ kind: key.slice(0, key.indexOf(' ')) as MaterialKindName, id: key.slice(key.indexOf(' ') + 1), relation });
  const paths = new Map<string, PathStep[]>();
  for (const key of reachedFrom.keys()) {
    const reversed: PathStep[] = [];
    let at = key;
    // At most one step per material: a broken chain (a child not reached from the start) gives no path.
    for (let guard = 0; guard <= reachedFrom.size && at !== startKey; guard++) {
      const from = reachedFrom.get(at);
      if (!from) break;
      reversed.push(step(at, from.relation));
      at = from.child;
    }
    if (at === startKey) paths.set(key, [{ kind: start.kind, id: start.id, relation: null }, ...reversed.reverse()]);
  }
  return paths;
}

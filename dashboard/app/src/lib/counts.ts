// The count tiles' state, as pure functions: merging snapshots and live updates (in any order, any number of
// times: the result only depends on the newest data), choosing the window kind, grouping tiles by line.
import { equipmentContext, equipmentName } from './format.ts';
import type { CountTotalView, CountWindowKind } from './types.ts';

/** equipment -> window kind -> the current window's latest revision. */
export type TotalsIndex = Map<string, Map<CountWindowKind, CountTotalView>>;

/** Is `next` newer than `current` for the tile? Same window: higher revision. Other window: the later window. */
export function supersedes(next: CountTotalView, current: CountTotalView | undefined): boolean {
  if (!current) return true;
  if (next.windowId === current.windowId) return next.revision > current.revision;
  const nextStart = next.windowStart ?? next.eventTime;
  const currentStart = current.windowStart ?? current.eventTime;
  if (nextStart !== currentStart) return nextStart > currentStart;
  return next.eventTime > current.eventTime;
}

/** Merges views into the index; returns the equipment whose tile changed. Snapshots and live updates alike. */
export function mergeTotals(index: TotalsIndex, views: readonly CountTotalView[]): Set<string> {
  const changed = new Set<string>();
  for (const view of views) {
    let kinds = index.get(view.equipment);
    if (!kinds) {
      kinds = new Map();
      index.set(view.equipment, kinds);
    }
    if (supersedes(view, kinds.get(view.windowKind))) {
      kinds.set(view.windowKind, view);
      changed.add(view.equipment);
    }
  }
  return changed;
}

/** Which window kind to show when the user has not picked one: the first the data has, in this order. */
export const kindPreference: readonly CountWindowKind[] = ['SHIFT', 'DAY', 'HOUR', 'WORK_ORDER', 'ALL_TIME'];

export function defaultKind(index: TotalsIndex): CountWindowKind {
  for (const kind of kindPreference) for (const kinds of index.values()) if (kinds.has(kind)) return kind;
  return 'SHIFT';
}

/** Kinds present in the data, in preference order. */
export function availableKinds(index: TotalsIndex): CountWindowKind[] {
  return kindPreference.filter((kind) => [...index.values()].some((kinds) => kinds.has(kind)));
}

export interface Tile {
  equipment: string;
  name: string;
  context: string;
  view: CountTotalView | null;
}

export interface LineGroup {
  /** Path of the line (enterprise/site/area/line), or the equipment's parent for shorter paths. */
  line: string;
  /** "stamping / line1" */
  label: string;
  tiles: Tile[];
  good: number;
  reject: number;
}

export function lineOf(equipment: string): string {
  const parts = equipment.split('/');
  return parts.length > 4 ? parts.slice(0, 4).join('/') : parts.slice(0, -1).join('/') || equipment;
}

function lineLabel(line: string): string {
  const parts = line.split('/');
  return (parts.length > 2 ? parts.slice(2) : parts).join(' / ');
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Tiles of the chosen window kind, grouped by line; stable order (by path), so tiles never move on updates. */
export function groupTiles(index: TotalsIndex, kind: CountWindowKind): LineGroup[] {
  const groups = new Map<string, LineGroup>();
  for (const equipment of [...index.keys()].sort(byPath)) {
    const view = index.get(equipment)?.get(kind) ?? null;
    const line = lineOf(equipment);
    let group = groups.get(line);
    if (!group) {
      group = { line, label: lineLabel(line), tiles: [], good: 0, reject: 0 };
      groups.set(line, group);
    }
    group.tiles.push({ equipment, name: equipmentName(equipment), context: equipmentContext(equipment), view });
    if (view) {
      group.good += view.good;
      group.reject += view.reject;
    }
  }
  return [...groups.values()].sort((a, b) => byPath(a.line, b.line));
}

export interface Summary {
  equipment: number;
  reporting: number;
  good: number;
  reject: number;
  /** Latest event time among the shown windows, epoch ms, or null. */
  lastEventTime: number | null;
}

export function summarize(groups: readonly LineGroup[]): Summary {
  const summary: Summary = { equipment: 0, reporting: 0, good: 0, reject: 0, lastEventTime: null };
  for (const group of groups) {
    for (const tile of group.tiles) {
      summary.equipment += 1;
      if (!tile.view) continue;
      summary.reporting += 1;
      summary.good += tile.view.good;
      summary.reject += tile.view.reject;
      summary.lastEventTime = Math.max(summary.lastEventTime ?? 0, tile.view.eventTime);
    }
  }
  return summary;
}

// The OEE wall's state as pure functions: one tile per equipment, merged from REST snapshots and live events in
// any order (each part only moves forward: higher revision, later event time), laid out by line in a stable order
// so tiles never move when values change.
import { categorize, defaultStateMapping, type StateCategory } from '../../../../processors/states/states.ts';
import { supersedes } from './counts.ts';
import { equipmentContext, equipmentName } from './format.ts';
import type { CountTotalView } from './types.ts';
import type { EquipmentStateView, OeeLiveView } from '../../../../sinks/live/updates.ts';

export type { EquipmentStateView, OeeLiveView, StateCategory };

export interface TileState {
  state: string;
  reasonCode: string | null;
  reasonText: string | null;
  category: StateCategory;
  /** When the equipment entered this state (epoch ms); the start of the queried range when it was already in it. */
  since: number;
  /** True when `since` is only the start of what was queried (the state began earlier). */
  sinceClipped: boolean;
  eventTime: number;
}

export interface WallTile {
  equipment: string;
  name: string;
  context: string;
  oee: OeeLiveView | null;
  state: TileState | null;
  count: CountTotalView | null;
  /** Pieces planned for the whole shift (work orders, else at the ideal rate), or null. */
  plan: number | null;
  /** The current work order: dispatched on the equipment (GET /api/workorders/current), else the live OEE window's, else the shift plan's last. */
  workOrder: string | null;
  /** Product of the dispatched work order, when known. */
  product: string | null;
  /** True once a dispatch was seen: it wins over the work orders OEE windows and plans name. */
  dispatched: boolean;
}

export type WallEvent =
  | { kind: 'oee'; view: OeeLiveView }
  | { kind: 'state'; view: EquipmentStateView; since?: number; sinceClipped?: boolean }
  | { kind: 'count'; view: CountTotalView }
  | { kind: 'plan'; equipment: string; plan: number | null; workOrders: string[] }
  | { kind: 'dispatch'; equipment: string; workOrder: string | null; product: string | null };

const mapping = defaultStateMapping();

export function stateCategory(equipment: string, state: string, reasonCode: string | null): StateCategory {
  return categorize(mapping, equipment, state, reasonCode);
}

function emptyTile(equipment: string): WallTile {
  return { equipment, name: equipmentName(equipment), context: equipmentContext(equipment), oee: null, state: null, count: null, plan: null, workOrder: null, product: null, dispatched: false };
}

function oeeNewer(next: OeeLiveView, current: OeeLiveView | null): boolean {
  if (!current) return true;
  if (next.windowId === current.windowId) return next.revision > current.revision;
  return next.windowStart > current.windowStart;
}

/** Applies events to the index (tiles are replaced, never mutated); returns the equipment whose tile changed. */
export function applyWallEvents(index: Map<string, WallTile>, events: readonly WallEvent[]): Set<string> {
  const changed = new Set<string>();
  for (const event of events) {
    const equipment = event.kind === 'plan' || event.kind === 'dispatch' ? event.equipment : event.view.equipment;
    const tile = index.get(equipment) ?? emptyTile(equipment);
    let next: WallTile | null = null;
    switch (event.kind) {
      case 'oee':
        if (oeeNewer(event.view, tile.oee)) next = { ...tile, oee: event.view, workOrder: tile.dispatched ? tile.workOrder : (event.view.workOrder ?? tile.workOrder) };
        break;
      case 'state': {
        const v = event.view;
        const s = tile.state;
        if (s && v.eventTime < s.eventTime) break;
        const same = s !== null && s.state === v.state && s.reasonCode === v.reasonCode;
        const since = same ? Math.min(s.since, event.since ?? v.eventTime) : (event.since ?? v.eventTime);
        next = {
          ...tile,
          state: {
            state: v.state,
            reasonCode: v.reasonCode,
            reasonText: v.reasonText,
            category: stateCategory(v.equipment, v.state, v.reasonCode),
            since,
            sinceClipped: same ? s.sinceClipped && since === s.since : (event.sinceClipped ?? false),
            eventTime: v.eventTime,
          },
        };
        break;
      }
      case 'count':
        if (event.view.windowKind === 'SHIFT' && supersedes(event.view, tile.count ?? undefined)) next = { ...tile, count: event.view };
        break;
      case 'plan':
        next = { ...tile, plan: event.plan, workOrder: tile.dispatched ? tile.workOrder : (tile.workOrder ?? event.workOrders.at(-1) ?? null) };
        break;
      case 'dispatch':
        if (!tile.dispatched || tile.workOrder !== event.workOrder || tile.product !== event.product) next = { ...tile, workOrder: event.workOrder, product: event.product, dispatched: true };
        break;
    }
    if (next) {
      index.set(equipment, next);
      changed.add(equipment);
    } else if (!index.has(equipment)) {
      index.set(equipment, tile);
      changed.add(equipment);
    }
  }
  return changed;
}

export interface WallLine {
  line: string;
  label: string;
  equipment: string[];
}

function lineOf(equipment: string): string {
  const parts = equipment.split('/');
  return parts.length > 4 ? parts.slice(0, 4).join('/') : parts.slice(0, -1).join('/') || equipment;
}

/** Equipment grouped by line, both sorted by path: the order depends only on which equipment exists. */
export function wallLayout(equipment: Iterable<string>): WallLine[] {
  const lines = new Map<string, WallLine>();
  for (const e of [...equipment].sort()) {
    const line = lineOf(e);
    let group = lines.get(line);
    if (!group) {
      const parts = line.split('/');
      group = { line, label: (parts.length > 2 ? parts.slice(2) : parts).join(' / '), equipment: [] };
      lines.set(line, group);
    }
    group.equipment.push(e);
  }
  return [...lines.values()].sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
}

/** OEE band for colour: world class >= 85 %, acceptable >= 60 %, else poor. */
export function oeeBand(oee: number | null): 'good' | 'fair' | 'poor' | 'none' {
  if (oee === null || !Number.isFinite(oee)) return 'none';
  return oee >= 0.85 ? 'good' : oee >= 0.6 ? 'fair' : 'poor';
}

/** Progress of good pieces against the shift's plan, and where the plan says it should be by now. */
export function planProgress(good: number, plan: number | null, windowStart: number | null, windowEnd: number | null, now: number): { done: number | null; expected: number | null } {
  if (plan === null || plan <= 0) return { done: null, expected: null };
  const expected = windowStart !== null && windowEnd !== null && windowEnd > windowStart ? Math.min(1, Math.max(0, (now - windowStart) / (windowEnd - windowStart))) : null;
  return { done: good / plan, expected };
}

/** "4 s", "12 min", "3 h 05", "> 8 h" for a clipped start. */
export function formatDuration(ms: number, clipped = false): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  let text: string;
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else text = `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
  return clipped ? `> ${text}` : text;
}

export const categoryLabels: Record<StateCategory, string> = {
  running: 'Running',
  plannedStop: 'Planned stop',
  unplannedStop: 'Down',
  setup: 'Setup',
  idle: 'Idle',
  unknown: 'No data',
};

// The SPC view's containment panel, NCR action and live capability, without the DOM: who may see / do what (the
// server's route table), the REST calls, and the pure shaping of GET /api/spc/alarms/:id/containment for the panel.
import { allows, routePolicy } from '../../../server/auth/policy.ts';
import type { SpcCapabilityView } from '../../../../sinks/clickhouse/history.ts';
import type { NcrView } from '../../../../sinks/postgres/ncr.ts';
import type { NcrDetail, SpcContainmentView } from '../../../../sinks/spc-quality.ts';
import type { PathStep, SuspectMaterial } from '../../../../processors/spc/containment.ts';
import type { AlarmView } from './alarms.ts';
import { apiJson, type Role } from './session.ts';

export type { SpcCapabilityView, SpcContainmentView, SuspectMaterial, PathStep };
export type Ncr = NcrView<NcrDetail>;

export const containmentRoute = 'GET /api/spc/alarms/:alarmId/containment';
export const ncrRoute = 'POST /api/spc/alarms/:alarmId/ncr';
export const ncrListRoute = 'GET /api/spc/ncrs';

/** Containment lists name serials and lots: only the roles of the server's table see the panel. */
export function mayReadContainment(roles: readonly Role[]): boolean {
  return allows(routePolicy[containmentRoute], roles);
}

/** "Draft NCR" is offered on SPC alarms to the roles that may post it. */
export function mayDraftNcr(alarm: Pick<AlarmView, 'source'>, roles: readonly Role[]): boolean {
  return alarm.source === 'SPC' && allows(routePolicy[ncrRoute], roles);
}

/** The NCR drafts list is shown to the roles that may read it. */
export function mayListNcrs(roles: readonly Role[]): boolean {
  return allows(routePolicy[ncrListRoute], roles);
}

/** NCR drafts under the scope, newest first. */
export async function listNcrs(scope: string, limit = 20): Promise<{ ncrs: Ncr[]; total: number }> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (scope) q.set('scope', scope);
  return apiJson(`/api/spc/ncrs?${q.toString()}`);
}

export function containmentUrl(alarmId: string, options: { throughIndex?: number; maxDepth?: number; maxRows?: number } = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(options)) if (v !== undefined) q.set(k, String(v));
  const query = q.toString();
  return `/api/spc/alarms/${encodeURIComponent(alarmId)}/containment${query ? `?${query}` : ''}`;
}

export async function fetchContainment(alarmId: string): Promise<SpcContainmentView> {
  return apiJson(containmentUrl(alarmId));
}

/** One draft per alarm: the server answers the existing one (created: false) on a repeat. */
export async function draftNcr(alarmId: string): Promise<{ ncr: Ncr; created: boolean }> {
  // `user` is required by the API without logins; with logins the server replaces it with the session's user.
  return apiJson(`/api/spc/alarms/${encodeURIComponent(alarmId)}/ncr`, { user: 'dashboard' });
}

const relationWords: Record<string, string> = { CONSUMED_INTO: 'consumed into', MADE_FROM: 'made from', CONTAINED_IN: 'packed in' };

/** "SN-25 → consumed into ASM-1 → packed in BOX-1". */
export function formatPath(path: readonly PathStep[]): string {
  return path.map((s, i) => (i === 0 ? s.id : `${s.relation ? `${relationWords[s.relation] ?? s.relation.toLowerCase()} ` : ''}${s.id}`)).join(' → ');
}

export interface ContainmentSummary {
  /** "points 22–40 (18 plotted)" and what is missing. */
  range: string;
  /** Warnings that the list may be incomplete. */
  warnings: string[];
  serials: number;
  lots: string[];
  workOrders: string[];
  /** Downstream materials by depth, nearest first; at most `maxRows` rows, the rest counted in `more`. */
  rows: Array<{ kind: SuspectMaterial['kind']; id: string; depth: number; via: string; path: string }>;
  more: number;
  /** Counts per kind of the downstream materials. */
  byKind: Record<SuspectMaterial['kind'], number>;
}

export function containmentSummary(c: SpcContainmentView, maxRows = 50): ContainmentSummary {
  const d = c.direct;
  const warnings: string[] = [];
  if (d.missingCount > 0) warnings.push(`${d.missingCount} point${d.missingCount === 1 ? '' : 's'} of the range not stored (${d.missingIndexes.slice(0, 5).join(', ')}${d.missingCount > 5 ? ', …' : ''})`);
  if (d.pointsTruncated) warnings.push(`only the first ${c.limits.maxPoints} points read: later parts are not listed`);
  if (c.expanded.untraced.length > 0) warnings.push(`${c.expanded.untraced.length} serial(s) / lot(s) not traced (row limit ${c.limits.maxRows})`);
  else if (c.expanded.truncated) warnings.push(`genealogy cut at depth ${c.limits.maxDepth} or ${c.limits.maxRows} links: the downstream list may be incomplete`);
  const byKind: ContainmentSummary['byKind'] = { SERIAL: 0, LOT: 0, CONTAINER: 0 };
  for (const m of c.expanded.materials) byKind[m.kind] += 1;
  return {
    range: `points ${d.fromIndex}–${d.throughIndex} (${d.points} plotted, signal at ${d.signalIndex})`,
    warnings,
    serials: d.serials.length,
    lots: d.lots,
    workOrders: d.workOrders,
    rows: c.expanded.materials.slice(0, maxRows).map((m) => ({ kind: m.kind, id: m.id, depth: m.depth, via: m.via, path: formatPath(m.path) })),
    more: Math.max(0, c.expanded.materials.length - maxRows),
    byKind,
  };
}

/** A live capability record replaces the shown one only when it is for this characteristic and not older (point indexes only grow). */
export function mergeCapability(current: SpcCapabilityView | null, incoming: SpcCapabilityView, characteristic: string | null): SpcCapabilityView | null {
  if (incoming.characteristic !== characteristic) return current;
  if (current && current.characteristic === characteristic && incoming.index < current.index) return current;
  return incoming;
}

/** The latest capability record of a characteristic (GET /api/spc/capability/latest), or null. */
export async function fetchLatestCapability(characteristic: string): Promise<SpcCapabilityView | null> {
  const answer = await apiJson<{ records: SpcCapabilityView[] }>(`/api/spc/capability/latest?characteristic=${encodeURIComponent(characteristic)}`);
  return answer.records.find((r) => r.characteristic === characteristic) ?? null;
}

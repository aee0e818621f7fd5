// What the page shows, kept in the URL so a wall display can be bookmarked: `/?scope=acme/plant1&window=SHIFT#counts`,
// a drill-down with its range (`/?scope=…/press1&range=24h#line`), a genealogy search (`/?item=SN-1#genealogy`).
import { isRangePreset, type RangePresetId } from './range.ts';
import { isTabId, type TabId } from './tabs.ts';
import type { CountWindowKind } from './types.ts';

export interface AppLocation {
  tab: TabId;
  /** ISA-95 path prefix; '' = everything. */
  scope: string;
  /** Window kind the user picked; null = automatic (lib/counts.ts defaultKind). */
  window: CountWindowKind | null;
  /** Drill-down range preset; null = the default (8 h). */
  range?: RangePresetId | null;
  /** Serial, lot or container searched in the genealogy explorer; '' = none. */
  item?: string;
}

const kinds: readonly CountWindowKind[] = ['SHIFT', 'HOUR', 'DAY', 'WORK_ORDER', 'ALL_TIME'];

export function readLocation(location: { search: string; hash: string }): AppLocation {
  const params = new URLSearchParams(location.search);
  const hash = location.hash.replace(/^#/, '');
  const window = params.get('window');
  const range = params.get('range');
  return {
    tab: isTabId(hash) ? hash : 'counts',
    scope: (params.get('scope') ?? '').replace(/^\/+|\/+$/g, ''),
    window: window && (kinds as readonly string[]).includes(window) ? (window as CountWindowKind) : null,
    range: isRangePreset(range) ? range : null,
    item: (params.get('item') ?? '').slice(0, 200),
  };
}

export function locationHref(location: AppLocation): string {
  const params = new URLSearchParams();
  if (location.scope) params.set('scope', location.scope);
  if (location.window) params.set('window', location.window);
  if (location.range) params.set('range', location.range);
  if (location.item) params.set('item', location.item);
  const query = params.toString().replaceAll('%2F', '/');
  return `/${query ? `?${query}` : ''}#${location.tab}`;
}

export function writeLocation(history: Pick<History, 'pushState'>, location: AppLocation): void {
  history.pushState(null, '', locationHref(location));
}

// What the page shows, kept in the URL so a wall display can be bookmarked: `/?scope=acme/plant1&window=SHIFT#counts`.
import { isTabId, type TabId } from './tabs.ts';
import type { CountWindowKind } from './types.ts';

export interface AppLocation {
  tab: TabId;
  /** ISA-95 path prefix; '' = everything. */
  scope: string;
  /** Window kind the user picked; null = automatic (lib/counts.ts defaultKind). */
  window: CountWindowKind | null;
}

const kinds: readonly CountWindowKind[] = ['SHIFT', 'HOUR', 'DAY', 'WORK_ORDER', 'ALL_TIME'];

export function readLocation(location: { search: string; hash: string }): AppLocation {
  const params = new URLSearchParams(location.search);
  const hash = location.hash.replace(/^#/, '');
  const window = params.get('window');
  return {
    tab: isTabId(hash) ? hash : 'counts',
    scope: (params.get('scope') ?? '').replace(/^\/+|\/+$/g, ''),
    window: window && (kinds as readonly string[]).includes(window) ? (window as CountWindowKind) : null,
  };
}

export function locationHref(location: AppLocation): string {
  const params = new URLSearchParams();
  if (location.scope) params.set('scope', location.scope);
  if (location.window) params.set('window', location.window);
  const query = params.toString().replaceAll('%2F', '/');
  return `/${query ? `?${query}` : ''}#${location.tab}`;
}

export function writeLocation(history: Pick<History, 'pushState'>, location: AppLocation): void {
  history.pushState(null, '', locationHref(location));
}

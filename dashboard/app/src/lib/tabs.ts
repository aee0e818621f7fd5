// The app's views, router-less: one entry per tab (the hash of the URL), each a component under src/views.
// `roles`: who sees the tab (a kiosk token sees the wall only).
import type { Role } from './session.ts';

const everyone: readonly Role[] = ['viewer', 'supervisor', 'quality', 'maintenance', 'admin'];

export const tabs = [
  { id: 'wall', label: 'OEE wall', roles: [...everyone, 'kiosk'] },
  { id: 'counts', label: 'Counts', roles: everyone },
  { id: 'spc', label: 'SPC review', roles: everyone },
  { id: 'maintenance', label: 'Maintenance', roles: everyone },
  { id: 'line', label: 'Drill-down', roles: everyone },
  { id: 'genealogy', label: 'Genealogy', roles: everyone },
  { id: 'admin', label: 'Users', roles: ['admin'] },
] as const satisfies ReadonlyArray<{ id: string; label: string; roles: readonly Role[] }>;

export type TabId = (typeof tabs)[number]['id'];

export function isTabId(value: string): value is TabId {
  return tabs.some((tab) => tab.id === value);
}

/** Tabs a user with these roles sees. */
export function tabsFor(roles: readonly Role[]): Array<(typeof tabs)[number]> {
  return tabs.filter((tab) => (tab.roles as readonly Role[]).some((r) => roles.includes(r)));
}

// Theme choice: follow the system, or force dark / light (a TV across the hall is often better dark). Stored per
// browser.
export type Theme = 'system' | 'dark' | 'light';

export const themeLabels: Record<Theme, string> = { system: 'system', dark: 'dark', light: 'light' };

export function readTheme(storage: Pick<Storage, 'getItem'> | null): Theme {
  const value = storage?.getItem('linepulse.theme');
  return value === 'dark' || value === 'light' ? value : 'system';
}

export function nextTheme(theme: Theme): Theme {
  return theme === 'system' ? 'dark' : theme === 'dark' ? 'light' : 'system';
}

// Chart colours from the theme's CSS variables (app.css), re-read when the theme changes.
import type { ChartColors } from './spc-chart.ts';

export function readChartColors(root: HTMLElement = document.documentElement): ChartColors {
  const css = getComputedStyle(root);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const dark = v('--bg', '#fff').toLowerCase().startsWith('#0') || v('--bg', '#fff').toLowerCase().startsWith('#1');
  return {
    text: v('--text', '#101820'),
    muted: v('--muted', '#5d6976'),
    grid: v('--border', '#dfe4ea'),
    line: v('--st-planned', '#2563eb'),
    center: v('--good', '#16803c'),
    limit: v('--danger', '#c81e1e'),
    zoneA: dark ? 'rgba(248, 113, 113, 0.10)' : 'rgba(220, 38, 38, 0.07)',
    zoneB: dark ? 'rgba(251, 191, 36, 0.07)' : 'rgba(217, 119, 6, 0.06)',
    hit: v('--reject', '#c2410c'),
    surface: v('--surface', '#fff'),
  };
}

/** Calls back when the theme (data-theme or the system preference) changes; returns the unsubscribe. */
export function onThemeChange(callback: () => void): () => void {
  const observer = new MutationObserver(callback);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  media.addEventListener('change', callback);
  return () => {
    observer.disconnect();
    media.removeEventListener('change', callback);
  };
}

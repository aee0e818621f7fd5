// Colours of the drill-down and genealogy charts, from the theme's CSS variables (app.css): the state categories
// and the accents. A plain object so the option builders stay pure; the views re-read it when the theme changes.
import type { StateCategory } from './wall.ts';

export interface Palette {
  text: string;
  muted: string;
  grid: string;
  surface: string;
  accent: string;
  good: string;
  reject: string;
  warn: string;
  danger: string;
  plan: string;
  states: Record<StateCategory, string>;
}

/** Light-theme defaults (unit tests, and a fallback when a variable is missing). */
export const defaultPalette: Palette = {
  text: '#101820',
  muted: '#5d6976',
  grid: '#dfe4ea',
  surface: '#ffffff',
  accent: '#0f766e',
  good: '#16803c',
  reject: '#c2410c',
  warn: '#b45309',
  danger: '#c81e1e',
  plan: '#2563eb',
  states: { running: '#16a34a', plannedStop: '#2563eb', unplannedStop: '#dc2626', setup: '#7c3aed', idle: '#d97706', unknown: '#94a3b8' },
};

export function readPalette(root: HTMLElement = document.documentElement): Palette {
  const css = getComputedStyle(root);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const d = defaultPalette;
  return {
    text: v('--text', d.text),
    muted: v('--muted', d.muted),
    grid: v('--border', d.grid),
    surface: v('--surface', d.surface),
    accent: v('--accent', d.accent),
    good: v('--good', d.good),
    reject: v('--reject', d.reject),
    warn: v('--warn', d.warn),
    danger: v('--danger', d.danger),
    plan: v('--st-planned', d.plan),
    states: {
      running: v('--st-running', d.states.running),
      plannedStop: v('--st-planned', d.states.plannedStop),
      unplannedStop: v('--st-down', d.states.unplannedStop),
      setup: v('--st-setup', d.states.setup),
      idle: v('--st-idle', d.states.idle),
      unknown: v('--st-unknown', d.states.unknown),
    },
  };
}

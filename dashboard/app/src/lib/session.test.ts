import { describe, expect, it } from 'vitest';
import { jwtExpiry, kioskTokenFromHash, needsRefresh } from './session.ts';
import { tabsFor } from './tabs.ts';
import { nextTheme, readTheme } from './theme.ts';

describe('session > pure parts', () => {
  it('> takes a kiosk token out of the hash and keeps the rest', () => {
    expect(kioskTokenFromHash('#wall&token=a.b.c')).toEqual({ token: 'a.b.c', hash: 'wall' });
    expect(kioskTokenFromHash('#spc')).toEqual({ token: null, hash: 'spc' });
  });

  it('> reads the expiry of a JWT (scheduling only) and refreshes a minute early', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 2_000_000_000 })).toString('base64url');
    expect(jwtExpiry(`h.${payload}.s`)).toBe(2_000_000_000_000);
    expect(jwtExpiry('garbage')).toBe(0);
    expect(needsRefresh(100_000, 30_000)).toBe(false);
    expect(needsRefresh(100_000, 50_000)).toBe(true);
  });

  it('> a kiosk sees the wall only; a viewer every view', () => {
    expect(tabsFor(['kiosk']).map((t) => t.id)).toEqual(['wall']);
    expect(tabsFor(['viewer']).map((t) => t.id)).toEqual(['wall', 'counts', 'spc', 'maintenance', 'line', 'genealogy']);
    expect(tabsFor(['admin']).map((t) => t.id)).toContain('admin');
  });

  it('> themes cycle system, dark, light', () => {
    expect(readTheme({ getItem: () => 'dark' })).toBe('dark');
    expect(readTheme({ getItem: () => 'neon' })).toBe('system');
    expect([nextTheme('system'), nextTheme('dark'), nextTheme('light')]).toEqual(['dark', 'light', 'system']);
  });
});

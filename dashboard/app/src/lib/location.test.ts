import { describe, expect, it } from 'vitest';
import { locationHref, readLocation } from './location.ts';
import { countsUrl } from './live.ts';

describe('dashboard location', () => {
  it('> reads scope, window and tab from the URL, ignoring junk', () => {
    expect(readLocation({ search: '?scope=acme/plant1/&window=DAY', hash: '#counts' })).toEqual({ tab: 'counts', scope: 'acme/plant1', window: 'DAY' });
    expect(readLocation({ search: '?window=WEEK', hash: '#nope' })).toEqual({ tab: 'counts', scope: '', window: null });
  });

  it('> writes a readable, bookmarkable URL that reads back the same', () => {
    const location = { tab: 'counts' as const, scope: 'acme/plant1/stamping', window: 'SHIFT' as const };
    expect(locationHref(location)).toBe('/?scope=acme/plant1/stamping&window=SHIFT#counts');
    const url = new URL(locationHref(location), 'http://127.0.0.1');
    expect(readLocation(url)).toEqual(location);
    expect(locationHref({ tab: 'counts', scope: '', window: null })).toBe('/#counts');
  });

  it('> the resync URL carries the scope', () => {
    expect(countsUrl('', '')).toBe('/api/counts');
    expect(countsUrl('http://127.0.0.1:3000', 'acme/plant1')).toBe('http://127.0.0.1:3000/api/counts?scope=acme%2Fplant1');
  });
});

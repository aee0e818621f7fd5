import { describe, expect, it } from 'vitest';
import { locationHref, readLocation } from './location.ts';
import { countsUrl } from './live.ts';

describe('dashboard location', () => {
  it('> reads scope, window and tab from the URL, ignoring junk', () => {
    expect(readLocation({ search: '?scope=acme/plant1/&window=DAY', hash: '#counts' })).toEqual({ tab: 'counts', scope: 'acme/plant1', window: 'DAY', range: null, item: '' });
    expect(readLocation({ search: '?window=WEEK', hash: '#nope' })).toEqual({ tab: 'counts', scope: '', window: null, range: null, item: '' });
  });

  it('> writes a readable, bookmarkable URL that reads back the same', () => {
    const location = { tab: 'counts' as const, scope: 'acme/plant1/stamping', window: 'SHIFT' as const, range: null, item: '' };
    expect(locationHref(location)).toBe('/?scope=acme/plant1/stamping&window=SHIFT#counts');
    const url = new URL(locationHref(location), 'http://127.0.0.1');
    expect(readLocation(url)).toEqual(location);
    expect(locationHref({ tab: 'counts', scope: '', window: null })).toBe('/#counts');
  });

  it('> keeps the drill-down range and the genealogy item', () => {
    const location = { tab: 'line' as const, scope: 'acme/plant1/stamping/line1', window: null, range: '24h' as const, item: '' };
    expect(locationHref(location)).toBe('/?scope=acme/plant1/stamping/line1&range=24h#line');
    expect(readLocation(new URL(locationHref(location), 'http://127.0.0.1'))).toEqual(location);
    expect(readLocation({ search: '?item=SN-1&range=3w', hash: '#genealogy' })).toMatchObject({ tab: 'genealogy', item: 'SN-1', range: null });
  });

  it('> the resync URL carries the scope', () => {
    expect(countsUrl('', '')).toBe('/api/counts');
    expect(countsUrl('http://127.0.0.1:3000', 'acme/plant1')).toBe('http://127.0.0.1:3000/api/counts?scope=acme%2Fplant1');
  });
});

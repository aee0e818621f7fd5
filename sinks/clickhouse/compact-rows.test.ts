import { describe, expect, it } from 'vitest';
import { compactRows } from './store.ts';

describe('compactRows (chDB inserts as JSONCompactEachRow)', () => {
  it('writes the column names once and one JSON array per row, in their order', () => {
    const result = compactRows([
      { event_id: 'a', value: 1.5, text: null, ok: true },
      { event_id: 'b\t"q"\n', value: null, text: 'é', ok: false },
    ]);
    expect(result?.columns).toEqual(['event_id', 'value', 'text', 'ok']);
    expect(result?.payload.toString('utf8')).toBe('["a",1.5,null,true]\n["b\\t\\"q\\"\\n",null,"é",false]\n');
  });

  it('gives up (JSONEachRow keeps the batch) when a row lacks a column, has another, or holds undefined', () => {
    expect(compactRows([{ a: 1, b: 2 }, { a: 1 }])).toBeNull();
    expect(compactRows([{ a: 1, b: 2 }, { a: 1, c: 2 }])).toBeNull();
    expect(compactRows([{ a: 1, b: undefined }])).toBeNull();
    expect(compactRows([{}])).toBeNull();
  });
});

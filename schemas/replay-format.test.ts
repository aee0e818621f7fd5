import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { exampleEvents } from './examples.ts';
import { compareReplayRecords, formatReplayLine, parseReplay, parseReplayLine, resolveTopic } from './replay-format.ts';
import { topics } from './topics.ts';

const count = exampleEvents.PieceCount;
const line = (record: unknown) => JSON.stringify(record);

describe('replay NDJSON > parseReplayLine', () => {
  test('short topic name, key defaulted from the contract key field', () => {
    const record = parseReplayLine(line({ topic: 'counts', value: count }), 1);
    expect(record.topic).toBe('linepulse.counts.v1');
    expect(record.key).toBe(count.equipment);
    expect(record.value).toEqual(count);
  });

  test('full topic name and explicit key', () => {
    const record = parseReplayLine(line({ topic: 'linepulse.counts.v1', key: 'acme/plant1/a/l/c/other', value: count }), 2);
    expect(record).toMatchObject({ topic: 'linepulse.counts.v1', key: 'acme/plant1/a/l/c/other' });
  });

  test('fields with defaults may be left out; the parsed value has all of them, in schema order', () => {
    const { statusCode: _s, outOfRange: _o, text: _t, ...telemetry } = exampleEvents.Telemetry;
    const record = parseReplayLine(line({ topic: 'telemetry', value: { ...telemetry, origin: { sourceId: 's', seq: 1, edgeTime: 5 } } }), 1);
    const value = record.value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['eventId', 'eventTime', 'equipment', 'tag', 'value', 'text', 'unit', 'quality', 'statusCode', 'outOfRange', 'origin']);
    expect(value).toMatchObject({ text: null, statusCode: null, outOfRange: false, origin: { sourceId: 's', seq: 1, serverTime: null, edgeTime: 5, historical: false } });
  });

  test('the Avro JSON encoding (wrapped unions) is accepted too', () => {
    const wrapped = { ...exampleEvents.Telemetry, value: { double: 182.4 }, unit: { string: 'bar' }, statusCode: { long: 0 }, origin: { ...exampleEvents.Telemetry.origin, serverTime: { long: exampleEvents.Telemetry.origin?.serverTime } } };
    expect(parseReplayLine(line({ topic: 'telemetry', value: wrapped }), 1).value).toEqual(exampleEvents.Telemetry);
  });

  test('keys for other contracts: work order, characteristic, parent id', () => {
    expect(parseReplayLine(line({ topic: 'workOrders', value: exampleEvents.WorkOrder }), 1).key).toBe('WO-4711');
    expect(parseReplayLine(line({ topic: 'spcPoints', value: exampleEvents.SpcPoint }), 1).key).toBe('bore-diameter');
    expect(parseReplayLine(line({ topic: 'genealogy', value: exampleEvents.GenealogyLink }), 1).key).toBe('SN000123');
  });

  test('XML topics carry the document as a string and need a key', () => {
    const xml = '<ProductionSchedule xmlns="http://www.mesa.org/xml/B2MML"/>';
    expect(parseReplayLine(line({ topic: 'erpSchedule', key: 'WO-1', value: xml }), 4)).toEqual({ topic: 'linepulse.erp.schedule.v1', key: 'WO-1', value: xml });
    expect(() => parseReplayLine(line({ topic: 'erpSchedule', value: xml }), 4)).toThrow('line 4: linepulse.erp.schedule.v1: no key: give "key"');
    expect(() => parseReplayLine(line({ topic: 'erpSchedule', key: 'WO-1', value: { a: 1 } }), 4)).toThrow('must be the B2MML XML document as a string');
  });

  test.each([
    ['', 'line 7: empty line'],
    ['{"topic": "counts",', 'line 7: not JSON: '],
    ['[1]', 'line 7: expected a JSON object'],
    [line({ topic: 'counts', value: count, partition: 1 }), 'line 7: unexpected member(s) "partition"'],
    [line({ topic: 7, value: count }), 'line 7: "topic" must be a string'],
    [line({ topic: 'count', value: count }), 'line 7: unknown topic "count" (known: telemetry, state, counts'],
    [line({ topic: 'counts', key: '', value: count }), 'line 7: "key" must be a non-empty string'],
    [line({ topic: 'counts' }), 'line 7: "value" is missing'],
    [line({ topic: 'counts', value: { ...count, origin: { ...count.origin, seq: 'abc' } } }), 'line 7: linepulse.counts.v1 (PieceCount): field origin.seq: expected long, got "abc"'],
    [line({ topic: 'counts', value: { ...count, equipment: 'bad path!' } }), 'line 7: linepulse.counts.v1: key "bad path!" is not an ISA-95 equipment path'],
    [line({ topic: 'counts', value: { ...count, equipment: undefined } }), 'line 7: linepulse.counts.v1 (PieceCount): field equipment: missing, expected string'],
  ])('rejects %j', (text, message) => {
    expect(() => parseReplayLine(text, 7)).toThrow(message);
  });

  test('parseReplay skips blank lines and numbers lines from 1', () => {
    const text = `${line({ topic: 'counts', value: count })}\n\n${line({ topic: 'state', value: exampleEvents.EquipmentState })}\n`;
    expect(parseReplay(text).map((r) => r.topic)).toEqual(['linepulse.counts.v1', 'linepulse.state.v1']);
    expect(() => parseReplay(`${line({ topic: 'counts', value: count })}\n\n{}`)).toThrow(/^line 3: /);
  });
});

describe('replay NDJSON > formatReplayLine', () => {
  test('full topic name, key, value in schema field order; map keys sorted', () => {
    const shuffled = { ...Object.fromEntries(Object.entries(exampleEvents.OeeWindow).reverse()), losses: { smallStops: 1, breakdown: 2 } };
    const text = formatReplayLine({ topic: 'oee', value: shuffled });
    const parsed = JSON.parse(text) as { topic: string; key: string; value: Record<string, unknown> };
    expect(Object.keys(parsed)).toEqual(['topic', 'key', 'value']);
    expect(parsed.topic).toBe('linepulse.oee.v1');
    expect(parsed.key).toBe(exampleEvents.OeeWindow.equipment);
    expect(Object.keys(parsed.value).slice(0, 4)).toEqual(['eventId', 'eventTime', 'equipment', 'windowKind']);
    expect(text).toContain('"losses":{"breakdown":2,"smallStops":1}');
  });

  test('round trip: format(parse(line)) is stable and parse(format(x)) gives x back', () => {
    for (const [name, contract] of Object.entries(topics)) {
      if (contract.schema === 'xml') continue;
      const value = exampleEvents[contract.schema as keyof typeof exampleEvents];
      const first = formatReplayLine(parseReplayLine(line({ topic: name, value }), 1));
      expect(formatReplayLine(parseReplayLine(first, 1)), name).toBe(first);
      expect(parseReplayLine(first, 1).value, name).toEqual(parseReplayLine(line({ topic: name, value }), 1).value);
    }
  });

  test('refuses an invalid value', () => {
    expect(() => formatReplayLine({ topic: 'counts', value: { ...count, kind: 'SOME' } })).toThrow('linepulse.counts.v1 (PieceCount): field kind: expected enum CountKind');
  });
});

describe('replay NDJSON > order', () => {
  test('topic, key, event time, event id', () => {
    const a = parseReplayLine(line({ topic: 'counts', value: { ...count, eventTime: 2, eventId: 'b' } }), 1);
    const b = parseReplayLine(line({ topic: 'counts', value: { ...count, eventTime: 2, eventId: 'a' } }), 2);
    const c = parseReplayLine(line({ topic: 'counts', value: { ...count, eventTime: 1, eventId: 'z' } }), 3);
    const d = parseReplayLine(line({ topic: 'alerts', value: exampleEvents.Alert }), 4);
    expect([a, b, c, d].sort(compareReplayRecords)).toEqual([d, c, b, a]);
  });

  test('resolveTopic knows short and full names only', () => {
    expect(resolveTopic('counts')?.topic).toBe('linepulse.counts.v1');
    expect(resolveTopic('linepulse.counts.v1')?.schema).toBe('PieceCount');
    expect(resolveTopic('toString')).toBeUndefined();
  });
});

describe('replay NDJSON > documentation', () => {
  test('the example lines of schemas/README.md parse', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    const block = /## Replay format[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const records = parseReplay(block ?? '');
    expect(records.map((r) => r.topic)).toEqual(['linepulse.counts.v1', 'linepulse.state.v1', 'linepulse.erp.schedule.v1']);
  });
});

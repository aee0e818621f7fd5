import { describe, expect, it } from 'vitest';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { finishEvent, rawTopics } from './events.ts';
import { convertValue, mapDataValue, stateEvent, stateName, statusToQuality, telemetryEvent, type TagSpec } from './mapping.ts';

const ctx = { sourceId: 'opcua:t', edgeTime: 5_000 };
const tag = (t: Partial<TagSpec> & Pick<TagSpec, 'role'>): TagSpec => ({ equipment: 'acme/p1/a1/l1/c1/m1', node: 'ns=2;s=M1.Value', ...t });
const dv = (value: unknown, statusCode = 0) => ({ value, sourceTimestamp: new Date(1_000), serverTimestamp: new Date(2_000), statusCode });

describe('edge > mapping', () => {
  it('StatusCode severity -> quality (OPC-UA Part 4 §7.39)', () => {
    expect(statusToQuality(0)).toBe('GOOD');
    expect(statusToQuality(0x00a50000)).toBe('GOOD'); // GoodNoData-like info bits
    expect(statusToQuality(0x40920000)).toBe('UNCERTAIN'); // UncertainInitialValue
    expect(statusToQuality(0x80340000)).toBe('BAD'); // BadNodeIdUnknown
    expect(statusToQuality(0x808a0000)).toBe('BAD'); // BadNoCommunication
  });

  it('variant values -> number / text, Int64 as [high, low]', () => {
    expect(convertValue(1.5)).toEqual({ number: 1.5, text: null });
    expect(convertValue(true)).toEqual({ number: 1, text: 'true' });
    expect(convertValue([1, 5])).toEqual({ number: 4294967301, text: null });
    expect(convertValue('RUNNING')).toEqual({ number: null, text: 'RUNNING' });
    expect(convertValue({ text: 'hello', locale: 'en' })).toEqual({ number: null, text: 'hello' });
    expect(convertValue(Number.NaN)).toEqual({ number: null, text: 'NaN' });
  });

  it('counters carry counterValue and counterMax; a counter without a value becomes telemetry', () => {
    const [e] = mapDataValue(tag({ role: 'goodCounter', counterMax: 65535 }), dv(42), ctx);
    expect(e).toMatchObject({ topic: 'counts', event: { kind: 'GOOD', counterValue: 42, counterMax: 65535, eventTime: 1_000, origin: { serverTime: 2_000, edgeTime: 5_000 } } });
    const [bad] = mapDataValue(tag({ role: 'rejectCounter' }), dv(null, 0x808a0000), ctx);
    expect(bad).toMatchObject({ topic: 'telemetry', event: { quality: 'BAD', value: null, statusCode: 0x808a0000 } });
  });

  it('sensors flag out-of-range values and keep them; process values also become measurements when GOOD', () => {
    const [t] = mapDataValue(tag({ role: 'sensor', range: { low: 0, high: 80 }, unit: 'degC' }), dv(95), ctx);
    expect(t).toMatchObject({ topic: 'telemetry', event: { value: 95, outOfRange: true, unit: 'degC', tag: 'M1.Value' } });
    const pv = mapDataValue(tag({ role: 'processValue', characteristic: 'dia' }), dv(25.01), ctx);
    expect(pv.map((e) => e.topic)).toEqual(['telemetry', 'measurements']);
    expect(mapDataValue(tag({ role: 'processValue', characteristic: 'dia' }), dv(25.01, 0x40000000), ctx).map((e) => e.topic)).toEqual(['telemetry']);
  });

  it('state names from numeric codes; falls back to the server time, then the edge time', () => {
    expect(stateName(tag({ role: 'state', stateNames: { '4': 'DOWN' } }), 4)).toBe('DOWN');
    expect(stateName(tag({ role: 'state' }), 7)).toBe('7');
    expect(stateName(tag({ role: 'state' }), '')).toBeNull();
    const e = stateEvent(tag({ role: 'state' }), 'DOWN', 'E101', { value: 4, sourceTimestamp: null, serverTimestamp: new Date(2_000), statusCode: 0 }, ctx);
    expect(e.event).toMatchObject({ eventTime: 2_000, state: 'DOWN', reasonCode: 'E101' });
    const t = telemetryEvent(tag({ role: 'sensor' }), { value: 1, sourceTimestamp: null, serverTimestamp: null, statusCode: 0 }, ctx);
    expect(t.event.eventTime).toBe(5_000);
  });

  it('every mapped event encodes with the Avro contract of its topic', async () => {
    const codec = createAvroCodec();
    const events = [
      ...mapDataValue(tag({ role: 'goodCounter' }), dv(1), ctx),
      ...mapDataValue(tag({ role: 'processValue', characteristic: 'c' }), dv(2), ctx),
      ...mapDataValue(tag({ role: 'sensor' }), dv('text'), ctx),
      stateEvent(tag({ role: 'state' }), 'RUNNING', null, dv(1), ctx),
    ];
    for (const [i, e] of events.entries()) {
      const full = finishEvent(e, i + 1, false);
      const contract = rawTopics[e.topic];
      await expect(codec.encode(contract.topic, contract.schema, full)).resolves.toBeDefined();
    }
  });
});

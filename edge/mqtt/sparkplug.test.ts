import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Telemetry } from '../../schemas/generated/types.ts';
import { sparkplugSchema } from './config.ts';
import { DataType, decodePayload, encodePayload, type MetricInput } from './sparkplug-codec.ts';
import { createSparkplugHost, parseSparkplugTopic, sparkplugQuality } from './sparkplug-host.ts';

const config = sparkplugSchema.parse({ groups: ['g1'], equipment: 'acme/p1/a1/l1/{node}/{device}', metrics: [{ name: 'Count*', role: 'goodCounter' }] });
const base = 'spBv1.0/g1';
const birth = (seq: number, bdSeq = 0) =>
  encodePayload({ timestamp: 1000, seq, metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: bdSeq }, { name: 'Up', alias: 1, datatype: DataType.UInt64, value: 0 }] });
const dbirth = (seq: number, metrics: MetricInput[] = [{ name: 'Temp', alias: 10, datatype: DataType.Double, value: 20, properties: { engLow: { type: DataType.Double, value: 0 }, engHigh: { type: DataType.Double, value: 50 } } }, { name: 'Count', alias: 11, datatype: DataType.UInt32, value: 5 }]) =>
  encodePayload({ timestamp: 1000, seq, metrics });
const ddata = (seq: number, metrics: MetricInput[]) => encodePayload({ timestamp: 2000, seq, metrics });
const tel = (e: { topic: string; event: unknown }) => e.event as Telemetry;

describe('edge > mqtt > Sparkplug B codec', () => {
  it('round-trips every scalar datatype, signed values in two\'s complement, null and properties', () => {
    const metrics: MetricInput[] = [
      { name: 'i8', datatype: DataType.Int8, value: -128 },
      { name: 'i16', datatype: DataType.Int16, value: -2 },
      { name: 'i32', datatype: DataType.Int32, value: -2147483648 },
      { name: 'i64', datatype: DataType.Int64, value: -9007199254740991 },
      { name: 'u32', datatype: DataType.UInt32, value: 4294967295 },
      { name: 'u64', datatype: DataType.UInt64, value: 9007199254740991 },
      { name: 'f', datatype: DataType.Float, value: 1.5 },
      { name: 'd', datatype: DataType.Double, value: Math.PI },
      { name: 'b', datatype: DataType.Boolean, value: true },
      { name: 's', datatype: DataType.String, value: 'héllo' },
      { name: 'dt', datatype: DataType.DateTime, value: 1700000000000 },
      { name: 'n', datatype: DataType.Double, value: null },
      { name: 'q', alias: 7, timestamp: 5, datatype: DataType.Double, value: 1, isHistorical: true, properties: { Quality: { type: DataType.Int32, value: 500 } } },
    ];
    const r = decodePayload(encodePayload({ timestamp: 42, seq: 3, metrics }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.payload.seq).toBe(3);
    expect(r.payload.timestamp).toBe(42);
    expect(r.payload.metrics.map((m) => m.value)).toEqual([-128, -2, -2147483648, -9007199254740991, 4294967295, 9007199254740991, 1.5, Math.PI, true, 'héllo', 1700000000000, null, 1]);
    expect(r.payload.metrics.at(-1)).toMatchObject({ alias: 7, timestamp: 5, isHistorical: true, quality: 500 });
  });

  it('decodes captured bytes (payload timestamp 1700000000123, seq 5, metric T alias 7 Double 21.5 quality 192)', () => {
    // Assembled by hand from the wire format (not by protobufjs): field 1 timestamp varint; field 2 Metric { name "T",
    // alias 7, datatype 10, properties { keys ["Quality"], values [{ type 3, int_value 192 }] }, double_value 21.5 };
    // field 3 seq 5.
    const bytes = Buffer.from('08fbd095ffbc3112220a01541007200a4a100a075175616c6974791205080318c0016900000000008035401805', 'hex');
    const r = decodePayload(bytes);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.payload.timestamp).toBe(1700000000123);
      expect(r.payload.seq).toBe(5);
      expect(r.payload.metrics[0]).toMatchObject({ name: 'T', alias: 7, datatype: 10, value: 21.5, quality: 192 });
      expect(encodePayload({ timestamp: 1700000000123, seq: 5, metrics: [{ name: 'T', alias: 7, datatype: DataType.Double, value: 21.5, properties: { Quality: { type: DataType.Int32, value: 192 } } }] }).toString('hex')).toBe(bytes.toString('hex'));
    }
  });

  it('quality mapping: 192 GOOD, 500 STALE -> UNCERTAIN, 0 BAD, absent GOOD', () => {
    expect([192, 500, 0, undefined, 100].map(sparkplugQuality)).toEqual(['GOOD', 'UNCERTAIN', 'BAD', 'GOOD', 'UNCERTAIN']);
  });

  it('topics', () => {
    expect(parseSparkplugTopic('spBv1.0/g1/DDATA/n1/d1')).toEqual({ ok: true, topic: { group: 'g1', type: 'DDATA', node: 'n1', device: 'd1' } });
    expect(parseSparkplugTopic('spBv1.0/g1/NDATA/n1/d1')).toMatchObject({ ok: false });
    expect(parseSparkplugTopic('spBv1.0/g1/XDATA/n1')).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown message type/) });
  });
});

describe('edge > mqtt > Sparkplug B host', () => {
  it('resolves aliases from births, maps roles, quality, range and history', () => {
    const host = createSparkplugHost(config, 'mqtt:t');
    expect(host.handle(`${base}/NBIRTH/n1`, birth(0), 1).events.map((e) => tel(e).tag)).toEqual(['Up']);
    const b = host.handle(`${base}/DBIRTH/n1/d1`, dbirth(1), 2);
    expect(b.events.map((e) => e.topic)).toEqual(['telemetry', 'counts']);
    const out = host.handle(`${base}/DDATA/n1/d1`, ddata(2, [
      { alias: 10, datatype: DataType.Double, value: 99, timestamp: 1500, isHistorical: true },
      { alias: 11, datatype: DataType.UInt32, value: 6 },
      { alias: 10, datatype: DataType.Double, value: 21, properties: { Quality: { type: DataType.Int32, value: 0 } } },
    ]), 3);
    expect(out.rejected).toEqual([]);
    expect(out.rebirth).toEqual([]);
    const [t1, c, t2] = out.events;
    expect(tel(t1 as never)).toMatchObject({ equipment: 'acme/p1/a1/l1/n1/d1', tag: 'Temp', value: 99, outOfRange: true, eventTime: 1500, quality: 'GOOD', origin: { historical: true, edgeTime: 3 } });
    expect(c).toMatchObject({ topic: 'counts', event: { kind: 'GOOD', counterValue: 6, eventTime: 2000 } });
    expect(tel(t2 as never)).toMatchObject({ value: 21, quality: 'BAD', statusCode: 0, origin: { historical: false } });
  });

  it('a seq gap asks for a rebirth and still uses the data', () => {
    const host = createSparkplugHost(config, 'mqtt:t');
    host.handle(`${base}/NBIRTH/n1`, birth(0), 1);
    host.handle(`${base}/DBIRTH/n1/d1`, dbirth(1), 1);
    const out = host.handle(`${base}/DDATA/n1/d1`, ddata(5, [{ alias: 10, datatype: DataType.Double, value: 1 }]), 2);
    expect(out.rebirth).toEqual([{ group: 'g1', node: 'n1', reason: 'seq gap: expected 2, got 5' }]);
    expect(out.events).toHaveLength(1);
    // seq wraps 255 -> 0 without a gap
    const host2 = createSparkplugHost(config, 'mqtt:t');
    host2.handle(`${base}/NBIRTH/n1`, birth(0), 1);
    host2.handle(`${base}/DBIRTH/n1/d1`, dbirth(255), 1);
    expect(host2.handle(`${base}/DDATA/n1/d1`, ddata(0, [{ alias: 10, datatype: DataType.Double, value: 1 }]), 2).rebirth).toEqual([]);
  });

  it('keeps data that arrives before the births, asks for a rebirth, and replays it after them', () => {
    const host = createSparkplugHost(config, 'mqtt:t');
    const early = host.handle(`${base}/DDATA/n1/d1`, ddata(7, [{ alias: 10, datatype: DataType.Double, value: 33 }]), 1);
    expect(early.events).toEqual([]);
    expect(early.rebirth[0]?.reason).toMatch(/before NBIRTH/);
    host.handle(`${base}/NBIRTH/n1`, birth(0), 2);
    const after = host.handle(`${base}/DBIRTH/n1/d1`, dbirth(1), 3);
    expect(after.events.map((e) => tel(e).value ?? (e.event as { counterValue: number }).counterValue)).toEqual([20, 5, 33]);
  });

  it('NDEATH with the session bdSeq marks every metric STALE; an old session death is ignored', () => {
    const host = createSparkplugHost(config, 'mqtt:t');
    host.handle(`${base}/NBIRTH/n1`, birth(0, 4), 1);
    host.handle(`${base}/DBIRTH/n1/d1`, dbirth(1), 1);
    const old = host.handle(`${base}/NDEATH/n1`, encodePayload({ metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: 3 }] }), 2);
    expect(old.events).toEqual([]);
    const death = host.handle(`${base}/NDEATH/n1`, encodePayload({ metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: 4 }] }), 2);
    expect(death.events.map((e) => [tel(e).tag, tel(e).quality, tel(e).statusCode, tel(e).text, tel(e).value])).toEqual([
      ['Up', 'UNCERTAIN', 500, 'STALE', null],
      ['Temp', 'UNCERTAIN', 500, 'STALE', null],
      ['Count', 'UNCERTAIN', 500, 'STALE', null],
    ]);
    expect(host.nodes()[0]).toMatchObject({ online: false });
  });

  it('DDEATH marks the device STALE', () => {
    const host = createSparkplugHost(config, 'mqtt:t');
    host.handle(`${base}/NBIRTH/n1`, birth(0), 1);
    host.handle(`${base}/DBIRTH/n1/d1`, dbirth(1), 1);
    const out = host.handle(`${base}/DDEATH/n1/d1`, encodePayload({ seq: 2, metrics: [] }), 2);
    expect(out.events.map((e) => tel(e).tag)).toEqual(['Temp', 'Count']);
  });

  it('property: arbitrary bytes on any Sparkplug topic never throw; failures carry a reason', () => {
    const topics = ['NBIRTH/n1', 'NDEATH/n1', 'DBIRTH/n1/d1', 'DDEATH/n1/d1', 'NDATA/n1', 'DDATA/n1/d1', 'BOGUS/n1', 'DDATA/n1'];
    fc.assert(
      fc.property(fc.constantFrom(...topics), fc.uint8Array({ maxLength: 200 }), (t, bytes) => {
        const host = createSparkplugHost(config, 'mqtt:t');
        host.handle(`${base}/NBIRTH/n1`, birth(0), 1);
        const out = host.handle(`${base}/${t}`, bytes, 2);
        for (const r of out.rejected) expect(r.reason.length).toBeGreaterThan(0);
        const d = decodePayload(bytes);
        if (!d.ok) expect(d.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 3_000 },
    );
  });

  it('property: well-formed but hostile payloads (random aliases, seqs, types, names) never throw', () => {
    const metric = fc.record({
      name: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      alias: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
      datatype: fc.integer({ min: 0, max: 40 }),
      value: fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.string(), fc.constant(null)),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('NBIRTH/n1', 'DBIRTH/n1/d1', 'DDATA/n1/d1', 'NDATA/n1', 'NDEATH/n1', 'DDEATH/n1/d1'), fc.integer({ min: 0, max: 300 }), fc.array(metric, { maxLength: 5 })), { maxLength: 20 }), (messages) => {
        const host = createSparkplugHost(config, 'mqtt:t');
        for (const [t, seq, metrics] of messages) {
          let bytes: Buffer;
          try {
            bytes = encodePayload({ seq: seq % 256, metrics: metrics.map((m) => ({ ...m, datatype: m.datatype, value: m.value as never })) });
          } catch {
            continue; // the test's own encoder refused the combination
          }
          const out = host.handle(`${base}/${t}`, bytes, 1);
          for (const r of out.rejected) expect(r.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

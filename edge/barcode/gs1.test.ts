import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEdgeMetrics } from '../metrics.ts';
import { collectingPublish } from '../events.ts';
import type { BarcodeScan } from '../../schemas/generated/types.ts';
import { scannerSchema } from './config.ts';
import { createScanStation } from './collector.ts';
import { GS, buildElementString, gs1Date, mod10Valid, parseBarcode, withCheckDigit } from './gs1.ts';

const now = new Date('2026-03-01T00:00:00Z');
const gtin = withCheckDigit('0950600013435'); // 09506000134352, the GS1 example GTIN

describe('edge > barcode > GS1 parsing', () => {
  it.each([
    [`]C101${gtin}10ABC123${GS}17271231${GS}21S0001`, { gtin, lot: 'ABC123', serial: 'S0001', expiry: '2027-12-31' }],
    [`]C101${gtin}17271231${'10'}LOT-7`, { gtin, lot: 'LOT-7', expiry: '2027-12-31' }],
    [`]d201${gtin}21XYZ${GS}3712`, { gtin, serial: 'XYZ', quantity: 12 }],
    [`]Q301${gtin}3025${GS}10A1`, { gtin, quantity: 25, lot: 'A1' }],
    [`${GS}01${gtin}3103000150`, { gtin, other: { '3103': '000150' } }],
    [`(01)${gtin}(17)270200(10)L1`, { gtin, expiry: '2027-02-28', lot: 'L1' }],
    [`01${gtin}10L2`, { gtin, lot: 'L2' }],
  ])('parses %j', (raw, expected) => {
    const r = parseBarcode(raw, { now });
    expect(r.ok && r.kind === 'gs1').toBe(true);
    if (r.ok && r.kind === 'gs1') expect(r.gs1).toMatchObject(expected);
  });

  it.each([
    [']C0WO-4711', 'WO-4711'],
    ['PART-123/A', 'PART-123/A'],
    [']E05901234123457', '5901234123457'],
  ])('reads %j as a plain code', (raw, code) => {
    expect(parseBarcode(raw, { now })).toMatchObject({ ok: true, kind: 'code', code });
  });

  it.each([
    [`]C10109506000134353`, /check digit/],
    [`]C101${gtin}17271332`, /YYMMDD/],
    [`]C101${gtin}99`, /AI \(99\) has no data/],
    [`]C101${gtin}10${'x'.repeat(21)}`, /longer than 20/],
    [`]C101${gtin}10A${GS}10B`, /appears twice/],
    [`]C1${'7'.repeat(10)}`, /unknown or missing AI/],
    [`]C10112345`, /needs 14/],
    [`]C101${gtin}10bad lot`, /character set/],
    ['', /empty/],
    [']C0caf\u00e9', /non-printable or non-ASCII/],
    [`(01)${gtin}(10)`, /no data/],
  ])('rejects %j with a reason', (raw, reason) => {
    const r = parseBarcode(raw, { now });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('check digits and dates', () => {
    expect(mod10Valid('09506000134352')).toBe(true);
    expect(mod10Valid('09506000134353')).toBe(false);
    expect(mod10Valid('106141411234567897')).toBe(true); // SSCC example
    expect(gs1Date('271200', now)).toBe('2027-12-31');
    expect(gs1Date('240229', now)).toBe('2024-02-29');
    expect(gs1Date('250229', now)).toBeNull();
    expect(gs1Date('991231', now)).toBe('1999-12-31');
    expect(gs1Date('751231', now)).toBe('2075-12-31');
  });

  it('property: any text gives a result or a rejection with a reason, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom(']C1', ']d2', ']C0', GS, '(01)', '01').chain((p) => fc.string().map((s) => p + s))), (raw) => {
        const r = parseBarcode(raw, { now });
        if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
        else if (r.kind === 'code') expect(r.code.length).toBeGreaterThan(0);
      }),
      { numRuns: 5_000 },
    );
  });

  it('property: built element strings round-trip; a corrupted GTIN digit is always rejected', () => {
    const lot = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
    const serial = fc.stringMatching(/^[A-Za-z0-9]{1,20}$/);
    const body = fc.stringMatching(/^\d{13}$/);
    fc.assert(
      fc.property(body, lot, serial, fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: 0, max: 12 }), (b, l, s, qty, flip) => {
        const g = withCheckDigit(b);
        const raw = `]C1${buildElementString([['01', g], ['10', l], ['21', s], ['37', String(qty)]])}`;
        const r = parseBarcode(raw, { now });
        expect(r).toMatchObject({ ok: true, kind: 'gs1', gs1: { gtin: g, lot: l, serial: s, quantity: qty } });
        const bad = g.slice(0, flip) + String((Number(g[flip]) + 1) % 10) + g.slice(flip + 1);
        const r2 = parseBarcode(`]C101${bad}10${l}`, { now });
        expect(r2.ok).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('edge > barcode > station', () => {
  const config = scannerSchema.parse({ station: 'st-10', equipment: 'demo/p1/a/l1/c1/M01', tcp: { port: 1 }, duplicateWindowMs: 2_000, workOrder: 'WO-1', workOrderPattern: '^WO-' });

  it('binds scans to the station and the active work order, switches on a work-order barcode, drops double reads', () => {
    let t = 1_000_000;
    const { publish, events } = collectingPublish();
    const metrics = createEdgeMetrics();
    const station = createScanStation({ config, publish, metrics, now: () => t });
    station.scan(`]C101${gtin}10L1${GS}21S1\r`);
    t += 100;
    station.scan(`]C101${gtin}10L1${GS}21S1`); // double read
    t += 100;
    station.scan(']C0WO-2');
    t += 100;
    station.scan(`]C101${gtin}10L1${GS}21S2`);
    t += 100;
    station.scan(']C10109506000134353');
    const scans = events.map((e) => e.event as BarcodeScan);
    expect(scans.map((s) => [s.status, s.workOrder, s.gs1?.serial ?? s.code])).toEqual([
      ['ACCEPTED', 'WO-1', 'S1'],
      ['ACCEPTED', 'WO-2', 'WO-2'],
      ['ACCEPTED', 'WO-2', 'S2'],
      ['REJECTED', 'WO-2', null],
    ]);
    expect(scans[3]?.rejectReason).toMatch(/check digit/);
    expect(scans.every((s) => s.station === 'st-10' && s.equipment === 'demo/p1/a/l1/c1/M01')).toBe(true);
    expect(scans[0]?.raw).toBe(`]C101${gtin}10L1${GS}21S1`);
    t += 5_000;
    station.scan(`]C101${gtin}10L1${GS}21S1`); // same text again after the window: a new scan
    expect(events).toHaveLength(5);
    station.setWorkOrder(null);
    station.scan(']C0PART-9');
    expect((events.at(-1)?.event as BarcodeScan).workOrder).toBeNull();
  });
});

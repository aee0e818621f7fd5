import { describe, expect, it } from 'vitest';
import type { BarcodeScan, GenealogyLink, Gs1Fields, MaterialConsumption } from '../../schemas/generated/types.ts';
import { validateEvent } from '../../schemas/validate.ts';
import { runOffline, type OfflineRecord } from '../runtime/offline.ts';
import { genealogyConfig } from './config.ts';
import { genealogyCore } from './core.ts';

const assembly = 'acme/plant1/assembly/line1/cell4/assembly';
const packing = 'acme/plant1/assembly/line1/cell9/packing';
const t0 = Date.parse('2025-03-03T06:00:00Z');
let seq = 0;

function scan(equipment: string, fields: Partial<Gs1Fields> | string, workOrder: string | null = 'WO-1'): OfflineRecord {
  seq += 1;
  const gs1 = typeof fields === 'string' ? null : { gtin: null, lot: null, serial: null, expiry: null, quantity: null, other: {}, ...fields };
  const value: BarcodeScan = {
    eventId: `scanner:st:${seq}`,
    eventTime: t0 + seq * 1_000,
    equipment,
    station: 'st',
    raw: typeof fields === 'string' ? fields : 'gs1',
    status: 'ACCEPTED',
    rejectReason: null,
    gs1,
    code: typeof fields === 'string' ? fields : null,
    workOrder,
    origin: { sourceId: 'scanner:st', seq, serverTime: null, edgeTime: t0, historical: false },
  };
  return { topic: 'scans', key: equipment, value };
}

function consumption(into: string, lot: string, quantity: number): OfflineRecord {
  seq += 1;
  const value: MaterialConsumption = {
    eventId: `mc:${seq}`,
    eventTime: t0 + seq * 1_000,
    equipment: assembly,
    workOrder: 'WO-1',
    material: 'RESIN-A',
    materialKind: 'LOT',
    materialId: lot,
    quantity,
    unit: 'kg',
    intoKind: 'SERIAL',
    intoId: into,
    origin: { sourceId: 'plc:x', seq, serverTime: null, edgeTime: t0, historical: false },
  };
  return { topic: 'materialConsumption', key: assembly, value };
}

const config = genealogyConfig({
  stations: [
    { equipment: assembly, role: 'ASSEMBLY', parent: { ai: '21', gtins: ['09506000134352'] } },
    { equipment: packing, role: 'PACKING' },
  ],
});
const links = (records: OfflineRecord[], c = config) => runOffline([{ core: genealogyCore, config: c }], records).map((o) => o.value as GenealogyLink);
const edge = (l: GenealogyLink) => `${l.childKind} ${l.childId} ${l.relation} ${l.parentKind} ${l.parentId}${l.status === 'REJECTED' ? ' REJECTED' : ''}`;

describe('genealogy core', () => {
  it('lot -> serial from GS1 scans, components into the assembly, material consumption into the serial', () => {
    seq = 0;
    const out = links([
      scan(assembly, { gtin: '09506000134352', serial: 'ASM-1', lot: 'L-ASM' }),
      scan(assembly, { gtin: '09506000134369', serial: 'MOTOR-7', lot: 'L-MOTOR' }),
      scan(assembly, { gtin: '09506000134376', lot: 'SCREWS-3', quantity: 4 }),
      consumption('ASM-1', 'RESIN-22', 0.3),
      scan(assembly, { gtin: '09506000134352', serial: 'ASM-2', lot: 'L-ASM' }),
      scan(assembly, { gtin: '09506000134369', serial: 'MOTOR-8', lot: 'L-MOTOR' }),
    ]);
    expect(out.map(edge)).toEqual([
      'LOT L-ASM MADE_FROM SERIAL ASM-1',
      'LOT L-MOTOR MADE_FROM SERIAL MOTOR-7',
      'SERIAL MOTOR-7 CONSUMED_INTO SERIAL ASM-1',
      'LOT SCREWS-3 CONSUMED_INTO SERIAL ASM-1',
      'LOT RESIN-22 CONSUMED_INTO SERIAL ASM-1',
      'LOT L-ASM MADE_FROM SERIAL ASM-2',
      'LOT L-MOTOR MADE_FROM SERIAL MOTOR-8',
      'SERIAL MOTOR-8 CONSUMED_INTO SERIAL ASM-2',
    ]);
    expect(out.find((l) => l.childId === 'SCREWS-3')).toMatchObject({ quantity: 4, workOrder: 'WO-1', equipment: assembly, eventId: 'gen:scanner:st:3', sourceEventId: 'scanner:st:3' });
    for (const l of out) expect(validateEvent('GenealogyLink', l)).toEqual({ ok: true });
  });

  it('license plates: container in container, closed by a close code; the first scan after a close is the parent', () => {
    seq = 0;
    const out = links([
      scan(packing, { other: { '00': '095060001000000018' } }),
      scan(packing, { serial: 'ASM-1' }),
      scan(packing, { serial: 'ASM-2' }),
      scan(packing, 'CLOSE'),
      scan(packing, 'PALLET-77'),
      scan(packing, { other: { '00': '095060001000000018' } }),
      scan(packing, 'CLOSE'),
    ]);
    expect(out.map(edge)).toEqual([
      'SERIAL ASM-1 CONTAINED_IN CONTAINER 095060001000000018',
      'SERIAL ASM-2 CONTAINED_IN CONTAINER 095060001000000018',
      'CONTAINER 095060001000000018 CONTAINED_IN CONTAINER PALLET-77',
    ]);
  });

  it('refuses a link that would close a cycle, with a reason for the operator, and keeps going', () => {
    seq = 0;
    const out = links([
      scan(packing, 'BOX-1'),
      scan(packing, 'BOX-2'),
      scan(packing, 'CLOSE'),
      scan(packing, 'BOX-2'),
      scan(packing, 'BOX-1'),
      scan(packing, 'BOX-3'),
    ], genealogyConfig({ stations: [{ equipment: packing, role: 'PACKING' }], plainCodeKind: 'CONTAINER' }));
    expect(out.map(edge)).toEqual([
      'CONTAINER BOX-2 CONTAINED_IN CONTAINER BOX-1',
      'CONTAINER BOX-1 CONTAINED_IN CONTAINER BOX-2 REJECTED',
      'CONTAINER BOX-3 CONTAINED_IN CONTAINER BOX-2',
    ]);
    expect(out[1]!.rejectReason).toBe(
      'refused: linking CONTAINER BOX-1 CONTAINED_IN CONTAINER BOX-2 would close a cycle, because CONTAINER BOX-2 is already inside CONTAINER BOX-1 (CONTAINER BOX-1 > CONTAINER BOX-2); check the scan order at the station',
    );
    expect(validateEvent('GenealogyLink', out[1])).toEqual({ ok: true });
  });

  it('is idempotent by event id: a redelivered scan makes no second link; a replay gives the same links', () => {
    seq = 0;
    const records = [scan(assembly, { gtin: '09506000134352', serial: 'ASM-1' }), scan(assembly, { serial: 'C-1' })];
    const once = links(records);
    expect(links([...records, records[1]!])).toEqual(once);
    expect(links(records)).toEqual(once);
  });

  it('ignores rejected scans, work-order barcodes and scans with no open parent', () => {
    seq = 0;
    const rejectedScan = scan(assembly, { serial: 'X' });
    (rejectedScan.value as BarcodeScan).status = 'REJECTED';
    expect(links([rejectedScan, scan(assembly, { serial: 'C-0' }), scan(assembly, 'WO-9', 'WO-9')])).toEqual([]);
  });
});

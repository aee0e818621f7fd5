// The work-order chain offline: WorkOrder -> assignments (erp-performance) -> dispatch from scans (dispatch) ->
// counts -> progress per equipment (erp-progress) -> OperationsPerformance (erp-performance). Every emitted B2MML
// document is validated with xmllint against the official XSD.
import { describe, expect, it } from 'vitest';
import type { BarcodeScan, Dispatch, MaterialConsumption, PieceCount, WorkOrder } from '../../schemas/generated/types.ts';
import { xmllint } from '../../ingest/erp/testing/xmllint.ts';
import { countsConfig } from '../counts/config.ts';
import { countsCore } from '../counts/core.ts';
import type { CoreOutput } from '../contract.ts';
import { runOffline, type OfflineRecord } from '../runtime/offline.ts';
import { dispatchConfigSchema, performanceConfigSchema, progressConfigSchema } from './config.ts';
import { dispatchCore } from './dispatch-core.ts';
import { erpPerformanceCore, performanceId } from './performance-core.ts';
import { escapeXml } from './performance-xml.ts';
import { workOrderProgressCore } from './progress-core.ts';

const press = 'acme/plant1/assembly/line1/cell2/press';
const welder = 'acme/plant1/assembly/line1/cell3/welder';
const t0 = Date.parse('2025-03-03T06:00:00Z');
const min = 60_000;

const cores = [
  { core: erpPerformanceCore, config: performanceConfigSchema.parse({ periodMs: 15 * min }) },
  { core: dispatchCore, config: dispatchConfigSchema.parse({ endCodes: ['WO-END'] }) },
  { core: countsCore, config: countsConfig({ windows: ['WORK_ORDER'] }) },
  { core: workOrderProgressCore, config: progressConfigSchema.parse({ intervalMs: 5 * min }) },
];

const workOrder = (over: Partial<WorkOrder> = {}): WorkOrder => ({
  eventId: 'wo:SCHED-1:WO-4711:r1',
  eventTime: t0 - 60 * min,
  workOrder: 'WO-4711',
  product: 'BRKT-200',
  quantity: 20,
  unit: 'pcs',
  status: 'RELEASED',
  plannedStart: t0,
  plannedEnd: t0 + 4 * 60 * min,
  operations: [
    { operation: '0010-press', equipment: press, idealCycleTimeMs: 12_000, quantity: 20, plannedStart: null, plannedEnd: null },
    { operation: '0020-weld', equipment: welder, idealCycleTimeMs: 30_000, quantity: 20, plannedStart: null, plannedEnd: null },
  ],
  erpMessageId: 'SCHED-1',
  revision: 1,
  erpState: 'Released',
  ...over,
});

let seq = 0;
const origin = (sourceId: string, t: number) => ({ sourceId, seq: ++seq, serverTime: null, edgeTime: t, historical: false });

function scan(equipment: string, t: number, code: string, wo: string | null): OfflineRecord {
  const value: BarcodeScan = {
    eventId: `scanner:${equipment}:${++seq}`,
    eventTime: t,
    equipment,
    station: 'st',
    raw: code,
    status: 'ACCEPTED',
    rejectReason: null,
    gs1: null,
    code,
    workOrder: wo,
    origin: origin('scanner:st', t),
  };
  return { topic: 'scans', key: equipment, value };
}

function pieces(equipment: string, t: number, kind: 'GOOD' | 'REJECT', n: number): OfflineRecord {
  const value: PieceCount = { eventId: `opcua:${equipment}:${++seq}`, eventTime: t, equipment, kind, counterValue: null, counterMax: null, increment: n, rejectReason: null, workOrder: null, quality: 'GOOD', origin: origin('opcua:x', t) };
  return { topic: 'counts', key: equipment, value };
}

function consumed(equipment: string, t: number, lot: string, quantity: number): OfflineRecord {
  const value: MaterialConsumption = { eventId: `mc:${++seq}`, eventTime: t, equipment, workOrder: null, material: 'STEEL-COIL-2MM', materialKind: 'LOT', materialId: lot, quantity, unit: 'kg', intoKind: null, intoId: null, origin: origin('plc:x', t) };
  return { topic: 'materialConsumption', key: equipment, value };
}

function scenario(): OfflineRecord[] {
  seq = 0;
  return [
    { topic: 'workOrders', key: 'WO-4711', value: workOrder() },
    scan(press, t0, 'WO-4711', 'WO-4711'),
    ...Array.from({ length: 12 }, (_, i) => pieces(press, t0 + (i + 1) * min, 'GOOD', 2)),
    pieces(press, t0 + 13 * min, 'REJECT', 1),
    consumed(press, t0 + 14 * min, 'COIL-88', 12.5),
    consumed(press, t0 + 15 * min, 'COIL-88', 4.5),
    scan(press, t0 + 20 * min, 'WO-END', 'WO-4711'),
    scan(welder, t0 + 21 * min, 'WO-4711', 'WO-4711'),
    ...Array.from({ length: 20 }, (_, i) => pieces(welder, t0 + 22 * min + i * min, 'GOOD', 1)),
    scan(welder, t0 + 45 * min, 'WO-END', 'WO-4711'),
    // Keeps event time moving after the end, so timers fire.
    pieces(welder, t0 + 90 * min, 'GOOD', 0),
  ];
}

const performance = (outputs: CoreOutput[]) => outputs.filter((o) => o.topic === 'erpPerformance').map((o) => ({ key: o.key, xml: o.value as string }));
const field = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

describe('ERP > work-order chain (offline)', () => {
  const outputs = runOffline(cores, scenario());
  const docs = performance(outputs);

  it('projects the work order by equipment and dispatches it from scans with its ideal cycle time and target', () => {
    expect(outputs.filter((o) => o.topic === 'workOrderAssignments').map((o) => o.key)).toEqual([press, welder]);
    const dispatches = outputs.filter((o) => o.topic === 'dispatch').map((o) => o.value as Dispatch);
    // The work order reaches the dispatch core after the first scan (its key had no later event yet): the dispatch
    // is re-emitted at the same time with the details.
    expect(dispatches.map((d) => [d.equipment, d.workOrder, d.idealCycleTimeMs, d.targetQuantity, d.eventTime - t0])).toEqual([
      [press, 'WO-4711', null, null, 0],
      [press, 'WO-4711', 12_000, 20, 0],
      [welder, 'WO-4711', 30_000, 20, 21 * min],
      [welder, null, null, null, 45 * min],
      [press, null, null, null, 20 * min],
    ]);
  });

  it('reports Running on start and periodically, then Completed once the last operation made the quantity', () => {
    expect(docs.map((d) => field(d.xml, 'PerformanceState')[0])).toEqual(['Running', 'Running', 'Running', 'Completed']);
    expect(docs.map((d) => field(d.xml, 'QuantityString')[0])).toEqual(['0', '20', '20', '24']);
    expect(docs.every((d) => d.key === 'WO-4711')).toBe(true);
    const final = docs.at(-1)!.xml;
    expect(field(final, 'ID')[0]).toBe(performanceId('WO-4711', docs.length));
    expect(field(final, 'StartTime')[0]).toBe('2025-03-03T06:00:00.000Z');
    expect(field(final, 'EndTime')[0]).toBe('2025-03-03T06:45:00.000Z');
    expect(field(final, 'QuantityString')).toEqual(['24', '1', '17', '20', '0']);
    expect(final).toContain('<MaterialLotID>COIL-88</MaterialLotID>');
    expect(field(final, 'SegmentState')).toEqual(['Completed', 'Completed']);
  });

  it('every OperationsPerformance is valid against the official XSD (xmllint)', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      const result = xmllint(d.xml, 'B2MML-OperationsPerformance.xsd');
      expect(result.output).toContain('validates');
      expect(result.valid).toBe(true);
    }
  });

  it('is deterministic: a replay gives byte-identical documents with the same ids per revision', () => {
    expect(performance(runOffline(cores, scenario()))).toEqual(docs);
    expect(new Set(docs.map((d) => field(d.xml, 'ID')[0])).size).toBe(docs.length);
  });

  it('a cancelled work order ends its dispatch and reports Aborted', () => {
    const records = scenario().slice(0, 8);
    records.push({ topic: 'workOrders', key: 'WO-4711', value: workOrder({ eventId: 'wo:SCHED-2:WO-4711:r2', revision: 2, status: 'CANCELLED', eventTime: t0 + 16 * min }) });
    records.push(pieces(press, t0 + 40 * min, 'GOOD', 0));
    const out = runOffline(cores, records);
    const states = performance(out).map((d) => field(d.xml, 'PerformanceState')[0]);
    expect(states.at(-1)).toBe('Aborted');
    expect(out.filter((o) => o.topic === 'dispatch').map((o) => (o.value as Dispatch).workOrder).at(-1)).toBeNull();
    for (const d of performance(out)) expect(xmllint(d.xml, 'B2MML-OperationsPerformance.xsd').valid).toBe(true);
  });

  it('escapes text and drops characters XML cannot carry, so odd ids stay valid', () => {
    expect(escapeXml('A&B <C> \u0001ok')).toBe('A&amp;B &lt;C&gt; ok');
    const odd = 'WO-<&>\u0002"';
    const records = scenario().map((r) => (r.topic === 'workOrders' ? { ...r, key: odd, value: workOrder({ workOrder: odd }) } : r.topic === 'scans' ? { ...r, value: { ...(r.value as BarcodeScan), workOrder: odd, code: (r.value as BarcodeScan).code === 'WO-END' ? 'WO-END' : odd } } : r));
    const out = performance(runOffline(cores, records));
    expect(out.length).toBeGreaterThan(0);
    for (const d of out) expect(xmllint(d.xml, 'B2MML-OperationsPerformance.xsd').valid).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../schemas/validate.ts';
import { erpIngestConfig } from './config.ts';
import { parseSchedule, type ScheduleResult } from './schedule.ts';
import { xmllint } from './testing/xmllint.ts';
import { openXsdSet } from './xml.ts';

const xsd = openXsdSet();
const config = erpIngestConfig({ equipment: { 'PRESS-01': 'acme/plant1/assembly/line1/cell2/press' } });
const example = (name: string) => readFileSync(new URL(`./examples/${name}`, import.meta.url), 'utf8');
const v0700 = example('operations-schedule.xml');
const parse = (text: unknown): ScheduleResult => parseSchedule(text, xsd, config, { receivedAt: 1_000 });

function rejected(text: unknown): { path: string; reason: string } {
  const result = parse(text);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.workOrders.map((w) => w.workOrder))}`);
  return result.rejection;
}

describe('ERP schedule > B2MML V0700 OperationsSchedule', () => {
  it('the examples an integrator copies are valid against the official XSD (xmllint)', () => {
    for (const name of ['operations-schedule.xml', 'process-operations-schedule.xml']) {
      const result = xmllint(example(name), 'B2MML-OperationsSchedule.xsd');
      expect(result.output).toContain('validates');
      expect(result.valid).toBe(true);
    }
  });

  it('maps work orders: product, quantity, due dates, operations, ideal cycle time, equipment', () => {
    const result = parse(v0700);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe('OperationsSchedule V0700');
    expect(result.erpMessageId).toBe('SCHED-2025-03-03-A');
    const [wo, forecast] = result.workOrders;
    const published = Date.parse('2025-03-02T18:30:00Z');
    expect(wo).toEqual({
      eventId: `wo:SCHED-2025-03-03-A:WO-4711:r${published}`,
      eventTime: published,
      workOrder: 'WO-4711',
      product: 'BRKT-200',
      quantity: 500,
      unit: 'pcs',
      status: 'RELEASED',
      plannedStart: Date.parse('2025-03-03T06:00:00Z'),
      plannedEnd: Date.parse('2025-03-03T12:00:00Z'),
      operations: [
        {
          operation: '0010-press',
          equipment: 'acme/plant1/assembly/line1/cell2/press',
          idealCycleTimeMs: 12_000,
          quantity: 500,
          plannedStart: Date.parse('2025-03-03T06:00:00Z'),
          plannedEnd: Date.parse('2025-03-03T09:00:00Z'),
        },
        {
          operation: '0020-weld',
          equipment: 'acme/plant1/assembly/line1/cell3/welder',
          idealCycleTimeMs: 30_000,
          quantity: 500,
          plannedStart: Date.parse('2025-03-03T07:00:00Z'),
          plannedEnd: Date.parse('2025-03-03T12:00:00Z'),
        },
      ],
      erpMessageId: 'SCHED-2025-03-03-A',
      revision: published,
      erpState: 'Released',
    });
    expect(forecast).toMatchObject({ workOrder: 'WO-4712', product: 'BRKT-300', quantity: 250, status: 'PLANNED', erpState: 'Forecast', plannedEnd: null });
    for (const w of result.workOrders) expect(validateEvent('WorkOrder', w)).toEqual({ ok: true });
  });

  it('reads a ProcessOperationsSchedule BOD: BODID is the message id, CreationDateTime the revision; maps ERP equipment ids', () => {
    const result = parse(example('process-operations-schedule.xml'));
    expect(result.ok && result.erpMessageId).toBe('BOD-7f3a-0001');
    if (!result.ok) return;
    expect(result.workOrders[0]).toMatchObject({ workOrder: 'WO-4800', revision: Date.parse('2025-03-02T18:30:05Z'), operations: [{ equipment: 'acme/plant1/assembly/line1/cell2/press' }] });
  });

  it('gives the same event ids for the same message, work order and revision; a new revision gets new ids', () => {
    const a = parse(v0700);
    const b = parse(v0700);
    const c = parse(v0700.replace('<PublishedDate>2025-03-02T18:30:00Z</PublishedDate>', '<PublishedDate>2025-03-02T19:00:00Z</PublishedDate>'));
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(a.workOrders.map((w) => w.eventId)).toEqual(b.workOrders.map((w) => w.eventId));
    expect(c.workOrders[0]!.eventId).toBe(`wo:SCHED-2025-03-03-A:WO-4711:r${Date.parse('2025-03-02T19:00:00Z')}`);
    expect(c.workOrders[0]!.revision).toBeGreaterThan(a.workOrders[0]!.revision);
  });

  it('without PublishedDate nor id: revision 0, event time = receipt, message id = document hash', () => {
    const bare = v0700.replace(/<ID>SCHED-2025-03-03-A<\/ID>/, '').replace(/<PublishedDate>[^<]*<\/PublishedDate>/, '');
    const result = parse(bare);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.erpMessageId).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(result.workOrders[0]).toMatchObject({ revision: 0, eventTime: 1_000 });
  });

  it('refuses what the official XSD refuses, naming the element path and the problem', () => {
    const r = rejected(v0700.replace('<UnitOfMeasure>s</UnitOfMeasure>', '<UnitOfMeasure>s</UnitOfMeasure><Unit>s</Unit>'));
    expect(r.path).toBe('/OperationsSchedule/OperationsRequest[1]/SegmentRequirement[1]/SegmentParameter/Value/Unit');
    expect(r.reason).toMatch(/^not valid against B2MML-OperationsSchedule\.xsd: This element is not expected\./);
    const state = rejected(v0700.replace('<RequestState>Released</RequestState>', '<RequestState>Done</RequestState>'));
    expect(state.path).toBe('/OperationsSchedule/OperationsRequest[1]/RequestState');
    expect(state.reason).toContain("'Done'");
    const date = rejected(v0700.replace('<EndTime>2025-03-03T12:00:00Z</EndTime>', '<EndTime>tomorrow</EndTime>'));
    expect(date.path).toBe('/OperationsSchedule/OperationsRequest[1]/EndTime');
  });

  it('refuses what the XSD allows but a work order needs: id, produced material, quantity, known equipment', () => {
    expect(rejected(v0700.replace('<ID>WO-4711</ID>', ''))).toEqual({ path: '/OperationsSchedule/OperationsRequest[1]/ID', reason: 'missing: the work order id' });
    expect(rejected(v0700.replace('<ID>WO-4712</ID>', '<ID>WO-4711</ID>')).reason).toBe('work order WO-4711 appears twice in this message (first at /OperationsSchedule/OperationsRequest[1])');
    expect(rejected(v0700.replace('<QuantityString>250</QuantityString>', '<QuantityString>lots</QuantityString>'))).toEqual({
      path: '/OperationsSchedule/OperationsRequest[2]/SegmentRequirement/MaterialRequirement/Quantity/QuantityString',
      reason: "'lots' is not a number",
    });
    expect(rejected(v0700.replace('<MaterialUse>Produced</MaterialUse>\n        <Quantity>\n          <QuantityString>250', '<MaterialUse>Consumed</MaterialUse>\n        <Quantity>\n          <QuantityString>250')).reason).toBe(
      'no MaterialRequirement with MaterialUse Produced: the product and quantity of the work order come from it',
    );
    expect(rejected(v0700.replace('<EquipmentID>acme/plant1/assembly/line1/cell3/welder</EquipmentID>', '<EquipmentID>WELD 2</EquipmentID>'))).toEqual({
      path: '/OperationsSchedule/OperationsRequest[1]/SegmentRequirement[2]/EquipmentRequirement/EquipmentID',
      reason: "EquipmentID 'WELD 2' is not a linepulse equipment path (enterprise/site/area/line/cell/equipment) and erp.equipment maps no such id",
    });
    expect(rejected(v0700.replace('<UnitOfMeasure>s</UnitOfMeasure>', '<UnitOfMeasure>parsecs</UnitOfMeasure>')).reason).toBe("unit 'parsecs' is not a time unit (ms, s, min, h)");
  });

  it('takes OperationsType Production only: other schedules are refused, other requests of a Mixed one left out', () => {
    expect(rejected(v0700.replace('<OperationsType>Production</OperationsType>\n  <StartTime>', '<OperationsType>Maintenance</OperationsType>\n  <StartTime>'))).toMatchObject({
      path: '/OperationsSchedule/OperationsType',
    });
    const mixed = parse(v0700.replace('<OperationsType>Production</OperationsType>\n  <StartTime>', '<OperationsType>Mixed</OperationsType>\n  <StartTime>').replace('<OperationsType>Production</OperationsType>\n    <StartTime>', '<OperationsType>Quality</OperationsType>\n    <StartTime>'));
    expect(mixed.ok && mixed.workOrders.map((w) => w.workOrder)).toEqual(['WO-4712']);
    expect(mixed.ok && mixed.skipped).toEqual(['/OperationsSchedule/OperationsRequest[1] (OperationsType Quality)']);
  });

  it('refuses other documents with what to send instead', () => {
    expect(rejected('<OperationsPerformance xmlns="http://www.mesa.org/xml/B2MML"/>').reason).toMatch(/must be an OperationsSchedule \(B2MML V0700/);
    expect(rejected('<OperationsSchedule><ID>x</ID></OperationsSchedule>')).toEqual({
      path: '/OperationsSchedule',
      reason: 'namespace (none) is not B2MML: use xmlns="http://www.mesa.org/xml/B2MML" (V0700) or http://www.mesa.org/xml/B2MML-V0500 (legacy ProductionSchedule)',
    });
    expect(rejected('<ProductionSchedule xmlns="http://www.mesa.org/xml/B2MML"/>').reason).toMatch(/belongs to B2MML V0401-V0600/);
    expect(rejected('<OperationsSchedule xmlns="http://www.mesa.org/xml/B2MML"><OperationsType>Production</OperationsType></OperationsSchedule>').reason).toMatch(/holds no OperationsRequest/);
    expect(rejected(Buffer.from('<x/>')).reason).toBe('expected the XML document as text, got object');
    expect(rejected('')).toEqual({ path: '/', reason: 'the document is empty' });
  });
});

describe('ERP schedule > XXE-safe parsing', () => {
  it('refuses an external entity (XXE) before parsing, and never reads the file', () => {
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE OperationsSchedule [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<OperationsSchedule xmlns="http://www.mesa.org/xml/B2MML"><ID>&secret;</ID></OperationsSchedule>`;
    const r = rejected(xxe);
    expect(r.path).toBe('line 2 (prolog)');
    expect(r.reason).toMatch(/DOCTYPE declaration is not accepted.*XXE/);
    expect(JSON.stringify(r)).not.toContain('root:');
  });

  it('refuses entity expansion (billion laughs) at once', () => {
    const defs = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('');
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${defs}]><OperationsSchedule xmlns="http://www.mesa.org/xml/B2MML"><ID>&lol9;</ID></OperationsSchedule>`;
    const started = performance.now();
    expect(rejected(bomb).reason).toMatch(/DOCTYPE declaration is not accepted/);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('an entity reference without DTD, a parameter entity, an XInclude do nothing harmful', () => {
    expect(rejected('<OperationsSchedule xmlns="http://www.mesa.org/xml/B2MML"><ID>&passwd;</ID></OperationsSchedule>')).toEqual({
      path: 'line 1, column 71',
      reason: "not well-formed XML: Entity 'passwd' not defined",
    });
    const xinclude = v0700.replace('<Description>Early shift, line 1</Description>', '<Description><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/></Description>');
    expect(rejected(xinclude).reason).toMatch(/not valid against B2MML-OperationsSchedule\.xsd/);
  });

  it('refuses documents larger than the limit before parsing, and malformed ones with line and column', () => {
    const small = erpIngestConfig({ maxDocumentBytes: 1024 });
    const r = parseSchedule(v0700, xsd, small, { receivedAt: 0 });
    expect(!r.ok && r.rejection.reason).toMatch(/^the document is \d+ bytes, more than the 1024 accepted/);
    expect(rejected('<OperationsSchedule xmlns="http://www.mesa.org/xml/B2MML">\n  <ID>x</Id>\n</OperationsSchedule>')).toEqual({
      path: 'line 2, column 13',
      reason: 'not well-formed XML: Opening and ending tag mismatch: ID line 2 and Id',
    });
  });
});

describe('ERP schedule > legacy ProductionSchedule (B2MML V0401-V0600)', () => {
  const legacy = example('production-schedule-v0500.xml');

  it('maps it like an OperationsSchedule', () => {
    const result = parse(legacy);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.format).toBe('ProductionSchedule (legacy)');
    expect(result.workOrders).toEqual([
      expect.objectContaining({
        workOrder: 'WO-5001',
        product: 'CLIP-7',
        quantity: 2000,
        unit: 'pcs',
        status: 'RELEASED',
        plannedStart: Date.parse('2025-03-03T06:00:00Z'),
        plannedEnd: Date.parse('2025-03-03T10:00:00Z'),
        operations: [{ operation: '0010-press', equipment: 'acme/plant1/assembly/line1/cell2/press', idealCycleTimeMs: 1500, quantity: 2000, plannedStart: null, plannedEnd: null }],
        revision: Date.parse('2025-03-02T18:00:00Z'),
        eventId: `wo:PS-2025-0303:WO-5001:r${Date.parse('2025-03-02T18:00:00Z')}`,
      }),
    ]);
  });

  it('accepts the V0401 and V0600 namespaces too', () => {
    for (const ns of ['B2MML-V0401', 'B2MML-V0600']) expect(parse(legacy.replace('B2MML-V0500', ns)).ok).toBe(true);
  });

  it('checks the elements it reads, with their paths', () => {
    expect(rejected(legacy.replace('<QuantityString>2000</QuantityString>', ''))).toEqual({
      path: '/ProductionSchedule/ProductionRequest/SegmentRequirement/MaterialProducedRequirement/Quantity/QuantityString',
      reason: 'missing: the quantity value',
    });
    expect(rejected(legacy.replace('<StartTime>2025-03-03T06:00:00Z</StartTime>', '<StartTime>03/03/2025</StartTime>'))).toEqual({
      path: '/ProductionSchedule/ProductionRequest/StartTime',
      reason: "'03/03/2025' is not an xsd:dateTime (e.g. 2025-03-03T06:00:00Z)",
    });
    expect(rejected(legacy.replace('<ID>WO-5001</ID>', '<ID><Value>WO</Value></ID>'))).toEqual({
      path: '/ProductionSchedule/ProductionRequest/ID',
      reason: 'expected a text value, found child element Value',
    });
    expect(rejected(legacy.replace('<RequestState>Released</RequestState>', '<RequestState>Sleeping</RequestState>')).path).toBe('/ProductionSchedule/ProductionRequest/RequestState');
  });
});

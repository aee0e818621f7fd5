// Builds B2MML V0700 OperationsPerformance documents (pure string building, element order of the official XSD
// B2MML-OperationsPerformance.xsd; every emitted document is validated with xmllint in the tests). The mapping is
// documented in README.md.
import type { MaterialActualTotal } from '../../schemas/generated/types.ts';

export const b2mmlNamespace = 'http://www.mesa.org/xml/B2MML';

/** ISA-95 response states of B2MML V0700 (ResponseState1Type) that linepulse emits. */
export type ResponseState = 'Ready' | 'Running' | 'Completed' | 'Aborted' | 'Paused';

export interface SegmentFigures {
  operation: string;
  equipment: string;
  state: ResponseState;
  actualStart: number | null;
  actualEnd: number | null;
  good: number;
  reject: number;
  materials: MaterialActualTotal[];
}

export interface PerformanceDocument {
  /** OperationsPerformance/ID: the same for the same work order and revision. */
  id: string;
  workOrder: string;
  revision: number;
  /** Schedule (or BOD) id the work order came in with. */
  erpMessageId: string | null;
  product: string;
  unit: string | null;
  state: ResponseState;
  actualStart: number | null;
  actualEnd: number | null;
  /** PublishedDate: the event time of this revision. */
  publishedAt: number;
  good: number;
  reject: number;
  segments: SegmentFigures[];
}

/** XML text escaping for element content (no attributes are written). Characters XML 1.0 cannot carry are dropped. */
export function escapeXml(value: string): string {
  return value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function dateTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A decimal as xsd:decimal-compatible text (no exponent). */
function decimal(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const text = String(n);
  if (!/e/i.test(text)) return text;
  return n.toFixed(20).replace(/\.?0+$/, '');
}

class Writer {
  private readonly lines: string[] = [];
  private depth = 0;
  open(name: string, attrs = ''): void {
    this.lines.push(`${'  '.repeat(this.depth)}<${name}${attrs}>`);
    this.depth += 1;
  }
  close(name: string): void {
    this.depth -= 1;
    this.lines.push(`${'  '.repeat(this.depth)}</${name}>`);
  }
  leaf(name: string, value: string | null | undefined): void {
    if (value === null || value === undefined) return;
    this.lines.push(`${'  '.repeat(this.depth)}<${name}>${escapeXml(value)}</${name}>`);
  }
  toString(): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n${this.lines.join('\n')}\n`;
  }
}

function quantity(w: Writer, value: number, unit: string | null, key?: string): void {
  w.open('Quantity');
  w.leaf('QuantityString', decimal(value));
  w.leaf('DataType', 'decimal');
  w.leaf('UnitOfMeasure', unit);
  w.leaf('Key', key);
  w.close('Quantity');
}

function materialActual(w: Writer, m: MaterialActualTotal): void {
  w.open('MaterialActual');
  w.leaf('MaterialDefinitionID', m.material);
  if (m.materialKind === 'LOT') w.leaf('MaterialLotID', m.materialId);
  else w.leaf('MaterialSubLotID', m.materialId);
  if (m.materialKind === 'CONTAINER') w.leaf('Description', 'container');
  w.leaf('MaterialUse', 'Consumed');
  quantity(w, m.quantity, m.unit);
  w.close('MaterialActual');
}

/** The OperationsPerformance document of one work order revision. */
export function operationsPerformanceXml(doc: PerformanceDocument): string {
  const w = new Writer();
  w.open('OperationsPerformance', ` xmlns="${b2mmlNamespace}"`);
  w.leaf('ID', doc.id);
  w.leaf('Description', `linepulse production performance of work order ${doc.workOrder}, revision ${doc.revision}`);
  w.leaf('OperationsType', 'Production');
  w.leaf('OperationsScheduleID', doc.erpMessageId);
  w.leaf('StartTime', doc.actualStart === null ? null : dateTime(doc.actualStart));
  w.leaf('EndTime', doc.actualEnd === null ? null : dateTime(doc.actualEnd));
  w.leaf('PerformanceState', doc.state);
  w.leaf('PublishedDate', dateTime(doc.publishedAt));
  w.open('OperationsResponse');
  w.leaf('ID', doc.workOrder);
  w.leaf('OperationsType', 'Production');
  w.leaf('OperationsRequestID', doc.workOrder);
  w.leaf('StartTime', doc.actualStart === null ? null : dateTime(doc.actualStart));
  w.leaf('EndTime', doc.actualEnd === null ? null : dateTime(doc.actualEnd));
  w.leaf('ResponseState', doc.state);
  for (const s of doc.segments) {
    w.open('SegmentResponse');
    w.leaf('ID', s.operation);
    w.leaf('OperationsType', 'Production');
    w.leaf('ActualStartTime', s.actualStart === null ? null : dateTime(s.actualStart));
    w.leaf('ActualEndTime', s.actualEnd === null ? null : dateTime(s.actualEnd));
    w.leaf('SegmentState', s.state);
    w.open('EquipmentActual');
    w.leaf('EquipmentID', s.equipment);
    w.leaf('EquipmentUse', 'Production');
    w.close('EquipmentActual');
    w.open('MaterialActual');
    w.leaf('MaterialDefinitionID', doc.product);
    w.leaf('MaterialUse', 'Produced');
    quantity(w, s.good, doc.unit, 'Good');
    quantity(w, s.reject, doc.unit, 'Scrap');
    w.close('MaterialActual');
    for (const m of s.materials) materialActual(w, m);
    w.close('SegmentResponse');
  }
  w.close('OperationsResponse');
  w.close('OperationsPerformance');
  return w.toString();
}

// B2MML schedules -> normalised WorkOrder events. Accepts
//   - B2MML V0700 `OperationsSchedule` (namespace http://www.mesa.org/xml/B2MML), alone or inside a
//     Process/Sync/Change OperationsSchedule BOD; validated against the official XSD, then mapped;
//   - the older `ProductionSchedule` of B2MML V0401-V0600 (namespaces http://www.mesa.org/xml/B2MML-V0401 ...
//     -V0600), alone or inside a Process/Sync/Change ProductionSchedule BOD. The XSDs of those releases are not in
//     ../shared (only V0700 is), so the elements linepulse reads are checked here instead: presence, cardinality,
//     value types (see README.md, "Legacy ProductionSchedule").
// The mapping (which element gives which field) is documented in README.md. `parseSchedule` never throws: every bad
// input gives a Rejection naming the element path and what was wrong.
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { WorkOrder, WorkOrderOperation, WorkOrderStatus } from '../../schemas/generated/types.ts';
import { parseEquipmentPath } from '../../schemas/topics.ts';
import type { ErpIngestConfig } from './config.ts';
import { parseXml, stepName, withParsed, type Rejection, type XmlNode, type XsdSet } from './xml.ts';

export const b2mmlNamespace = 'http://www.mesa.org/xml/B2MML';
const legacyNamespace = /^http:\/\/www\.mesa\.org\/xml\/B2MML-V0(4|5|6)\d\d$/;

export type ScheduleFormat = 'OperationsSchedule V0700' | 'ProductionSchedule (legacy)';

export interface ParsedSchedule {
  ok: true;
  format: ScheduleFormat;
  erpMessageId: string;
  workOrders: WorkOrder[];
  /** Requests that are not production work (OperationsType Maintenance, Quality, ...), by path: left out. */
  skipped: string[];
}

export type ScheduleResult = ParsedSchedule | { ok: false; rejection: Rejection };

export interface ScheduleContext {
  /** Event time when the document carries no PublishedDate nor BOD CreationDateTime (e.g. the Kafka record time). */
  receivedAt: number;
}

/** Thrown inside the mapping, turned into a Rejection at the top: never escapes parseSchedule. */
class Refused extends Error {
  constructor(readonly rejection: Rejection) {
    super(`${rejection.path}: ${rejection.reason}`);
  }
}

function refuse(path: string, reason: string): never {
  throw new Refused({ path, reason });
}

/** Parses, validates and maps one schedule document. */
export function parseSchedule(text: unknown, xsd: XsdSet, config: ErpIngestConfig, context: ScheduleContext): ScheduleResult {
  try {
    if (typeof text !== 'string') return { ok: false, rejection: { path: '/', reason: `expected the XML document as text, got ${text === null ? 'null' : typeof text}` } };
    const parsed = parseXml(text, config.maxDocumentBytes);
    if (!parsed.ok) return parsed;
    return withParsed(parsed, () => {
      const root = parsed.root;
      const kind = rootKind(root);
      if (kind === 'v0700') {
        const invalid = xsd.validate(parsed, 'B2MML-OperationsSchedule.xsd');
        if (invalid) return { ok: false, rejection: invalid };
      }
      return mapDocument(root, kind, text, config, context);
    });
  } catch (error) {
    if (error instanceof Refused) return { ok: false, rejection: error.rejection };
    // A bug here must not stop the consumer either: the document is refused with what happened.
    return { ok: false, rejection: { path: '/', reason: `could not be read: ${(error as Error)?.message ?? String(error)}` } };
  }
}

type RootKind = 'v0700' | 'legacy';

const v0700Roots = new Set(['OperationsSchedule', 'ProcessOperationsSchedule', 'SyncOperationsSchedule', 'ChangeOperationsSchedule']);
const legacyRoots = new Set(['ProductionSchedule', 'ProcessProductionSchedule', 'SyncProductionSchedule', 'ChangeProductionSchedule']);

function rootKind(root: XmlNode): RootKind {
  const path = `/${root.name}`;
  if (root.ns === b2mmlNamespace) {
    if (v0700Roots.has(root.name)) return 'v0700';
    if (legacyRoots.has(root.name))
      refuse(path, `${root.name} belongs to B2MML V0401-V0600: declare its namespace (e.g. http://www.mesa.org/xml/B2MML-V0500), or send an OperationsSchedule with OperationsType Production in B2MML V0700`);
  } else if (legacyNamespace.test(root.ns)) {
    if (legacyRoots.has(root.name)) return 'legacy';
  } else if (v0700Roots.has(root.name) || legacyRoots.has(root.name)) {
    refuse(path, `namespace ${root.ns === '' ? '(none)' : `'${root.ns}'`} is not B2MML: use xmlns="${b2mmlNamespace}" (V0700) or http://www.mesa.org/xml/B2MML-V0500 (legacy ProductionSchedule)`);
  }
  return refuse(path, `a work-order schedule must be an OperationsSchedule (B2MML V0700, namespace ${b2mmlNamespace}) or a ProductionSchedule (B2MML V0401-V0600), got ${root.name}${root.ns ? ` in namespace ${root.ns}` : ''}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Tree helpers (elements of the root's namespace only)

interface At {
  node: XmlNode;
  path: string;
}

function children(at: At, name: string): At[] {
  return at.node.children.filter((c) => c.name === name && c.ns === at.node.ns).map((node) => ({ node, path: `${at.path}/${stepName(at.node, node)}` }));
}

function child(at: At, name: string): At | undefined {
  return children(at, name)[0];
}

function atMostOne(at: At, name: string): At | undefined {
  const all = children(at, name);
  if (all.length > 1) refuse(all[1]!.path, `${name} may appear at most once in ${at.node.name}`);
  return all[0];
}

/** Whitespace-normalised text (xsd:normalizedString / token), or undefined when the element is absent. */
function text(at: At | undefined): string | undefined {
  if (!at) return undefined;
  if (at.node.children.length > 0) refuse(at.path, `expected a text value, found child element ${at.node.children[0]!.name}`);
  return at.node.text.replace(/\s+/g, ' ').trim();
}

function requiredText(parent: At, name: string, why: string): string {
  const found = atMostOne(parent, name);
  if (!found) refuse(`${parent.path}/${name}`, `missing: ${why}`);
  const value = text(found);
  if (!value) refuse(found.path, `empty: ${why}`);
  return value;
}

const dateTimePattern = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function dateTime(at: At | undefined, config: ErpIngestConfig): number | null {
  const value = text(at);
  if (at === undefined || value === undefined) return null;
  if (!dateTimePattern.test(value)) refuse(at.path, `'${value}' is not an xsd:dateTime (e.g. 2025-03-03T06:00:00Z)`);
  const parsed = DateTime.fromISO(value, { zone: config.timeZone });
  if (!parsed.isValid) refuse(at.path, `'${value}' is not a valid date-time (${parsed.invalidExplanation ?? parsed.invalidReason ?? 'invalid'})`);
  return parsed.toMillis();
}

const decimalPattern = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function decimal(at: At, value: string): number {
  const n = decimalPattern.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) refuse(at.path, `'${value}' is not a number`);
  return n;
}

interface Quantity {
  value: number;
  unit: string | null;
}

/** The first Quantity (QuantityValueType: QuantityString, DataType?, UnitOfMeasure?) of a material requirement. */
function quantityOf(parent: At): Quantity | null {
  const q = child(parent, 'Quantity');
  if (!q) return null;
  const qs = atMostOne(q, 'QuantityString');
  if (!qs) refuse(`${q.path}/QuantityString`, 'missing: the quantity value');
  const value = decimal(qs, text(qs) ?? '');
  if (value < 0) refuse(qs.path, `quantity ${value} is negative`);
  const unit = text(atMostOne(q, 'UnitOfMeasure'));
  return { value, unit: unit ? unit : null };
}

// ---------------------------------------------------------------------------------------------------------------
// Document -> work orders

interface Envelope {
  bodId: string | null;
  createdAt: number | null;
  schedules: At[];
}

/** The schedules of a document: the root itself, or those in a BOD's DataArea. */
function envelope(root: XmlNode, scheduleName: string, config: ErpIngestConfig): Envelope {
  const at: At = { node: root, path: `/${root.name}` };
  if (root.name === scheduleName) return { bodId: null, createdAt: null, schedules: [at] };
  const area = atMostOne(at, 'ApplicationArea');
  const data = atMostOne(at, 'DataArea');
  if (!data) refuse(`${at.path}/DataArea`, `missing: a ${root.name} carries its ${scheduleName} in DataArea`);
  const schedules = children(data, scheduleName);
  if (schedules.length === 0) refuse(`${data.path}/${scheduleName}`, `missing: DataArea holds no ${scheduleName}`);
  const bodId = area ? text(atMostOne(area, 'BODID')) : undefined;
  return { bodId: bodId ? bodId : null, createdAt: area ? dateTime(atMostOne(area, 'CreationDateTime'), config) : null, schedules };
}

function mapDocument(root: XmlNode, kind: RootKind, raw: string, config: ErpIngestConfig, context: ScheduleContext): ParsedSchedule {
  const legacy = kind === 'legacy';
  const names = legacy ? legacyNames : v0700Names;
  const env = envelope(root, names.schedule, config);
  const workOrders: WorkOrder[] = [];
  const skipped: string[] = [];
  const firstSeen = new Map<string, string>();
  let messageId: string | null = env.bodId;
  for (const schedule of env.schedules) {
    const scheduleId = text(atMostOne(schedule, 'ID')) || null;
    messageId ??= scheduleId;
    const scheduleType = legacy ? 'Production' : text(atMostOne(schedule, 'OperationsType'));
    if (scheduleType !== undefined && scheduleType !== 'Production' && scheduleType !== 'Mixed')
      refuse(`${schedule.path}/OperationsType`, `'${scheduleType}' schedules are not production work orders: linepulse takes OperationsType Production (or Mixed, reading its Production requests)`);
    const published = dateTime(atMostOne(schedule, 'PublishedDate'), config);
    const revision = published ?? env.createdAt ?? 0;
    const scheduleState = text(atMostOne(schedule, 'ScheduleState'));
    const requests = children(schedule, names.request);
    for (const request of requests) {
      // A request without its own OperationsType is Production (also inside a Mixed schedule).
      const type = legacy ? 'Production' : (text(atMostOne(request, 'OperationsType')) ?? 'Production');
      if (type !== 'Production') {
        skipped.push(`${request.path} (OperationsType ${type})`);
        continue;
      }
      const wo = mapRequest(request, names, config);
      const seen = firstSeen.get(wo.workOrder);
      if (seen) refuse(`${request.path}/ID`, `work order ${wo.workOrder} appears twice in this message (first at ${seen})`);
      firstSeen.set(wo.workOrder, request.path);
      workOrders.push({ ...wo, eventId: '', erpMessageId: null, revision, erpState: wo.erpState ?? scheduleState ?? null, eventTime: revision > 0 ? revision : context.receivedAt });
    }
    if (requests.length === 0) refuse(`${schedule.path}/${names.request}`, `missing: the schedule holds no ${names.request} (one per work order)`);
  }
  if (workOrders.length === 0) refuse(env.schedules[0]!.path, `no ${names.request} with OperationsType Production: nothing to take as a work order (left out: ${skipped.join(', ')})`);
  const erpMessageId = messageId ?? `sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
  return {
    ok: true,
    format: legacy ? 'ProductionSchedule (legacy)' : 'OperationsSchedule V0700',
    erpMessageId,
    workOrders: workOrders.map((wo) => ({ ...wo, erpMessageId, eventId: workOrderEventId(erpMessageId, wo.workOrder, wo.revision) })),
    skipped,
  };
}

/** Deterministic event id of a work order: the ERP message id, the work order and its revision. */
export function workOrderEventId(erpMessageId: string, workOrder: string, revision: number): string {
  return `wo:${erpMessageId}:${workOrder}:r${revision}`;
}

interface Names {
  schedule: string;
  request: string;
  /** Produced material requirement of a segment. */
  produced: (segment: At) => At[];
  parameters: (segment: At) => Array<{ id: string | undefined; value: At | undefined; at: At }>;
}

function parameterList(segment: At, name: string): Array<{ id: string | undefined; value: At | undefined; at: At }> {
  return children(segment, name).map((p) => {
    // V0700 ParameterType and V0600 ProductionParameter have ID and Value directly; V0401-V0500 wrap them in Parameter.
    const inner = child(p, 'Parameter') ?? p;
    return { id: text(atMostOne(inner, 'ID')), value: child(inner, 'Value'), at: inner };
  });
}

const v0700Names: Names = {
  schedule: 'OperationsSchedule',
  request: 'OperationsRequest',
  produced: (segment) => children(segment, 'MaterialRequirement').filter((m) => text(atMostOne(m, 'MaterialUse')) === 'Produced'),
  parameters: (segment) => parameterList(segment, 'SegmentParameter'),
};

const legacyNames: Names = {
  schedule: 'ProductionSchedule',
  request: 'ProductionRequest',
  produced: (segment) => children(segment, 'MaterialProducedRequirement'),
  parameters: (segment) => parameterList(segment, 'ProductionParameter'),
};

const stateMap: Record<string, WorkOrderStatus> = {
  Forecast: 'PLANNED',
  Released: 'RELEASED',
  Ready: 'RELEASED',
  Waiting: 'RELEASED',
  Held: 'RELEASED',
  Paused: 'RELEASED',
  Suspended: 'RELEASED',
  Other: 'RELEASED',
  Running: 'RUNNING',
  Completed: 'COMPLETED',
  Closed: 'COMPLETED',
  Cancelled: 'CANCELLED',
  Aborted: 'CANCELLED',
};

type MappedRequest = Omit<WorkOrder, 'eventId' | 'eventTime' | 'revision' | 'erpMessageId'>;

function mapRequest(request: At, names: Names, config: ErpIngestConfig): MappedRequest {
  const workOrder = requiredText(request, 'ID', 'the work order id');
  const erpState = text(atMostOne(request, 'RequestState'));
  if (erpState !== undefined && !Object.hasOwn(stateMap, erpState))
    refuse(`${request.path}/RequestState`, `'${erpState}' is not a request state (${Object.keys(stateMap).join(', ')})`);
  const segments = children(request, 'SegmentRequirement');
  if (segments.length === 0) refuse(`${request.path}/SegmentRequirement`, 'missing: a work order needs at least one SegmentRequirement (its operations, with the produced material and quantity)');
  let product: { id: string; quantity: Quantity } | null = null;
  const operations: WorkOrderOperation[] = [];
  const opIds = new Map<string, string>();
  segments.forEach((segment, i) => {
    const produced = names.produced(segment);
    let opQuantity: number | null = null;
    for (const material of produced) {
      const id = text(child(material, 'MaterialDefinitionID'));
      if (!id) refuse(`${material.path}/MaterialDefinitionID`, 'missing: the produced material (the product of the work order)');
      const quantity = quantityOf(material);
      if (!quantity) refuse(`${material.path}/Quantity`, 'missing: the quantity to produce');
      opQuantity ??= quantity.value;
      product = { id, quantity }; // the last segment producing something gives the work order's product
    }
    const operation =
      text(atMostOne(segment, 'ID')) || text(child(segment, 'ProcessSegmentID')) || text(child(segment, 'ProductSegmentID')) || text(child(segment, 'OperationsSegmentID')) || `${String((i + 1) * 10).padStart(4, '0')}`;
    const before = opIds.get(operation);
    if (before) refuse(`${segment.path}/ID`, `operation ${operation} appears twice in work order ${workOrder} (first at ${before})`);
    opIds.set(operation, segment.path);
    operations.push({
      operation,
      equipment: equipmentOf(segment, config),
      idealCycleTimeMs: idealCycleTime(segment, names, config),
      quantity: opQuantity,
      plannedStart: dateTime(atMostOne(segment, 'EarliestStartTime'), config),
      plannedEnd: dateTime(atMostOne(segment, 'LatestEndTime'), config),
    });
  });
  const made = product as { id: string; quantity: Quantity } | null;
  if (!made)
    refuse(
      `${request.path}/SegmentRequirement`,
      names.request === 'OperationsRequest'
        ? 'no MaterialRequirement with MaterialUse Produced: the product and quantity of the work order come from it'
        : 'no MaterialProducedRequirement: the product and quantity of the work order come from it',
    );
  if (made.quantity.value <= 0) refuse(`${request.path}/SegmentRequirement`, `the quantity to produce must be more than 0, got ${made.quantity.value}`);
  const starts = operations.map((o) => o.plannedStart).filter((t): t is number => t !== null);
  const ends = operations.map((o) => o.plannedEnd).filter((t): t is number => t !== null);
  const plannedStart = dateTime(atMostOne(request, 'StartTime'), config) ?? (starts.length > 0 ? Math.min(...starts) : null);
  const plannedEnd = dateTime(atMostOne(request, 'EndTime'), config) ?? (ends.length > 0 ? Math.max(...ends) : null);
  if (plannedStart !== null && plannedEnd !== null && plannedEnd < plannedStart)
    refuse(`${request.path}/EndTime`, 'the end is before the start');
  return {
    workOrder,
    product: made.id,
    quantity: made.quantity.value,
    unit: made.quantity.unit,
    status: erpState ? stateMap[erpState]! : 'RELEASED',
    plannedStart,
    plannedEnd,
    operations,
    erpState: erpState ?? null,
  };
}

function equipmentOf(segment: At, config: ErpIngestConfig): string | null {
  const requirements = children(segment, 'EquipmentRequirement');
  for (const requirement of requirements) {
    const idAt = child(requirement, 'EquipmentID');
    const id = text(idAt);
    if (!idAt || !id) continue;
    const mapped = Object.hasOwn(config.equipment, id) ? config.equipment[id]! : id;
    if (!parseEquipmentPath(mapped))
      refuse(idAt.path, `EquipmentID '${id}' is not a linepulse equipment path (enterprise/site/area/line/cell/equipment) and erp.equipment maps no such id`);
    return mapped;
  }
  return null;
}

const unitsMs: Record<string, number> = { ms: 1, msec: 1, millisecond: 1, milliseconds: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000, min: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000 };

const durationPattern = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

function idealCycleTime(segment: At, names: Names, config: ErpIngestConfig): number | null {
  const wanted = config.idealCycleTimeParameter.toLowerCase();
  const parameter = names.parameters(segment).find((p) => p.id?.toLowerCase() === wanted);
  if (!parameter) return null;
  const where = parameter.value ?? parameter.at;
  if (!parameter.value) refuse(`${parameter.at.path}/Value`, `missing: the ${config.idealCycleTimeParameter} value`);
  const valueAt = atMostOne(parameter.value, 'ValueString');
  const value = text(valueAt);
  if (!valueAt || !value) refuse(`${where.path}/ValueString`, `missing: the ${config.idealCycleTimeParameter} value`);
  let ms: number;
  const duration = durationPattern.exec(value);
  if (duration && value !== 'P' && !value.endsWith('T')) {
    const [, d = '0', h = '0', m = '0', s = '0'] = duration;
    ms = ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000;
  } else {
    const amount = decimal(valueAt, value);
    const unitAt = atMostOne(parameter.value, 'UnitOfMeasure');
    const unit = text(unitAt)?.toLowerCase();
    if (!unit) refuse(`${where.path}/UnitOfMeasure`, `missing: give the unit of ${config.idealCycleTimeParameter} (s, ms or min), or an xsd:duration like PT12S`);
    const factor = unitsMs[unit];
    if (factor === undefined) refuse(unitAt!.path, `unit '${unit}' is not a time unit (ms, s, min, h)`);
    ms = amount * factor;
  }
  if (!(ms > 0) || !Number.isFinite(ms)) refuse(valueAt.path, `the ideal cycle time must be more than 0, got '${value}'`);
  return ms;
}

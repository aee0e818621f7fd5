// The manual-entry requests (zod: the one definition of what is accepted; the JSON schemas for the routes and the
// OpenAPI document are generated from it) and their pure translation into bus events: QualityMeasurement (entry
// MANUAL) and SpcCommand, with stable event ids.
//
// Event ids: a client-supplied idempotency key gives `manual:key:<key>` (commands: `spc-cmd:key:<key>`), so a retry
// of the same request publishes the same event and consumers drop the duplicate. Without a key the id is a hash of
// the content, the operator / user, the time and the position in the request: stable for a retry only when the
// client also sends the time (`measuredAt`); otherwise the receipt time differs and the retry is a new event.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { QualityMeasurement, SpcCommand } from '../../schemas/generated/types.ts';
import { parseEquipmentPath } from '../../schemas/topics.ts';

const text = (max: number) => z.string().trim().min(1).max(max);
const idempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits and . _ : - only, 1..128 characters');
const epochMs = z.number().int().min(0).max(8_640_000_000_000_000);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const measurementEntrySchema = z
  .object({
    characteristic: text(200).describe('Characteristic id, as configured for SPC'),
    value: finite.describe('Measured value (p charts: 0 conforming / 1 nonconforming; u charts: number of nonconformities)'),
    unit: text(32).nullish().describe("Unit; must match the characteristic's unit when one is configured"),
    serial: text(200).nullish(),
    lot: text(200).nullish(),
    workOrder: text(200).nullish(),
    subgroupId: text(200).nullish().describe('Explicit subgroup (subgroups per part serial)'),
    operator: text(200).describe('Who measured / entered it'),
    equipment: text(400).nullish().describe("ISA-95 equipment path; default the characteristic's configured equipment"),
    measuredAt: epochMs.nullish().describe('When it was measured (epoch ms); default the time of receipt'),
    idempotencyKey: idempotencyKey.nullish().describe('Client key making retries safe (else the Idempotency-Key header, suffixed with the position)'),
  })
  .strict();

export const measurementListSchema = z.array(measurementEntrySchema).min(1).max(1000);

/** One measurement, or an array of 1..1000 (validated by the branch the body's shape selects, for precise issues). */
export const measurementsBodySchema = z.union([measurementEntrySchema, measurementListSchema]);

export type MeasurementEntry = z.infer<typeof measurementEntrySchema>;

const fixedLimitsSchema = z
  .object({
    center: finite,
    ucl: finite,
    lcl: finite,
    sigma: finite.nullish().describe('Sigma of the plotted statistic; default (ucl - lcl) / 6'),
    dispersion: z.object({ center: finite, ucl: finite, lcl: finite }).strict().nullish().describe('Limits of the moving range / range / s chart'),
    sigmaWithin: finite.nullish(),
  })
  .strict();

export const spcCommandBodySchema = z
  .object({
    characteristic: text(200),
    kind: z.enum(['RECOMPUTE_LIMITS', 'SET_FIXED_LIMITS', 'RESET_PHASE1']),
    fixedLimits: fixedLimitsSchema.nullish().describe('SET_FIXED_LIMITS only'),
    points: z.number().int().min(2).max(1000).nullish().describe('RECOMPUTE_LIMITS, RESET_PHASE1: points in the new baseline (default the Phase I size)'),
    user: text(200).describe('Who asks'),
    reason: text(2000).describe('Why (kept in the audit trail)'),
    equipment: text(400).nullish(),
    idempotencyKey: idempotencyKey.nullish(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.kind === 'SET_FIXED_LIMITS' && !c.fixedLimits) ctx.addIssue({ code: 'custom', path: ['fixedLimits'], message: 'required for SET_FIXED_LIMITS' });
    if (c.kind !== 'SET_FIXED_LIMITS' && c.fixedLimits) ctx.addIssue({ code: 'custom', path: ['fixedLimits'], message: `only for SET_FIXED_LIMITS, not ${c.kind}` });
    if (c.kind === 'SET_FIXED_LIMITS' && c.points != null) ctx.addIssue({ code: 'custom', path: ['points'], message: 'not for SET_FIXED_LIMITS' });
    const f = c.fixedLimits;
    if (f && !(f.lcl <= f.center && f.center < f.ucl)) ctx.addIssue({ code: 'custom', path: ['fixedLimits'], message: 'needs lcl <= center < ucl' });
  });

export type SpcCommandBody = z.infer<typeof spcCommandBodySchema>;

/** A JSON schema for fastify / OpenAPI from a zod schema (draft-07, which fastify's validator and swagger speak). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

// --- Resolution and events -------------------------------------------------------------------------------------

/** Where a characteristic is measured, as configured for SPC (the CLI passes the processors.spc characteristics). */
export interface CharacteristicRef {
  readonly equipment: string;
  readonly unit?: string | null;
}

export type CharacteristicLookup = (id: string) => CharacteristicRef | undefined;

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export class RequestRejected extends Error {
  constructor(readonly issues: readonly Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'RequestRejected';
  }
}

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The equipment of a characteristic: the configured one (a differing request is refused) or the one named. */
function resolveEquipment(characteristic: string, named: string | null | undefined, lookup: CharacteristicLookup | undefined, at: string): { equipment: string; ref: CharacteristicRef | undefined; issue?: Issue } {
  const ref = lookup?.(characteristic);
  if (lookup && !ref) return { equipment: '', ref, issue: { path: `${at}characteristic`, message: `unknown characteristic ${JSON.stringify(characteristic)}` } };
  if (ref && named && named !== ref.equipment) return { equipment: '', ref, issue: { path: `${at}equipment`, message: `characteristic ${characteristic} is measured on ${ref.equipment}, not on ${named}` } };
  const equipment = ref?.equipment ?? named ?? '';
  if (equipment === '') return { equipment, ref, issue: { path: `${at}equipment`, message: 'required: the characteristic is not known to this server' } };
  if (!parseEquipmentPath(equipment)) return { equipment, ref, issue: { path: `${at}equipment`, message: `not an ISA-95 equipment path: ${JSON.stringify(equipment)}` } };
  return { equipment, ref };
}

export interface EventContext {
  /** Time of receipt, epoch ms (the default event time, and the edge time of the origin). */
  readonly receivedAt: number;
  /** The request's Idempotency-Key header, if any. */
  readonly idempotencyKey?: string | undefined;
  readonly lookup?: CharacteristicLookup | undefined;
}

/**
 * Turns validated entries into QualityMeasurement events; throws RequestRejected listing every problem. The origin
 * is left for the sequencer (sequencer.ts) to stamp: `sourceId` '' and `seq` 0 here.
 */
export function measurementEvents(entries: readonly MeasurementEntry[], ctx: EventContext): QualityMeasurement[] {
  const single = entries.length === 1;
  const issues: Issue[] = [];
  const events = entries.map((e, i): QualityMeasurement => {
    const at = single ? '' : `[${i}].`;
    const { equipment, ref, issue } = resolveEquipment(e.characteristic, e.equipment, ctx.lookup, at);
    if (issue) issues.push(issue);
    const configuredUnit = ref?.unit ?? null;
    if (e.unit && configuredUnit && e.unit !== configuredUnit) issues.push({ path: `${at}unit`, message: `${e.unit} is not the unit of ${e.characteristic} (${configuredUnit})` });
    const eventTime = e.measuredAt ?? ctx.receivedAt;
    const key = e.idempotencyKey ?? (ctx.idempotencyKey ? (single ? ctx.idempotencyKey : `${ctx.idempotencyKey}:${i}`) : null);
    const content = [e.characteristic, equipment, e.value, e.unit ?? configuredUnit, e.serial ?? null, e.lot ?? null, e.workOrder ?? null, e.subgroupId ?? null, e.operator, eventTime, i];
    const eventId = key ? `manual:key:${key}` : `manual:${hash(content).slice(0, 32)}`;
    return {
      eventId,
      eventTime,
      equipment,
      characteristic: e.characteristic,
      value: e.value,
      unit: e.unit ?? configuredUnit,
      subgroupId: e.subgroupId ?? null,
      serial: e.serial ?? null,
      lot: e.lot ?? null,
      workOrder: e.workOrder ?? null,
      operator: e.operator,
      entry: 'MANUAL',
      origin: { sourceId: '', seq: 0, serverTime: null, edgeTime: ctx.receivedAt, historical: false },
    };
  });
  const ids = new Map<string, number>();
  events.forEach((e, i) => {
    const first = ids.get(e.eventId);
    if (first !== undefined) issues.push({ path: single ? 'idempotencyKey' : `[${i}].idempotencyKey`, message: `same event id as entry ${first} (${e.eventId})` });
    else ids.set(e.eventId, i);
  });
  if (issues.length > 0) throw new RequestRejected(issues);
  return events;
}

/** Turns a validated command request into an SpcCommand event; throws RequestRejected. */
export function commandEvent(body: SpcCommandBody, ctx: EventContext): SpcCommand {
  const { equipment, issue } = resolveEquipment(body.characteristic, body.equipment, ctx.lookup, '');
  if (issue) throw new RequestRejected([issue]);
  const key = body.idempotencyKey ?? ctx.idempotencyKey ?? null;
  const f = body.fixedLimits ?? null;
  const fixedLimits = f
    ? { center: f.center, ucl: f.ucl, lcl: f.lcl, sigma: f.sigma ?? null, dispersionCenter: f.dispersion?.center ?? null, dispersionUcl: f.dispersion?.ucl ?? null, dispersionLcl: f.dispersion?.lcl ?? null, sigmaWithin: f.sigmaWithin ?? null }
    : null;
  const content = [body.characteristic, equipment, body.kind, fixedLimits, body.points ?? null, body.user, body.reason, ctx.receivedAt];
  return {
    eventId: key ? `spc-cmd:key:${key}` : `spc-cmd:${hash(content).slice(0, 32)}`,
    eventTime: ctx.receivedAt,
    equipment,
    characteristic: body.characteristic,
    kind: body.kind,
    fixedLimits,
    points: body.points ?? null,
    user: body.user,
    reason: body.reason,
  };
}

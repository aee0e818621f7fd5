// The manual-entry gateway: a fastify route plugin the dashboard server (or any fastify app of the CLI) mounts,
// e.g. `await app.register(manualEntryRoutes({ publish, logger, characteristics }), { prefix: '/api' })`:
//
//   POST <prefix>/measurements   one measurement object, or an array of up to 1000
//        header Idempotency-Key (optional): retries publish the same event ids
//   202 {"accepted":true,"events":[{"eventId","equipment","characteristic","eventTime","seq","repeated"}]}
//        on linepulse.measurements.v1 (origin: sequencer.ts; a retry gets the first event back, repeated: true)
//   POST <prefix>/spc/commands   {"characteristic","kind":"RECOMPUTE_LIMITS|SET_FIXED_LIMITS|RESET_PHASE1",
//                                 "fixedLimits"?,"points"?,"user","reason"}
//   202 {"accepted":true,"commandId","equipment","characteristic","kind","auditTopic"}          on linepulse.spc-commands.v1
//        (the SPC processor's verdict, applied or rejected with the reason, arrives on linepulse.spc-audit.v1 with
//        commandId = the returned id)
//   400 {"accepted":false,"error","issues":[{"path","message"}]}  the body does not match the schema
//   422 the same shape: unknown characteristic, another equipment, a unit that is not the characteristic's
//   503 the bus did not take the events (nothing is half-published: one batch per request)
//
// Validation: the zod schemas of requests.ts, used as fastify's validator for these routes (no type coercion: "12.5"
// is not a number); their JSON schemas document the routes in the OpenAPI document.
import type { FastifyPluginAsync, FastifyReply, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import type { TypedProducer } from '../../platform/bus/typed.ts';
import type { Logger } from '../../platform/log.ts';
import { oneLine } from '../../platform/errors.ts';
import { correlationHeaders, topics } from '../../schemas/topics.ts';
import { createSequencer, type Sequencer } from './sequencer.ts';
import {
  RequestRejected,
  commandEvent,
  jsonSchemaOf,
  measurementEntrySchema,
  measurementEvents,
  measurementListSchema,
  measurementsBodySchema,
  spcCommandBodySchema,
  type CharacteristicLookup,
  type Issue,
  type MeasurementEntry,
  type SpcCommandBody,
} from './requests.ts';

export interface ManualEntryOptions {
  /** A typed producer (platform/bus/typed.ts): validates, keys and sends each request's events as one batch. */
  publish: Pick<TypedProducer, 'send'>;
  logger: Logger;
  /**
   * Where each characteristic is measured (and its unit), from the SPC config: unknown characteristics are refused
   * and the equipment (the record key the SPC processor's state lives under) is filled in. Without it, every request
   * must name its equipment.
   */
  characteristics?: CharacteristicLookup;
  /** Prefix of origin.sourceId (each process is its own source, sequencer.ts). Default 'manual-entry'. */
  sourcePrefix?: string;
  /** The sequencer (tests); default one of this process. */
  sequencer?: Sequencer;
  /** Clock for the time of receipt (tests). */
  now?: () => number;
}

const issuesSchema = {
  type: 'array',
  items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
} as const;

const rejectionSchema = {
  type: 'object',
  required: ['accepted', 'error', 'issues'],
  properties: { accepted: { type: 'boolean', const: false }, error: { type: 'string' }, issues: issuesSchema },
} as const;

const measurementsAccepted = {
  type: 'object',
  required: ['accepted', 'events'],
  properties: {
    accepted: { type: 'boolean', const: true },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['eventId', 'equipment', 'characteristic', 'eventTime', 'seq', 'repeated'],
        properties: {
          eventId: { type: 'string' },
          equipment: { type: 'string' },
          characteristic: { type: 'string' },
          eventTime: { type: 'integer' },
          seq: { type: 'integer', description: 'origin.seq of this gateway process' },
          repeated: { type: 'boolean', description: 'The same entry was accepted before: the first event was published again' },
        },
      },
    },
  },
} as const;

const commandAccepted = {
  type: 'object',
  required: ['accepted', 'commandId', 'equipment', 'characteristic', 'kind', 'auditTopic'],
  properties: {
    accepted: { type: 'boolean', const: true },
    commandId: { type: 'string' },
    equipment: { type: 'string' },
    characteristic: { type: 'string' },
    kind: { type: 'string' },
    auditTopic: { type: 'string' },
  },
} as const;

function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '') || '(body)', message: i.message }));
}

/** Validation error carrying our issues, so the plugin's error handler can answer with them. */
class BodyInvalid extends Error {
  readonly validation = true;
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

export function manualEntryRoutes(options: ManualEntryOptions): FastifyPluginAsync {
  const log = options.logger.child({ component: 'manual-entry' });
  const now = options.now ?? Date.now;
  const sequencer = options.sequencer ?? createSequencer({ prefix: options.sourcePrefix ?? 'manual-entry' });
  const measurementsJson = jsonSchemaOf(measurementsBodySchema);
  const commandJson = jsonSchemaOf(spcCommandBodySchema);
  // fastify compiles the route's JSON schema; we validate with the zod schema it was generated from.
  // (a union's issues would only say "invalid input" at the top: the body's shape picks the branch instead)
  const zodOf = new Map<unknown, (data: unknown) => z.ZodType>([
    [measurementsJson, (data) => (Array.isArray(data) ? measurementListSchema : measurementEntrySchema)],
    [commandJson, () => spcCommandBodySchema],
  ]);
  const compiler: FastifySchemaCompiler<unknown> = ({ schema }) => {
    const zodFor = zodOf.get(schema);
    if (!zodFor) return () => true;
    return (data: unknown) => {
      const parsed = zodFor(data).safeParse(data);
      return parsed.success ? { value: parsed.data } : { error: new BodyInvalid(zodIssues(parsed.error)) };
    };
  };

  const reject = (reply: FastifyReply, status: 400 | 422 | 503, issues: readonly Issue[], error?: string) =>
    reply.status(status).send({ accepted: false, error: error ?? issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues });

  return async (app) => {
    app.setValidatorCompiler(compiler);
    app.setErrorHandler(async (error: Error & { validation?: unknown; statusCode?: number }, _request, reply) => {
      if (error instanceof BodyInvalid) return reject(reply, 400, error.issues);
      if (error.validation !== undefined || error.statusCode === 400) return reject(reply, 400, [{ path: '(body)', message: error.message }]);
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return reply.status(error.statusCode).send({ accepted: false, error: error.message, issues: [] });
      log.error({ err: error }, 'manual entry failed');
      return reply.status(500).send({ accepted: false, error: 'internal error', issues: [] });
    });

    const idempotencyHeader = (value: unknown): string | undefined => {
      if (typeof value !== 'string' || value === '') return undefined;
      if (!/^[A-Za-z0-9._:-]{1,120}$/.test(value)) throw new RequestRejected([{ path: 'Idempotency-Key', message: 'letters, digits and . _ : - only, 1..120 characters' }]);
      return value;
    };

    app.post(
      '/measurements',
      {
        schema: {
          tags: ['manual entry'],
          summary: 'Enter one or many quality measurements by hand (published as QualityMeasurement, entry MANUAL)',
          body: measurementsJson,
          response: { 202: measurementsAccepted, 400: rejectionSchema, 422: rejectionSchema, 503: rejectionSchema },
        },
      },
      async (request, reply) => {
        const body = request.body as MeasurementEntry | MeasurementEntry[];
        const entries = Array.isArray(body) ? body : [body];
        let built;
        try {
          built = measurementEvents(entries, { receivedAt: now(), idempotencyKey: idempotencyHeader(request.headers['idempotency-key']), lookup: options.characteristics });
        } catch (error) {
          if (error instanceof RequestRejected) return reject(reply, 422, error.issues);
          throw error;
        }
        // Numbered and published one request at a time, so that the seq order is the order on the bus.
        const outcome = await sequencer.serialise(async () => {
          let stamped;
          try {
            stamped = sequencer.stamp(built);
          } catch (error) {
            if (error instanceof RequestRejected) return { status: 422 as const, issues: error.issues };
            throw error;
          }
          try {
            // The request id (echoed as x-request-id) follows the events as their correlation id.
            await options.publish.send('measurements', stamped.events, { headers: { [correlationHeaders.correlationId]: request.id } });
          } catch (error) {
            sequencer.forget(stamped.events.filter((_e, i) => !stamped.repeated[i]));
            log.warn({ err: oneLine(error), events: stamped.events.length }, 'manual measurements not published');
            return { status: 503 as const, error: `not published: ${oneLine(error)}` };
          }
          return { status: 202 as const, stamped };
        });
        if (outcome.status === 422) return reject(reply, 422, outcome.issues);
        if (outcome.status === 503) return reject(reply, 503, [], outcome.error);
        const { events, repeated } = outcome.stamped;
        log.info({ events: events.length, repeated: repeated.filter(Boolean).length, operator: entries[0]?.operator }, 'manual measurements published');
        return reply.status(202).send({ accepted: true, events: events.map((e, i) => ({ eventId: e.eventId, equipment: e.equipment, characteristic: e.characteristic, eventTime: e.eventTime, seq: e.origin.seq, repeated: repeated[i]! })) });
      },
    );

    app.post(
      '/spc/commands',
      {
        schema: {
          tags: ['spc'],
          summary: 'Ask the SPC processor to recompute, fix or reset the control limits of a characteristic (audited)',
          body: commandJson,
          response: { 202: commandAccepted, 400: rejectionSchema, 422: rejectionSchema, 503: rejectionSchema },
        },
      },
      async (request, reply) => {
        let command;
        try {
          command = commandEvent(request.body as SpcCommandBody, { receivedAt: now(), idempotencyKey: idempotencyHeader(request.headers['idempotency-key']), lookup: options.characteristics });
        } catch (error) {
          if (error instanceof RequestRejected) return reject(reply, 422, error.issues);
          throw error;
        }
        try {
          await options.publish.send('spcCommands', [command], { headers: { [correlationHeaders.correlationId]: request.id } });
        } catch (error) {
          log.warn({ err: oneLine(error), commandId: command.eventId }, 'SPC command not published');
          return reject(reply, 503, [], `not published: ${oneLine(error)}`);
        }
        log.info({ commandId: command.eventId, characteristic: command.characteristic, kind: command.kind, user: command.user }, 'SPC command published');
        return reply.status(202).send({ accepted: true, commandId: command.eventId, equipment: command.equipment, characteristic: command.characteristic, kind: command.kind, auditTopic: topics.spcAudit.topic });
      },
    );
  };
}

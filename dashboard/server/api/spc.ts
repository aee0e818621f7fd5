// SPC quality routes beyond the chart (registered by ./index.ts): containment of an SPC alarm through genealogy, NCR
// drafts, capability history and the control-limits audit trail. Same conventions as ./index.ts: JSON schemas (the
// OpenAPI document), epoch-ms ranges [from, to), 4xx answers { error, message }.
//
// Who drafts an NCR: the request's `user` field, which the auth hook replaces with the session's user.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AlarmActionError } from '../../../sinks/postgres/alarms.ts';
import type { ProductionQueries } from '../../../sinks/queries.ts';
import { containmentDefaults } from '../../../sinks/spc-quality.ts';
import { errorSchema } from '../schemas.ts';
import { parseScope } from '../scope.ts';

const day = 86_400_000;
const maxRangeMs = 400 * day;
const answer = (description: string) => ({ type: 'object', additionalProperties: true, description }) as const;
const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema } as const;
const alarmParams = { type: 'object', required: ['alarmId'], properties: { alarmId: { type: 'string', minLength: 1, maxLength: 400 } } } as const;
const characteristic = { type: 'string', minLength: 1, maxLength: 400 } as const;
const scope = { type: 'string', maxLength: 400, description: 'ISA-95 path prefix enterprise/site/area/line/cell/equipment (default: everything)' } as const;
const page = {
  limit: { type: 'integer', minimum: 1, maximum: 1_000, default: 100 },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
} as const;

function bad(reply: FastifyReply, message: string) {
  return reply.status(400).send({ error: 'Bad Request', message });
}

/** AlarmActionError -> 404 / 409 / 400; anything else is rethrown (500). */
function refused(reply: FastifyReply, error: unknown) {
  if (!(error instanceof AlarmActionError)) throw error;
  const status = error.reason === 'not-found' ? 404 : error.reason === 'conflict' ? 409 : 400;
  return reply.status(status).send({ error: status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : 'Bad Request', message: error.message });
}

export function registerSpcRoutes(app: FastifyInstance, api: ProductionQueries): void {
  app.get(
    '/api/spc/alarms/:alarmId/containment',
    {
      schema: {
        tags: ['spc'],
        summary: 'Containment of an SPC alarm: serials / lots plotted from the first point of the pattern on, and what they went into (genealogy)',
        description:
          'direct: serials, lots and work orders of every point of the characteristic from the first point of the pattern through throughIndex (default the latest), with missing points and whether maxPoints cut the read. expanded: every assembly, container and lot the direct serials and lots went into (forward genealogy traces), at the smallest depth, with the chart serial or lot it was reached from and the path of links; maxDepth and maxRows are the trace limits of /api/genealogy/trace (maxRows over all traces together); truncated says the list may be incomplete.',
        params: alarmParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            throughIndex: { type: 'integer', minimum: 1, description: 'Last point index to include (default: the latest plotted)' },
            maxPoints: { type: 'integer', minimum: 1, maximum: 100_000, default: containmentDefaults.maxPoints },
            maxDepth: { type: 'integer', minimum: 1, maximum: 100, default: containmentDefaults.maxDepth },
            maxRows: { type: 'integer', minimum: 1, maximum: 100_000, default: containmentDefaults.maxRows },
          },
        },
        response: { 200: answer('{ alarm, direct: { fromIndex, signalIndex, throughIndex, fromTime, throughTime, serials, lots, workOrders, points, missingIndexes, missingCount, complete, pointsTruncated }, expanded: { materials: [{ kind, id, depth, via, path: [{ kind, id, relation }] }], untraced, truncated, rows }, limits }'), ...errors },
      },
    },
    async (request, reply) => {
      const { alarmId } = request.params as { alarmId: string };
      const q = request.query as { throughIndex?: number; maxPoints: number; maxDepth: number; maxRows: number };
      try {
        const found = await api.spcContainment(alarmId, { maxPoints: q.maxPoints, maxDepth: q.maxDepth, maxRows: q.maxRows, ...(q.throughIndex !== undefined ? { throughIndex: q.throughIndex } : {}) });
        return found ?? reply.status(404).send({ error: 'Not Found', message: `alarm '${alarmId}' does not exist` });
      } catch (error) {
        return refused(reply, error);
      }
    },
  );

  app.post(
    '/api/spc/alarms/:alarmId/ncr',
    {
      schema: {
        tags: ['spc'],
        summary: 'Draft a nonconformance report (NCR) from an SPC alarm: one per alarm, prefilled, recorded in the alarm audit trail',
        description:
          'Prefilled from the alarm (characteristic, rule, points, limits, work order, serials / lots) and its containment list. 201 with the new draft; a second call answers the existing draft with 200 and changes nothing. 404: no such alarm; 409: not an SPC alarm.',
        params: alarmParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['user'],
          properties: { user: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', description: 'Who drafts it (taken from the session when logins are on)' } },
        },
        response: { 200: answer('{ ncr: Ncr, created: false }'), 201: answer('{ ncr: Ncr, created: true }'), ...errors },
      },
    },
    async (request, reply) => {
      const { alarmId } = request.params as { alarmId: string };
      const { user } = request.body as { user: string };
      try {
        const result = await api.createNcrDraft(alarmId, user);
        return reply.status(result.created ? 201 : 200).send(result);
      } catch (error) {
        return refused(reply, error);
      }
    },
  );

  app.get(
    '/api/spc/ncrs',
    {
      schema: {
        tags: ['spc'],
        summary: 'NCR drafts, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: { scope, characteristic, ...page } },
        response: { 200: answer('{ ncrs: Ncr[], total, limit, offset }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; characteristic?: string; limit: number; offset: number };
      const s = parseScope(q.scope);
      if (s === null) return bad(reply, `scope '${q.scope}' is not an ISA-95 path`);
      const result = await api.listNcrs({ scope: s, ...(q.characteristic ? { characteristic: q.characteristic } : {}), limit: q.limit, offset: q.offset });
      return { ...result, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/api/spc/capability',
    {
      schema: {
        tags: ['spc'],
        summary: 'Capability history of a characteristic (Cp, Cpk, Pp, Ppk and one-sided parts, each with its samples), oldest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['characteristic', 'from', 'to'],
          properties: {
            characteristic,
            from: { type: 'integer', minimum: 0, description: 'Inclusive start, epoch ms' },
            to: { type: 'integer', minimum: 1, description: 'Exclusive end, epoch ms' },
            limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 1_000 },
          },
        },
        response: { 200: answer('{ characteristic, records: SpcCapability[] }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { characteristic: string; from: number; to: number; limit: number };
      if (q.to <= q.from) return bad(reply, '`to` must be after `from`');
      if (q.to - q.from > maxRangeMs) return bad(reply, `the range covers at most ${maxRangeMs / day} days`);
      return { characteristic: q.characteristic, records: await api.spcCapabilityHistory(q) };
    },
  );

  app.get(
    '/api/spc/capability/latest',
    {
      schema: {
        tags: ['spc'],
        summary: 'The latest capability record of each characteristic measured on equipment in the scope',
        querystring: { type: 'object', additionalProperties: false, properties: { scope, characteristic } },
        response: { 200: answer('{ records: SpcCapability[] }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; characteristic?: string };
      const s = parseScope(q.scope);
      if (s === null) return bad(reply, `scope '${q.scope}' is not an ISA-95 path`);
      return { records: await api.latestSpcCapability({ scope: s, ...(q.characteristic ? { characteristic: q.characteristic } : {}) }) };
    },
  );

  app.get(
    '/api/spc/limits-audit',
    {
      schema: {
        tags: ['spc'],
        summary: 'Control-limit changes (who, when, why, old and new limits, rejected requests), oldest first',
        querystring: { type: 'object', additionalProperties: false, properties: { characteristic, equipment: { type: 'string', minLength: 1, maxLength: 400 }, ...page } },
        response: { 200: answer('{ records: SpcLimitsAudit[], limit, offset }'), ...errors },
      },
    },
    async (request) => {
      const q = request.query as { characteristic?: string; equipment?: string; limit: number; offset: number };
      const records = await api.spcLimitsAudit({ ...(q.characteristic ? { characteristic: q.characteristic } : {}), ...(q.equipment ? { equipment: q.equipment } : {}), limit: q.limit, offset: q.offset });
      return { records, limit: q.limit, offset: q.offset };
    },
  );
}

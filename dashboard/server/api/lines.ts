// Routes of the line / equipment drill-down and the wall's work-order line, over the query API (sinks/queries.ts):
//   GET /api/oee/trend            OEE and its factors per time bucket (hour windows summed per bucket), for a trend;
//   GET /api/workorders/current   the work order dispatched on each equipment now (PostgreSQL dispatch events).
import type { FastifyInstance } from 'fastify';
import type { ProductionQueries } from '../../../sinks/queries.ts';
import { errorSchema } from '../schemas.ts';
import { parseScope } from '../scope.ts';

const hour = 3_600_000;
const day = 24 * hour;
/** Longest range of a trend, and most buckets it is cut into. */
export const trendMaxRangeMs = 31 * day;
export const trendMaxBuckets = 48;

/** Bucket length of a trend over `rangeMs`: whole hours, at most `trendMaxBuckets` buckets. */
export function trendBucketMs(rangeMs: number): number {
  return Math.max(1, Math.ceil(rangeMs / hour / trendMaxBuckets)) * hour;
}

const errors = { 400: errorSchema, 404: errorSchema } as const;
const scope = { type: 'string', maxLength: 400, description: 'ISA-95 path prefix (default: everything)' } as const;

export function registerLineRoutes(app: FastifyInstance, api: ProductionQueries): void {
  app.get(
    '/api/oee/trend',
    {
      schema: {
        tags: ['oee'],
        summary: 'OEE trend: availability, performance, quality and OEE of the scope per bucket (closed HOUR windows summed; whole hours, at most 48 buckets)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { scope, from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 1 } },
        },
        response: { 200: { type: 'object', additionalProperties: true, description: '{ scope, bucketMs, points: [{ from, to, windows, availability, performance, quality, oee }] }' }, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; from: number; to: number };
      const s = parseScope(q.scope);
      if (s === null) return reply.status(400).send({ error: 'Bad Request', message: `scope '${q.scope}' is not an ISA-95 path` });
      if (q.to <= q.from) return reply.status(400).send({ error: 'Bad Request', message: '`to` must be after `from`' });
      if (q.to - q.from > trendMaxRangeMs) return reply.status(400).send({ error: 'Bad Request', message: 'a trend covers at most 31 days' });
      const bucketMs = trendBucketMs(q.to - q.from);
      const first = Math.floor(q.from / hour) * hour;
      const points = (await api.oeeTrend({ scope: s, from: first, to: q.to, bucketMs })).map((p) => ({
        from: p.from,
        to: p.to,
        windows: p.windows,
        availability: p.availability,
        performance: p.performance,
        quality: p.quality,
        oee: p.oee,
      }));
      return { scope: s, bucketMs, points };
    },
  );

  app.get(
    '/api/workorders/current',
    {
      schema: {
        tags: ['genealogy'],
        summary: 'The work order dispatched on each equipment under the scope (its latest dispatch; null workOrder: dispatched off)',
        querystring: { type: 'object', additionalProperties: false, properties: { scope, at: { type: 'integer', minimum: 0, description: 'As of this time (epoch ms); default now' } } },
        response: {
          200: {
            type: 'object',
            required: ['rows'],
            properties: {
              rows: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    equipment: { type: 'string' },
                    workOrder: { type: ['string', 'null'] },
                    product: { type: ['string', 'null'] },
                    operation: { type: ['string', 'null'] },
                    idealCycleTimeMs: { type: ['number', 'null'] },
                    targetQuantity: { type: ['number', 'null'] },
                    since: { type: 'number' },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; at?: number };
      const s = parseScope(q.scope);
      if (s === null) return reply.status(400).send({ error: 'Bad Request', message: `scope '${q.scope}' is not an ISA-95 path` });
      return { rows: await api.currentDispatch({ scope: s, ...(q.at !== undefined ? { at: q.at } : {}) }) };
    },
  );
}

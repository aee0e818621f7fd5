// The REST side of ERP inbound: a fastify route plugin for ERPs that POST their B2MML schedules instead of writing
// to Kafka. Mount it with a prefix, e.g. `await app.register(erpScheduleRoutes, { prefix: '/api/erp', ingest })`:
//
//   POST <prefix>/schedules   Content-Type: application/xml (or text/xml), body: the B2MML document
//   202 {"accepted":true,"erpMessageId":...,"format":...,"workOrders":[{"workOrder","eventId","revision"}],"skipped":[]}
//   422 {"accepted":false,"path":"/OperationsSchedule/OperationsRequest[2]/ID","reason":"missing: the work order id",
//        "error":"<path>: <reason>"}            (the document also goes to the dead-letter topic, as from Kafka)
//   413 larger than erp.maxDocumentBytes; 415 another content type.
//
// The work orders are on linepulse.workorders.v1 when the 202 answer is sent.
import type { FastifyPluginAsync } from 'fastify';
import type { ScheduleIngest } from './ingest.ts';

export interface ErpRoutesOptions {
  ingest: ScheduleIngest;
  /** Largest accepted body in bytes (default 5 MiB, as erp.maxDocumentBytes). */
  bodyLimit?: number;
}

const rejectionSchema = {
  type: 'object',
  required: ['accepted', 'path', 'reason', 'error'],
  properties: {
    accepted: { type: 'boolean', const: false },
    path: { type: 'string', description: 'Element path (or line and column) of the problem' },
    reason: { type: 'string', description: 'What was wrong' },
    error: { type: 'string' },
  },
} as const;

const acceptedSchema = {
  type: 'object',
  required: ['accepted', 'erpMessageId', 'format', 'workOrders', 'skipped'],
  properties: {
    accepted: { type: 'boolean', const: true },
    erpMessageId: { type: 'string' },
    format: { type: 'string' },
    workOrders: {
      type: 'array',
      items: {
        type: 'object',
        required: ['workOrder', 'eventId', 'revision'],
        properties: { workOrder: { type: 'string' }, eventId: { type: 'string' }, revision: { type: 'number' } },
      },
    },
    skipped: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const erpScheduleRoutes: FastifyPluginAsync<ErpRoutesOptions> = async (app, options) => {
  const bodyLimit = options.bodyLimit ?? 5 * 1024 * 1024;
  // Encapsulated by fastify: the XML parser exists only inside this plugin.
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));
  app.post(
    '/schedules',
    {
      bodyLimit,
      schema: {
        tags: ['erp'],
        summary: 'Receive a B2MML schedule (OperationsSchedule V0700 or ProductionSchedule V0401-V0600) from ERP',
        response: { 202: acceptedSchema, 415: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } }, 422: rejectionSchema },
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string')
        return reply.status(415).send({ error: 'Unsupported Media Type', message: 'send the B2MML document as Content-Type application/xml or text/xml' });
      const [outcome] = await options.ingest.ingest([
        {
          document: request.body,
          source: {
            key: null,
            receivedAt: Date.now(),
            sourceTopic: `http POST ${request.url}`,
            consumer: 'linepulse.erp-ingest.http',
            headers: { 'x-erp-remote-address': request.ip },
          },
        },
      ]);
      if (!outcome) throw new Error('no outcome');
      if (!outcome.ok) {
        const { path, reason } = outcome.rejection;
        return reply.status(422).send({ accepted: false, path, reason, error: `${path}: ${reason}` });
      }
      return reply.status(202).send({
        accepted: true,
        erpMessageId: outcome.erpMessageId,
        format: outcome.format,
        workOrders: outcome.workOrders.map((w) => ({ workOrder: w.workOrder, eventId: w.eventId, revision: w.revision })),
        skipped: outcome.skipped,
      });
    },
  );
};

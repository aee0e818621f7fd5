// The query API: read routes over the sinks' query code (sinks/queries.ts) and the alarm workflow. Every route has
// a JSON schema (validated input, the OpenAPI document at /api/openapi.json); ranges are epoch ms [from, to);
// lists page with limit/offset and return `total`. 4xx answers are { error, message } naming what is wrong.
//
// Who acts on an alarm: until logins exist (issue 8) every alarm action takes a required `user` field in its body;
// with JWT sessions it will come from the request's user and the field will go.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AlarmActionError, alarmStatuses, type AlarmAction } from '../../../sinks/postgres/alarms.ts';
import type { ProductionQueries } from '../../../sinks/queries.ts';
import { errorSchema } from '../schemas.ts';
import { parseScope } from '../scope.ts';
import { registerSpcRoutes } from './spc.ts';
import { registerLineRoutes } from './lines.ts';
import { registerUserRoutes } from './users.ts';

export const queryApiTags = [
  { name: 'oee', description: 'OEE drill-down, losses, micro-stops, plan vs actual, quality' },
  { name: 'states', description: 'Equipment state timeline' },
  { name: 'reliability', description: 'MTBF and MTTR' },
  { name: 'spc', description: 'Control chart data' },
  { name: 'telemetry', description: 'Sensor and machine values over time' },
  { name: 'genealogy', description: 'Material traces' },
  { name: 'alarms', description: 'SPC alarms and downtime / sensor alerts: list and workflow' },
  { name: 'users', description: 'User administration (admin)' },
];

const day = 86_400_000;
/** Longest range a route answers (telemetry and SPC pick coarser data or downsample inside it). */
export const maxRangeMs = 400 * day;

const range = {
  from: { type: 'integer', minimum: 0, description: 'Inclusive start, epoch ms' },
  to: { type: 'integer', minimum: 1, description: 'Exclusive end, epoch ms' },
} as const;
const scope = { type: 'string', maxLength: 400, description: 'ISA-95 path prefix enterprise/site/area/line/cell/equipment (default: everything)' } as const;
const page = {
  limit: { type: 'integer', minimum: 1, maximum: 5_000, default: 100 },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
} as const;
const answer = (description: string) => ({ type: 'object', additionalProperties: true, description }) as const;
const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema } as const;

function bad(reply: FastifyReply, message: string) {
  return reply.status(400).send({ error: 'Bad Request', message });
}

/** The scope and range of a query, or a 400 already sent (null). */
function scopedRange(reply: FastifyReply, q: { scope?: string; from: number; to: number }): { scope: string; from: number; to: number } | null {
  const s = parseScope(q.scope);
  if (s === null) {
    void bad(reply, `scope '${q.scope}' is not an ISA-95 path`);
    return null;
  }
  if (q.to <= q.from) {
    void bad(reply, '`to` must be after `from`');
    return null;
  }
  if (q.to - q.from > maxRangeMs) {
    void bad(reply, `the range covers at most ${maxRangeMs / day} days`);
    return null;
  }
  return { scope: s, from: q.from, to: q.to };
}

export function registerQueryApi(app: FastifyInstance, api: ProductionQueries): void {
  registerSpcRoutes(app, api);
  registerLineRoutes(app, api);
  registerUserRoutes(app, api);
  app.get(
    '/api/oee',
    {
      schema: {
        tags: ['oee'],
        summary: 'OEE drill-down: totals and one group per child of the scope (or per `groupBy` level), with the six big losses',
        description:
          'Windows of one kind (latest revision; retracted windows left out) starting in [from, to), or one window by id: a shift (windowKind=SHIFT&windowId=2025-03-03/A), a day (windowKind=DAY&from=<day start>&to=<next day>), a range (windowKind=HOUR&from&to), a work order. Ratios are recomputed from the summed times and counts.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            scope,
            windowKind: { type: 'string', enum: ['HOUR', 'SHIFT', 'DAY', 'WORK_ORDER', 'LIVE_SHIFT'], default: 'SHIFT' },
            windowId: { type: 'string', maxLength: 200 },
            ...range,
            groupBy: { type: 'string', enum: ['site', 'area', 'line', 'cell', 'equipment'] },
          },
        },
        response: { 200: answer('{ scope, windowKind, groupBy, total: OeeFigures, groups: [{ path, ...OeeFigures }] }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; windowKind: 'HOUR'; windowId?: string; from?: number; to?: number; groupBy?: 'line' };
      const s = parseScope(q.scope);
      if (s === null) return bad(reply, `scope '${q.scope}' is not an ISA-95 path`);
      if (q.windowId === undefined && (q.from === undefined || q.to === undefined)) return bad(reply, 'give windowId, or from and to');
      if (q.from !== undefined && q.to !== undefined && q.to <= q.from) return bad(reply, '`to` must be after `from`');
      if (q.groupBy && s.split('/').length > ['site', 'area', 'line', 'cell', 'equipment'].indexOf(q.groupBy) + 1 && s !== '')
        return bad(reply, `groupBy '${q.groupBy}' is above the scope '${s}'`);
      return api.oeeDrillDown({ scope: s, windowKind: q.windowKind, ...(q.windowId ? { windowId: q.windowId } : {}), ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), ...(q.groupBy ? { groupBy: q.groupBy } : {}) });
    },
  );

  app.get(
    '/api/states',
    {
      schema: {
        tags: ['states'],
        summary: 'State timeline: intervals per equipment (state, reason, start, end), clipped to the range',
        querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { scope, ...range, ...page } },
        response: { 200: answer('{ intervals: StateInterval[], total, limit, offset }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; from: number; to: number; limit: number; offset: number };
      const r = scopedRange(reply, q);
      if (!r) return reply;
      const { intervals, total } = await api.stateTimeline({ ...r, limit: q.limit, offset: q.offset });
      return { intervals, total, limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/api/counts/plan',
    {
      schema: {
        tags: ['oee'],
        summary: 'Pieces vs plan per equipment (a shift: from/to of the shift): actual from the counts, plan from work orders, else at the ideal rate',
        querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { scope, ...range } },
        response: { 200: answer('{ rows: [{ equipment, good, reject, plan, planSource, workOrders, idealRatePlan, attainment }] }'), ...errors },
      },
    },
    async (request, reply) => {
      const r = scopedRange(reply, request.query as { scope?: string; from: number; to: number });
      if (!r) return reply;
      const [actual, orders, ideal] = await Promise.all([api.countsByEquipment(r), api.plannedFromWorkOrders(r), api.idealRatePlan(r)]);
      const equipment = [...new Set([...actual.map((a) => a.equipment), ...orders.map((o) => o.equipment), ...ideal.map((i) => i.equipment)])].sort();
      const rows = equipment.map((e) => {
        const a = actual.find((x) => x.equipment === e);
        const o = orders.find((x) => x.equipment === e);
        const i = ideal.find((x) => x.equipment === e);
        const plan = o ? o.planned : (i?.pieces ?? null);
        const good = a?.good ?? 0;
        return {
          equipment: e,
          good,
          reject: a?.reject ?? 0,
          plan,
          planSource: o ? 'workOrders' : i?.pieces != null ? 'idealRate' : null,
          workOrders: o?.workOrders ?? [],
          idealRatePlan: i?.pieces ?? null,
          attainment: plan ? good / plan : null,
        };
      });
      return { rows };
    },
  );

  app.get(
    '/api/microstops',
    {
      schema: {
        tags: ['oee'],
        summary: 'Micro-stops: count, total duration and Pareto by reason (stops shorter than thresholdMs)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: {
            scope,
            ...range,
            thresholdMs: { type: 'integer', minimum: 1_000, maximum: 3_600_000, default: 120_000 },
            running: { type: 'string', maxLength: 400, description: 'Comma-separated raw states meaning running (default EXECUTE,RUNNING,RUN,PRODUCING)' },
          },
        },
        response: { 200: answer('{ thresholdMs, count, totalMs, pareto: [{ reason, count, totalMs, share, cumulativeShare }], oee: { microStopCount, microStopMs } }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; from: number; to: number; thresholdMs: number; running?: string };
      const r = scopedRange(reply, q);
      if (!r) return reply;
      if (q.to - q.from > 31 * day) return bad(reply, 'micro-stops cover at most 31 days');
      const runningStates = q.running ? q.running.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
      return api.microStops({ ...r, thresholdMs: q.thresholdMs, ...(runningStates ? { runningStates } : {}) });
    },
  );

  app.get(
    '/api/quality',
    {
      schema: {
        tags: ['oee'],
        summary: 'Quality breakdown: good and reject pieces, rejects per scrap reason (largest first) and per equipment (minute resolution)',
        querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { scope, ...range } },
        response: { 200: answer('{ good, reject, reasons: [{ reason, reject, share }], perEquipment: [{ equipment, good, reject }] }'), ...errors },
      },
    },
    async (request, reply) => {
      const r = scopedRange(reply, request.query as { scope?: string; from: number; to: number });
      if (!r) return reply;
      return api.qualityBreakdown(r);
    },
  );

  app.get(
    '/api/reliability',
    {
      schema: {
        tags: ['reliability'],
        summary: 'MTBF and MTTR per equipment from the alerts processor figures (ISO 22400-2), windows starting in the range',
        querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { scope, ...range, window: { type: 'string', enum: ['DAY', 'SHIFT'], default: 'DAY' } } },
        response: { 200: answer('{ rows: [{ equipment, windows, failures, repairs, operatingMs, repairMs, mtbfMs, mttrMs, downtimeAlerts, meanDowntimeMs }] }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; from: number; to: number; window: 'DAY' | 'SHIFT' };
      const r = scopedRange(reply, q);
      if (!r) return reply;
      return { rows: await api.reliability({ ...r, windowKind: q.window }) };
    },
  );

  app.get(
    '/api/spc/chart',
    {
      schema: {
        tags: ['spc'],
        summary: 'Control chart data: points (LTTB-downsampled to maxPoints, rule hits always kept), limits with zones, rule hits',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['characteristic', 'from', 'to'],
          properties: { characteristic: { type: 'string', minLength: 1, maxLength: 400 }, ...range, maxPoints: { type: 'integer', minimum: 10, maximum: 20_000, default: 2_000 } },
        },
        response: { 200: answer('{ characteristic, equipment, chart, totalPoints, downsampled, points, limits, hits }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { characteristic: string; from: number; to: number; maxPoints: number };
      const r = scopedRange(reply, { from: q.from, to: q.to });
      if (!r) return reply;
      const chart = await api.spcChart({ characteristic: q.characteristic, from: q.from, to: q.to, maxPoints: q.maxPoints });
      if (chart.totalPoints === 0 && chart.hits.length === 0) return reply.status(404).send({ error: 'Not Found', message: `no SPC points of '${q.characteristic}' in the range` });
      return chart;
    },
  );

  app.get(
    '/api/telemetry',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Values of one tag over a range: raw up to 6 h, 1-minute aggregates up to 14 days, 1-hour beyond (or as asked; coarser past retention)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['equipment', 'tag', 'from', 'to'],
          properties: {
            equipment: { type: 'string', maxLength: 400 },
            tag: { type: 'string', minLength: 1, maxLength: 200 },
            ...range,
            resolution: { type: 'string', enum: ['auto', 'raw', 'minute', 'hour'], default: 'auto' },
            limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 20_000, description: 'Raw rows at most' },
          },
        },
        response: { 200: answer('{ equipment, tag, resolution, truncated, points: [{ t, avg, min, max, last, samples }] }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { equipment: string; tag: string; from: number; to: number; resolution: 'auto'; limit: number };
      const r = scopedRange(reply, { scope: q.equipment, from: q.from, to: q.to });
      if (!r) return reply;
      if (r.scope.split('/').length !== 6) return bad(reply, `equipment '${q.equipment}' is not a full equipment path (6 levels)`);
      if (q.resolution === ('minute' as string) && q.to - q.from > 92 * day) return bad(reply, 'minute resolution covers at most 92 days; use hour');
      return api.telemetry({ equipment: r.scope, tag: q.tag, from: q.from, to: q.to, resolution: q.resolution, limit: q.limit });
    },
  );

  app.get(
    '/api/genealogy/trace',
    {
      schema: {
        tags: ['genealogy'],
        summary: 'Trace a serial, lot or container: backward (what it was made from) or forward (where it went)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 200 },
            kind: { type: 'string', enum: ['LOT', 'SERIAL', 'CONTAINER'] },
            direction: { type: 'string', enum: ['backward', 'forward'], default: 'backward' },
            maxDepth: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
            maxRows: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 },
          },
        },
        response: { 200: answer('{ start, direction, links: TraceLink[], depth, truncated }'), ...errors },
      },
    },
    async (request) => {
      const q = request.query as { id: string; kind?: 'LOT'; direction: 'backward' | 'forward'; maxDepth: number; maxRows: number };
      return api.trace(q.direction, { id: q.id, ...(q.kind ? { kind: q.kind } : {}) }, { maxDepth: q.maxDepth, maxRows: q.maxRows });
    },
  );

  app.get(
    '/api/alarms',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Alarm cases (SPC alarms, downtime and sensor alerts), newest first, with their lifecycle status',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            scope,
            status: { type: 'string', maxLength: 100, description: `Comma-separated: ${alarmStatuses.join(', ')}` },
            source: { type: 'string', maxLength: 100, description: 'Comma-separated: SPC, DOWNTIME, SENSOR' },
            from: range.from,
            to: range.to,
            ...page,
          },
        },
        response: { 200: answer('{ alarms: AlarmView[], total, limit, offset }'), ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query as { scope?: string; status?: string; source?: string; from?: number; to?: number; limit: number; offset: number };
      const s = parseScope(q.scope);
      if (s === null) return bad(reply, `scope '${q.scope}' is not an ISA-95 path`);
      const list = (raw: string | undefined, allowed: readonly string[], what: string): string[] | string => {
        const values = raw ? raw.split(',').map((v) => v.trim().toUpperCase()).filter(Boolean) : [];
        const wrong = values.find((v) => !allowed.includes(v));
        return wrong ? `${what} '${wrong}' is not one of ${allowed.join(', ')}` : values;
      };
      const status = list(q.status, alarmStatuses, 'status');
      if (typeof status === 'string') return bad(reply, status);
      const source = list(q.source, ['SPC', 'DOWNTIME', 'SENSOR'], 'source');
      if (typeof source === 'string') return bad(reply, source);
      const result = await api.listAlarms({
        scope: s,
        status: status as never,
        source: source as never,
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        limit: q.limit,
        offset: q.offset,
      });
      return { ...result, limit: q.limit, offset: q.offset };
    },
  );

  const alarmParams = { type: 'object', required: ['alarmId'], properties: { alarmId: { type: 'string', minLength: 1, maxLength: 400 } } } as const;

  app.get(
    '/api/alarms/:alarmId',
    {
      schema: { tags: ['alarms'], summary: 'One alarm case with its audit trail', params: alarmParams, response: { 200: answer('{ alarm: AlarmView, audit: AuditEntry[] }'), ...errors } },
    },
    async (request, reply) => {
      const { alarmId } = request.params as { alarmId: string };
      const found = await api.getAlarm(alarmId);
      return found ?? reply.status(404).send({ error: 'Not Found', message: `alarm '${alarmId}' does not exist` });
    },
  );

  const user = { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', description: 'Who acts (required until logins exist; then taken from the session)' } as const;
  const note = { type: ['string', 'null'], maxLength: 2_000 } as const;
  const actions: Array<{ path: string; summary: string; body: Record<string, unknown>; required: string[]; action: (b: Record<string, string | null>) => AlarmAction }> = [
    { path: 'acknowledge', summary: 'Acknowledge (RAISED -> ACKNOWLEDGED)', body: { user, note }, required: ['user'], action: (b) => ({ kind: 'ACKNOWLEDGE', note: b.note ?? null }) },
    {
      path: 'cause',
      summary: 'Assign the assignable cause and corrective action (ACKNOWLEDGED or CAUSE_ASSIGNED -> CAUSE_ASSIGNED)',
      body: { user, assignableCause: { type: 'string', minLength: 1, maxLength: 2_000 }, correctiveAction: { type: 'string', minLength: 1, maxLength: 2_000 } },
      required: ['user', 'assignableCause', 'correctiveAction'],
      action: (b) => ({ kind: 'ASSIGN_CAUSE', assignableCause: b.assignableCause ?? '', correctiveAction: b.correctiveAction ?? '' }),
    },
    { path: 'close', summary: 'Close (CAUSE_ASSIGNED -> CLOSED)', body: { user, note }, required: ['user'], action: (b) => ({ kind: 'CLOSE', note: b.note ?? null }) },
    { path: 'comment', summary: 'Comment (any status but CLOSED)', body: { user, text: { type: 'string', minLength: 1, maxLength: 2_000 } }, required: ['user', 'text'], action: (b) => ({ kind: 'COMMENT', text: b.text ?? '' }) },
  ];
  for (const a of actions) {
    app.post(
      `/api/alarms/:alarmId/${a.path}`,
      {
        schema: {
          tags: ['alarms'],
          summary: a.summary,
          description: 'Appends one audited step; 409 when the lifecycle does not allow it now.',
          params: alarmParams,
          body: { type: 'object', additionalProperties: false, required: a.required, properties: a.body },
          response: { 200: answer('{ alarm: AlarmView, audit: AuditEntry[] }'), ...errors },
        },
      },
      async (request, reply) => {
        const { alarmId } = request.params as { alarmId: string };
        const body = request.body as Record<string, string | null>;
        try {
          return await api.alarmAction(alarmId, String(body.user), a.action(body));
        } catch (error) {
          if (!(error instanceof AlarmActionError)) throw error;
          const status = error.reason === 'not-found' ? 404 : error.reason === 'conflict' ? 409 : 400;
          return reply.status(status).send({ error: status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : 'Bad Request', message: error.message });
        }
      },
    );
  }
}

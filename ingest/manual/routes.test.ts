// The manual-entry routes over fastify `inject` and the embedded bus: what is accepted, what is refused and why,
// and what reaches the topics.
import fastify, { type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../../platform/bus/embedded.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createTypedProducer } from '../../platform/bus/typed.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import type { QualityMeasurement, SpcCommand } from '../../schemas/generated/types.ts';
import { topics } from '../../schemas/topics.ts';
import { manualEntryRoutes } from './routes.ts';

const logger = silentLogger();
const codec = createAvroCodec();
const press = 'acme/plant1/assembly/line1/cell2/press';
const t0 = Date.parse('2025-03-03T06:00:00Z');
const lookup = (id: string) => (id === 'bore' ? { equipment: press, unit: 'mm' } : id === 'torque' ? { equipment: 'acme/plant1/assembly/line1/cell3/nutrunner' } : undefined);

let bus: Bus;
let app: FastifyInstance;
let clock = t0;

async function read<T>(topic: 'measurements' | 'spcCommands', schema: string): Promise<Array<{ key: string | null; partition: number; value: T }>> {
  const out: Array<{ key: string | null; partition: number; value: T }> = [];
  const consumer = bus.consumer({ groupId: `read-${topic}-${Math.random()}`, topics: [topics[topic].topic], fromBeginning: true });
  let idle: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(resolve, 150);
    };
    arm();
    consumer
      .start(async (batch) => {
        for (const r of batch.records) out.push({ key: r.key, partition: r.partition, value: (await codec.decode(r.topic, schema, r.value!, r.headers)) as T });
        arm();
      })
      .catch(reject);
  });
  await consumer.stop();
  return out;
}

async function build(withLookup = true): Promise<FastifyInstance> {
  const a = fastify();
  await a.register(fastifySwagger, { openapi: { info: { title: 't', version: '0' } } });
  const producer = await bus.producer();
  await a.register(manualEntryRoutes({ publish: createTypedProducer({ producer, codec, logger }), logger, now: () => clock, ...(withLookup ? { characteristics: lookup } : {}) }), { prefix: '/api' });
  a.addHook('onClose', async () => producer.close());
  await a.ready();
  return a;
}

beforeEach(async () => {
  bus = createEmbeddedBus({ logger });
  await bus.ensureTopics([{ name: topics.measurements.topic, partitions: 6 }, { name: topics.spcCommands.topic, partitions: 6 }]);
  app = await build();
  clock = t0;
});

afterEach(async () => {
  await app.close();
  await bus.close();
});

const entry = { characteristic: 'bore', value: 12.013, unit: 'mm', serial: 'SN000123', lot: 'LOT-7', workOrder: 'WO-4711', operator: 'op.schmidt', measuredAt: t0 - 60_000 };

describe('manual entry > POST /api/measurements', () => {
  it('publishes one measurement as a MANUAL QualityMeasurement keyed by the equipment of its characteristic', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/measurements', payload: entry });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ accepted: boolean; events: Array<{ eventId: string }> }>();
    expect(body).toMatchObject({ accepted: true, events: [{ equipment: press, characteristic: 'bore', eventTime: t0 - 60_000 }] });
    const [m] = await read<QualityMeasurement>('measurements', 'QualityMeasurement');
    expect(m!.key).toBe(press);
    expect(m!.value).toMatchObject({ eventId: body.events[0]!.eventId, equipment: press, characteristic: 'bore', value: 12.013, unit: 'mm', serial: 'SN000123', lot: 'LOT-7', workOrder: 'WO-4711', operator: 'op.schmidt', entry: 'MANUAL', subgroupId: null });
    expect(m!.value.origin).toMatchObject({ sourceId: expect.stringMatching(/^manual-entry:[0-9a-z]+-[0-9a-f]{6}$/), seq: 1, edgeTime: t0, historical: false, serverTime: null });
  });

  it('stable ids: the same content, operator and time give the same id; an Idempotency-Key gives manual:key:<key>[:<i>]', async () => {
    const a = await app.inject({ method: 'POST', url: '/api/measurements', payload: entry });
    clock += 5_000; // a retry later: measuredAt is in the request, so the id is the same
    const b = await app.inject({ method: 'POST', url: '/api/measurements', payload: entry });
    expect(a.json<{ events: Array<{ eventId: string }> }>().events[0]!.eventId).toBe(b.json<{ events: Array<{ eventId: string }> }>().events[0]!.eventId);
    // the retry is the first event again, origin included, so every consumer's duplicate filter drops it
    expect(b.json()).toMatchObject({ events: [{ seq: 1, repeated: true }] });
    const [first, retry] = await read<QualityMeasurement>('measurements', 'QualityMeasurement');
    expect(retry!.value).toEqual(first!.value);
    const conflict = await app.inject({ method: 'POST', url: '/api/measurements', payload: { ...entry, value: 99 , idempotencyKey: 'k' } });
    const reused = await app.inject({ method: 'POST', url: '/api/measurements', payload: { ...entry, value: 98, idempotencyKey: 'k' } });
    expect([conflict.statusCode, reused.statusCode]).toEqual([202, 422]);
    expect(reused.json()).toMatchObject({ issues: [{ path: 'idempotencyKey', message: 'event manual:key:k was entered before with other content' }] });
    const { measuredAt: _m, ...noTime } = entry;
    const c = await app.inject({ method: 'POST', url: '/api/measurements', payload: noTime });
    clock += 1;
    const d = await app.inject({ method: 'POST', url: '/api/measurements', payload: noTime });
    expect(c.json<{ events: Array<{ eventId: string }> }>().events[0]!.eventId).not.toBe(d.json<{ events: Array<{ eventId: string }> }>().events[0]!.eventId);
    const keyed = await app.inject({ method: 'POST', url: '/api/measurements', headers: { 'idempotency-key': 'tablet-7.000042' }, payload: [entry, { ...entry, value: 12.02 }, { ...entry, idempotencyKey: 'own' }] });
    expect(keyed.json<{ events: Array<{ eventId: string }> }>().events.map((e) => e.eventId)).toEqual(['manual:key:tablet-7.000042:0', 'manual:key:tablet-7.000042:1', 'manual:key:own']);
  });

  it('many measurements in one request, one batch; identical entries in a batch stay distinct', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/measurements', payload: [entry, entry, { characteristic: 'torque', value: 41.5, operator: 'op.schmidt' }] });
    expect(res.statusCode).toBe(202);
    const ms = await read<QualityMeasurement>('measurements', 'QualityMeasurement');
    expect(ms).toHaveLength(3);
    expect(new Set(ms.map((m) => m.value.eventId)).size).toBe(3);
    // one source per gateway process, numbered in publishing order
    expect(ms.map((m) => m.value.origin.seq).sort()).toEqual([1, 2, 3]);
    expect(ms.find((m) => m.value.characteristic === 'torque')).toMatchObject({ key: 'acme/plant1/assembly/line1/cell3/nutrunner', value: { unit: null, eventTime: t0 } });
  });

  it('400 for a body that does not match the schema, with every issue and its path; no coercion', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/measurements', payload: [{ ...entry, value: '12.5' }, { ...entry, operator: '', colour: 'red' }] });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ accepted: boolean; issues: Array<{ path: string; message: string }>; error: string }>();
    expect(body.accepted).toBe(false);
    expect(body.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['[0].value', '[1].operator', '[1]']));
    expect((await app.inject({ method: 'POST', url: '/api/measurements', payload: [] })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/measurements', payload: { ...entry, measuredAt: -1 } })).statusCode).toBe(400);
    expect(await read('measurements', 'QualityMeasurement')).toEqual([]);
  });

  it('422 for an unknown characteristic, another equipment or another unit; nothing of the request is published', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/measurements', payload: [entry, { ...entry, characteristic: 'nope' }, { ...entry, equipment: 'acme/plant1/x' }, { ...entry, unit: 'um' }] });
    expect(res.statusCode).toBe(422);
    expect(res.json<{ issues: unknown[] }>().issues).toEqual([
      { path: '[1].characteristic', message: 'unknown characteristic "nope"' },
      { path: '[2].equipment', message: `characteristic bore is measured on ${press}, not on acme/plant1/x` },
      { path: '[3].unit', message: 'um is not the unit of bore (mm)' },
    ]);
    expect(await read('measurements', 'QualityMeasurement')).toEqual([]);
  });

  it('without a characteristics lookup the request names the equipment (a valid ISA-95 path)', async () => {
    await app.close();
    app = await build(false);
    expect((await app.inject({ method: 'POST', url: '/api/measurements', payload: entry })).json()).toMatchObject({ issues: [{ path: 'equipment', message: 'required: the characteristic is not known to this server' }] });
    expect((await app.inject({ method: 'POST', url: '/api/measurements', payload: { ...entry, equipment: 'not a path' } })).statusCode).toBe(422);
    expect((await app.inject({ method: 'POST', url: '/api/measurements', payload: { ...entry, equipment: press } })).statusCode).toBe(202);
  });

  it('503 when the bus does not take the events', async () => {
    const failing = fastify();
    await failing.register(manualEntryRoutes({ publish: { send: () => Promise.reject(new Error('broker down')) }, logger, characteristics: lookup }), { prefix: '/api' });
    const res = await failing.inject({ method: 'POST', url: '/api/measurements', payload: entry });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ accepted: false, error: expect.stringMatching(/^not published: .*broker down/) });
    await failing.close();
  });
});

describe('manual entry > POST /api/spc/commands', () => {
  const fixed = { characteristic: 'bore', kind: 'SET_FIXED_LIMITS', fixedLimits: { center: 12, ucl: 12.09, lcl: 11.91, dispersion: { center: 0.034, ucl: 0.111, lcl: 0 } }, user: 'q.engineer', reason: 'limits from the PPAP study' };

  it('publishes an SpcCommand keyed by the equipment (co-partitioned with the measurements)', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/spc/commands', headers: { 'idempotency-key': 'req-1' }, payload: fixed });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: true, commandId: 'spc-cmd:key:req-1', equipment: press, characteristic: 'bore', kind: 'SET_FIXED_LIMITS', auditTopic: 'linepulse.spc-audit.v1' });
    await app.inject({ method: 'POST', url: '/api/measurements', payload: entry });
    const [c] = await read<SpcCommand>('spcCommands', 'SpcCommand');
    const [m] = await read<QualityMeasurement>('measurements', 'QualityMeasurement');
    expect(c!.key).toBe(press);
    expect(c!.partition).toBe(m!.partition);
    expect(c!.value).toEqual({
      eventId: 'spc-cmd:key:req-1',
      eventTime: t0,
      equipment: press,
      characteristic: 'bore',
      kind: 'SET_FIXED_LIMITS',
      fixedLimits: { center: 12, ucl: 12.09, lcl: 11.91, sigma: null, dispersionCenter: 0.034, dispersionUcl: 0.111, dispersionLcl: 0, sigmaWithin: null },
      points: null,
      user: 'q.engineer',
      reason: 'limits from the PPAP study',
    });
  });

  it('recompute and reset with a baseline size; ids from content, user and time without a key', async () => {
    const a = await app.inject({ method: 'POST', url: '/api/spc/commands', payload: { characteristic: 'bore', kind: 'RECOMPUTE_LIMITS', points: 30, user: 'q.engineer', reason: 'new spindle' } });
    const b = await app.inject({ method: 'POST', url: '/api/spc/commands', payload: { characteristic: 'bore', kind: 'RESET_PHASE1', user: 'q.engineer', reason: 'new spindle' } });
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json<{ commandId: string }>().commandId).toMatch(/^spc-cmd:[0-9a-f]{32}$/);
    const cs = await read<SpcCommand>('spcCommands', 'SpcCommand');
    expect(cs.map((c) => [c.value.kind, c.value.points])).toEqual([
      ['RECOMPUTE_LIMITS', 30],
      ['RESET_PHASE1', null],
    ]);
  });

  it('400 for inconsistent requests; 422 for an unknown characteristic', async () => {
    const cases = [
      { characteristic: 'bore', kind: 'SET_FIXED_LIMITS', user: 'q', reason: 'r' },
      { characteristic: 'bore', kind: 'RECOMPUTE_LIMITS', fixedLimits: fixed.fixedLimits, user: 'q', reason: 'r' },
      { ...fixed, fixedLimits: { center: 12, ucl: 11, lcl: 11.91 } },
      { characteristic: 'bore', kind: 'RECOMPUTE_LIMITS', user: 'q', reason: '  ' },
      { characteristic: 'bore', kind: 'DELETE_EVERYTHING', user: 'q', reason: 'r' },
      { characteristic: 'bore', kind: 'RECOMPUTE_LIMITS', points: 1, user: 'q', reason: 'r' },
    ];
    const statuses = await Promise.all(cases.map(async (payload) => (await app.inject({ method: 'POST', url: '/api/spc/commands', payload })).statusCode));
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400]);
    const first = await app.inject({ method: 'POST', url: '/api/spc/commands', payload: cases[0] });
    expect(first.json()).toMatchObject({ issues: [{ path: 'fixedLimits', message: 'required for SET_FIXED_LIMITS' }] });
    const unknown = await app.inject({ method: 'POST', url: '/api/spc/commands', payload: { ...fixed, characteristic: 'nope' } });
    expect(unknown.statusCode).toBe(422);
    expect(await read('spcCommands', 'SpcCommand')).toEqual([]);
  });

  it('documents both routes in the OpenAPI document, with the JSON schemas generated from zod', async () => {
    const doc = app.swagger() as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } } }> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/measurements', '/api/spc/commands']));
    const schema = doc.paths['/api/spc/commands']!.post.requestBody.content['application/json']!.schema;
    expect(schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['characteristic', 'kind', 'user', 'reason']) });
  });
});

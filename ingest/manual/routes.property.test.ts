// Property-based fuzzing of the manual-entry gateway (fast-check over fastify inject and the embedded bus): whatever
// the body (random bytes, any JSON, near-valid measurements with wrong types and out-of-range fields, SPC commands),
// the answer is 202 or a 4xx with the reason, never a 5xx, and nothing invalid reaches the topics.
import fastify, { type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../../platform/bus/embedded.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createTypedProducer } from '../../platform/bus/typed.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { correlationHeaders, topics } from '../../schemas/topics.ts';
import { manualEntryRoutes } from './routes.ts';

const logger = silentLogger();
const press = 'acme/plant1/assembly/line1/cell2/press';
const lookup = (id: string) => (id === 'bore' ? { equipment: press, unit: 'mm' } : undefined);
let bus: Bus;
let app: FastifyInstance;

beforeAll(async () => {
  bus = createEmbeddedBus({ logger });
  await bus.ensureTopics([{ name: topics.measurements.topic, partitions: 6 }, { name: topics.spcCommands.topic, partitions: 6 }]);
  app = fastify({ bodyLimit: 64 * 1024, genReqId: (req) => String(req.headers['x-request-id'] ?? 'generated') });
  await app.register(fastifySwagger, { openapi: { info: { title: 't', version: '0' } } });
  const producer = await bus.producer();
  await app.register(manualEntryRoutes({ publish: createTypedProducer({ producer, codec: createAvroCodec(), logger }), logger, characteristics: lookup }), { prefix: '/api' });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await bus.close();
});

const anyValue = fc.oneof(fc.string({ maxLength: 30 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));
const measurement = fc.record(
  {
    characteristic: fc.oneof(fc.constant('bore'), fc.string({ maxLength: 210 }), anyValue),
    value: fc.oneof(fc.double(), anyValue),
    unit: fc.oneof(fc.constant('mm'), fc.constant('in'), anyValue),
    operator: fc.oneof(fc.constant('op.1'), fc.string({ maxLength: 210 }), anyValue),
    measuredAt: fc.oneof(fc.integer({ min: -10, max: 2 ** 53 }), anyValue),
    equipment: fc.oneof(fc.constant(press), fc.string({ maxLength: 50 }), anyValue),
    idempotencyKey: fc.oneof(fc.string({ maxLength: 140 }), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

function expectHandled(status: number, body: string): void {
  expect(status, body).toBeLessThan(500);
  if (status >= 400) expect(body).toMatch(/\S/);
}

describe('manual entry > property-based bodies', () => {
  it('> random bytes as JSON: 400 with a reason, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('/api/measurements', '/api/spc/commands'), async (bytes, url) => {
        const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: Buffer.from(bytes) });
        expectHandled(res.statusCode, res.body);
        expect(res.statusCode).not.toBe(202);
      }),
      { numRuns: 300 },
    );
  });

  it('> any JSON document: 202 or 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('/api/measurements', '/api/spc/commands'), async (doc, url) => {
        const res = await app.inject({ method: 'POST', url, payload: JSON.stringify(doc) ?? 'null', headers: { 'content-type': 'application/json' } });
        expectHandled(res.statusCode, res.body);
      }),
      { numRuns: 300 },
    );
  });

  it('> near-valid measurements (wrong types, out-of-range, unknown fields, unknown characteristics): 202 only when valid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(measurement, fc.array(measurement, { minLength: 0, maxLength: 4 })), async (body) => {
        const res = await app.inject({ method: 'POST', url: '/api/measurements', payload: body });
        expectHandled(res.statusCode, res.body);
        if (res.statusCode === 202) {
          const entries = Array.isArray(body) ? body : [body];
          for (const e of entries) {
            expect(e.characteristic).toBe('bore');
            expect(Number.isFinite(e.value)).toBe(true);
            expect(e.extra).toBeUndefined();
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('> the events of a request carry its request id as their correlation id', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/measurements', headers: { 'x-request-id': 'req-corr-1' }, payload: { characteristic: 'bore', value: 1.5, operator: 'op.1' } });
    expect(res.statusCode).toBe(202);
    const consumer = bus.consumer({ groupId: 'corr-reader', topics: [topics.measurements.topic], fromBeginning: true });
    const seen: string[] = [];
    await consumer.start(async (batch) => void seen.push(...batch.records.map((r) => r.headers[correlationHeaders.correlationId] ?? '')));
    const deadline = Date.now() + 5_000;
    while (!seen.includes('req-corr-1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await consumer.stop();
    expect(seen).toContain('req-corr-1');
  });

  it('> a body over the size limit is 413, wrong content types are 415', async () => {
    const big = await app.inject({ method: 'POST', url: '/api/measurements', headers: { 'content-type': 'application/json' }, payload: `{"characteristic":"${'x'.repeat(70_000)}"}` });
    expect(big.statusCode).toBe(413);
    const xml = await app.inject({ method: 'POST', url: '/api/measurements', headers: { 'content-type': 'application/xml' }, payload: '<m/>' });
    expect(xml.statusCode).toBe(415);
  });
});

// Manual entry against the real Kafka of the test stack, end to end: measurements and limits commands POSTed to the
// routes, through Kafka into the live SPC processor (processors/runtime, exactly-once), and its points, capability and
// audit trail read back from Kafka. Unique topic and group names per run.
import fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkajsBus } from '../../platform/bus/kafkajs.ts';
import type { Bus, Consumer } from '../../platform/bus/port.ts';
import { createTypedProducer, type TypedProducer } from '../../platform/bus/typed.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { spcConfigSchema } from '../../processors/spc/config.ts';
import { spcCore } from '../../processors/spc/core.ts';
import { startLiveProcessor, type LiveProcessor } from '../../processors/runtime/live.ts';
import type { SpcCapability, SpcLimitsAudit, SpcPoint } from '../../schemas/generated/types.ts';
import { topics, type TopicName } from '../../schemas/topics.ts';
import { requireService, uniqueName, waitFor } from '../../test/services.ts';
import { manualEntryRoutes } from './routes.ts';

const logger = silentLogger();
const codec = createAvroCodec();
const press = 'acme/plant1/assembly/line1/cell2/press';
const prefix = uniqueName('lp_manual');
const used = ['measurements', 'spcCommands', 'spcPoints', 'spcAlarms', 'spcAudit', 'spcCapability'] as const satisfies readonly TopicName[];
const names = Object.fromEntries(used.map((t) => [t, `${prefix}.${t}`])) as Record<(typeof used)[number], string>;
const config = spcConfigSchema.parse({ reorderMs: 0, characteristics: [{ id: 'bore', equipment: press, chart: 'IMR', phase1Subgroups: 5, unit: 'mm', lsl: 11.9, usl: 12.1 }] });
// The API knows one characteristic the processor's config does not: the processor must reject its command, not crash.
const lookup = (id: string) => (id === 'bore' ? { equipment: press, unit: 'mm' } : id === 'ghost' ? { equipment: press } : undefined);

let bus: Bus;
let app: FastifyInstance;
let processor: LiveProcessor;
const readers: Consumer[] = [];
const seen = { points: [] as SpcPoint[], audit: [] as SpcLimitsAudit[], capability: [] as SpcCapability[] };

async function reader<T>(topic: (typeof used)[number], into: T[]): Promise<void> {
  const c = bus.consumer({ groupId: `${prefix}.read.${topic}`, topics: [names[topic]], fromBeginning: true });
  readers.push(c);
  await c.start(async (batch) => {
    for (const r of batch.records) into.push((await codec.decode(r.topic, topics[topic].schema, r.value!, r.headers)) as T);
  });
}

beforeAll(async () => {
  bus = await createKafkajsBus({ connection: { brokers: requireService('kafka').split(','), clientId: 'linepulse-manual-test' }, logger, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
  processor = await startLiveProcessor({ core: spcCore, config, bus, codec, logger, metrics: createMetrics(), groupId: `${prefix}.spc`, changelogTopic: `${prefix}.spc.changelog`, topicNames: names, deadLetterTopic: `${prefix}.dlq`, idle: { tickMs: 200, afterMs: 300 } });
  const producer = await bus.producer();
  const typed = createTypedProducer({ producer, codec, logger });
  // the routes publish by short name; this test's topics have unique names
  const publish: Pick<TypedProducer, 'send'> = {
    send: ((topic: (typeof used)[number], events: readonly unknown[]) => typed.send({ ...topics[topic], topic: names[topic] }, events as never[])) as TypedProducer['send'],
  };
  app = fastify();
  await app.register(manualEntryRoutes({ publish, logger, characteristics: lookup }), { prefix: '/api' });
  app.addHook('onClose', async () => producer.close());
  await reader('spcPoints', seen.points);
  await reader('spcAudit', seen.audit);
  await reader('spcCapability', seen.capability);
}, 120_000);

afterAll(async () => {
  await app?.close();
  for (const r of readers) await r.stop().catch(() => undefined);
  await processor?.stop();
  await bus?.close();
});

describe('manual entry > Kafka > live SPC processor', () => {
  it('measurements and commands reach the live core; points, capability and the audit trail come back', async () => {
    const t0 = Date.now() - 600_000;
    const values = [12.0, 12.02, 11.99, 12.01, 12.0];
    const res = await app.inject({ method: 'POST', url: '/api/measurements', payload: values.map((value, i) => ({ characteristic: 'bore', value, unit: 'mm', serial: `SN${i}`, lot: 'LOT-1', operator: 'op.schmidt', measuredAt: t0 + i * 1000 })) });
    expect(res.statusCode).toBe(202);
    await waitFor(() => seen.audit.some((a) => a.action === 'ESTABLISHED'), { what: 'the Phase I limits on the audit topic', timeoutMs: 90_000 });

    const fixed = await app.inject({ method: 'POST', url: '/api/spc/commands', headers: { 'idempotency-key': `${prefix}-fix` }, payload: { characteristic: 'bore', kind: 'SET_FIXED_LIMITS', fixedLimits: { center: 12, ucl: 12.06, lcl: 11.94 }, user: 'q.engineer', reason: 'limits from the PPAP study' } });
    expect(fixed.statusCode).toBe(202);
    const ghost = await app.inject({ method: 'POST', url: '/api/spc/commands', payload: { characteristic: 'ghost', kind: 'RESET_PHASE1', user: 'q.engineer', reason: 'test' } });
    expect(ghost.statusCode).toBe(202);
    await waitFor(() => seen.audit.length >= 3, { what: 'the FIXED and REJECTED audit records', timeoutMs: 60_000 });

    const later = await app.inject({ method: 'POST', url: '/api/measurements', payload: { characteristic: 'bore', value: 12.07, operator: 'op.schmidt', serial: 'SN9', measuredAt: Date.now() + 1_000 } });
    expect(later.statusCode).toBe(202);
    await waitFor(() => seen.points.length >= 6, { what: '6 points', timeoutMs: 60_000 });

    expect(seen.audit.map((a) => [a.action, a.toVersion, a.commandId])).toEqual([
      ['ESTABLISHED', 1, null],
      ['FIXED', 2, `spc-cmd:key:${prefix}-fix`],
      ['REJECTED', null, ghost.json<{ commandId: string }>().commandId],
    ]);
    expect(seen.audit[1]).toMatchObject({ user: 'q.engineer', reason: 'limits from the PPAP study', fromVersion: 1, newLimits: { source: 'FIXED', ucl: 12.06 } });
    expect(seen.audit[2]!.rejection).toBe('unknown characteristic "ghost"');
    expect(seen.points.map((p) => p.limits?.version ?? null)).toEqual([null, null, null, null, 1, 2]);
    expect(seen.points[5]).toMatchObject({ rules: [1], serials: ['SN9'] });
    expect(seen.capability.map((c) => [c.index, c.limitsVersion, c.samples])).toEqual([[5, 1, 5]]);
  });
});

// ERP inbound against the real Kafka of the test stack: schedules in on a topic (and over REST), WorkOrder events out,
// invalid documents on the dead-letter topic with an actionable reason and counted, the consumer carrying on.
import { readFileSync } from 'node:fs';
import fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkajsBus } from '../../platform/bus/kafkajs.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics, type Metrics } from '../../platform/metrics.ts';
import type { WorkOrder } from '../../schemas/generated/types.ts';
import { deadLetterHeaders } from '../../schemas/topics.ts';
import { requireService, uniqueName, waitFor } from '../../test/services.ts';
import { erpIngestConfig } from './config.ts';
import { startScheduleConsumer, type ScheduleConsumer } from './consumer.ts';
import { erpScheduleRoutes } from './http.ts';

const logger = silentLogger();
const codec = createAvroCodec();
const example = (name: string) => readFileSync(new URL(`./examples/${name}`, import.meta.url), 'utf8');
const prefix = uniqueName('lp_erp');
const names = { erpSchedule: `${prefix}.schedule`, workOrders: `${prefix}.workorders`, deadLetter: `${prefix}.dlq` };

let bus: Bus;
let metrics: Metrics;
let consumer: ScheduleConsumer;

interface Seen {
  workOrders: WorkOrder[];
  dead: Array<{ key: string | null; value: string; headers: Record<string, string> }>;
}
const seen: Seen = { workOrders: [], dead: [] };
let stopReaders: () => Promise<void>;

beforeAll(async () => {
  bus = await createKafkajsBus({ connection: { brokers: requireService('kafka').split(','), clientId: 'linepulse-erp-test' }, logger, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
  metrics = createMetrics();
  consumer = await startScheduleConsumer({ bus, codec, logger, metrics, config: erpIngestConfig({ equipment: { 'PRESS-01': 'acme/plant1/assembly/line1/cell2/press' } }), groupId: `${prefix}.ingest`, topicNames: names });
  const woReader = bus.consumer({ groupId: `${prefix}.read-wo`, topics: [names.workOrders], fromBeginning: true });
  await woReader.start(async (batch) => {
    for (const r of batch.records) seen.workOrders.push((await codec.decode(r.topic, 'WorkOrder', r.value!, r.headers)) as WorkOrder);
  });
  const dlqReader = bus.consumer({ groupId: `${prefix}.read-dlq`, topics: [names.deadLetter], fromBeginning: true });
  await dlqReader.start(async (batch) => {
    for (const r of batch.records) seen.dead.push({ key: r.key, value: r.value?.toString('utf8') ?? '', headers: r.headers });
  });
  stopReaders = async () => {
    await Promise.all([woReader.stop(), dlqReader.stop()]);
  };
}, 120_000);

afterAll(async () => {
  await consumer?.stop();
  await stopReaders?.();
  await bus?.close();
});

async function publish(records: Array<{ key: string; value: Buffer }>): Promise<void> {
  const producer = await bus.producer();
  try {
    await producer.send(names.erpSchedule, records);
  } finally {
    await producer.close();
  }
}

describe('ERP inbound > Kafka', () => {
  it('publishes work orders, dead-letters bad documents with path and reason, counts them and keeps going', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><OperationsSchedule xmlns="http://www.mesa.org/xml/B2MML"><ID>&e;</ID></OperationsSchedule>';
    const invalid = example('operations-schedule.xml').replace('<RequestState>Released</RequestState>', '<RequestState>Done</RequestState>');
    await publish([
      { key: 'WO-4711', value: Buffer.from(invalid) },
      { key: 'x', value: Buffer.from(xxe) },
      { key: 'bin', value: Buffer.from([0xff, 0xfe, 0x00, 0x41]) },
      { key: 'WO-4711', value: Buffer.from(example('operations-schedule.xml')) },
      { key: 'WO-5001', value: Buffer.from(example('production-schedule-v0500.xml')) },
      { key: 'WO-4800', value: Buffer.from(example('process-operations-schedule.xml')) },
    ]);
    await waitFor(() => seen.workOrders.length >= 4 && seen.dead.length >= 3, { what: '4 work orders and 3 dead letters', timeoutMs: 60_000 });
    expect(seen.workOrders.map((w) => w.workOrder).sort()).toEqual(['WO-4711', 'WO-4712', 'WO-4800', 'WO-5001']);
    const wo = seen.workOrders.find((w) => w.workOrder === 'WO-4711')!;
    expect(wo).toMatchObject({ product: 'BRKT-200', quantity: 500, erpMessageId: 'SCHED-2025-03-03-A', eventId: `wo:SCHED-2025-03-03-A:WO-4711:r${Date.parse('2025-03-02T18:30:00Z')}` });
    // Records of different keys sit on different partitions: find each by its key.
    const reasonOf = (key: string) => seen.dead.find((d) => d.key === key)?.headers[deadLetterHeaders.reason];
    expect(reasonOf('WO-4711')).toBe(
      `malformed input at ${names.erpSchedule} (B2MML): /OperationsSchedule/OperationsRequest[1]/RequestState: not valid against B2MML-OperationsSchedule.xsd: [facet 'enumeration'] The value 'Done' is not an element of the set {'Forecast', 'Released', 'Cancelled', 'Ready', 'Running', 'Completed', 'Aborted', 'Held', 'Paused', 'Closed', 'Other'}.`,
    );
    expect(reasonOf('x')).toMatch(/line 1 \(prolog\): a DOCTYPE declaration is not accepted/);
    expect(reasonOf('bin')).toMatch(/value is not valid UTF-8/);
    const first = seen.dead.find((d) => d.key === 'WO-4711')!;
    expect(first.value).toBe(invalid);
    expect(first.headers[deadLetterHeaders.sourceTopic]).toBe(names.erpSchedule);
    expect(first.headers[deadLetterHeaders.consumer]).toBe(`${prefix}.ingest`);
    const text = await metrics.render();
    expect(text).toMatch(new RegExp(`linepulse_dead_letters_total\\{topic="${prefix.replaceAll('.', '\\.')}\\.schedule",consumer="${prefix}\\.ingest"\\} 3`));
    expect(text).toMatch(/linepulse_erp_schedules_total\{result="rejected",source="kafka"\} 2/);
    expect(text).toMatch(/linepulse_erp_schedules_total\{result="accepted",source="kafka"\} 3/);
  });

  it('a redelivered document publishes the same event ids', async () => {
    const before = seen.workOrders.length;
    await publish([{ key: 'WO-4711', value: Buffer.from(example('operations-schedule.xml')) }]);
    await waitFor(() => seen.workOrders.length >= before + 2, { what: 'the same work orders again' });
    const ids = seen.workOrders.filter((w) => w.workOrder === 'WO-4711').map((w) => w.eventId);
    expect(new Set(ids).size).toBe(1);
  });
});

describe('ERP inbound > REST route', () => {
  it('202 with the work orders, 422 with path and reason (dead-lettered too), 415 for other content', async () => {
    const app = fastify();
    await app.register(erpScheduleRoutes, { prefix: '/api/erp', ingest: consumer.ingest });
    try {
      const ok = await app.inject({ method: 'POST', url: '/api/erp/schedules', headers: { 'content-type': 'application/xml' }, payload: example('process-operations-schedule.xml') });
      expect(ok.statusCode).toBe(202);
      expect(ok.json()).toEqual({ accepted: true, erpMessageId: 'BOD-7f3a-0001', format: 'OperationsSchedule V0700', workOrders: [{ workOrder: 'WO-4800', eventId: `wo:BOD-7f3a-0001:WO-4800:r${Date.parse('2025-03-02T18:30:05Z')}`, revision: Date.parse('2025-03-02T18:30:05Z') }], skipped: [] });
      const dead = seen.dead.length;
      const bad = await app.inject({ method: 'POST', url: '/api/erp/schedules', headers: { 'content-type': 'text/xml' }, payload: example('operations-schedule.xml').replace('<ID>WO-4712</ID>', '') });
      expect(bad.statusCode).toBe(422);
      expect(bad.json()).toEqual({ accepted: false, path: '/OperationsSchedule/OperationsRequest[2]/ID', reason: 'missing: the work order id', error: '/OperationsSchedule/OperationsRequest[2]/ID: missing: the work order id' });
      await waitFor(() => seen.dead.length > dead, { what: 'the REST rejection on the dead-letter topic' });
      expect(seen.dead.at(-1)!.headers[deadLetterHeaders.sourceTopic]).toBe('http POST /api/erp/schedules');
        const json = await app.inject({ method: 'POST', url: '/api/erp/schedules', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(json.statusCode).toBe(415);
      expect((await app.inject({ method: 'POST', url: '/api/erp/schedules', headers: { 'content-type': 'application/pdf' }, payload: 'x' })).statusCode).toBe(415);
    } finally {
      await app.close();
    }
  });
});

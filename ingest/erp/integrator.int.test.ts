// The ERP integrator's view, with nothing of linepulse on its side: the plain Kafka command-line client kcat publishes
// a B2MML schedule and reads back the OperationsPerformance messages. In between, the real chain runs on the test
// stack's Kafka: ERP inbound, then the erp-performance, dispatch, counts and erp-progress processors live, while the
// shop floor (this test) scans the work order and counts pieces. Every message kcat reads is validated with xmllint.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkajsBus } from '../../platform/bus/kafkajs.ts';
import type { Bus } from '../../platform/bus/port.ts';
import { linepulseTopicSpecs } from '../../platform/bus/typed.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { countsConfig } from '../../processors/counts/config.ts';
import { countsCore } from '../../processors/counts/core.ts';
import { dispatchConfigSchema, performanceConfigSchema, progressConfigSchema } from '../../processors/erp/config.ts';
import { dispatchCore } from '../../processors/erp/dispatch-core.ts';
import { erpPerformanceCore } from '../../processors/erp/performance-core.ts';
import { workOrderProgressCore } from '../../processors/erp/progress-core.ts';
import { startLiveProcessor, type LiveProcessor } from '../../processors/runtime/live.ts';
import { produceEvents, topicNamesFor } from '../../processors/runtime/live-harness.ts';
import type { BarcodeScan, PieceCount } from '../../schemas/generated/types.ts';
import { topics, type TopicName } from '../../schemas/topics.ts';
import { requireService, uniqueName, waitFor } from '../../test/services.ts';
import { erpIngestConfig } from './config.ts';
import { startScheduleConsumer, type ScheduleConsumer } from './consumer.ts';
import { xmllint } from './testing/xmllint.ts';

const logger = silentLogger();
const codec = createAvroCodec();
const brokers = requireService('kafka');
const press = 'acme/plant1/assembly/line9/cell1/press';
const prefix = uniqueName('lp_kcat');
const used: TopicName[] = ['erpSchedule', 'workOrders', 'workOrderAssignments', 'scans', 'counts', 'dispatch', 'countIncrements', 'countTotals', 'workOrderProgress', 'materialConsumption', 'erpPerformance'];
const names = topicNamesFor(prefix, used) as Record<TopicName, string>;
const dlq = `${prefix}.deadletter`;
const scratch = mkdtempSync(join(tmpdir(), 'lp-kcat-'));

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

function kcat(args: string[]): string {
  const run = spawnSync('kcat', ['-b', brokers, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw new Error(`kcat could not run (${run.error.message}): install Debian package kcat (node compose/stack/ensure-tools.js does)`);
  if (run.status !== 0) throw new Error(`kcat ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

const schedule = (start: number) => `<?xml version="1.0" encoding="UTF-8"?>
<OperationsSchedule xmlns="http://www.mesa.org/xml/B2MML">
  <ID>KCAT-SCHED-1</ID>
  <OperationsType>Production</OperationsType>
  <PublishedDate>${new Date(start - 60_000).toISOString()}</PublishedDate>
  <OperationsRequest>
    <ID>WO-9001</ID>
    <RequestState>Released</RequestState>
    <SegmentRequirement>
      <ID>0010-press</ID>
      <SegmentParameter>
        <ID>IdealCycleTime</ID>
        <Value><ValueString>PT2S</ValueString><DataType>duration</DataType></Value>
      </SegmentParameter>
      <EquipmentRequirement><EquipmentID>${press}</EquipmentID></EquipmentRequirement>
      <MaterialRequirement>
        <MaterialDefinitionID>HINGE-10</MaterialDefinitionID>
        <MaterialUse>Produced</MaterialUse>
        <Quantity><QuantityString>6</QuantityString><UnitOfMeasure>pcs</UnitOfMeasure></Quantity>
      </MaterialRequirement>
    </SegmentRequirement>
  </OperationsRequest>
</OperationsSchedule>
`;

let seq = 0;
function scan(t: number, code: string, workOrder: string | null): BarcodeScan {
  seq += 1;
  return { eventId: `scanner:st-9:${seq}`, eventTime: t, equipment: press, station: 'st-9', raw: code, status: 'ACCEPTED', rejectReason: null, gs1: null, code, workOrder, origin: { sourceId: 'scanner:st-9', seq, serverTime: null, edgeTime: t, historical: false } };
}
function piece(t: number): PieceCount {
  seq += 1;
  return { eventId: `opcua:press9:${seq}`, eventTime: t, equipment: press, kind: 'GOOD', counterValue: null, counterMax: null, increment: 1, rejectReason: null, workOrder: null, quality: 'GOOD', origin: { sourceId: 'opcua:press9', seq, serverTime: null, edgeTime: t, historical: false } };
}

describe('ERP integrator with kcat', () => {
  it('publishes a schedule with kcat and reads valid OperationsPerformance messages, keyed by work order, ending Completed', async () => {
    const bus: Bus = await createKafkajsBus({ connection: { brokers: brokers.split(','), clientId: 'linepulse-kcat-test' }, logger, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
    cleanup.push(() => bus.close());
    await bus.ensureTopics([
      ...used.map((n) => ({ name: names[n], partitions: topics[n].partitions })),
      ...linepulseTopicSpecs().filter((s) => s.name === 'linepulse.deadletter.v1').map((s) => ({ ...s, name: dlq })),
    ]);
    const metrics = createMetrics();
    const ingest: ScheduleConsumer = await startScheduleConsumer({ bus, codec, logger, metrics, config: erpIngestConfig(), groupId: `${prefix}.ingest`, topicNames: { erpSchedule: names.erpSchedule, workOrders: names.workOrders, deadLetter: dlq } });
    cleanup.push(() => ingest.stop());
    const cores = [
      { core: erpPerformanceCore, config: performanceConfigSchema.parse({ reorderMs: 500 }) },
      { core: dispatchCore, config: dispatchConfigSchema.parse({ endCodes: ['WO-END'] }) },
      { core: countsCore, config: countsConfig({ reorderMs: 1_000 }) },
      { core: workOrderProgressCore, config: progressConfigSchema.parse({ reorderMs: 500 }) },
    ];
    for (const { core, config } of cores) {
      const p: LiveProcessor = await startLiveProcessor({
        core: core as never,
        config: config as never,
        bus,
        codec,
        logger,
        metrics,
        groupId: `${prefix}.${core.name}`,
        changelogTopic: `${prefix}.${core.name}.changelog`,
        deadLetterTopic: dlq,
        topicNames: names,
        idle: { tickMs: 250, afterMs: 500 },
      });
      cleanup.push(() => p.stop());
    }

    // ERP side: one message, the whole file, keyed by the work order.
    const start = Date.now();
    const file = join(scratch, 'schedule.xml');
    writeFileSync(file, schedule(start));
    kcat(['-P', '-t', names.erpSchedule, '-k', 'WO-9001', file]);

    // Shop floor: the operator scans the work order, six pieces are made, the operator ends the order.
    await waitFor(async () => (await bus.latestOffsets(names.workOrderAssignments)).some((o) => o.offset !== '0'), { what: 'the work order projected onto the press', timeoutMs: 60_000 });
    await produceEvents(bus, codec, 'scans', names.scans, [scan(start, 'WO-9001', 'WO-9001')]);
    // On a real line the first piece comes seconds after the scan, in wall time too. Here the pieces' event times are
    // ahead of the wall clock, so wait until the counts and progress processors have taken the dispatch: a dispatch
    // that reaches them more than their reorderMs behind the pieces arrives late and those pieces count for no work
    // order (see the closing note of issue 10: a task's topics are not consumed in event-time order).
    for (const core of ['counts', 'erp-progress']) {
      await waitFor(async () => (await bus.committedOffsets(`${prefix}.${core}`, names.dispatch)).some((o) => o.offset !== '0'), { what: `the dispatch taken by ${core}`, timeoutMs: 60_000 });
    }
    await produceEvents(bus, codec, 'counts', names.counts, Array.from({ length: 6 }, (_, i) => piece(start + (i + 1) * 1_000)));
    await produceEvents(bus, codec, 'scans', names.scans, [scan(start + 8_000, 'WO-END', 'WO-9001')]);
    await produceEvents(bus, codec, 'counts', names.counts, [piece(start + 10_000)]);

    // ERP side again: read what linepulse reports, until the work order is complete.
    type Message = { key: string; payload: string; partition: number };
    const read = (): Message[] =>
      kcat(['-C', '-t', names.erpPerformance, '-o', 'beginning', '-e', '-q', '-J', '-X', 'isolation.level=read_committed'])
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Message);
    let seen: Message[] = [];
    const messages = await waitFor(() => {
      seen = read();
      return seen.some((m) => m.payload.includes('<PerformanceState>Completed</PerformanceState>')) ? seen : null;
    }, { what: 'an OperationsPerformance with PerformanceState Completed', timeoutMs: 90_000, intervalMs: 1_000 }).catch((error: Error) => {
      const states = seen.map((m) => /<PerformanceState>([^<]*)</.exec(m.payload)?.[1] ?? '?');
      throw new Error(`${error.message}; read ${seen.length} messages, states ${JSON.stringify(states)}; last: ${seen.at(-1)?.payload ?? '-'}`);
    });

    expect(messages.length).toBeGreaterThanOrEqual(2);
    const ids: string[] = [];
    for (const m of messages) {
      expect(m.key).toBe('WO-9001');
      const check = xmllint(m.payload, 'B2MML-OperationsPerformance.xsd');
      expect(check.output).toContain('validates');
      expect(check.valid).toBe(true);
      ids.push(/<ID>([^<]*)<\/ID>/.exec(m.payload)![1]!);
    }
    expect(ids).toEqual(ids.map((_, i) => `perf:WO-9001:r${i + 1}`));
    const final = messages.at(-1)!.payload;
    expect(final).toContain('<PerformanceState>Completed</PerformanceState>');
    expect(final).toContain('<OperationsScheduleID>KCAT-SCHED-1</OperationsScheduleID>');
    expect(final).toMatch(/<QuantityString>6<\/QuantityString>\s*<DataType>decimal<\/DataType>\s*<UnitOfMeasure>pcs<\/UnitOfMeasure>\s*<Key>Good<\/Key>/);
    expect(messages[0]!.payload).toContain('<PerformanceState>Running</PerformanceState>');
  });
});

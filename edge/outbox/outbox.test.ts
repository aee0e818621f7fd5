import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import type { EdgeEvent } from '../events.ts';
import { createEdgeMetrics } from '../metrics.ts';
import { jsonCodec, memoryProducer } from '../testing/fakes.ts';
import { startForwarder } from './forwarder.ts';
import { openOutbox } from './outbox.ts';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lp-outbox-'));
  dirs.push(dir);
  return join(dir, 'outbox.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function telemetry(source: string, value: number, edgeTime = Date.now()): EdgeEvent {
  return {
    topic: 'telemetry',
    event: {
      eventTime: edgeTime,
      equipment: 'demo/plant1/a/l1/c1/M01',
      tag: 'T',
      value,
      text: null,
      unit: null,
      quality: 'GOOD',
      statusCode: 0,
      outOfRange: false,
      origin: { sourceId: source, serverTime: null, edgeTime, historical: false },
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));
const parse = (b: Buffer | null) => JSON.parse(b?.toString() ?? 'null') as { eventId: string; value: number; origin: { seq: number; historical: boolean } };

describe('edge > outbox', () => {
  it('numbers events per source, stores them in order and keeps the seqs across a reopen', async () => {
    const path = tempFile();
    const metrics = createEdgeMetrics();
    let box = openOutbox({ path, logger: silentLogger(), metrics });
    box.append(telemetry('a', 1));
    box.append(telemetry('b', 2));
    box.append(telemetry('a', 3));
    await tick();
    expect(box.size()).toBe(3);
    const rows = box.peek(10);
    expect(rows.map((r) => [r.sourceId, r.seq])).toEqual([['a', 1], ['b', 1], ['a', 2]]);
    expect(JSON.parse(rows[2]?.payload ?? '{}').eventId).toBe('a:2');
    box.ack([rows[0]?.id ?? 0]);
    box.close();

    box = openOutbox({ path, logger: silentLogger(), metrics });
    expect(box.size()).toBe(2);
    box.append(telemetry('a', 4));
    const after = box.peek(10);
    expect(after.map((r) => `${r.sourceId}:${r.seq}`)).toEqual(['b:1', 'a:2', 'a:3']);
    box.close();
  });

  it('drop-oldest keeps the newest maxEvents and counts the dropped ones', async () => {
    const metrics = createEdgeMetrics();
    const box = openOutbox({ path: ':memory:', maxEvents: 5, overflow: 'drop-oldest', logger: silentLogger(), metrics });
    for (let i = 0; i < 8; i += 1) box.append(telemetry('a', i));
    box.flush();
    expect(box.size()).toBe(5);
    expect(box.peek(10).map((r) => r.seq)).toEqual([4, 5, 6, 7, 8]);
    expect((await metrics.dropped.get()).values[0]).toMatchObject({ value: 3, labels: { reason: 'overflow-drop-oldest' } });
    box.close();
  });

  it('drop-newest keeps the backlog, refuses new events without consuming seqs', async () => {
    const metrics = createEdgeMetrics();
    const box = openOutbox({ path: ':memory:', maxEvents: 3, overflow: 'drop-newest', logger: silentLogger(), metrics });
    for (let i = 0; i < 5; i += 1) box.append(telemetry('a', i));
    box.flush();
    expect(box.peek(10).map((r) => r.seq)).toEqual([1, 2, 3]);
    box.ack(box.peek(10).map((r) => r.id));
    box.append(telemetry('a', 9));
    expect(box.peek(10).map((r) => r.seq)).toEqual([4]);
    expect((await metrics.dropped.get()).values[0]).toMatchObject({ value: 2, labels: { reason: 'overflow-drop-newest' } });
    box.close();
  });
});

describe('edge > outbox > forwarder', () => {
  it('forwards in order, survives an outage with back-off, flags the late backlog historical', async () => {
    let now = 1_000_000;
    const metrics = createEdgeMetrics();
    const box = openOutbox({ path: tempFile(), logger: silentLogger(), metrics, now: () => now });
    const producer = memoryProducer();
    const fwd = startForwarder({ outbox: box, producer, codec: jsonCodec(), logger: silentLogger(), metrics, historicalAfterMs: 10_000, retry: { initialMs: 20, maxMs: 80 }, now: () => now });
    for (let i = 1; i <= 3; i += 1) box.append(telemetry('a', i, now));
    await fwd.drained(5_000);
    expect(producer.sent.map((s) => parse(s.record.value).value)).toEqual([1, 2, 3]);

    producer.down = true;
    for (let i = 4; i <= 10; i += 1) box.append(telemetry('a', i, now));
    await new Promise((r) => setTimeout(r, 300));
    expect(box.size()).toBe(7);
    expect(fwd.failing).toBe(true);
    now += 60_000; // the outage lasted a minute
    box.append(telemetry('a', 11, now));
    producer.down = false;
    await fwd.drained(5_000);
    const values = producer.sent.map((s) => parse(s.record.value));
    expect(values.map((v) => v.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(values.map((v) => v.origin.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(values.map((v) => v.origin.historical)).toEqual([false, false, false, true, true, true, true, true, true, true, false]);
    expect(producer.sent[0]?.record.key).toBe('demo/plant1/a/l1/c1/M01');
    expect(producer.sent[0]?.topic).toBe('linepulse.telemetry.v1');
    expect((await metrics.forwardFailures.get()).values[0]?.value).toBeGreaterThan(0);
    await fwd.stop();
    box.close();
  });

  it('moves an event the codec rejects to the dead table and keeps forwarding', async () => {
    const metrics = createEdgeMetrics();
    const box = openOutbox({ path: ':memory:', logger: silentLogger(), metrics });
    const producer = memoryProducer();
    const codec = jsonCodec((v) => (v.value === 2 ? 'value 2 is cursed' : null));
    const fwd = startForwarder({ outbox: box, producer, codec, logger: silentLogger(), metrics });
    for (let i = 1; i <= 3; i += 1) box.append(telemetry('a', i));
    await fwd.drained(5_000);
    expect(producer.sent.map((s) => parse(s.record.value).value)).toEqual([1, 3]);
    expect((await metrics.deadLettered.get()).values[0]?.value).toBe(1);
    await fwd.stop();
    box.close();
  });

  it('picks up the backlog of a previous run after a restart', async () => {
    const path = tempFile();
    const metrics = createEdgeMetrics();
    let box = openOutbox({ path, logger: silentLogger(), metrics });
    for (let i = 1; i <= 50; i += 1) box.append(telemetry('a', i));
    box.close(); // edge stopped before anything was forwarded
    box = openOutbox({ path, logger: silentLogger(), metrics });
    const producer = memoryProducer();
    const fwd = startForwarder({ outbox: box, producer, codec: jsonCodec(), logger: silentLogger(), metrics, batchSize: 7 });
    await fwd.drained(5_000);
    expect(producer.sent.map((s) => parse(s.record.value).origin.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await fwd.stop();
    box.close();
  });
});

// Input checks of the typed consumer (guard.ts) and the dead-letter path on the embedded bus: each refused record
// goes to the dead-letter topic with its reason, is counted by reason, and its log line carries the record's event
// id and correlation id.
import { describe, expect, it } from 'vitest';
import { correlationHeaders, deadLetterHeaders, deadLetterTopic, topics } from '../../schemas/topics.ts';
import { waitFor } from '../../test/services.ts';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import { createJsonTestCodec } from './contract.ts';
import { createEmbeddedBus } from './embedded.ts';
import { createInputGuard, parseInputGuardConfig } from './guard.ts';
import type { ConsumedRecord } from './port.ts';
import { createTypedConsumer, linepulseTopicSpecs } from './typed.ts';

const press = 'acme/plant1/assembly/line1/cell2/press';
const ingest = Date.parse('2025-05-05T10:00:00Z');
const raw = (over: Record<string, unknown> = {}) => ({ eventId: 'e1', eventTime: ingest, equipment: press, tag: 't', value: 1, origin: { sourceId: 's' }, ...over });

describe('bus > input guard', () => {
  const guard = createInputGuard({ maxRecordBytes: 100, maxFutureSkewMs: 60_000, equipment: ['acme/plant1/assembly/', 'acme/plant2/x/y/z/w'] });

  it('> size before decoding', () => {
    expect(guard.checkRecord({ value: Buffer.alloc(100) })).toBeNull();
    expect(guard.checkRecord({ value: Buffer.alloc(101) })).toMatchObject({ reason: 'oversized' });
    expect(guard.checkRecord({ value: null })).toBeNull();
  });

  it('> future timestamps of raw events only, beyond the skew', () => {
    expect(guard.checkEvent(raw({ eventTime: ingest + 60_000 }), { timestamp: ingest })).toBeNull();
    expect(guard.checkEvent(raw({ eventTime: ingest + 60_001 }), { timestamp: ingest })).toMatchObject({ reason: 'future-timestamp', message: expect.stringContaining('60 s after the ingest time') });
    expect(guard.checkEvent(raw({ eventTime: ingest + 3_600_000, origin: undefined }), { timestamp: ingest })).toBeNull();
    expect(guard.checkEvent(raw({ eventTime: ingest - 86_400_000 }), { timestamp: ingest })).toBeNull();
  });

  it('> equipment by exact path or prefix; every path without a plant model', () => {
    expect(guard.checkEvent(raw(), { timestamp: ingest })).toBeNull();
    expect(guard.checkEvent(raw({ equipment: 'acme/plant2/x/y/z/w' }), { timestamp: ingest })).toBeNull();
    expect(guard.checkEvent(raw({ equipment: 'acme/plant2/x/y/z/other' }), { timestamp: ingest })).toMatchObject({ reason: 'unknown-equipment' });
    expect(createInputGuard().checkEvent(raw({ equipment: 'any/where' }), { timestamp: ingest })).toBeNull();
  });

  it('> config errors name the key', () => {
    expect(() => parseInputGuardConfig({ maxFutureSkewMs: -1 })).toThrow(ConfigError);
    expect(() => parseInputGuardConfig({ maxFutureSkewMs: -1 })).toThrow(/input\.maxFutureSkewMs/);
    expect(parseInputGuardConfig(undefined)).toEqual({ maxRecordBytes: 1_048_576, maxFutureSkewMs: 300_000 });
  });

  it('> typed consumer: dead letter with the reason, counted by reason, logged with event and correlation ids', async () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', env: {}, destination: { write: (l: string) => void lines.push(l) } });
    const codec = createJsonTestCodec({ Telemetry: ['eventId', 'equipment', 'tag', 'value'] });
    const bus = createEmbeddedBus({ logger });
    await bus.ensureTopics(linepulseTopicSpecs());
    const producer = await bus.producer();
    const headers = { [correlationHeaders.eventId]: 'e9', [correlationHeaders.correlationId]: 'corr-9' };
    await producer.send(topics.telemetry.topic, [
      { key: press, value: Buffer.from(JSON.stringify(raw())), timestamp: ingest },
      { key: press, value: Buffer.from(JSON.stringify(raw({ eventId: 'e9', eventTime: ingest + 3_600_000 }))), headers, timestamp: ingest },
      { key: press, value: Buffer.from('{"broken'), headers: { [correlationHeaders.eventId]: 'e10' }, timestamp: ingest },
    ]);
    const metrics = createMetrics();
    const events: unknown[] = [];
    const consumer = createTypedConsumer({ bus, codec, groupId: 'g', topics: ['telemetry'], logger, metrics, deadLetter: { producer }, guard: createInputGuard() });
    await consumer.start(async (batch) => void events.push(...batch.events));
    const dead: ConsumedRecord[] = [];
    const reader = bus.consumer({ groupId: 'dlq', topics: [deadLetterTopic], fromBeginning: true });
    await reader.start(async (batch) => void dead.push(...batch.records));
    await waitFor(() => (dead.length === 2 && events.length === 1 ? true : undefined), { what: '2 dead letters and 1 event' });
    expect(dead.map((d) => d.headers[deadLetterHeaders.reason])).toEqual([expect.stringMatching(/after the ingest time/), expect.stringMatching(/malformed input/)]);
    expect(dead[0]!.headers[correlationHeaders.correlationId]).toBe('corr-9');
    const rejected = (await metrics.registry.getSingleMetric('linepulse_input_rejected_total')!.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(rejected.sort()).toEqual([['future-timestamp', 1], ['malformed', 1]]);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; eventId?: string; correlationId?: string; rejection?: string }).filter((l) => l.msg === 'record dead-lettered');
    expect(logged.map((l) => [l.rejection, l.eventId, l.correlationId])).toEqual([['future-timestamp', 'e9', 'corr-9'], ['malformed', 'e10', undefined]]);
    await reader.stop();
    await consumer.stop();
    await bus.close();
  });
});

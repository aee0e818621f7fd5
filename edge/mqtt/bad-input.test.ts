// Bad MQTT input at the edge: malformed JSON, wrong types, bad timestamps, unmapped topics, oversized messages and
// garbage Sparkplug payloads never crash the collector; each goes to the dead-letter topic with the reason and is
// counted, and good messages keep flowing. Property-based: parseJsonMessage never throws, whatever the bytes.
import fc from 'fast-check';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../../platform/bus/embedded.ts';
import type { ConsumedRecord } from '../../platform/bus/port.ts';
import { linepulseTopicSpecs } from '../../platform/bus/typed.ts';
import { startEmbeddedMqttBroker, type EmbeddedMqttBroker } from '../../platform/embedded-mqtt.ts';
import { silentLogger } from '../../platform/log.ts';
import { deadLetterHeaders, deadLetterTopic } from '../../schemas/topics.ts';
import { waitFor } from '../../test/services.ts';
import { startEdgeDeadLetters } from '../dead-letter.ts';
import { collectingPublish } from '../events.ts';
import { createEdgeMetrics } from '../metrics.ts';
import { jsonTopicSchema, mqttConnectionSchema } from './config.ts';
import { parseJsonMessage, startMqttCollector } from './collector.ts';

const brokers: EmbeddedMqttBroker[] = [];
afterAll(async () => {
  for (const b of brokers) await b.close();
});

describe('edge > mqtt > bad input', () => {
  it('> dead-letters every bad message with its reason, counts it, and keeps collecting', async () => {
    const broker = await startEmbeddedMqttBroker();
    brokers.push(broker);
    const bus = createEmbeddedBus({ logger: silentLogger() });
    await bus.ensureTopics(linepulseTopicSpecs());
    const producer = await bus.producer();
    const metrics = createEdgeMetrics();
    const deadLetters = startEdgeDeadLetters({ producer, registry: metrics.registry, logger: silentLogger(), intervalMs: 50 });
    const { publish, events } = collectingPublish();
    const config = mqttConnectionSchema.parse({
      id: 'bad',
      url: broker.url,
      maxMessageBytes: 2_048,
      json: [{ topic: 'plant1/line1/+/temp', equipment: 'demo/plant1/assembly/line1/{3}', valuePath: 'v', timestampPath: 't' }],
      sparkplug: { groups: ['plant1'], equipment: 'demo/plant1/assembly/line1/sensors/{device}' },
    });
    const collector = startMqttCollector({ config, publish, logger: silentLogger(), metrics, deadLetter: deadLetters.reject });
    await collector.ready;
    const client = await mqtt.connectAsync(broker.url, { clientId: 'lp-bad-input' });
    const bad: Array<[string, string | Buffer, RegExp]> = [
      ["plant1/line1/M01/temp", '{"v": 1,', /malformed JSON/],
      ['plant1/line1/M01/temp', '{"v": {"nested": true}}', /is an object/],
      ['plant1/line1/M01/temp', '{"v": 20, "t": "yesterday-ish"}', /neither epoch nor ISO time/],
      ['plant1/line1/M01/temp', '', /empty payload/],
      ['plant1/line1/bad path!/temp', '{"v": 1}', /not a valid ISA-95 path/],
      ['plant1/line1/M01/temp', Buffer.alloc(4_096, 0x31), /larger than the limit of 2048/],
      ['spBv1.0/plant1/DDATA/n1/d1', Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]), /./],
    ];
    for (const [topic, payload] of bad) await client.publishAsync(topic, payload, { qos: 1 });
    await client.publishAsync('plant1/line1/M02/temp', JSON.stringify({ v: 21.5, t: 1_700_000_000_000 }), { qos: 1 });

    const dead: ConsumedRecord[] = [];
    const reader = bus.consumer({ groupId: 'dlq-reader', topics: [deadLetterTopic], fromBeginning: true });
    await reader.start(async (batch) => void dead.push(...batch.records));
    const seen = () => JSON.stringify(dead.map((r) => [r.headers[deadLetterHeaders.sourceTopic], r.headers[deadLetterHeaders.reason]]));
    await waitFor(() => (dead.length >= bad.length && events.length >= 1 ? true : undefined), { what: 'dead letters and the good event', timeoutMs: 15_000 }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; dead letters: ${seen()}; events: ${events.length}`);
    });
    await reader.stop();
    for (const [i, [topic, , reason]] of bad.entries()) {
      const record = dead.find((r) => r.headers[deadLetterHeaders.sourceTopic] === topic && reason.test(r.headers[deadLetterHeaders.reason] ?? ''));
      expect(record, `dead letter ${i} for ${topic} matching ${reason}`).toBeDefined();
      expect(record!.headers[deadLetterHeaders.consumer]).toBe('mqtt:bad');
    }
    expect(events.map((e) => e.event.equipment)).toEqual(['demo/plant1/assembly/line1/M02']);
    expect(collector.status().rejected).toBeGreaterThanOrEqual(bad.length);
    const counted = (await metrics.registry.getSingleMetric('linepulse_dead_letters_total')!.get()).values.reduce((s, v) => s + v.value, 0);
    expect(counted).toBeGreaterThanOrEqual(bad.length);
    await client.endAsync();
    await collector.stop();
    await deadLetters.stop();
    await bus.close();
  });
});

describe('edge > mqtt > parseJsonMessage (property-based)', () => {
  const mapping = jsonTopicSchema.parse({ topic: 'p/+/+', equipment: 'demo/plant1/area/{2}/{3}', valuePath: 'data.value', timestampPath: 'data.ts', qualityPath: 'q' });
  const levels = fc.array(fc.string({ maxLength: 20 }), { minLength: 0, maxLength: 5 });

  it('> never throws on arbitrary bytes: a data value or a reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), levels, (bytes, lv) => {
        const result = parseJsonMessage(mapping, lv, Buffer.from(bytes));
        expect(result.ok ? result.tag.equipment.length > 0 : result.reason.length > 0).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('> never throws on arbitrary JSON of any shape and types; a value is never an object', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(2), fc.constantFrom<string[]>(['p', 'line1', 'M01'], ['p', 'x', 'y']), (doc, shape, lv) => {
        const wrapped = shape === 0 ? doc : shape === 1 ? { data: { value: doc, ts: doc } } : { data: { value: 1 }, q: doc };
        const result = parseJsonMessage(mapping, lv, Buffer.from(JSON.stringify(wrapped) ?? 'null'));
        if (result.ok) expect(typeof result.dv.value === 'object' && result.dv.value !== null).toBe(false);
        else expect(result.reason).toMatch(/\S/);
      }),
      { numRuns: 2_000 },
    );
  });

  it('> a well-formed message always maps, whatever the value and timestamp', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean()), fc.integer({ min: 0, max: 4_102_444_800_000 }), (value, ts) => {
        const result = parseJsonMessage(mapping, ['p', 'line1', 'M01'], Buffer.from(JSON.stringify({ data: { value, ts } })));
        expect(result.ok).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });
});

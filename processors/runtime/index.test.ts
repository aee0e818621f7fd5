// startProcessors: what `linepulse start` runs on the embedded bus.
import { describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../../platform/bus/embedded.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { silentLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { topics } from '../../schemas/topics.ts';
import { processors, startProcessors } from './index.ts';
import { produceEvents, readOutputs } from './live-harness.ts';
import { pieceCount } from './test-events.ts';

describe('runtime > startProcessors (embedded bus)', () => {
  it('starts every registered processor; counts flow into count increments and totals', async () => {
    const logger = silentLogger();
    const bus = createEmbeddedBus({ logger });
    const codec = createAvroCodec();
    const running = await startProcessors({ bus, codec, logger, metrics: createMetrics(), idle: false });
    try {
      expect(running.processors.map((p) => p.name)).toEqual(processors.map((p) => p.core.name));
      const t = Date.parse('2024-03-05T10:00:00Z');
      await produceEvents(bus, codec, 'counts', topics.counts.topic, [pieceCount({ eventId: 'a', eventTime: t, increment: 2 }), pieceCount({ eventId: 'b', eventTime: t + 60_000, increment: 3 })]);
      const got = await readOutputs(bus, codec, [{ topic: 'countIncrements', kafkaTopic: topics.countIncrements.topic }], 'reader', (r) => r.length >= 1);
      expect(got[0]!.value).toMatchObject({ eventId: 'a:inc', good: 2 });
    } finally {
      await running.stop();
      await bus.close();
    }
  });

  it('rejects a bad config with the key that is wrong', async () => {
    const logger = silentLogger();
    const bus = createEmbeddedBus({ logger });
    await expect(
      startProcessors({ bus, codec: createAvroCodec(), logger, metrics: createMetrics(), plant: { processors: { alerts: { sensors: [{ id: 'x', tag: 't' }] } } } }),
    ).rejects.toThrow('config error at processors.alerts.sensors[0]: a sensor rule needs `above`, `below` or both');
    await expect(startProcessors({ bus, codec: createAvroCodec(), logger, metrics: createMetrics(), plant: { calendars: { default: { timeZone: 'Nowhere/Else' } } } })).rejects.toThrow(
      'config error at calendars.default.timeZone: unknown IANA time zone',
    );
    await bus.close();
  });
});

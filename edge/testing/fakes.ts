// Small honest implementations of the bus Producer and Codec ports for edge unit tests: the producer keeps what
// it acknowledged (and can be made to fail), the codec validates the fields the edge fills and encodes JSON.
import type { OutgoingRecord, Producer } from '../../platform/bus/port.ts';
import type { Codec, Encoded } from '../../platform/codec/port.ts';
import { MalformedInputError } from '../../platform/errors.ts';

export interface MemoryProducer extends Producer {
  readonly sent: Array<{ topic: string; record: OutgoingRecord }>;
  /** While true, every send rejects (a broker outage). */
  down: boolean;
  sends: number;
}

export function memoryProducer(): MemoryProducer {
  const p: MemoryProducer = {
    sent: [],
    down: false,
    sends: 0,
    async send(topic, records) {
      p.sends += 1;
      await new Promise((r) => setImmediate(r));
      if (p.down) throw new Error('broker unreachable (test outage)');
      for (const record of records) p.sent.push({ topic, record });
    },
    async close() {},
  };
  return p;
}

/** JSON codec checking eventId, eventTime, equipment and origin; `reject` makes chosen events fail validation. */
export function jsonCodec(reject?: (value: Record<string, unknown>) => string | null): Codec {
  return {
    async encode(topic, schema, value): Promise<Encoded> {
      const v = value as Record<string, unknown>;
      const origin = v.origin as Record<string, unknown> | undefined;
      if (typeof v.eventId !== 'string' || typeof v.eventTime !== 'number' || typeof v.equipment !== 'string' || !origin || typeof origin.seq !== 'number')
        throw new MalformedInputError(`${schema}: missing identity fields`, topic);
      const why = reject?.(v);
      if (why) throw new MalformedInputError(why, topic);
      return { value: Buffer.from(JSON.stringify(value)), headers: { 'x-schema': schema } };
    },
    async decode(_topic, _schema, value) {
      return JSON.parse(value.toString('utf8')) as unknown;
    },
  };
}

// Property-based fuzzing of the codecs' decoders (fast-check): whatever the bytes and headers, decoding either
// returns a value or throws MalformedInputError with a reason (what the typed consumer dead-letters and counts),
// never another error and never a crash: truncated records, random garbage, flipped bytes, wrong or malformed
// schema-version headers, and Confluent frames with an unknown schema id.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exampleEvents } from '../../schemas/examples.ts';
import { topics } from '../../schemas/index.ts';
import { MalformedInputError } from '../errors.ts';
import { createAvroCodec, schemaHeader } from './avro.ts';
import { frame } from './confluent-framing.ts';
import { createRegistryCodec } from './registry.ts';
import { SchemaRegistryClient } from './schemaregistry-lib.ts';

const avro = createAvroCodec();
const topic = topics.telemetry.topic;
const example = exampleEvents.Telemetry;

/** Decodes, and says how it ended: 'ok' or 'malformed'; anything else fails the property. */
async function outcome(decode: () => Promise<unknown>): Promise<'ok' | 'malformed'> {
  try {
    await decode();
    return 'ok';
  } catch (error) {
    if (error instanceof MalformedInputError && error.reason.length > 0) return 'malformed';
    throw error;
  }
}

describe('codec > embedded Avro > decode (property-based)', () => {
  it('> random bytes under a valid header: a value or MalformedInputError', async () => {
    const { headers } = await avro.encode(topic, 'Telemetry', example);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await outcome(() => avro.decode(topic, 'Telemetry', Buffer.from(bytes), headers));
      }),
      { numRuns: 3_000 },
    );
  });

  it('> every truncation of a valid record is refused with a reason', async () => {
    const { value, headers } = await avro.encode(topic, 'Telemetry', example);
    for (let length = 0; length < value.length; length += 1) {
      expect(await outcome(() => avro.decode(topic, 'Telemetry', value.subarray(0, length), headers))).toBe('malformed');
    }
  });

  it('> flipped bytes of a valid record: a value or MalformedInputError', async () => {
    const { value, headers } = await avro.encode(topic, 'Telemetry', example);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(value.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (flips) => {
        const copy = Buffer.from(value);
        for (const [at, byte] of flips) copy[at] = byte;
        await outcome(() => avro.decode(topic, 'Telemetry', copy, headers));
      }),
      { numRuns: 3_000 },
    );
  });

  it('> any schema-version header (missing, malformed, another record, unknown version) is refused with a reason', async () => {
    const { value } = await avro.encode(topic, 'Telemetry', example);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom('Telemetry@', 'Telemetry@999', 'Telemetry@v0', 'PieceCount@1', '@1', 'Telemetry@dev-0000'),
          fc.tuple(fc.constantFrom('Telemetry', 'Alert', 'OeeWindow'), fc.string({ maxLength: 12 })).map(([n, v]) => `${n}@${v}`),
        ),
        async (label) => {
          const result = await outcome(() => avro.decode(topic, 'Telemetry', value, { [schemaHeader]: label }));
          if (!/^Telemetry@/.test(label)) expect(result).toBe('malformed');
        },
      ),
      { numRuns: 2_000 },
    );
    expect(await outcome(() => avro.decode(topic, 'Telemetry', value, {}))).toBe('malformed');
  });
});

describe('codec > schema registry wire format > decode (property-based, mock registry)', () => {
  const client = SchemaRegistryClient.newClient({ baseURLs: ['mock://'] });
  const registry = createRegistryCodec({ client, url: 'mock://' });

  it('> an unknown schema id, a short or unframed record, or garbage after a known id: MalformedInputError', async () => {
    const { value } = await registry.encode(topic, 'Telemetry', example);
    const knownId = value.readUInt32BE(1);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
          fc.tuple(fc.integer({ min: knownId + 1, max: 0xffffffff }), fc.uint8Array({ maxLength: 60 })).map(([id, b]) => frame(id, Buffer.from(b))),
          fc.uint8Array({ maxLength: 60 }).map((b) => frame(knownId, Buffer.from(b))),
        ),
        async (bytes) => {
          const result = await outcome(() => registry.decode(topic, 'Telemetry', bytes, {}));
          if (bytes.length < 5 || bytes[0] !== 0 || bytes.readUInt32BE(1) !== knownId) expect(result).toBe('malformed');
        },
      ),
      { numRuns: 500 },
    );
  });
});

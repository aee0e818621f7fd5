import { createServer } from 'node:net';
import { AvroDeserializer, AvroSerializer, SchemaRegistryClient, SerdeType, SubjectNameStrategyType } from './schemaregistry-lib.ts';
import { describe, expect, test } from 'vitest';
import { contracts, parseStandalone, toPlain, topics } from '../../schemas/index.ts';
import { exampleEvents } from '../../schemas/examples.ts';
import { MalformedInputError, ServiceUnreachableError } from '../errors.ts';
import { createAvroCodec, schemaHeader } from './avro.ts';
import { frame } from './confluent-framing.ts';
import { createRegistryCodec, subjectFor } from './registry.ts';

const topic = topics.telemetry.topic;
const subject = `${topic}-value`;

function mockCodec() {
  const client = SchemaRegistryClient.newClient({ baseURLs: ['mock://'] });
  return { client, codec: createRegistryCodec({ client, url: 'mock://' }) };
}

// A small Telemetry record and its Avro binary, worked out by hand from the Avro spec:
const value = { eventId: 'e1', eventTime: 1, equipment: 'a/b', tag: 't', value: 1.5, quality: 'GOOD', origin: { sourceId: 's', seq: 1, edgeTime: 2 } };
const payloadHex =
  '046531' + // eventId: zigzag length 2, "e1"
  '02' + // eventTime: zigzag 1
  '06612f62' + // equipment: length 3, "a/b"
  '0274' + // tag: "t"
  '02000000000000f83f' + // value: union branch 1 (double), 1.5 little-endian
  '00' + '00' + // text, unit: union branch 0 (null)
  '00' + // quality: enum index 0 (GOOD)
  '00' + // statusCode: null
  '00' + // outOfRange: false
  '0273' + '02' + '00' + '04' + '00'; // origin: sourceId "s", seq 1, serverTime null, edgeTime 2, historical false

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('registry codec (Confluent wire format, mock registry)', () => {
  test('byte fixture: magic byte 0, 4-byte big-endian schema id, Avro payload', async () => {
    const { codec } = mockCodec();
    const first = await codec.encode(topic, 'Telemetry', value);
    expect(first.value.toString('hex')).toBe('00' + '00000001' + payloadHex);
    expect(first.headers).toEqual({});
    // Later records take the fast path and must give the very same bytes.
    const second = await codec.encode(topic, 'Telemetry', value);
    expect(second.value.equals(first.value)).toBe(true);
  });

  test('decodes the fixture bytes', async () => {
    const { codec } = mockCodec();
    await codec.register(topic, 'Telemetry');
    const decoded = await codec.decode(topic, 'Telemetry', Buffer.from('0000000001' + payloadHex, 'hex'), {});
    expect(decoded).toEqual(contracts().byName.get('Telemetry')?.clone(value));
  });

  test('interoperates with the client library: its AvroSerializer writes the same bytes, its AvroDeserializer reads ours', async () => {
    const { client, codec } = mockCodec();
    const ours = await codec.encode(topic, 'Telemetry', exampleEvents.Telemetry);
    await codec.encode(topic, 'Telemetry', exampleEvents.Telemetry); // fast path
    const conf = { useLatestVersion: true, subjectNameStrategyType: SubjectNameStrategyType.TOPIC };
    const theirs = await new AvroSerializer(client, SerdeType.VALUE, conf).serialize(topic, exampleEvents.Telemetry);
    expect(theirs.equals(ours.value)).toBe(true);
    const read: unknown = await new AvroDeserializer(client, SerdeType.VALUE, conf).deserialize(topic, ours.value);
    expect(read).toEqual(contracts().byName.get('Telemetry')?.clone(exampleEvents.Telemetry));
  });

  test('round-trips the example of every Avro topic', async () => {
    const { codec } = mockCodec();
    for (const contract of Object.values(topics)) {
      const example = contract.schema === 'xml' ? '<ProductionSchedule/>' : exampleEvents[contract.schema as keyof typeof exampleEvents];
      const encoded = await codec.encode(contract.topic, contract.schema, example);
      const decoded = await codec.decode(contract.topic, contract.schema, encoded.value, encoded.headers);
      expect(decoded, contract.topic).toStrictEqual(contract.schema === 'xml' ? example : toPlain(contracts().byName.get(contract.schema)!, example));
    }
  });

  test('registration: TopicNameStrategy subject, self-contained schema, compatibility BACKWARD', async () => {
    const { client, codec } = mockCodec();
    const id = await codec.register(topic, 'Telemetry');
    expect(subjectFor(topic)).toBe(subject);
    expect(await client.getCompatibility(subject)).toBe('BACKWARD');
    const registered = await client.getBySubjectAndId(subject, id);
    expect(registered.schemaType).toBe('AVRO');
    expect(parseStandalone(JSON.parse(registered.schema) as unknown).equals(contracts().byName.get('Telemetry')!)).toBe(true);
    expect(await codec.register(topic, 'Telemetry')).toBe(id);
  });

  test('encode validates first and names the field', async () => {
    const { codec } = mockCodec();
    const error = await rejection(codec.encode(topic, 'Telemetry', { ...value, origin: { ...value.origin, seq: 'abc' } }));
    expect(error).toBeInstanceOf(MalformedInputError);
    expect((error as MalformedInputError).reason).toBe('field origin.seq: expected long, got "abc"');
  });

  test('decodes records of the embedded format too (mixed fleet)', async () => {
    const { codec } = mockCodec();
    const embedded = await createAvroCodec().encode(topic, 'Telemetry', exampleEvents.Telemetry);
    expect(embedded.headers[schemaHeader]).toBeDefined();
    expect(await codec.decode(topic, 'Telemetry', embedded.value, embedded.headers)).toEqual(contracts().byName.get('Telemetry')?.clone(exampleEvents.Telemetry));
  });

  test('a record from a newer or older writer schema decodes to the current shape', async () => {
    const { client, codec } = mockCodec();
    await codec.register(topic, 'Telemetry');
    const current = JSON.parse(codec.schemaText('Telemetry')) as { fields: Array<{ name: string }> };
    // Newer: one more optional field. Older: without `statusCode` (which has a default in the current schema).
    const newer = { ...current, fields: [...current.fields, { name: 'line', type: ['null', 'string'], default: null }] };
    const older = { ...current, fields: current.fields.filter((f) => f.name !== 'statusCode') };
    for (const [schema, extra] of [
      [newer, { line: 'line1' }],
      [older, {}],
    ] as const) {
      const id = await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(schema) }, false);
      const bytes = frame(id, parseStandalone(schema).toBuffer({ ...exampleEvents.Telemetry, ...extra }));
      const decoded = (await codec.decode(topic, 'Telemetry', bytes, {})) as Record<string, unknown>;
      expect(decoded).toEqual(contracts().byName.get('Telemetry')?.clone({ ...exampleEvents.Telemetry, ...(schema === older ? { statusCode: null } : {}) }));
      expect(decoded).not.toHaveProperty('line');
    }
  });

  test.each([
    ['not framed', Buffer.from('{"a":1}'), 'first byte is 0x7b, not the Confluent magic byte 0x00 (and no lp-schema header)'],
    ['too short', Buffer.from('0000', 'hex'), '2 bytes, too short for the Confluent wire format'],
    ['unknown schema id', Buffer.from('00000003e7' + payloadHex, 'hex'), `writer schema id 999 not found in the schema registry (subject ${subject})`],
  ])('decode rejects a record that is %s', async (_name, bytes, reason) => {
    const { codec } = mockCodec();
    await codec.register(topic, 'Telemetry');
    const error = await rejection(codec.decode(topic, 'Telemetry', bytes, {}));
    expect(error).toBeInstanceOf(MalformedInputError);
    expect((error as MalformedInputError).reason.startsWith(reason), (error as MalformedInputError).reason).toBe(true);
  });

  test('a truncated payload is malformed input', async () => {
    const { codec } = mockCodec();
    const encoded = await codec.encode(topic, 'Telemetry', value);
    const error = await rejection(codec.decode(topic, 'Telemetry', encoded.value.subarray(0, 12), {}));
    expect((error as MalformedInputError).reason).toBe('cannot decode with writer schema id 1 (7 bytes): truncated buffer');
  });

  test('a registry that does not answer is ServiceUnreachableError (never dead-letter material)', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const client = SchemaRegistryClient.newClient({ baseURLs: [url], createAxiosDefaults: { timeout: 2_000 } });
    const codec = createRegistryCodec({ client, url });
    const encodeError = await rejection(codec.encode(topic, 'Telemetry', value));
    expect(encodeError).toBeInstanceOf(ServiceUnreachableError);
    expect(encodeError.message).toMatch(new RegExp(`^cannot reach schema registry at ${url}: .*ECONNREFUSED`));
    const decodeError = await rejection(codec.decode(topic, 'Telemetry', Buffer.from('0000000001' + payloadHex, 'hex'), {}));
    expect(decodeError).toBeInstanceOf(ServiceUnreachableError);
  });
});

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { avroDir, contracts, history, loadSchemas, readHistory, releaseSchemas, toPlain, topics } from '../../schemas/index.ts';
import { exampleEvents } from '../../schemas/examples.ts';
import { MalformedInputError } from '../errors.ts';
import { createAvroCodec, schemaHeader } from './avro.ts';
import { frame } from './confluent-framing.ts';

const topic = topics.telemetry.topic;
const telemetry = exampleEvents.Telemetry;
const codec = createAvroCodec();

async function rejection(promise: Promise<unknown>): Promise<MalformedInputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MalformedInputError);
  return error as MalformedInputError;
}

const scratch = mkdtempSync(join(tmpdir(), 'lp-codec-avro-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('embedded Avro codec', () => {
  test.each(Object.values(topics).filter((c) => c.schema !== 'xml'))('round-trips the example of $topic', async ({ topic: name, schema }) => {
    const value = exampleEvents[schema as keyof typeof exampleEvents];
    const encoded = await codec.encode(name, schema, value);
    expect(encoded.headers).toEqual({ [schemaHeader]: codec.label(schema) });
    const decoded = await codec.decode(name, schema, encoded.value, encoded.headers);
    // Plain objects (not avsc record instances), every field present.
    expect(decoded).toStrictEqual(toPlain(contracts().byName.get(schema)!, value));
  });

  test('writes the released version in the lp-schema header', async () => {
    const encoded = await codec.encode(topic, 'Telemetry', telemetry);
    const released = history().get('Telemetry')?.at(-1)?.version;
    // The working tree may hold a change not yet released: then the label is dev-<fingerprint>.
    expect(encoded.headers[schemaHeader]).toMatch(new RegExp(`^Telemetry@(${released}|dev-[0-9a-f]{12})$`));
  });

  test('bytes are plain Avro binary of the record (no framing)', async () => {
    const value = { eventId: 'e1', eventTime: 1, equipment: 'a/b', tag: 't', value: 1.5, quality: 'GOOD', origin: { sourceId: 's', seq: 1, edgeTime: 2 } };
    const encoded = await codec.encode(topic, 'Telemetry', value);
    // "e1"  1  "a/b"  "t"  union 1: 1.5 (LE double)  text, unit null  GOOD  statusCode null  false  origin: "s" 1 null 2 false
    expect(encoded.value.toString('hex')).toBe('046531' + '02' + '06612f62' + '0274' + '02000000000000f83f' + '0000' + '00' + '00' + '00' + '0273' + '02' + '00' + '04' + '00');
  });

  test('encode validates and names the field', async () => {
    const error = await rejection(codec.encode(topic, 'Telemetry', { ...telemetry, origin: { ...telemetry.origin, seq: 'abc' } }));
    expect(error.reason).toBe('field origin.seq: expected long, got "abc"');
    expect(error.where).toBe(`${topic} (Telemetry)`);
  });

  test('an unknown schema name is a programming error, not malformed input', async () => {
    await expect(codec.encode(topic, 'Telemetri', telemetry)).rejects.toThrow('unknown schema "Telemetri"');
  });

  describe('decode errors are MalformedInputError with a precise reason', () => {
    const good = codec.encodeSync(topic, 'Telemetry', telemetry);
    const label = good.headers[schemaHeader] ?? '';
    test.each([
      ['missing header', good.value, {}, `header lp-schema missing (expected "${label}")`],
      ['Confluent-framed record without registry', frame(7, good.value), {}, 'record is in the Confluent wire format (schema id 7) but this process has no schema registry: set SCHEMA_REGISTRY_URL'],
      ['garbled header', good.value, { [schemaHeader]: 'Telemetry-1' }, 'header lp-schema is "Telemetry-1", expected "<Name>@<version>"'],
      ['other record', good.value, { [schemaHeader]: 'PieceCount@1' }, 'header lp-schema: record is PieceCount@1, this topic carries Telemetry'],
      ['unknown version', good.value, { [schemaHeader]: 'Telemetry@99' }, 'header lp-schema: writer schema Telemetry@99 is unknown to this process'],
      ['truncated', good.value.subarray(0, 10), good.headers, `cannot decode ${label} (10 bytes): truncated buffer`],
      ['trailing bytes', Buffer.concat([good.value, Buffer.from([1, 2])]), good.headers, `cannot decode ${label} (${good.value.length + 2} bytes): trailing data`],
    ])('%s', async (_name, bytes, headers, reason) => {
      const error = await rejection(codec.decode(topic, 'Telemetry', bytes, headers));
      expect(error.reason.startsWith(reason), error.reason).toBe(true);
      expect(error.where).toBe(`${topic} (Telemetry)`);
    });
  });

  test('XML topics: UTF-8 text, no header', async () => {
    const xml = '<ProductionPerformance xmlns="http://www.mesa.org/xml/B2MML">é</ProductionPerformance>';
    const encoded = await codec.encode(topics.erpPerformance.topic, 'xml', xml);
    expect(encoded).toEqual({ value: Buffer.from(xml, 'utf8'), headers: {} });
    expect(await codec.decode(topics.erpPerformance.topic, 'xml', encoded.value, {})).toBe(xml);
    expect((await rejection(codec.encode(topics.erpPerformance.topic, 'xml', { a: 1 }))).reason).toMatch(/^expected a B2MML XML document as text/);
    expect((await rejection(codec.decode(topics.erpPerformance.topic, 'xml', Buffer.from([0xc3, 0x28]), {}))).reason).toBe('value is not valid UTF-8 (2 bytes)');
  });
});

describe('embedded Avro codec > schema evolution', () => {
  // Version 1 is the released Telemetry; "version 2" adds an optional field and is released in a scratch copy.
  let checkouts = 0;
  function evolvedCheckout(release: boolean) {
    checkouts += 1;
    const dir = join(scratch, `avro-${checkouts}`);
    cpSync(avroDir, dir, { recursive: true });
    const file = join(dir, 'Telemetry.avsc');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { fields: unknown[] };
    schema.fields.push({ name: 'line', type: ['null', 'string'], default: null, doc: 'Added in v2.' });
    writeFileSync(file, JSON.stringify(schema));
    const schemas = loadSchemas(dir);
    if (release) releaseSchemas({ schemas, dir: join(dir, 'history'), names: ['Telemetry'] });
    return { schemas, history: readHistory(join(dir, 'history')) };
  }

  // What a producer running the v1 contract wrote, whatever the working tree holds now.
  const v1Value = { eventId: 'e1', eventTime: 1, equipment: 'a/b', tag: 't', value: 1.5, quality: 'GOOD', origin: { sourceId: 's', seq: 1, edgeTime: 2 } };
  const v1Record = () => {
    const v1 = history().get('Telemetry')?.[0];
    if (!v1) throw new Error('no Telemetry v1');
    return { value: v1.type.toBuffer(v1Value), headers: { [schemaHeader]: 'Telemetry@1' } };
  };

  test('a record written with v1 decodes after the evolution, the new field at its default', async () => {
    const evolved = createAvroCodec(evolvedCheckout(true));
    expect(evolved.label('Telemetry')).toMatch(/^Telemetry@([2-9]|[1-9][0-9]+)$/);
    const record = v1Record();
    const decoded = (await evolved.decode(topic, 'Telemetry', record.value, record.headers)) as Record<string, unknown>;
    expect(decoded).toMatchObject({ ...v1Value, text: null, unit: null, statusCode: null, outOfRange: false, line: null });
  });

  test('an unreleased change writes a dev label that the same build reads back', async () => {
    const dev = createAvroCodec(evolvedCheckout(false));
    const encoded = await dev.encode(topic, 'Telemetry', { ...telemetry, line: 'line1' });
    expect(encoded.headers[schemaHeader]).toMatch(/^Telemetry@dev-[0-9a-f]{12}$/);
    expect(await dev.decode(topic, 'Telemetry', encoded.value, encoded.headers)).toMatchObject({ line: 'line1' });
    // An older build does not know that writer: a precise reason, not garbage.
    const error = await rejection(createAvroCodec().decode(topic, 'Telemetry', encoded.value, encoded.headers));
    expect(error.reason).toMatch(/writer schema Telemetry@dev-[0-9a-f]{12} is unknown to this process/);
  });

  test('resolvers are built once per writer version', async () => {
    const evolved = createAvroCodec(evolvedCheckout(true));
    const record = v1Record();
    const type = evolved.type('Telemetry');
    const spy = vi.spyOn(Object.getPrototypeOf(type) as { createResolver: typeof type.createResolver }, 'createResolver');
    await evolved.decode(topic, 'Telemetry', record.value, record.headers);
    const afterFirst = spy.mock.calls.length;
    for (let i = 0; i < 5; i++) await evolved.decode(topic, 'Telemetry', record.value, record.headers);
    const afterMore = spy.mock.calls.length;
    spy.mockRestore();
    expect(afterFirst).toBeGreaterThan(0);
    expect(afterMore).toBe(afterFirst);
  });
});

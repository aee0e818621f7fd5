// The registry codec against the real schema registry of the test stack (Apicurio Registry, Confluent-compatible
// API at SCHEMA_REGISTRY_URL): registration with BACKWARD compatibility, round trips of every contract through
// the registry, and the registry refusing an incompatible contract.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestError, SchemaRegistryClient } from './schemaregistry-lib.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { avroDir, contracts, loadSchemas, parseStandalone, toPlain, topics } from '../../schemas/index.ts';
import { exampleEvents } from '../../schemas/examples.ts';
import { requireService, uniqueName } from '../../test/services.ts';
import { silentLogger } from '../log.ts';
import { createAvroCodec } from './avro.ts';
import { frame } from './confluent-framing.ts';
import { createCodec } from './factory.ts';
import { createRegistryCodec, subjectFor } from './registry.ts';

const url = requireService('registry');
const newClient = () => SchemaRegistryClient.newClient({ baseURLs: [url], createAxiosDefaults: { timeout: 10_000 } });
const avroTopics = Object.values(topics).filter((c) => c.schema !== 'xml');
const exampleOf = (schema: string) => exampleEvents[schema as keyof typeof exampleEvents];
const current = (schema: string) => contracts().byName.get(schema)!;

const scratch = mkdtempSync(join(tmpdir(), 'lp-registry-int-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** This checkout's contracts with one extra field on Telemetry. */
function telemetryWith(field: Record<string, unknown>) {
  const dir = join(scratch, uniqueName('avro'));
  cpSync(avroDir, dir, { recursive: true });
  const file = join(dir, 'Telemetry.avsc');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { fields: unknown[] };
  schema.fields.push(field);
  writeFileSync(file, JSON.stringify(schema));
  return loadSchemas(dir);
}

describe('registry codec > real schema registry', () => {
  it('createCodec picks the registry codec for SCHEMA_REGISTRY_URL', async () => {
    const codec = await createCodec({ env: { SCHEMA_REGISTRY_URL: url }, logger: silentLogger() });
    expect((codec as { kind?: string }).kind).toBe('confluent-registry');
  });

  it('registers every topic value schema under <topic>-value with BACKWARD, and round-trips an event of each', async () => {
    const prefix = uniqueName('lpcodec');
    const producer = createRegistryCodec({ client: newClient(), url });
    // A separate client: the consumer learns every writer schema from the registry by id, not from a cache.
    const consumer = createRegistryCodec({ client: newClient(), url });
    const admin = newClient();
    for (const contract of avroTopics) {
      const topic = `${prefix}.${contract.topic}`;
      const example = exampleOf(contract.schema);
      const encoded = await producer.encode(topic, contract.schema, example);
      expect(encoded.value[0], topic).toBe(0);
      const schemaId = encoded.value.readUInt32BE(1);
      expect(await producer.register(topic, contract.schema)).toBe(schemaId);

      const again = await producer.encode(topic, contract.schema, example);
      expect(again.value.equals(encoded.value), `${topic}: fast path gives the same bytes`).toBe(true);
      expect(await consumer.decode(topic, contract.schema, encoded.value, encoded.headers), topic).toStrictEqual(toPlain(current(contract.schema), example));

      const subject = subjectFor(topic);
      expect(await admin.getCompatibility(subject), subject).toBe('BACKWARD');
      const registered = await admin.getLatestSchemaMetadata(subject);
      expect(registered.id).toBe(schemaId);
      expect(parseStandalone(JSON.parse(registered.schema) as unknown).equals(current(contract.schema)), subject).toBe(true);
    }
  });

  it('rejects an incompatible new version (a field added without default), accepts a compatible one', async () => {
    const topic = `${uniqueName('lpcodec')}.${topics.telemetry.topic}`;
    const subject = subjectFor(topic);
    await createRegistryCodec({ client: newClient(), url }).register(topic, 'Telemetry');

    // Through the codec: a producer whose Telemetry gained a mandatory field is refused at registration.
    const breaking = createRegistryCodec({ client: newClient(), url, schemas: telemetryWith({ name: 'line', type: 'string' }) });
    const error = await breaking.encode(topic, 'Telemetry', { ...exampleEvents.Telemetry, line: 'l1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(new RegExp(`refused Telemetry for subject ${subject.replaceAll('.', '\\.')} \\(HTTP 409: not BACKWARD compatible`));

    // Straight through the registry API: the same answer.
    const admin = newClient();
    const text = JSON.parse(breaking.schemaText('Telemetry')) as unknown;
    const refused = await admin.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(text) }, false).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RestError);
    expect((refused as RestError).status).toBe(409);
    expect((await admin.getAllVersions(subject)).length).toBe(1);

    // A compatible evolution is registered as version 2, and today's consumers still read its records.
    const evolved = createRegistryCodec({ client: newClient(), url, schemas: telemetryWith({ name: 'line', type: ['null', 'string'], default: null }) });
    const encoded = await evolved.encode(topic, 'Telemetry', { ...exampleEvents.Telemetry, line: 'l1' });
    expect((await admin.getAllVersions(subject)).length).toBe(2);
    const decoded = await createRegistryCodec({ client: newClient(), url }).decode(topic, 'Telemetry', encoded.value, {});
    expect(decoded).toStrictEqual(toPlain(current('Telemetry'), exampleEvents.Telemetry));
  });

  it('a record of an older registered version decodes to the current shape', async () => {
    const topic = `${uniqueName('lpcodec')}.${topics.telemetry.topic}`;
    const admin = newClient();
    const full = JSON.parse(createRegistryCodec({ client: admin, url }).schemaText('Telemetry')) as { fields: Array<{ name: string }> };
    const older = { ...full, fields: full.fields.filter((f) => f.name !== 'statusCode' && f.name !== 'outOfRange') };
    const id = await admin.register(subjectFor(topic), { schemaType: 'AVRO', schema: JSON.stringify(older) }, false);
    const bytes = frame(id, parseStandalone(older).toBuffer(exampleEvents.Telemetry));
    const decoded = await createRegistryCodec({ client: newClient(), url }).decode(topic, 'Telemetry', bytes, {});
    expect(decoded).toStrictEqual(toPlain(current('Telemetry'), { ...exampleEvents.Telemetry, statusCode: null, outOfRange: false }));
  });

  it('a mixed fleet: records of the embedded format decode through the registry codec', async () => {
    const topic = `${uniqueName('lpcodec')}.${topics.counts.topic}`;
    const embedded = await createAvroCodec().encode(topic, 'PieceCount', exampleEvents.PieceCount);
    const decoded = await createRegistryCodec({ client: newClient(), url }).decode(topic, 'PieceCount', embedded.value, embedded.headers);
    expect(decoded).toStrictEqual(toPlain(current('PieceCount'), exampleEvents.PieceCount));
  });
});

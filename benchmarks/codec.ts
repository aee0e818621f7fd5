// Codec throughput and size for one Telemetry event (the highest-rate record): encode (validate + serialise)
// and decode events per second, median of several interleaved rounds, single thread. Prints figures, asserts nothing.
//
//   npx tsx benchmarks/codec.ts [--events 200000] [--rounds 5]
//
// Rows: the embedded Avro codec, the registry codec (Confluent framing; in-memory mock registry, so this is the
// steady state after the first record of a topic), the client library's AvroSerializer/AvroDeserializer called
// per record (a tenth of the events: it is slow), and for docs/decisions/0001-schema-format.md the same event
// as JSON validated by the Avro contract, JSON validated by a JSON Schema (ajv), and Protobuf (protobufjs).
// ajv and protobufjs are only comparison points: when they are not installed their rows say so.
import { AvroDeserializer, AvroSerializer, SchemaRegistryClient, SerdeType, SubjectNameStrategyType } from '../platform/codec/schemaregistry-lib.ts';
import type * as ProtobufModule from 'protobufjs';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { createRegistryCodec } from '../platform/codec/registry.ts';
import { exampleEvents } from '../schemas/examples.ts';
import { validateEvent } from '../schemas/validate.ts';
import { topics } from '../schemas/topics.ts';
import { positiveArg } from './args.ts';

const events = positiveArg('--events', 200_000);
const rounds = positiveArg('--rounds', 5);

const topic = topics.telemetry.topic;
const event = { ...exampleEvents.Telemetry };
type Headers = Record<string, string>;

/** One measured operation: `count` calls of `run(i)` per round, awaited one by one unless `sync`. */
interface Work {
  run: (i: number) => unknown;
  sync: boolean;
  count?: number;
}

interface Row {
  name: string;
  bytes: number | string;
  /** Bytes of Kafka record headers the format adds (key + value). */
  headerBytes?: number;
  encode: Work | string;
  decode: Work | string;
}

async function once(work: Work): Promise<number> {
  const count = work.count ?? events;
  const start = performance.now();
  if (work.sync) for (let i = 0; i < count; i++) work.run(i);
  else for (let i = 0; i < count; i++) await work.run(i);
  return (count / (performance.now() - start)) * 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * Events per second of every operation, median over `rounds` rounds after one warm-up round. Rounds interleave
 * the formats (each round measures every row once), so a load change on a shared machine hits all rows alike.
 */
async function measure(rows: Row[]): Promise<Array<{ encode: number | string; decode: number | string }>> {
  const samples = rows.map(() => ({ encode: [] as number[], decode: [] as number[] }));
  for (let r = 0; r <= rounds; r++) {
    for (const [i, row] of rows.entries()) {
      for (const op of ['encode', 'decode'] as const) {
        const work = row[op];
        if (typeof work === 'string') continue;
        const rate = await once(work);
        if (r > 0) samples[i]?.[op].push(rate);
      }
    }
  }
  return rows.map((row, i) => ({
    encode: typeof row.encode === 'string' ? row.encode : median(samples[i]?.encode ?? []),
    decode: typeof row.decode === 'string' ? row.decode : median(samples[i]?.decode ?? []),
  }));
}

/** A fresh event per call (eventId and time change), as a producer would pass. */
const nth = (i: number) => ({ ...event, eventId: `opcua:line1-press:${i}`, eventTime: (event.eventTime ?? 0) + i });

async function embeddedRow(): Promise<Row> {
  const codec = createAvroCodec();
  const sample = codec.encodeSync(topic, 'Telemetry', event);
  return {
    name: 'Avro, embedded codec (lp-schema header)',
    bytes: sample.value.length,
    headerBytes: Object.entries(sample.headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0),
    encode: { run: (i) => codec.encode(topic, 'Telemetry', nth(i)), sync: false },
    decode: { run: () => codec.decode(topic, 'Telemetry', sample.value, sample.headers), sync: false },
  };
}

async function registryRow(): Promise<Row> {
  const codec = createRegistryCodec({ client: SchemaRegistryClient.newClient({ baseURLs: ['mock://'] }), url: 'mock://' });
  const sample = await codec.encode(topic, 'Telemetry', event);
  const headers: Headers = {};
  return {
    name: 'Avro, registry codec (Confluent framing)',
    bytes: sample.value.length,
    encode: { run: (i) => codec.encode(topic, 'Telemetry', nth(i)), sync: false },
    decode: { run: () => codec.decode(topic, 'Telemetry', sample.value, headers), sync: false },
  };
}

/** The client library's own serde, called per record: what registry.ts avoids after a topic's first record. */
async function librarySerdeRow(): Promise<Row> {
  const client = SchemaRegistryClient.newClient({ baseURLs: ['mock://'] });
  const codec = createRegistryCodec({ client, url: 'mock://' });
  await codec.register(topic, 'Telemetry');
  const conf = { useLatestVersion: true, subjectNameStrategyType: SubjectNameStrategyType.TOPIC };
  const serializer = new AvroSerializer(client, SerdeType.VALUE, conf);
  const deserializer = new AvroDeserializer(client, SerdeType.VALUE, conf);
  const sample = await serializer.serialize(topic, event);
  const count = Math.max(1, Math.round(events / 10));
  return {
    name: 'Avro, AvroSerializer/AvroDeserializer per record',
    bytes: sample.length,
    encode: { run: (i) => serializer.serialize(topic, nth(i)), sync: false, count },
    decode: { run: () => deserializer.deserialize(topic, sample), sync: false, count },
  };
}

function jsonRow(): Promise<Row> {
  const sample = Buffer.from(JSON.stringify(event));
  return Promise.resolve({
    name: 'JSON + Avro contract validation',
    bytes: sample.length,
    encode: {
      run: (i) => {
        const value = nth(i);
        if (!validateEvent('Telemetry', value).ok) throw new Error('invalid');
        return Buffer.from(JSON.stringify(value));
      },
      sync: true,
    },
    decode: {
      run: () => {
        const value: unknown = JSON.parse(sample.toString('utf8'));
        if (!validateEvent('Telemetry', value).ok) throw new Error('invalid');
        return value;
      },
      sync: true,
    },
  });
}

const nullable = (type: string) => ({ type: [type, 'null'] });
const telemetryJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'eventTime', 'equipment', 'tag', 'quality', 'origin'],
  properties: {
    eventId: { type: 'string' },
    eventTime: { type: 'integer' },
    equipment: { type: 'string' },
    tag: { type: 'string' },
    value: nullable('number'),
    text: nullable('string'),
    unit: nullable('string'),
    quality: { enum: ['GOOD', 'UNCERTAIN', 'BAD'] },
    statusCode: nullable('integer'),
    outOfRange: { type: 'boolean' },
    origin: {
      type: 'object',
      additionalProperties: false,
      required: ['sourceId', 'seq', 'edgeTime'],
      properties: {
        sourceId: { type: 'string' },
        seq: { type: 'integer' },
        serverTime: nullable('integer'),
        edgeTime: { type: 'integer' },
        historical: { type: 'boolean' },
      },
    },
  },
};

async function jsonSchemaRow(): Promise<Row> {
  const name = 'JSON + JSON Schema validation (ajv)';
  let Ajv: new (opts?: object) => { compile(schema: object): ((value: unknown) => boolean) & { errors?: unknown } };
  try {
    const module = (await import('ajv')) as unknown as { default: typeof Ajv };
    Ajv = module.default;
  } catch {
    return { name, bytes: 'n/a', encode: 'ajv not installed', decode: 'n/a' };
  }
  const validate = new Ajv({ allErrors: false }).compile(telemetryJsonSchema);
  const sample = Buffer.from(JSON.stringify(event));
  return {
    name,
    bytes: sample.length,
    encode: {
      run: (i) => {
        const value = nth(i);
        if (!validate(value)) throw new Error('invalid');
        return Buffer.from(JSON.stringify(value));
      },
      sync: true,
    },
    decode: {
      run: () => {
        const value: unknown = JSON.parse(sample.toString('utf8'));
        if (!validate(value)) throw new Error('invalid');
        return value;
      },
      sync: true,
    },
  };
}

async function protobufRow(): Promise<Row> {
  const name = 'Protobuf (protobufjs, reflection)';
  let protobuf: typeof ProtobufModule;
  try {
    protobuf = (await import('protobufjs')).default as unknown as typeof ProtobufModule;
  } catch {
    return { name, bytes: 'n/a', encode: 'protobufjs not installed', decode: 'n/a' };
  }
  const root = protobuf.Root.fromJSON({
    nested: {
      Quality: { values: { GOOD: 0, UNCERTAIN: 1, BAD: 2 } },
      Origin: {
        fields: {
          sourceId: { type: 'string', id: 1 },
          seq: { type: 'int64', id: 2 },
          serverTime: { type: 'int64', id: 3, options: { proto3_optional: true } },
          edgeTime: { type: 'int64', id: 4 },
          historical: { type: 'bool', id: 5 },
        },
      },
      Telemetry: {
        fields: {
          eventId: { type: 'string', id: 1 },
          eventTime: { type: 'int64', id: 2 },
          equipment: { type: 'string', id: 3 },
          tag: { type: 'string', id: 4 },
          value: { type: 'double', id: 5, options: { proto3_optional: true } },
          text: { type: 'string', id: 6, options: { proto3_optional: true } },
          unit: { type: 'string', id: 7, options: { proto3_optional: true } },
          quality: { type: 'Quality', id: 8 },
          statusCode: { type: 'int64', id: 9, options: { proto3_optional: true } },
          outOfRange: { type: 'bool', id: 10 },
          origin: { type: 'Origin', id: 11 },
        },
      },
    },
  });
  const Telemetry = root.lookupType('Telemetry');
  const toProto = (value: typeof event) => ({ ...value, quality: value.quality === 'GOOD' ? 0 : value.quality === 'UNCERTAIN' ? 1 : 2 });
  const sample = Buffer.from(Telemetry.encode(Telemetry.fromObject(toProto(event))).finish());
  return {
    name,
    bytes: sample.length,
    encode: {
      run: (i) => {
        const value = toProto(nth(i));
        const problem = Telemetry.verify(value);
        if (problem) throw new Error(problem);
        return Telemetry.encode(Telemetry.fromObject(value)).finish();
      },
      sync: true,
    },
    decode: { run: () => Telemetry.toObject(Telemetry.decode(sample), { longs: Number, enums: String, defaults: true }), sync: true },
  };
}

const format = (v: number | string) => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : v);

const rows: Row[] = [];
for (const make of [embeddedRow, registryRow, librarySerdeRow, jsonRow, jsonSchemaRow, protobufRow]) rows.push(await make());
const rates = await measure(rows);

console.log(`codec benchmark: Telemetry, ${events.toLocaleString('en-US')} events x ${rounds} interleaved rounds (median), node ${process.version}`);
console.log('');
console.log('| format | value bytes | header bytes | encode events/s | decode events/s |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [i, row] of rows.entries()) console.log(`| ${row.name} | ${format(row.bytes)} | ${row.headerBytes ?? 0} | ${format(rates[i]?.encode ?? '')} | ${format(rates[i]?.decode ?? '')} |`);

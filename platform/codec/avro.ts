// The embedded codec: Avro binary of the current contract, labelled with its version in a header.
//
//   value   = Avro binary of the record with the writer's schema (no framing)
//   header  lp-schema: <Name>@<version>      e.g. Telemetry@3
//
// <version> is the released version (schemas/avro/history) whose canonical form equals the schema this process
// writes with, or `dev-<12 hex>` (canonical fingerprint) for a schema changed since its last release. On
// decode the writer version is looked up among the released versions (and the process's own schema) and
// resolved to the current schema, so records written before an evolution keep decoding after it.
// Every type, resolver and header value is built once and cached: no schema parsing per record.
import type { AvroType, History, LoadedSchemas } from '../../schemas/index.ts';
import { contracts, describeValue, history, schemaVersions, validateWithType } from '../../schemas/index.ts';
import type { Headers } from '../bus/port.ts';
import { MalformedInputError } from '../errors.ts';
import { plainConverter } from './plain.ts';
import type { Codec, Encoded } from './port.ts';

/** Header naming the writer schema of an embedded-format record. */
export const schemaHeader = 'lp-schema';

/** Schema name of the topics that carry B2MML documents as UTF-8 XML text (no Avro, no header, both codecs). */
export const xmlSchema = 'xml';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** XML text as bytes: a string whose first non-blank character is '<' (XSD validation is the ERP adapter's job). */
export function encodeXml(topic: string, value: unknown): Encoded {
  if (typeof value !== 'string' || !value.trimStart().startsWith('<'))
    throw new MalformedInputError(`expected a B2MML XML document as text, got ${describeValue(value)}`, `${topic} (xml)`);
  return { value: Buffer.from(value, 'utf8'), headers: {} };
}

export function decodeXml(topic: string, value: Buffer): string {
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    throw new MalformedInputError(`value is not valid UTF-8 (${value.length} bytes)`, `${topic} (xml)`);
  }
  if (!text.trimStart().startsWith('<')) throw new MalformedInputError(`value is not XML: starts with ${describeValue(text.slice(0, 20))}`, `${topic} (xml)`);
  return text;
}

const headerPattern = /^([A-Za-z_][A-Za-z0-9_]*)@([1-9][0-9]*|dev-[0-9a-f]{12})$/;

type Resolver = ReturnType<AvroType['createResolver']>;

interface Reader {
  readonly resolver: Resolver | undefined;
}

interface Contract {
  readonly name: string;
  readonly type: AvroType;
  /** Decoded record instances -> plain objects. */
  readonly plain: (value: unknown) => unknown;
  readonly headerValue: string;
  readonly writers: ReadonlyMap<string, AvroType>;
  readonly readers: Map<string, Reader>;
  readonly fingerprint: string;
}

export interface AvroCodecOptions {
  /** Contracts and released versions to use instead of this checkout's (tests of evolution). */
  schemas?: LoadedSchemas;
  history?: History;
}

export class EmbeddedAvroCodec implements Codec {
  readonly kind = 'embedded-avro';
  readonly #schemas: LoadedSchemas;
  readonly #history: History;
  readonly #contracts = new Map<string, Contract>();

  constructor(options: AvroCodecOptions = {}) {
    this.#schemas = options.schemas ?? contracts();
    this.#history = options.history ?? history();
  }

  /** The current avsc type of a record (throws for an unknown name: a programming error, not bad input). */
  type(schema: string): AvroType {
    return this.#contract(schema).type;
  }

  /** Turns a value decoded with the current type of `schema` (avsc record instances) into plain objects. */
  plain(schema: string): (value: unknown) => unknown {
    return this.#contract(schema).plain;
  }

  /** The `lp-schema` header value this codec writes for `schema`, e.g. 'Telemetry@1'. */
  label(schema: string): string {
    return this.#contract(schema).headerValue;
  }

  async encode(topic: string, schema: string, value: unknown): Promise<Encoded> {
    return this.encodeSync(topic, schema, value);
  }

  async decode(topic: string, schema: string, value: Buffer, headers: Headers): Promise<unknown> {
    return this.decodeSync(topic, schema, value, headers);
  }

  encodeSync(topic: string, schema: string, value: unknown): Encoded {
    if (schema === xmlSchema) return encodeXml(topic, value);
    const contract = this.#contract(schema);
    const result = validateWithType(contract.type, value);
    if (!result.ok) throw new MalformedInputError(result.errors.join('; '), `${topic} (${schema})`);
    return { value: contract.type.toBuffer(value), headers: { [schemaHeader]: contract.headerValue } };
  }

  decodeSync(topic: string, schema: string, value: Buffer, headers: Headers): unknown {
    if (schema === xmlSchema) return decodeXml(topic, value);
    const contract = this.#contract(schema);
    const where = `${topic} (${schema})`;
    if (!Buffer.isBuffer(value)) throw new MalformedInputError(`value is ${describeValue(value)}, expected Avro bytes`, where);
    const label = headers[schemaHeader];
    if (label === undefined) {
      if (value.length >= 5 && value[0] === 0)
        throw new MalformedInputError(
          `record is in the Confluent wire format (schema id ${value.readUInt32BE(1)}) but this process has no schema registry: set SCHEMA_REGISTRY_URL`,
          where,
        );
      throw new MalformedInputError(`header ${schemaHeader} missing (expected "${contract.headerValue}")`, where);
    }
    let reader = contract.readers.get(label);
    if (reader === undefined) {
      reader = this.#reader(contract, label, where);
      contract.readers.set(label, reader);
    }
    let decoded: unknown;
    try {
      decoded = contract.type.fromBuffer(value, reader.resolver);
    } catch (error) {
      throw new MalformedInputError(`cannot decode ${label} (${value.length} bytes): ${(error as Error).message}`, where);
    }
    return contract.plain(decoded);
  }

  #reader(contract: Contract, label: string, where: string): Reader {
    const match = headerPattern.exec(label);
    if (!match) throw new MalformedInputError(`header ${schemaHeader} is ${JSON.stringify(label)}, expected "<Name>@<version>"`, where);
    const [, name, version = ''] = match;
    if (name !== contract.name)
      throw new MalformedInputError(`header ${schemaHeader}: record is ${label}, this topic carries ${contract.name}`, where);
    const writer = contract.writers.get(version);
    if (!writer) {
      const known = [...contract.writers.keys()].filter((k) => !k.startsWith('dev-'));
      throw new MalformedInputError(
        `header ${schemaHeader}: writer schema ${label} is unknown to this process (it reads ${contract.name} ${known.length > 0 ? `versions ${known.join(', ')}` : 'no released version'}${contract.headerValue.includes('@dev-') ? ` and ${contract.headerValue}` : ''}); upgrade the consumer or use the schema registry`,
        where,
      );
    }
    if (writer.fingerprint().toString('hex') === contract.fingerprint) return { resolver: undefined };
    try {
      return { resolver: contract.type.createResolver(writer) };
    } catch (error) {
      throw new MalformedInputError(`writer schema ${label} cannot be read as the current ${contract.name}: ${(error as Error).message}`, where);
    }
  }

  #contract(schema: string): Contract {
    let contract = this.#contracts.get(schema);
    if (contract) return contract;
    const versions = schemaVersions(schema, this.#schemas, this.#history);
    contract = {
      name: schema,
      type: versions.current,
      plain: plainConverter(versions.current),
      headerValue: `${schema}@${versions.currentLabel}`,
      writers: versions.writers,
      readers: new Map(),
      fingerprint: versions.current.fingerprint().toString('hex'),
    };
    this.#contracts.set(schema, contract);
    return contract;
  }
}

export function createAvroCodec(options: AvroCodecOptions = {}): EmbeddedAvroCodec {
  return new EmbeddedAvroCodec(options);
}

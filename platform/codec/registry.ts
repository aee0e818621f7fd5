// The registry codec: Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary) through a
// Confluent-compatible schema registry (Confluent, Apicurio /apis/ccompat/v7, ...), with @confluentinc/schemaregistry.
//
// - Subjects follow TopicNameStrategy: `<topic>-value`. The value schema is self-contained (every named type
//   inlined), so no schema references are needed.
// - A producer registers its current schema on first use of a topic and sets the subject's compatibility to
//   BACKWARD; the registry then refuses any incompatible new version.
// - Decoding reads the writer schema id, fetches that schema once, and resolves it to this process's current
//   schema, so a consumer always gets the shape of schemas/generated/types.ts whatever version was written.
// - Records in the embedded format (lp-schema header present) decode too: a mixed fleet keeps working.
import type { Client, SchemaInfo } from './schemaregistry-lib.ts';
import { AvroDeserializer, AvroSerializer, Compatibility, RestError, SerdeType, SubjectNameStrategyType } from './schemaregistry-lib.ts';
import type { AvroType, LoadedSchemas } from '../../schemas/index.ts';
import { contracts, validateWithType } from '../../schemas/index.ts';
import type { Headers } from '../bus/port.ts';
import { MalformedInputError, ServiceUnreachableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { EmbeddedAvroCodec, decodeXml, encodeXml, schemaHeader, xmlSchema } from './avro.ts';
import { frame, unframe } from './confluent-framing.ts';
import { plainConverter } from './plain.ts';
import type { Codec, Encoded } from './port.ts';

type Resolver = ReturnType<AvroType['createResolver']>;

export interface RegistryCodecOptions {
  /** A client from SchemaRegistryClient.newClient (a `mock://` URL gives the client's in-memory mock). */
  client: Client;
  /** The registry URL, for error messages. */
  url: string;
  /** Decodes records that carry the lp-schema header; default: a new embedded codec. */
  embedded?: EmbeddedAvroCodec;
  logger?: Logger;
  /** Contracts to use instead of this checkout's (tests). */
  schemas?: LoadedSchemas;
}

interface Writer {
  readonly serializer: AvroSerializer;
  readonly schemaId: number;
  /** Set once AvroSerializer has framed a record of this topic with `schemaId`; from then on the fast path frames. */
  checked: boolean;
}

interface Reader {
  readonly resolver: Resolver | undefined;
}


export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

export class RegistryCodec implements Codec {
  readonly kind = 'confluent-registry';
  readonly #client: Client;
  readonly #url: string;
  readonly #embedded: EmbeddedAvroCodec;
  readonly #schemas: LoadedSchemas;
  readonly #logger: Logger | undefined;
  readonly #deserializer: AvroDeserializer;
  readonly #writers = new Map<string, Writer>();
  readonly #pendingWriters = new Map<string, Promise<Writer>>();
  readonly #readers = new Map<string, Reader>();
  readonly #pendingReaders = new Map<string, Promise<Reader>>();
  readonly #plainConverters = new Map<string, (value: unknown) => unknown>();

  constructor(options: RegistryCodecOptions) {
    this.#client = options.client;
    this.#url = options.url;
    this.#schemas = options.schemas ?? contracts();
    this.#embedded = options.embedded ?? new EmbeddedAvroCodec({ schemas: this.#schemas });
    this.#logger = options.logger;
    this.#deserializer = new AvroDeserializer(this.#client, SerdeType.VALUE, { subjectNameStrategyType: SubjectNameStrategyType.TOPIC });
  }

  async encode(topic: string, schema: string, value: unknown): Promise<Encoded> {
    if (schema === xmlSchema) return encodeXml(topic, value);
    const type = this.#type(schema);
    const result = validateWithType(type, value);
    if (!result.ok) throw new MalformedInputError(result.errors.join('; '), `${topic} (${schema})`);
    const key = `${topic}\u0000${schema}`;
    const writer = this.#writers.get(key) ?? (await this.#writer(topic, schema, key));
    if (writer.checked) return { value: frame(writer.schemaId, type.toBuffer(value)), headers: {} };
    // First record of the topic: AvroSerializer looks the schema id up under the subject and frames the record.
    // Later records get the same bytes from frame() directly: AvroSerializer's per-call work measured 8k to 17k
    // records/s, far below the bus target (benchmarks/codec.ts, docs/decisions/0001-schema-format.md).
    const bytes = await this.#call(() => writer.serializer.serialize(topic, value));
    if (bytes.length < 5 || bytes[0] !== 0 || bytes.readUInt32BE(1) !== writer.schemaId)
      throw new Error(`schema registry serializer framed ${topic} with an unexpected schema id (registered id ${writer.schemaId})`);
    writer.checked = true;
    return { value: bytes, headers: {} };
  }

  async decode(topic: string, schema: string, value: Buffer, headers: Headers): Promise<unknown> {
    if (schema === xmlSchema) return decodeXml(topic, value);
    if (headers[schemaHeader] !== undefined) return this.#embedded.decodeSync(topic, schema, value, headers);
    const where = `${topic} (${schema})`;
    const type = this.#type(schema);
    if (!Buffer.isBuffer(value)) throw new MalformedInputError('value is not bytes', where);
    const { schemaId, payload } = unframe(value, where);
    const key = `${schema}\u0000${schemaId}`;
    const reader = this.#readers.get(key) ?? (await this.#reader(topic, schema, schemaId, key, where));
    let decoded: unknown;
    try {
      decoded = type.fromBuffer(payload, reader.resolver);
    } catch (error) {
      throw new MalformedInputError(`cannot decode with writer schema id ${schemaId} (${payload.length} bytes): ${(error as Error).message}`, where);
    }
    return this.#plain(schema, type)(decoded);
  }

  /**
   * Registers the current schema of `schema` under `<topic>-value` (idempotent: the same schema keeps its id),
   * with the subject's compatibility set to BACKWARD. Returns the schema id. Called by encode on first use.
   */
  async register(topic: string, schema: string): Promise<number> {
    const key = `${topic}\u0000${schema}`;
    const writer = this.#writers.get(key) ?? (await this.#writer(topic, schema, key));
    return writer.schemaId;
  }

  /** The schema text this codec registers for `schema`: self-contained, docs and defaults as written. */
  schemaText(schema: string): string {
    this.#type(schema);
    return JSON.stringify(this.#schemas.selfContained.get(schema));
  }

  #writer(topic: string, schema: string, key: string): Promise<Writer> {
    let pending = this.#pendingWriters.get(key);
    if (!pending) {
      pending = this.#registerWriter(topic, schema).then(
        (writer) => {
          this.#writers.set(key, writer);
          this.#pendingWriters.delete(key);
          return writer;
        },
        (error: unknown) => {
          this.#pendingWriters.delete(key);
          throw error;
        },
      );
      this.#pendingWriters.set(key, pending);
    }
    return pending;
  }

  async #registerWriter(topic: string, schema: string): Promise<Writer> {
    const subject = subjectFor(topic);
    const info: SchemaInfo = { schemaType: 'AVRO', schema: this.schemaText(schema) };
    // Compatibility first when the subject exists, so even the registration below is checked against BACKWARD.
    const compatibilitySet = await this.#call(async () => {
      try {
        await this.#client.updateCompatibility(subject, Compatibility.BACKWARD);
        return true;
      } catch (error) {
        if (error instanceof RestError && error.status === 404) return false;
        throw error;
      }
    });
    let schemaId: number;
    try {
      schemaId = await this.#call(() => this.#client.register(subject, info, false));
    } catch (error) {
      if (error instanceof RestError)
        throw new Error(
          `schema registry at ${this.#url} refused ${schema} for subject ${subject} (HTTP ${error.status}${error.status === 409 ? ': not BACKWARD compatible with the registered versions' : ''}): ${error.message}`,
          { cause: error },
        );
      throw error;
    }
    if (!compatibilitySet) await this.#call(() => this.#client.updateCompatibility(subject, Compatibility.BACKWARD));
    this.#logger?.info({ subject, schemaId, schema }, 'schema registered');
    const serializer = new AvroSerializer(this.#client, SerdeType.VALUE, {
      useSchemaId: schemaId,
      autoRegisterSchemas: false,
      subjectNameStrategyType: SubjectNameStrategyType.TOPIC,
    });
    return { serializer, schemaId, checked: false };
  }

  #reader(topic: string, schema: string, schemaId: number, key: string, where: string): Promise<Reader> {
    let pending = this.#pendingReaders.get(key);
    if (!pending) {
      pending = this.#loadReader(topic, schema, schemaId, where).then(
        (reader) => {
          this.#readers.set(key, reader);
          this.#pendingReaders.delete(key);
          return reader;
        },
        (error: unknown) => {
          this.#pendingReaders.delete(key);
          throw error;
        },
      );
      this.#pendingReaders.set(key, pending);
    }
    return pending;
  }

  async #loadReader(topic: string, schema: string, schemaId: number, where: string): Promise<Reader> {
    const subject = subjectFor(topic);
    let info: SchemaInfo;
    try {
      info = await this.#call(() => this.#client.getBySubjectAndId(subject, schemaId));
    } catch (error) {
      if (error instanceof RestError && error.status === 404)
        throw new MalformedInputError(`writer schema id ${schemaId} not found in the schema registry (subject ${subject})`, where);
      throw error;
    }
    let writer: AvroType;
    try {
      [writer] = await this.#deserializer.toType(info);
    } catch (error) {
      if (error instanceof ServiceUnreachableError) throw error;
      throw new MalformedInputError(`writer schema id ${schemaId} is not a usable Avro schema: ${(error as Error).message}`, where);
    }
    const current = this.#type(schema);
    if (writer.equals(current)) return { resolver: undefined };
    try {
      return { resolver: current.createResolver(writer) };
    } catch (error) {
      throw new MalformedInputError(`writer schema id ${schemaId} (${writer.name ?? writer.typeName}) cannot be read as ${schema}: ${(error as Error).message}`, where);
    }
  }

  #plain(schema: string, type: AvroType): (value: unknown) => unknown {
    let convert = this.#plainConverters.get(schema);
    if (!convert) {
      convert = plainConverter(type);
      this.#plainConverters.set(schema, convert);
    }
    return convert;
  }

  #type(schema: string): AvroType {
    const type = this.#schemas.byName.get(schema);
    if (!type) throw new Error(`unknown schema "${schema}"`);
    return type;
  }

  /** Runs a registry call; a registry that does not answer becomes ServiceUnreachableError (retry, never dead-letter). */
  async #call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isNoAnswer(error)) throw new ServiceUnreachableError('schema registry', this.#url, error);
      throw error;
    }
  }
}

/** True for transport failures (refused, reset, timeout, DNS) and for the registry's own 5xx/408/429 answers. */
export function isNoAnswer(error: unknown): boolean {
  if (error instanceof RestError) return error.status >= 500 || error.status === 408 || error.status === 429;
  if (!(error instanceof Error)) return false;
  const axiosLike = error as Error & { isAxiosError?: boolean; response?: unknown; code?: string };
  if (axiosLike.isAxiosError === true) return axiosLike.response === undefined;
  return typeof axiosLike.code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(axiosLike.code);
}

export function createRegistryCodec(options: RegistryCodecOptions): RegistryCodec {
  return new RegistryCodec(options);
}

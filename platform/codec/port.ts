// The codec port: turns a typed event into bytes for the bus and back, validating on both ways.
// Implementations: platform/codec/avro.ts (embedded schemas, version header) and
// platform/codec/registry.ts (Confluent wire format through a schema registry).
import type { Headers } from '../bus/port.ts';

export interface Encoded {
  value: Buffer;
  headers: Headers;
}

export interface Codec {
  /** Validates `value` against the record schema `schema` (e.g. 'Telemetry'); throws MalformedInputError naming the field. */
  encode(topic: string, schema: string, value: unknown): Promise<Encoded>;
  /**
   * Decodes and validates; throws MalformedInputError with a reason fit for a dead-letter header. Returns plain
   * objects shaped like schemas/generated/types.ts (every field present, whatever schema version wrote the record).
   * Any other error (e.g. ServiceUnreachableError from a schema registry) is not the record's fault.
   */
  decode(topic: string, schema: string, value: Buffer, headers: Headers): Promise<unknown>;
  /**
   * The same as `decode`, synchronously, for codecs that never need I/O to decode (the embedded Avro codec).
   * Consumers use it when present: two promise hops per record are a measurable share of a sink's CPU.
   */
  decodeSync?(topic: string, schema: string, value: Buffer, headers: Headers): unknown;
}

// The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian unsigned int, then the Avro
// binary of the record written with that schema. Pure and tiny, so it is tested against fixed bytes.
import { MalformedInputError } from '../errors.ts';

export const magicByte = 0;
export const frameHeaderLength = 5;

export interface ConfluentFrame {
  readonly schemaId: number;
  readonly payload: Buffer;
}

export function frame(schemaId: number, payload: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) throw new RangeError(`schema id ${schemaId} is not a 32-bit unsigned integer`);
  const out = Buffer.allocUnsafe(frameHeaderLength + payload.length);
  out[0] = magicByte;
  out.writeUInt32BE(schemaId, 1);
  payload.copy(out, frameHeaderLength);
  return out;
}

/** Splits a framed record; throws MalformedInputError (reason fit for a dead-letter header) when it is not one. */
export function unframe(value: Buffer, where?: string): ConfluentFrame {
  if (value.length < frameHeaderLength)
    throw new MalformedInputError(`${value.length} bytes, too short for the Confluent wire format (magic byte + 4-byte schema id)`, where);
  if (value[0] !== magicByte)
    throw new MalformedInputError(`first byte is 0x${(value[0] ?? 0).toString(16).padStart(2, '0')}, not the Confluent magic byte 0x00 (and no lp-schema header)`, where);
  return { schemaId: value.readUInt32BE(1), payload: value.subarray(frameHeaderLength) };
}

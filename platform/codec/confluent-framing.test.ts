import { describe, expect, test } from 'vitest';
import { MalformedInputError } from '../errors.ts';
import { frame, unframe } from './confluent-framing.ts';

describe('Confluent wire format framing', () => {
  test('magic byte 0, schema id as 4-byte big-endian, then the payload', () => {
    expect(frame(1, Buffer.from([0xaa, 0xbb])).toString('hex')).toBe('00' + '00000001' + 'aabb');
    expect(frame(0x01020304, Buffer.alloc(0)).toString('hex')).toBe('0001020304');
    expect(frame(0xffffffff, Buffer.from([1])).toString('hex')).toBe('00ffffffff01');
  });

  test('unframe reads the id and the payload back', () => {
    const { schemaId, payload } = unframe(Buffer.from('000000012a0465', 'hex'));
    expect(schemaId).toBe(298);
    expect(payload.toString('hex')).toBe('0465');
  });

  test('rejects what is not a framed record, with a reason fit for a dead-letter header', () => {
    expect(() => unframe(Buffer.from('0000', 'hex'), 'topic t')).toThrow(new MalformedInputError('2 bytes, too short for the Confluent wire format (magic byte + 4-byte schema id)', 'topic t'));
    expect(() => unframe(Buffer.from('{"a":1}'))).toThrow('first byte is 0x7b, not the Confluent magic byte 0x00 (and no lp-schema header)');
  });

  test('schema ids must be 32-bit unsigned integers', () => {
    expect(() => frame(-1, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => frame(2 ** 32, Buffer.alloc(0))).toThrow(RangeError);
  });
});

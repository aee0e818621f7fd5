import { describe, expect, it } from 'vitest';
import { murmur2, partitionFor, toPositive } from './partitioner.ts';

// Expected values computed with the Java client itself (kafka-clients 3.9.1):
// org.apache.kafka.common.utils.Utils.murmur2(key.getBytes(UTF_8)) and Utils.toPositive(h) % n.
// The first rows also appear in Kafka's own UtilsTest.testMurmur2.
const javaVectors: Array<[key: string, murmur2: number, p3: number, p6: number, p7: number]> = [
  ['21', -973932308, 0, 0, 3],
  ['foobar', -790332482, 0, 0, 0],
  ['a-little-bit-long-string', -985981536, 2, 2, 1],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971, 2, 5, 3],
  ['abc', 479470107, 0, 3, 4],
  ['', 275646681, 0, 3, 2],
  ['a', -1563381124, 1, 4, 5],
  ['ab', 316155434, 2, 2, 0],
  ['acme/plant1/assembly/line1/cell2/press-07', 655320699, 0, 3, 5],
  ['acme/plant1/assembly/line1/cell2/robot-01', 391193164, 1, 4, 5],
  ['WO-2024-000123', -2087530547, 0, 3, 5],
  ['char:bore-diameter', -621800423, 0, 3, 3],
  ['Ünïcödé/стан/機械', -533599254, 2, 2, 3],
];

describe('bus > partitioner (Kafka murmur2)', () => {
  it.each(javaVectors)('%s hashes and partitions like the Java client', (key, hash, p3, p6, p7) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(hash);
    expect(partitionFor(key, 3)).toBe(p3);
    expect(partitionFor(key, 6)).toBe(p6);
    expect(partitionFor(key, 7)).toBe(p7);
  });

  it('takes bytes as well as strings', () => {
    expect(partitionFor(Buffer.from('foobar'), 6)).toBe(partitionFor('foobar', 6));
  });

  it('toPositive masks the sign bit like Kafka (not Math.abs)', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });

  it('rejects a partition count that is not a positive integer', () => {
    expect(() => partitionFor('k', 0)).toThrow(/positive integer/);
  });
});

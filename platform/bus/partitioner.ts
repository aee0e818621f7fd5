// Kafka's default key partitioner: partition = toPositive(murmur2(utf8(key))) % numPartitions.
// This is the mapping of the Java client, librdkafka's 'murmur2_random' and kafkajs' default partitioner, so a key
// lands on the same partition whichever adapter (or foreign client) produced it. The embedded bus uses it too, so
// partition-local state built on one bus is valid on the other.

const seed = 0x9747b28c;
const m = 0x5bd1e995;

/** MurmurHash2 (32 bit) as in org.apache.kafka.common.utils.Utils.murmur2: a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = seed ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) | 0;
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail bytes, as the Java switch with fall-through does.
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for negative values). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for `key` (UTF-8 bytes) on a topic with `numPartitions`. */
export function partitionFor(key: string | Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new RangeError(`partition count must be a positive integer, got ${numPartitions}`);
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return toPositive(murmur2(bytes)) % numPartitions;
}

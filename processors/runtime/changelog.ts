// The changelog of a live processor: a compacted topic `linepulse.<core>.changelog.v1`, keyed like the inputs (so
// key K's state lives in the same partition number as K's input records). It holds, per partition p:
// - the checkpointed state of each key (value = the key's serialised driver state), written at checkpoints only;
// - the journal of p (one record, key `journalKey(p)`, rewritten in every transaction): the input positions of the
//   last checkpoint and, in order, what every transaction since applied (input offset ranges, idle watermark
//   advances), so a restore replays exactly the same arrivals (processors/runtime/journal.ts);
// - restore markers.
// Everything is written in the same transaction as the outputs (and, at checkpoints, the input offsets).
//
// Restoring reads the partitions up to a marker: the new owner of partition p first writes (and commits) a marker
// record with a fresh nonce to partition p of the changelog through the transactional producer of p, which fenced
// any previous owner and aborted what it left open. A read-committed reader that reaches the marker has seen every
// state committed before it, whatever transaction markers or aborted records the log ends with.
import { randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { partitionFor } from '../../platform/bus/partitioner.ts';
import type { Bus, ConsumedRecord, Headers, OutgoingRecord, TransactionalProducer } from '../../platform/bus/port.ts';
import type { Logger } from '../../platform/log.ts';

export function changelogTopicName(coreName: string): string {
  return `linepulse.${coreName}.changelog.v1`;
}

const markerPrefix = '~restore-marker~';
const journalPrefix = '~journal~';
const encodingHeader = 'lp-state-encoding';
/** Snapshots larger than this are deflated (JSON compresses well); the broker's default record limit is 1 MB. */
const deflateAbove = 64 * 1024;
const maxRecordBytes = 950 * 1024;

const internalKeys = new Map<string, string>();

/** A key with `prefix` that Kafka's partitioner puts on partition `partition` of a topic with `partitions` partitions. */
function keyOnPartition(prefix: string, partition: number, partitions: number): string {
  const id = `${prefix}${partition}/${partitions}`;
  let key = internalKeys.get(id);
  for (let i = 0; key === undefined; i += 1) {
    const candidate = `${prefix}${partition}~${i}`;
    if (partitionFor(candidate, partitions) === partition) key = candidate;
  }
  internalKeys.set(id, key);
  return key;
}

/** The key of the restore markers of partition `partition`. */
export function markerKey(partition: number, partitions: number): string {
  return keyOnPartition(markerPrefix, partition, partitions);
}

/** The key of the journal of partition `partition`. */
export function journalKey(partition: number, partitions: number): string {
  return keyOnPartition(journalPrefix, partition, partitions);
}

export function isMarkerKey(key: string | null): boolean {
  return key !== null && key.startsWith(markerPrefix);
}

function isJournalKey(key: string | null): boolean {
  return key !== null && key.startsWith(journalPrefix);
}

/** The changelog record of one key's state. */
export function stateRecord(key: string, json: string): OutgoingRecord {
  const raw = Buffer.from(json, 'utf8');
  if (raw.length <= deflateAbove) return { key, value: raw };
  // Level 1: several times faster than the default on JSON, for a little less compression.
  const value = deflateRawSync(raw, { level: 1 });
  if (value.length > maxRecordBytes)
    throw new Error(`state of key ${key} is ${Math.round(value.length / 1024)} KiB deflated (${Math.round(raw.length / 1024)} KiB JSON): too large for one changelog record; bound the core's state`);
  return { key, value, headers: { [encodingHeader]: 'deflate-raw' } };
}

/** The state JSON of a changelog record (null for a tombstone). */
export function stateJson(value: Buffer | null, headers: Headers): string | null {
  if (value === null) return null;
  return headers[encodingHeader] === 'deflate-raw' ? inflateRawSync(value).toString('utf8') : value.toString('utf8');
}

export interface RestoreOptions {
  bus: Bus;
  topic: string;
  partitions: number;
  /** Group id prefix for the throwaway restore consumer (it never commits). */
  groupPrefix: string;
  logger: Logger;
  timeoutMs?: number;
}

/** The journal record of a partition. */
export function journalRecord(partition: number, partitions: number, json: string): OutgoingRecord {
  return { key: journalKey(partition, partitions), value: Buffer.from(json, 'utf8') };
}

export interface RestoredPartition {
  /** Latest state JSON per key. */
  states: Map<string, string>;
  /** Latest journal JSON; null when the partition has none (never processed, or written by an older version). */
  journal: string | null;
}

/**
 * Writes a marker to each task partition through its (already initialised, so fencing) producer, then reads the
 * changelog up to the markers. Returns the latest state JSON per key and the journal, per partition.
 */
export async function restorePartitions(
  tasks: ReadonlyMap<number, TransactionalProducer>,
  options: RestoreOptions,
): Promise<Map<number, RestoredPartition>> {
  const nonce = randomUUID();
  const result = new Map<number, RestoredPartition>([...tasks.keys()].map((p) => [p, { states: new Map(), journal: null }]));
  if (tasks.size === 0) return result;
  await Promise.all(
    [...tasks].map(([partition, producer]) =>
      producer.transaction((tx) => tx.send(options.topic, [{ key: markerKey(partition, options.partitions), value: Buffer.from(JSON.stringify({ nonce })) }])),
    ),
  );

  const pending = new Set(tasks.keys());
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = options.bus.consumer({
    groupId: `${options.groupPrefix}.restore.${nonce}`,
    topics: [options.topic],
    fromBeginning: true,
    commit: 'in-transaction', // never commits: the group leaves no trace
    readCommitted: true,
  });
  const apply = (record: ConsumedRecord) => {
    const restored = result.get(record.partition);
    if (!restored || !pending.has(record.partition) || record.key === null) return;
    const { states } = restored;
    if (isMarkerKey(record.key)) {
      if (record.value !== null && (JSON.parse(record.value.toString('utf8')) as { nonce?: string }).nonce === nonce) {
        pending.delete(record.partition);
        if (pending.size === 0) finish();
      }
      return;
    }
    if (isJournalKey(record.key)) {
      restored.journal = record.value === null ? null : record.value.toString('utf8');
      return;
    }
    const json = stateJson(record.value, record.headers);
    if (json === null) states.delete(record.key);
    else states.set(record.key, json);
  };
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const died = consumer.done.then(() => {
    if (!settled) throw new Error('restore consumer stopped before reaching the markers');
  });
  died.catch(() => undefined);
  try {
    await consumer.start(async (batch) => {
      for (const record of batch.records) apply(record);
    });
    await Promise.race([
      finished,
      died.then(() => new Promise<never>(() => undefined)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`restore of ${options.topic} partitions ${[...pending].join(',')} did not reach its markers within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } finally {
    settled = true;
    clearTimeout(timer);
    await consumer.stop().catch((error: unknown) => options.logger.warn({ err: error }, 'restore consumer did not stop cleanly'));
  }
  return result;
}

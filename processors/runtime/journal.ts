// The journal of a live task (one input partition number of a processor): what the task applied since its last
// checkpoint, in order, so that a restore reproduces exactly the state the committed outputs came from.
//
// A checkpoint writes the state of every key changed since the previous one and the task's input positions
// (committed as the group's offsets in the same transaction). Between checkpoints each transaction only appends
// to the journal:
// - `{ t, to }`: the records of input topic `t` from the task's position up to offset `to` (exclusive), in offset
//   order. A core's inputs are co-partitioned topics; the order in which batches of *different* topics were
//   handled is not in any log, so it is recorded here;
// - `{ w }`: idle watermark advances `[key, watermark]` that produced outputs (wall-clock driven, not in any log).
// Consecutive ranges of one topic merge into one entry (applying [a, b) then [b, c) is applying [a, c)).
// On restore the task loads the checkpointed states, the consumer resumes at the checkpoint's offsets, and the
// entries are applied again in order (outputs dropped: they are committed already) before anything new.
import type { TopicName } from '../../schemas/topics.ts';

export type JournalEntry = { t: TopicName; to: string } | { w: Array<[key: string, watermark: number]> };

export interface Journal {
  v: 1;
  /** Input positions (next offset to apply) at the last checkpoint; topics the task had not seen are absent. */
  base: Partial<Record<TopicName, string>>;
  /** Applied since, in order. */
  entries: JournalEntry[];
}

export function journalJson(journal: Journal): string {
  return JSON.stringify(journal);
}

/** The journal of a changelog record; null for none. Throws on a version this runtime does not know. */
export function parseJournal(json: string | null): Journal | null {
  if (json === null) return null;
  const j = JSON.parse(json) as Journal;
  if (j.v !== 1 || typeof j.base !== 'object' || !Array.isArray(j.entries)) throw new Error(`unsupported journal record ${json.slice(0, 80)}`);
  return j;
}

/** a < b for Kafka offsets (decimal strings, int64). */
export function offsetBefore(a: string, b: string): boolean {
  return a.length !== b.length ? a.length < b.length : a < b;
}

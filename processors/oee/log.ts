// The retained input of one equipment, sorted by entry key, as an immutable chunked array: appending or inserting
// copies one chunk of at most 2 × CHUNK entries and the (short) list of chunks, never the whole log, so the core
// stays pure without copying its state per event. Plain arrays: the log is part of the JSON state.
import { compareEntries, type CountEntry, type Entry } from './engine.ts';

export type Log = Entry[][];

const CHUNK = 512;

export function logLength(log: Log): number {
  let n = 0;
  for (const c of log) n += c.length;
  return n;
}

export function lastEntry(log: Log): Entry | undefined {
  const c = log[log.length - 1];
  return c?.[c.length - 1];
}

/** Appends an entry that sorts after every entry of the log. */
export function logAppend(log: Log, entry: Entry): Log {
  const last = log[log.length - 1];
  if (last === undefined || last.length >= CHUNK) return [...log, [entry]];
  const out = log.slice();
  out[out.length - 1] = [...last, entry];
  return out;
}

/** Where `entry` belongs: the chunk (the last whose first entry is <= entry; 0 when it sorts first) and the index in it. */
function locate(log: Log, entry: Entry): { chunk: number; index: number; found: boolean } {
  let lo = 0;
  let hi = log.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (compareEntries(log[mid]![0]!, entry) <= 0) lo = mid;
    else hi = mid - 1;
  }
  const chunk = log[lo]!;
  let a = 0;
  let b = chunk.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (compareEntries(chunk[mid]!, entry) < 0) a = mid + 1;
    else b = mid;
  }
  return { chunk: lo, index: a, found: a < chunk.length && compareEntries(chunk[a]!, entry) === 0 };
}

/** Inserts an entry in key order; null when an entry with the same key is already there (a duplicate). */
export function logInsert(log: Log, entry: Entry): Log | null {
  if (log.length === 0) return [[entry]];
  const at = locate(log, entry);
  if (at.found) return null;
  const chunk = log[at.chunk]!;
  const next = [...chunk.slice(0, at.index), entry, ...chunk.slice(at.index)];
  const out = log.slice();
  if (next.length > 2 * CHUNK) out.splice(at.chunk, 1, next.slice(0, CHUNK), next.slice(CHUNK));
  else out[at.chunk] = next;
  return out;
}

/** Adds a count bucket: summed into the bucket's entry when there is one, else inserted. */
export function logAddCount(log: Log, entry: CountEntry): Log {
  if (log.length === 0) return [[entry]];
  const at = locate(log, entry);
  if (!at.found) return logInsert(log, entry)!;
  const chunk = log[at.chunk]!;
  const old = chunk[at.index] as CountEntry;
  const next = chunk.slice();
  next[at.index] = [old[0], 0, '', old[3] + entry[3], old[4] + entry[4], old[5] + entry[5]];
  const out = log.slice();
  out[at.chunk] = next;
  return out;
}

/** Entries with time < t, and the log of the others. */
export function logSplit(log: Log, t: number): { before: Entry[]; rest: Log } {
  const before: Entry[] = [];
  const rest: Log = [];
  for (const chunk of log) {
    const last = chunk[chunk.length - 1]!;
    if (last[0] < t) {
      before.push(...chunk);
      continue;
    }
    if (chunk[0]![0] >= t) {
      rest.push(chunk);
      continue;
    }
    const i = chunk.findIndex((e) => e[0] >= t);
    before.push(...chunk.slice(0, i));
    rest.push(chunk.slice(i));
  }
  return { before, rest };
}

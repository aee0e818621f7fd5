// The durable store-and-forward outbox (SQLite through better-sqlite3, WAL).
//
// - `append` numbers the event (per-source seq, id `<sourceId>:<seq>`) and queues it; queued events are written
//   in one transaction at the end of the current event-loop turn (or at once when `flushAt` are queued), so a
//   burst of 10k values costs one commit. With `synchronous = NORMAL` (default) a committed event survives a
//   crash of the edge process; `FULL` also survives a power loss at some cost in throughput.
// - The seq counters are stored with the events in the same transaction, so seqs stay gap-free and increasing
//   across restarts (an event that was never committed never consumed its seq).
// - Bounded: at most `maxEvents` unsent events. Overflow policy `drop-oldest` (default: keep the present, lose the
//   oldest backlog) or `drop-newest` (keep the backlog, refuse new events). Either way
//   linepulse_edge_outbox_dropped_total{reason} counts every dropped event and a warning is logged; downstream
//   sees the loss as a gap in (sourceId, seq).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../platform/log.ts';
import { ConfigError } from '../../platform/errors.ts';
import { finishEvent, type EdgeEvent, type RawTopic } from '../events.ts';
import type { EdgeMetrics } from '../metrics.ts';

export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export interface OutboxOptions {
  /** SQLite file; ':memory:' for tests that need no durability. */
  path: string;
  maxEvents?: number;
  overflow?: OverflowPolicy;
  synchronous?: 'NORMAL' | 'FULL';
  /** Write at once when this many events are queued. Default 5000. */
  flushAt?: number;
  logger: Logger;
  metrics: EdgeMetrics;
  now?: () => number;
}

export interface StoredEvent {
  id: number;
  topic: RawTopic;
  key: string;
  sourceId: string;
  seq: number;
  capturedAt: number;
  /** The full event as JSON (origin.historical as captured; the forwarder may set it). */
  payload: string;
}

export interface Outbox {
  /** Numbers and queues one event; it is durable after the next flush (end of this event-loop turn). */
  append(event: EdgeEvent): void;
  /** Writes the queued events now. */
  flush(): void;
  /** The oldest unsent events, in capture order. */
  peek(limit: number): StoredEvent[];
  /** Removes forwarded events. */
  ack(ids: readonly number[]): void;
  /** Moves an event that can never be encoded out of the way, keeping it with the reason. */
  deadLetter(event: StoredEvent, reason: string): void;
  /** Unsent events (stored + queued). */
  size(): number;
  /** Capture time of the oldest unsent event, or null. */
  oldestCapturedAt(): number | null;
  /** Last seq given to each source. */
  sequences(): Map<string, number>;
  /** Called after each flush that stored events (the forwarder's wake-up). */
  onAppend(listener: () => void): void;
  close(): void;
}

interface Row {
  id: number;
  topic: string;
  key: string;
  source_id: string;
  seq: number;
  captured_at: number;
  payload: string;
}

export function openOutbox(options: OutboxOptions): Outbox {
  const maxEvents = options.maxEvents ?? 1_000_000;
  if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new ConfigError('edge.outbox.maxEvents', `must be a positive integer, got ${maxEvents}`);
  const overflow = options.overflow ?? 'drop-oldest';
  const flushAt = options.flushAt ?? 5_000;
  const now = options.now ?? Date.now;
  const { logger, metrics } = options;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(options.path);
  } catch (error) {
    throw new ConfigError(`edge outbox ${options.path}`, `cannot open SQLite file: ${(error as Error).message}`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      topic TEXT NOT NULL, key TEXT NOT NULL, source_id TEXT NOT NULL, seq INTEGER NOT NULL,
      captured_at INTEGER NOT NULL, payload TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sources (source_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS dead (
      id INTEGER PRIMARY KEY, topic TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL,
      reason TEXT NOT NULL, failed_at INTEGER NOT NULL);
  `);
  const insert = db.prepare('INSERT INTO outbox (topic, key, source_id, seq, captured_at, payload) VALUES (?, ?, ?, ?, ?, ?)');
  const saveSeq = db.prepare('INSERT INTO sources (source_id, last_seq) VALUES (?, ?) ON CONFLICT(source_id) DO UPDATE SET last_seq = excluded.last_seq');
  const selectBatch = db.prepare('SELECT id, topic, key, source_id, seq, captured_at, payload FROM outbox ORDER BY id LIMIT ?');
  const deleteOne = db.prepare('DELETE FROM outbox WHERE id = ?');
  const deleteRange = db.prepare('DELETE FROM outbox WHERE id >= ? AND id <= ?');
  const dropOldest = db.prepare('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)');
  const oldest = db.prepare('SELECT captured_at FROM outbox ORDER BY id LIMIT 1').pluck();
  const insertDead = db.prepare('INSERT INTO dead (id, topic, key, payload, reason, failed_at) VALUES (?, ?, ?, ?, ?, ?)');

  const seqs = new Map<string, number>();
  for (const row of db.prepare('SELECT source_id, last_seq FROM sources').all() as Array<{ source_id: string; last_seq: number }>)
    seqs.set(row.source_id, row.last_seq);
  let stored = db.prepare('SELECT COUNT(*) FROM outbox').pluck().get() as number;
  let queued: Array<[string, string, string, number, number, string]> = [];
  const touched = new Set<string>();
  const listeners: Array<() => void> = [];
  let scheduled = false;
  let closed = false;

  const writeQueued = db.transaction((rows: typeof queued, sources: string[]) => {
    for (const row of rows) insert.run(...row);
    for (const source of sources) saveSeq.run(source, seqs.get(source) ?? 0);
  });

  function flush(): void {
    scheduled = false;
    if (closed || queued.length === 0) return;
    const rows = queued;
    queued = [];
    const sources = [...touched];
    touched.clear();
    writeQueued(rows, sources);
    stored += rows.length;
    metrics.outboxWrites.inc(rows.length);
    if (stored > maxEvents) {
      // Only drop-oldest gets here: drop-newest refuses at append time.
      const excess = stored - maxEvents;
      const removed = dropOldest.run(excess).changes;
      stored -= removed;
      metrics.dropped.inc({ reason: 'overflow-drop-oldest' }, removed);
      logger.warn({ dropped: removed, maxEvents }, 'edge outbox full: dropped the oldest unsent events');
    }
    for (const listener of listeners) listener();
  }

  let warnedFull = 0;
  return {
    append(event) {
      if (closed) return;
      if (overflow === 'drop-newest' && stored + queued.length >= maxEvents) {
        metrics.dropped.inc({ reason: 'overflow-drop-newest' });
        const t = now();
        if (t - warnedFull > 10_000) {
          warnedFull = t;
          logger.warn({ maxEvents }, 'edge outbox full: refusing new events (overflow policy drop-newest)');
        }
        return;
      }
      const sourceId = event.event.origin.sourceId;
      const seq = (seqs.get(sourceId) ?? 0) + 1;
      seqs.set(sourceId, seq);
      touched.add(sourceId);
      const full = finishEvent(event, seq, false);
      queued.push([event.topic, event.event.equipment, sourceId, seq, event.event.origin.edgeTime, JSON.stringify(full)]);
      metrics.captured.inc({ source: sourceId, topic: event.topic });
      if (queued.length >= flushAt) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    peek(limit) {
      if (closed) return [];
      flush();
      return (selectBatch.all(limit) as Row[]).map((r) => ({
        id: r.id,
        topic: r.topic as RawTopic,
        key: r.key,
        sourceId: r.source_id,
        seq: r.seq,
        capturedAt: r.captured_at,
        payload: r.payload,
      }));
    },
    ack(ids) {
      if (ids.length === 0 || closed) return;
      const sorted = [...ids].sort((a, b) => a - b);
      const first = sorted[0] as number;
      const last = sorted[sorted.length - 1] as number;
      let removed: number;
      if (last - first + 1 === sorted.length) removed = deleteRange.run(first, last).changes;
      else removed = db.transaction(() => sorted.reduce((n, id) => n + deleteOne.run(id).changes, 0))();
      stored -= removed;
    },
    deadLetter(event, reason) {
      if (closed) return;
      db.transaction(() => {
        insertDead.run(event.id, event.topic, event.key, event.payload, reason, now());
        stored -= deleteOne.run(event.id).changes;
      })();
      metrics.deadLettered.inc({ topic: event.topic });
    },
    size: () => stored + queued.length,
    oldestCapturedAt() {
      const first = oldest.get() as number | undefined;
      if (first !== undefined) return first;
      return queued[0]?.[4] ?? null;
    },
    sequences: () => new Map(seqs),
    onAppend(listener) {
      listeners.push(listener);
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}

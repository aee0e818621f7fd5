// Groups events from many consumer batches into one store write. `add` resolves only once the flush that holds its
// events has been written, so a bus handler that awaits it commits its offsets after the store write.
// Flushes run one at a time, in order (group commit: what arrives during a write waits for the next one); a flush
// that fails rejects every `add` it holds.
//
// When a flush starts:
// - at once when `maxRows` events are waiting (the group is closed there; the next events open another one);
// - for adds that say nothing about what follows (no hint): `maxDelayMs` after the first one, as a plain timer;
// - for adds from bus handlers (a hint `{ more }`: does the partition already hold records past this batch?), as
//   soon as waiting cannot make it bigger any more:
//   * every handler that adds is waiting on this batcher (the number of handlers the bus runs at once is learnt:
//     the most adds ever blocked at the same time, lowered when a wait for more ran out), so nothing else can
//     arrive before a flush: start now if there is a backlog (some `more`) or half of `maxRows` is waiting,
//     otherwise at most one such small flush per `minIntervalMs` (a caught-up consumer sends a store a few
//     inserts a second, not one per record);
//   * otherwise wait for the others at most `linger`: about three times how long the handlers of recent flushes
//     took to come together, between 10 ms and `maxDelayMs`, counted from the later of the first add and the end
//     of the previous write (handlers it released need a moment to commit and fetch).

export interface BatcherOptions<K, T> {
  maxRows: number;
  maxDelayMs: number;
  /** Small flushes when nothing else can arrive: at most one per this many ms. Default min(200, maxDelayMs). */
  minIntervalMs?: number;
  write(groups: Map<K, T[]>, rows: number): Promise<void>;
  /** Clock of the spacing and linger figures. Default Date.now (fake timers move it in tests). */
  now?: () => number;
}

/** What a bus handler knows about its batch. */
export interface AddHint {
  /** The partition already holds records past this batch (a backlog): do not hold the flush for small-batch spacing. */
  more: boolean;
}

export interface Batcher<K, T> {
  add(key: K, events: readonly T[], hint?: AddHint): Promise<void>;
  /** Starts a flush of whatever is waiting now; resolves when it is written. */
  flush(): Promise<void>;
  /** Events waiting for a flush. */
  readonly waiting: number;
  /** Figures for health and tests: handlers the bus runs at once (learnt) and the current linger. */
  readonly stats: { concurrency: number; lingerMs: number; flushes: number };
}

interface Pending<K, T> {
  groups: Map<K, T[]>;
  rows: number;
  /** add() calls waiting on this group. */
  adds: number;
  /** ...of which without a hint. */
  plain: number;
  more: boolean;
  firstAt: number;
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export function createBatcher<K, T>(options: BatcherOptions<K, T>): Batcher<K, T> {
  const now = options.now ?? Date.now;
  const minIntervalMs = options.minIntervalMs ?? Math.min(200, options.maxDelayMs);
  let current: Pending<K, T> | null = null;
  /** Groups closed (maxRows or flush()) and not written yet, in order. */
  const closed: Array<Pending<K, T>> = [];
  let writing: Pending<K, T> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let timerAt = Number.POSITIVE_INFINITY;
  /** add() calls not settled yet (blocked handlers). */
  let blocked = 0;
  let concurrency = 1;
  let spreadMs: number | null = null;
  let lastFlushStart = Number.NEGATIVE_INFINITY;
  let lastWriteEnd = Number.NEGATIVE_INFINITY;
  let flushes = 0;
  /** Resolves when the last group handed to flush() is written. */
  let last: Promise<void> = Promise.resolve();

  const lingerMs = () => (spreadMs === null ? Math.min(100, options.maxDelayMs) : Math.min(options.maxDelayMs, Math.max(10, 3 * spreadMs)));

  function open(): Pending<K, T> {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // An add() caller always awaits `done`; this keeps a flush nobody awaits any more from being "unhandled".
    done.catch(() => undefined);
    return { groups: new Map(), rows: 0, adds: 0, plain: 0, more: false, firstAt: now(), done, resolve, reject };
  }

  function close(): void {
    if (!current) return;
    closed.push(current);
    last = current.done;
    current = null;
  }

  /** Ms until the open group should be written (<= 0: now); `lingering`: it is the wait for other handlers. */
  function due(p: Pending<K, T>, at: number): { in: number; lingering: boolean } {
    if (p.plain > 0) return { in: p.firstAt + options.maxDelayMs - at, lingering: false };
    if (p.adds >= concurrency) {
      if (p.more || p.rows * 2 >= options.maxRows) return { in: 0, lingering: false };
      return { in: lastFlushStart + minIntervalMs - at, lingering: false };
    }
    return { in: Math.max(p.firstAt, lastWriteEnd) + lingerMs() - at, lingering: true };
  }

  function schedule(inMs: number): void {
    const at = now() + inMs;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = null;
      timerAt = Number.POSITIVE_INFINITY;
      pump();
    }, Math.max(0, Math.ceil(inMs)));
    timer.unref?.();
  }

  function pump(): void {
    if (writing) return;
    if (closed.length === 0 && current) {
      const at = now();
      const { in: wait, lingering } = due(current, at);
      if (wait > 0) return schedule(wait);
      // The others did not come within the linger: expect as many handlers as did.
      if (lingering) concurrency = Math.max(1, current.adds);
      close();
    }
    const next = closed.shift();
    if (!next) return;
    if (timer) {
      clearTimeout(timer);
      timer = null;
      timerAt = Number.POSITIVE_INFINITY;
    }
    writing = next;
    lastFlushStart = now();
    flushes += 1;
    void (async () => {
      try {
        await options.write(next.groups, next.rows);
        next.resolve();
      } catch (error) {
        next.reject(error);
      } finally {
        blocked -= next.adds;
        writing = null;
        lastWriteEnd = now();
        pump();
      }
    })();
  }

  return {
    add(key, events, hint) {
      if (events.length === 0) return Promise.resolve();
      current ??= open();
      const pending = current;
      const group = pending.groups.get(key);
      if (group) for (const e of events) group.push(e);
      else pending.groups.set(key, [...events]);
      pending.rows += events.length;
      pending.adds += 1;
      blocked += 1;
      if (blocked > concurrency) concurrency = blocked;
      if (hint) pending.more ||= hint.more;
      else pending.plain += 1;
      if (pending.adds >= 2 && pending.adds === concurrency && pending.plain === 0) {
        // How long the handlers took to come together (from the first add, or from the write that released them).
        const spread = now() - Math.max(pending.firstAt, lastWriteEnd);
        spreadMs = spreadMs === null ? spread : 0.8 * spreadMs + 0.2 * spread;
      }
      if (pending.rows >= options.maxRows) close();
      pump();
      return pending.done;
    },
    flush() {
      if (!current && closed.length === 0) return writing ? writing.done.catch(() => undefined) : Promise.resolve();
      close();
      const target = last;
      pump();
      return target;
    },
    get waiting() {
      return (current?.rows ?? 0) + closed.reduce((n, p) => n + p.rows, 0);
    },
    get stats() {
      return { concurrency, lingerMs: lingerMs(), flushes };
    },
  };
}

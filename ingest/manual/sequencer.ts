// Origin stamping for manual entries. The Origin contract (schemas/avro/Origin.avsc) is what every consumer's
// duplicate filter relies on: per source, `seq` increases in the order the records are published, and a resend
// carries the same (sourceId, seq) (processors/runtime drops an arrival whose seq it has already accepted, or that is
// more than its window below the highest one).
//
// So each gateway process is its own source (`<prefix>:<start time>-<random>`, a new one per start: no counter has to
// survive a restart or be shared between instances), numbers its events 1, 2, 3, ... in publishing order, and
// publishes one request at a time (`serialise`) so that the order on the bus is the order of the numbers.
// A retry of an entry it has already numbered (same event id: idempotency key, or same content and time) gets the
// event first published, same origin included, so the consumers recognise the duplicate; the same id with other
// content is refused. It remembers the last `remember` events (default 10 000). After a restart a retry becomes a new
// record of a new source: the SPC core and the sinks then drop it by its event id.
import { randomBytes } from 'node:crypto';
import type { QualityMeasurement } from '../../schemas/generated/types.ts';
import { RequestRejected, type Issue } from './requests.ts';

export interface Sequencer {
  readonly sourceId: string;
  /** Stamps origin.sourceId and origin.seq; entries seen before get their first event back. Throws RequestRejected on an id reused for other content. */
  stamp(events: readonly QualityMeasurement[]): { events: QualityMeasurement[]; repeated: boolean[] };
  /** Runs `publish` after every publish started before it (one request at a time on the bus). */
  serialise<T>(publish: () => Promise<T>): Promise<T>;
  /** Forgets events whose publishing failed (a retry then numbers them anew). */
  forget(events: readonly QualityMeasurement[]): void;
}

export interface SequencerOptions {
  /** Source id prefix. Default 'manual-entry'. */
  prefix?: string;
  /** Full source id (tests); default `<prefix>:<start time base 36>-<random>`. */
  sourceId?: string;
  remember?: number;
  now?: () => number;
}

const content = (e: QualityMeasurement): string => JSON.stringify({ ...e, origin: null });

export function createSequencer(options: SequencerOptions = {}): Sequencer {
  const now = options.now ?? Date.now;
  const sourceId = options.sourceId ?? `${options.prefix ?? 'manual-entry'}:${now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const remember = options.remember ?? 10_000;
  const known = new Map<string, QualityMeasurement>();
  let seq = 0;
  let chain: Promise<unknown> = Promise.resolve();
  return {
    sourceId,
    stamp(events) {
      const issues: Issue[] = [];
      events.forEach((e, i) => {
        const before = known.get(e.eventId);
        if (before && content(before) !== content(e))
          issues.push({ path: events.length === 1 ? 'idempotencyKey' : `[${i}].idempotencyKey`, message: `event ${e.eventId} was entered before with other content` });
      });
      if (issues.length > 0) throw new RequestRejected(issues);
      const repeated: boolean[] = [];
      const stamped = events.map((e) => {
        const before = known.get(e.eventId);
        repeated.push(before !== undefined);
        if (before) return before;
        seq += 1;
        const next = { ...e, origin: { ...e.origin, sourceId, seq } };
        known.set(e.eventId, next);
        if (known.size > remember) known.delete(known.keys().next().value!);
        return next;
      });
      return { events: stamped, repeated };
    },
    serialise(publish) {
      const run = chain.then(publish, publish);
      chain = run.catch(() => undefined);
      return run;
    },
    forget(events) {
      for (const e of events) if (known.get(e.eventId)?.origin.seq === e.origin.seq) known.delete(e.eventId);
    },
  };
}

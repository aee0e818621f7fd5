// Forwards the outbox to the bus in capture order: encode with the Codec, send with the Producer, delete after the
// broker acknowledged. A failed send is retried with exponential back-off (the batch stays in the outbox, so an
// outage of the bus or a restart of the edge loses nothing). An event the codec rejects can never be sent: it is
// moved to the outbox's dead table with the reason and counted, and forwarding goes on.
//
// The historical rule: an event forwarded more than `historicalAfterMs` (default 10 s) after the edge captured it
// (origin.edgeTime) goes out with origin.historical = true. Live values are normally forwarded within
// milliseconds, so the flag marks exactly the backlog of a bus outage or an edge restart. Events that the device
// itself flagged historical (Sparkplug is_historical) keep the flag whatever their age.
import type { Producer, OutgoingRecord } from '../../platform/bus/port.ts';
import type { Codec } from '../../platform/codec/port.ts';
import { MalformedInputError, describeCause } from '../../platform/errors.ts';
import type { Logger } from '../../platform/log.ts';
import { correlationHeaders } from '../../schemas/topics.ts';
import { rawTopics, type RawTopic } from '../events.ts';
import type { EdgeMetrics } from '../metrics.ts';
import type { Outbox, StoredEvent } from './outbox.ts';

export interface ForwarderOptions {
  outbox: Outbox;
  producer: Producer;
  codec: Codec;
  logger: Logger;
  metrics: EdgeMetrics;
  historicalAfterMs?: number;
  batchSize?: number;
  /** Back-off after a failed send: starts at `initialMs`, doubles, capped at `maxMs`. */
  retry?: { initialMs?: number; maxMs?: number };
  now?: () => number;
}

export interface Forwarder {
  /** Resolves when the outbox is empty (or rejects after `timeoutMs`). */
  drained(timeoutMs?: number): Promise<void>;
  /** True while the last send attempt failed, or the one in flight has taken longer than 5 s. */
  readonly failing: boolean;
  /** Stops forwarding; waits for the send in flight at most `timeoutMs` (default 10 s). */
  stop(timeoutMs?: number): Promise<void>;
}

interface Prepared {
  topic: RawTopic;
  records: OutgoingRecord[];
}

export function startForwarder(options: ForwarderOptions): Forwarder {
  const { outbox, producer, codec, logger, metrics } = options;
  const historicalAfterMs = options.historicalAfterMs ?? 10_000;
  const batchSize = options.batchSize ?? 2_000;
  const initialMs = options.retry?.initialMs ?? 200;
  const maxMs = options.retry?.maxMs ?? 30_000;
  const now = options.now ?? Date.now;
  let running = true;
  let failing = false;
  let sendingSince: number | null = null;
  let wake: (() => void) | null = null;
  let wakeOnAppend = false;
  let lastFailureLog = 0;
  const drainWaiters: Array<() => void> = [];

  outbox.onAppend(() => {
    if (wakeOnAppend) wake?.();
  });
  // Idle waits end on the next append; back-off waits only on stop().
  const sleep = (ms: number, onAppend: boolean) =>
    new Promise<void>((resolveSleep) => {
      wakeOnAppend = onAppend;
      const timer = setTimeout(() => {
        wake = null;
        resolveSleep();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolveSleep();
      };
    });

  async function prepare(rows: StoredEvent[], at: number): Promise<Prepared[]> {
    const byTopic = new Map<RawTopic, OutgoingRecord[]>();
    for (const row of rows) {
      const event = JSON.parse(row.payload) as { origin: { historical: boolean; edgeTime: number } };
      if (at - row.capturedAt > historicalAfterMs) event.origin.historical = true;
      const contract = rawTopics[row.topic];
      try {
        const encoded = await codec.encode(contract.topic, contract.schema, event);
        let list = byTopic.get(row.topic);
        if (!list) byTopic.set(row.topic, (list = []));
        // The raw event's id starts its correlation: processors copy it onto what they derive from it.
        const eventId = `${row.sourceId}:${row.seq}`;
        list.push({ key: row.key, value: encoded.value, headers: { ...encoded.headers, [correlationHeaders.eventId]: eventId, [correlationHeaders.correlationId]: eventId }, timestamp: row.capturedAt });
      } catch (error) {
        if (!(error instanceof MalformedInputError)) throw error;
        outbox.deadLetter(row, error.reason);
        logger.error({ topic: contract.topic, source: row.sourceId, seq: row.seq, reason: error.reason }, 'edge event rejected by the codec, kept in the outbox dead table');
      }
    }
    return [...byTopic].map(([topic, records]) => ({ topic, records }));
  }

  const loop = (async () => {
    let backoff = initialMs;
    while (running) {
      const rows = outbox.peek(batchSize);
      if (rows.length === 0) {
        for (const resolveDrain of drainWaiters.splice(0)) resolveDrain();
        await sleep(1_000, true);
        continue;
      }
      try {
        const started = performance.now();
        const batches = await prepare(rows, now());
        sendingSince = now();
        await Promise.all(batches.map((b) => producer.send(rawTopics[b.topic].topic, b.records)));
        sendingSince = null;
        outbox.ack(rows.map((r) => r.id));
        for (const b of batches) metrics.forwarded.inc({ topic: rawTopics[b.topic].topic }, b.records.length);
        metrics.forwardSeconds.observe((performance.now() - started) / 1000);
        if (failing) logger.info({ backlog: outbox.size() }, 'edge forwarding to the bus resumed');
        failing = false;
        backoff = initialMs;
      } catch (error) {
        sendingSince = null;
        metrics.forwardFailures.inc();
        const t = now();
        if (!failing || t - lastFailureLog > 30_000) {
          lastFailureLog = t;
          logger.warn({ backlog: outbox.size(), retryInMs: backoff, err: describeCause(error) }, 'edge cannot forward to the bus, keeping events in the outbox');
        }
        failing = true;
        if (!running) break;
        await sleep(backoff, false);
        backoff = Math.min(maxMs, backoff * 2);
      }
    }
  })();

  return {
    get failing() {
      return failing || (sendingSince !== null && now() - sendingSince > 5_000);
    },
    drained(timeoutMs = 60_000) {
      if (outbox.size() === 0) return Promise.resolve();
      return new Promise((resolveDrain, reject) => {
        const timer = setTimeout(() => reject(new Error(`edge outbox not drained after ${timeoutMs} ms (${outbox.size()} left)`)), timeoutMs);
        drainWaiters.push(() => {
          clearTimeout(timer);
          resolveDrain();
        });
        if (wakeOnAppend) wake?.();
      });
    },
    async stop(timeoutMs = 10_000) {
      // A send in flight during a bus outage can take as long as the client's own retries; past the timeout it is
      // abandoned (its events stay in the outbox and are sent again after the next start, same event ids).
      running = false;
      wake?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}

// Messages a collector rejects (unparseable, oversized, unmapped, wrong types) go to the dead-letter topic with the
// reason in the headers (schemas/topics.ts deadLetterHeaders), as every consumer's rejects do. Sent in the
// background, at most once a second in one batch; the queue is bounded (a flood of garbage drops the excess, counted).
// Counted in linepulse_dead_letters_total{topic,consumer} like the consumers' dead letters.
import { Counter, type Registry } from 'prom-client';
import type { OutgoingRecord, Producer } from '../platform/bus/port.ts';
import { describeCause } from '../platform/errors.ts';
import type { Logger } from '../platform/log.ts';
import { deadLetterHeaders, deadLetterTopic } from '../schemas/topics.ts';

export interface RejectedMessage {
  /** The collector's source id, e.g. `mqtt:line1`. */
  source: string;
  /** Where the message came from at the source (MQTT topic, scanner station). */
  topic: string;
  payload: Buffer;
  reason: string;
}

export interface EdgeDeadLetters {
  /** Queues a rejected message; never throws. */
  reject(message: RejectedMessage): void;
  /** Sends what is queued now. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function startEdgeDeadLetters(options: { producer: Pick<Producer, 'send'>; registry: Registry; logger: Logger; now?: () => number; maxQueued?: number; intervalMs?: number; topic?: string }): EdgeDeadLetters {
  const now = options.now ?? Date.now;
  const maxQueued = options.maxQueued ?? 10_000;
  const topic = options.topic ?? deadLetterTopic;
  const counter =
    (options.registry.getSingleMetric('linepulse_dead_letters_total') as Counter<'topic' | 'consumer'> | undefined) ??
    new Counter({ name: 'linepulse_dead_letters_total', help: 'Records or messages that could not be decoded or validated and went to the dead-letter topic.', labelNames: ['topic', 'consumer'], registers: [options.registry] });
  const dropped =
    (options.registry.getSingleMetric('linepulse_edge_dead_letters_dropped_total') as Counter | undefined) ??
    new Counter({ name: 'linepulse_edge_dead_letters_dropped_total', help: 'Rejected messages not dead-lettered because the queue was full.', registers: [options.registry] });
  let queue: Array<{ record: OutgoingRecord; source: string }> = [];
  let sending: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    sending = sending.then(async () => {
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      try {
        await options.producer.send(topic, batch.map((b) => b.record));
        for (const b of batch) counter.inc({ topic: 'edge', consumer: b.source });
      } catch (error) {
        options.logger.warn({ err: describeCause(error), messages: batch.length }, 'edge dead letters could not be sent; dropped');
        dropped.inc(batch.length);
      }
    });
    return sending;
  };
  const timer = setInterval(() => void flush(), options.intervalMs ?? 1_000);
  timer.unref();

  return {
    reject(message) {
      try {
        if (queue.length >= maxQueued) {
          dropped.inc();
          return;
        }
        const t = now();
        queue.push({
          source: message.source,
          record: {
            key: message.source,
            value: message.payload,
            timestamp: t,
            headers: {
              [deadLetterHeaders.reason]: message.reason,
              [deadLetterHeaders.sourceTopic]: message.topic,
              [deadLetterHeaders.sourcePartition]: '-1',
              [deadLetterHeaders.sourceOffset]: '-1',
              [deadLetterHeaders.consumer]: message.source,
              [deadLetterHeaders.time]: String(t),
            },
          },
        });
      } catch {
        // Never throws into a collector.
      }
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}

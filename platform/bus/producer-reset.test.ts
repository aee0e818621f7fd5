// Regression (fault-injection suite, edge cut off for 10 minutes): after a cut in the middle of a send, the
// idempotent kafkajs producer kept failing with OUT_OF_ORDER_SEQUENCE_NUMBER on every retry, so the edge outbox
// never drained. The producer now replaces itself (new producer id) when the broker says so.
import { KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { needsNewProducerId, resettingProducer } from './kafkajs.ts';

const outOfOrder = () => new KafkaJSProtocolError({ message: 'The broker received an out of order sequence number', type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45 } as never);

function fake(id: number, failWith?: () => Error) {
  const state = { id, sent: [] as string[], disconnected: false };
  return {
    state,
    producer: {
      send: async (message: string) => {
        if (failWith) throw failWith();
        state.sent.push(message);
      },
      disconnect: async () => {
        state.disconnected = true;
      },
    },
  };
}

describe('platform > bus > kafkajs > idempotent producer out of step', () => {
  it('recognises the broker errors that need a new producer id, also wrapped', () => {
    expect(needsNewProducerId(outOfOrder())).toBe(true);
    expect(needsNewProducerId({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'retries exceeded', originalError: outOfOrder() })).toBe(true);
    expect(needsNewProducerId({ message: 'x', type: 'UNKNOWN_PRODUCER_ID' })).toBe(true);
    expect(needsNewProducerId(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
    expect(needsNewProducerId(undefined)).toBe(false);
  });

  it('fails the send that hit it, then sends through a new producer (the old one disconnected)', async () => {
    const broken = fake(1, outOfOrder);
    const fresh = fake(2);
    let created = 0;
    const producer = resettingProducer(broken.producer, async () => {
      created += 1;
      return fresh.producer;
    }, { warn: () => undefined });
    await expect(producer.send('a')).rejects.toThrow(/out of order sequence number/);
    expect(created).toBe(1);
    expect(broken.state.disconnected).toBe(true);
    await producer.send('a');
    await producer.send('b');
    expect(fresh.state.sent).toEqual(['a', 'b']);
  });

  it('keeps the producer on other errors (a broker that is down)', async () => {
    const down = fake(1, () => new Error('connect ECONNREFUSED'));
    let created = 0;
    const producer = resettingProducer(down.producer, async () => {
      created += 1;
      return fake(2).producer;
    }, { warn: () => undefined });
    await expect(producer.send('a')).rejects.toThrow(/ECONNREFUSED/);
    expect(created).toBe(0);
    expect(down.state.disconnected).toBe(false);
  });

  it('replaces once when concurrent sends fail together, and retries the replacement later if it fails', async () => {
    const broken = fake(1, outOfOrder);
    const fresh = fake(2);
    let attempts = 0;
    const producer = resettingProducer(broken.producer, async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('broker unreachable');
      return fresh.producer;
    }, { warn: () => undefined });
    await expect(producer.send('a')).rejects.toThrow(/out of order/);
    expect(attempts).toBe(1);
    await Promise.allSettled([producer.send('b'), producer.send('c')]);
    expect(attempts).toBe(2);
    await producer.send('d');
    expect(fresh.state.sent).toEqual(['d']);
  });
});

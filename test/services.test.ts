// The test-tier helpers: unique names, polling, and the never-skip service lookup.
import { afterEach, describe, expect, it } from 'vitest';
import { requireService, uniqueName, waitFor } from './services.ts';

describe('test/services > uniqueName', () => {
  it('is unique across many calls and valid as a Kafka topic and a PostgreSQL identifier', () => {
    const names = Array.from({ length: 1_000 }, () => uniqueName('orders'));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name).toMatch(/^orders_[a-z0-9]+$/);
      expect(name.length).toBeLessThanOrEqual(63);
    }
  });
});

describe('test/services > waitFor', () => {
  it('resolves to the first truthy value of the condition', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { what: 'three calls', intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('times out naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { what: 'the consumer to join', timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow('timed out after 0.03 s waiting for the consumer to join (last error: connection refused)');
  });
});

describe('test/services > requireService', () => {
  const saved = process.env.MQTT_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.MQTT_URL;
    else process.env.MQTT_URL = saved;
  });

  it('returns the address the stack setup exported', () => {
    process.env.MQTT_URL = 'mqtt://127.0.0.1:11883';
    expect(requireService('mqtt')).toBe('mqtt://127.0.0.1:11883');
  });

  it('throws (never skips) when the variable is missing', () => {
    delete process.env.MQTT_URL;
    expect(() => requireService('mqtt')).toThrow(/config error at MQTT_URL: not set/);
  });
});

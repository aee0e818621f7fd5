// The injected ClickHouse outage of the fault-injection suite: while down, every call fails as an unreachable
// server does (never as a refusal of the data, which would send the batch to the dead-letter topic).
import { describe, expect, it } from 'vitest';
import { ServiceUnreachableError } from '../../platform/errors.ts';
import { isDataError } from '../writer.ts';
import { withInjectedOutage } from './outage.ts';
import { defaultRetention } from './retention.ts';
import type { ClickHouseStore } from './store.ts';

function fakeStore(): ClickHouseStore & { inserted: number } {
  const store = {
    kind: 'chdb' as const,
    address: '/tmp/chdb',
    database: 'linepulse',
    retention: defaultRetention,
    inserted: 0,
    migrate: async () => undefined,
    insert: async (_table: string, rows: ReadonlyArray<Record<string, unknown>>) => {
      store.inserted += rows.length;
    },
    query: async <T>() => [] as T[],
    command: async () => undefined,
    ping: async () => true,
    close: async () => undefined,
  };
  return store;
}

describe('sinks > ClickHouse > injected outage', () => {
  it('fails every call as unreachable while down and passes them through once up again', async () => {
    const store = fakeStore();
    let down = true;
    const wrapped = withInjectedOutage(store, () => down);
    const error = await wrapped.insert('telemetry', [{ a: 1 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect(isDataError(error)).toBe(false);
    await expect(wrapped.query('SELECT 1')).rejects.toBeInstanceOf(ServiceUnreachableError);
    await expect(wrapped.command('OPTIMIZE TABLE t')).rejects.toBeInstanceOf(ServiceUnreachableError);
    expect(await wrapped.ping()).toBe(false);
    expect(store.inserted).toBe(0);
    down = false;
    await wrapped.insert('telemetry', [{ a: 1 }, { a: 2 }]);
    expect(store.inserted).toBe(2);
    expect(await wrapped.ping()).toBe(true);
    expect({ kind: wrapped.kind, address: wrapped.address, database: wrapped.database }).toEqual({ kind: 'chdb', address: '/tmp/chdb', database: 'linepulse' });
  });
});

// A ClickHouse store that is unavailable while a condition holds: every call fails the way an unreachable server
// does (ServiceUnreachableError), so the writer retries and holds the offsets exactly as for a real outage. Used
// by the fault-injection suite (test/reliability/) through the sinks process: chDB runs inside that process, so
// "ClickHouse unavailable" cannot be produced from outside it; a file named by LINEPULSE_FAULT_CLICKHOUSE_FILE
// switches the outage on while it exists (cli/commands/sinks.ts). Never enabled unless that variable is set.
import { ServiceUnreachableError } from '../../platform/errors.ts';
import type { ClickHouseStore } from './store.ts';

export function withInjectedOutage(store: ClickHouseStore, isDown: () => boolean): ClickHouseStore {
  const guard = <T>(call: () => Promise<T>): Promise<T> =>
    isDown() ? Promise.reject(new ServiceUnreachableError(`ClickHouse (${store.kind})`, store.address, 'unavailable (injected outage)')) : call();
  return {
    kind: store.kind,
    address: store.address,
    database: store.database,
    retention: store.retention,
    migrate: () => guard(() => store.migrate()),
    insert: (table, rows) => guard(() => store.insert(table, rows)),
    query: <T>(sql: string, params?: Record<string, unknown>) => guard(() => store.query<T>(sql, params)),
    command: (sql) => guard(() => store.command(sql)),
    ping: () => (isDown() ? Promise.resolve(false) : store.ping()),
    close: () => store.close(),
  };
}

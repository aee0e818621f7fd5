// What the sink writes where: one line per topic. A route names the ClickHouse table (DDL + row mapping in
// clickhouse/tables.ts) and/or the PostgreSQL writer (postgres/repository.ts) of a topic's events. OEE windows,
// SPC points and alarms plug in the same way: add their table or writer, then one line here.
import type { TopicName } from '../schemas/topics.ts';
import type { EventOf } from '../platform/bus/typed.ts';
import {
  alertEventsTable,
  countIncrementsTable,
  countTotalsTable,
  oeeWindowsTable,
  reliabilityTable,
  spcAlarmsTable,
  spcCapabilityTable,
  spcPointsTable,
  stateEventsTable,
  telemetryTable,
  type ClickHouseTable,
} from './clickhouse/tables.ts';
import type { Queryable } from './postgres/db.ts';
import { writeAlertCases, writeSpcAlarms } from './postgres/alarms.ts';
import { writeDispatches, writeGenealogyLinks, writeWorkOrders } from './postgres/genealogy/index.ts';
import { writeAlerts, writeCountTotals } from './postgres/repository.ts';
import { writeSpcLimitsAudit } from './postgres/spc-audit.ts';

export interface SinkRoute<T extends TopicName = TopicName> {
  topic: T;
  clickhouse?: ClickHouseTable<EventOf<T>>;
  /** Writes a batch inside the flush's PostgreSQL transaction; must be idempotent (replays happen). */
  postgres?: (tx: Queryable, events: readonly EventOf<T>[]) => Promise<void>;
}

function route<T extends TopicName>(topic: T, targets: Omit<SinkRoute<T>, 'topic'>): SinkRoute {
  return { topic, ...targets } as unknown as SinkRoute;
}

export const sinkRoutes: readonly SinkRoute[] = [
  route('telemetry', { clickhouse: telemetryTable }),
  route('state', { clickhouse: stateEventsTable }),
  route('countIncrements', { clickhouse: countIncrementsTable }),
  route('countTotals', { clickhouse: countTotalsTable, postgres: writeCountTotals }),
  route('alerts', {
    clickhouse: alertEventsTable,
    postgres: async (tx, alerts) => {
      await writeAlerts(tx, alerts);
      await writeAlertCases(tx, alerts);
    },
  }),
  route('oee', { clickhouse: oeeWindowsTable }),
  route('spcPoints', { clickhouse: spcPointsTable }),
  route('spcAlarms', { clickhouse: spcAlarmsTable, postgres: writeSpcAlarms }),
  route('spcAudit', { postgres: writeSpcLimitsAudit }),
  route('spcCapability', { clickhouse: spcCapabilityTable }),
  route('reliability', { clickhouse: reliabilityTable }),
  route('workOrders', { postgres: writeWorkOrders }),
  route('dispatch', { postgres: writeDispatches }),
  route('genealogy', { postgres: writeGenealogyLinks }),
];

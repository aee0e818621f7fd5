// The read side the query API (dashboard/server/api) uses: ClickHouse history (clickhouse/history.ts) plus the
// PostgreSQL reads and alarm actions, behind one object built from a process's stores.
import { createHistoryQueries, type HistoryQueries, type TimeRange } from './clickhouse/history.ts';
import type { ClickHouseStore } from './clickhouse/store.ts';
import { applyAlarmAction, getAlarm, listAlarms, type AlarmAction, type AlarmListQuery, type AlarmView, type AuditEntryView } from './postgres/alarms.ts';
import type { Db } from './postgres/db.ts';
import { traceBackward, traceForward, type MaterialRef, type Trace, type TraceOptions } from './postgres/genealogy/index.ts';
import { currentDispatch, type DispatchView } from './postgres/genealogy/work-orders.ts';
import { createUser, listUsers, setUserDisabled, setUserRoles, type Role, type UserView } from './postgres/users.ts';
import { listSpcLimitsAudit, type SpcLimitsAuditView } from './postgres/spc-audit.ts';
import { createSpcQualityQueries, type SpcQualityQueries } from './spc-quality.ts';

export interface PlanRow {
  equipment: string;
  /** Pieces planned in the range by the work-order operations on this equipment (pro rata of their planned window). */
  planned: number;
  workOrders: string[];
}

export interface ProductionQueries extends HistoryQueries, SpcQualityQueries {
  listAlarms(query: AlarmListQuery): Promise<{ alarms: AlarmView[]; total: number }>;
  getAlarm(alarmId: string): Promise<{ alarm: AlarmView; audit: AuditEntryView[] } | null>;
  alarmAction(alarmId: string, who: string, action: AlarmAction): Promise<{ alarm: AlarmView; audit: AuditEntryView[] }>;
  plannedFromWorkOrders(query: TimeRange & { scope: string }): Promise<PlanRow[]>;
  trace(direction: 'backward' | 'forward', start: MaterialRef, options?: TraceOptions): Promise<Trace>;
  /** SPC control-limit changes (PostgreSQL spc_limits_audit), oldest first. */
  spcLimitsAudit(query: { characteristic?: string; equipment?: string; limit?: number; offset?: number }): Promise<SpcLimitsAuditView[]>;
  /** The work order dispatched on each equipment under `scope` (latest dispatch event; `at`: as of then). */
  currentDispatch(query: { scope: string; at?: number }): Promise<DispatchView[]>;
  /** User administration (admin screen): list, create (never overwrites), set roles, disable. */
  listUsers(): Promise<Array<UserView & { createdAt: number; updatedAt: number }>>;
  createUser(user: { username: string; password: string; displayName?: string | null; roles: readonly Role[] }): Promise<'created' | 'exists'>;
  setUserRoles(username: string, roles: readonly Role[]): Promise<boolean>;
  setUserDisabled(username: string, disabled: boolean): Promise<boolean>;
}

export function createProductionQueries(stores: { clickhouse: ClickHouseStore; postgres: Db }): ProductionQueries {
  const db = stores.postgres;
  return {
    ...createHistoryQueries(stores.clickhouse),
    ...createSpcQualityQueries(stores),
    listAlarms: (query) => listAlarms(db, query),
    getAlarm: (alarmId) => getAlarm(db, alarmId),
    alarmAction: (alarmId, who, action) => applyAlarmAction(db, alarmId, who, action),
    spcLimitsAudit: (query) => listSpcLimitsAudit(db, query),
    currentDispatch: (query) => currentDispatch(db, query),
    listUsers: () => listUsers(db),
    createUser: (user) => db.transaction((tx) => createUser(tx, user)),
    setUserRoles: (username, roles) => db.transaction((tx) => setUserRoles(tx, username, roles)),
    setUserDisabled: (username, disabled) => setUserDisabled(db, username, disabled),
    trace: (direction, start, options) => (direction === 'backward' ? traceBackward(db, start, options) : traceForward(db, start, options)),
    async plannedFromWorkOrders(q) {
      // Operations with a planned window overlapping the range; an operation without a window counts whole when its
      // work order's planned window overlaps. Cancelled orders plan nothing.
      const rows = await db.query<{ equipment: string; planned: number; work_orders: string[] }>(
        `WITH ops AS (
           SELECT o.equipment, o.work_order, coalesce(o.quantity, w.quantity) AS quantity,
                  coalesce(o.planned_start, w.planned_start) AS ps, coalesce(o.planned_end, w.planned_end) AS pe
           FROM work_order_operations o JOIN work_orders w USING (work_order)
           WHERE w.status <> 'CANCELLED' AND o.equipment IS NOT NULL
             AND ($1 = '' OR o.equipment = $1 OR starts_with(o.equipment, $1 || '/')))
         SELECT equipment,
                sum(quantity * greatest(0, extract(epoch FROM least(pe, to_timestamp($3 / 1000.0)) - greatest(ps, to_timestamp($2 / 1000.0))))
                    / nullif(extract(epoch FROM pe - ps), 0))::float8 AS planned,
                array_agg(DISTINCT work_order ORDER BY work_order) AS work_orders
         FROM ops
         WHERE ps IS NOT NULL AND pe IS NOT NULL AND ps < to_timestamp($3 / 1000.0) AND pe > to_timestamp($2 / 1000.0)
         GROUP BY equipment ORDER BY equipment`,
        [q.scope, q.from, q.to],
      );
      return rows.map((r) => ({ equipment: r.equipment, planned: Math.round((r.planned ?? 0) * 100) / 100, workOrders: r.work_orders }));
    },
  };
}

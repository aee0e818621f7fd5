// Work orders and dispatch in PostgreSQL (tables of migrations/0100_work_orders.sql): the sink writers of
// linepulse.workorders.v1 and linepulse.dispatch.v1, idempotent (replays add nothing), and their read side.
// Same SQL on PGlite and on a server (see ../db.ts for the portability rules: times come back as epoch ms float8).
import type { Dispatch, WorkOrder, WorkOrderOperation, WorkOrderStatus } from '../../../schemas/generated/types.ts';
import type { Queryable } from '../db.ts';

/** Later wins: higher revision, then later event time, then the larger event id (deterministic). */
function newer(a: WorkOrder, b: WorkOrder): boolean {
  return a.revision !== b.revision ? a.revision > b.revision : a.eventTime !== b.eventTime ? a.eventTime > b.eventTime : a.eventId > b.eventId;
}

/** Records every work order event once (audit) and keeps the latest revision of each work order with its operations. */
export async function writeWorkOrders(q: Queryable, events: readonly WorkOrder[]): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `INSERT INTO work_order_events (event_id, work_order, revision, event_time, payload)
     SELECT event_id, work_order, revision, to_timestamp(event_time / 1000.0), payload
     FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, work_order text, revision bigint, event_time float8, payload jsonb)
     ON CONFLICT (event_id) DO NOTHING`,
    [JSON.stringify(events.map((e) => ({ event_id: e.eventId, work_order: e.workOrder, revision: e.revision, event_time: e.eventTime, payload: e })))],
  );
  const latest = new Map<string, WorkOrder>();
  for (const e of events) {
    const seen = latest.get(e.workOrder);
    if (!seen || newer(e, seen)) latest.set(e.workOrder, e);
  }
  const rows = [...latest.values()];
  const changed = await q.query<{ work_order: string }>(
    `INSERT INTO work_orders AS w (work_order, product, quantity, unit, status, erp_state, planned_start, planned_end,
       erp_message_id, revision, event_id, event_time)
     SELECT work_order, product, quantity, unit, status, erp_state, to_timestamp(planned_start / 1000.0),
            to_timestamp(planned_end / 1000.0), erp_message_id, revision, event_id, to_timestamp(event_time / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS x(work_order text, product text, quantity float8, unit text, status text,
          erp_state text, planned_start float8, planned_end float8, erp_message_id text, revision bigint, event_id text,
          event_time float8)
     ON CONFLICT (work_order) DO UPDATE SET
       product = excluded.product, quantity = excluded.quantity, unit = excluded.unit, status = excluded.status,
       erp_state = excluded.erp_state, planned_start = excluded.planned_start, planned_end = excluded.planned_end,
       erp_message_id = excluded.erp_message_id, revision = excluded.revision, event_id = excluded.event_id,
       event_time = excluded.event_time, updated_at = now()
     WHERE (w.revision, w.event_time, w.event_id) < (excluded.revision, excluded.event_time, excluded.event_id)
     RETURNING work_order`,
    [
      JSON.stringify(
        rows.map((w) => ({
          work_order: w.workOrder,
          product: w.product,
          quantity: w.quantity,
          unit: w.unit,
          status: w.status,
          erp_state: w.erpState,
          planned_start: w.plannedStart,
          planned_end: w.plannedEnd,
          erp_message_id: w.erpMessageId,
          revision: w.revision,
          event_id: w.eventId,
          event_time: w.eventTime,
        })),
      ),
    ],
  );
  if (changed.length === 0) return;
  const names = changed.map((r) => r.work_order);
  await q.query('DELETE FROM work_order_operations WHERE work_order = ANY($1::text[])', [names]);
  const operations = names.flatMap((name) =>
    latest.get(name)!.operations.map((op, seq) => ({
      work_order: name,
      seq,
      operation: op.operation,
      equipment: op.equipment,
      ideal_cycle_time_ms: op.idealCycleTimeMs,
      quantity: op.quantity,
      planned_start: op.plannedStart,
      planned_end: op.plannedEnd,
    })),
  );
  if (operations.length === 0) return;
  await q.query(
    `INSERT INTO work_order_operations (work_order, seq, operation, equipment, ideal_cycle_time_ms, quantity, planned_start, planned_end)
     SELECT work_order, seq, operation, equipment, ideal_cycle_time_ms, quantity, to_timestamp(planned_start / 1000.0), to_timestamp(planned_end / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS x(work_order text, seq int, operation text, equipment text, ideal_cycle_time_ms float8,
          quantity float8, planned_start float8, planned_end float8)`,
    [JSON.stringify(operations)],
  );
}

/** Records dispatch events once each. */
export async function writeDispatches(q: Queryable, events: readonly Dispatch[]): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `INSERT INTO dispatch_events (event_id, equipment, work_order, product, operation, ideal_cycle_time_ms, target_quantity, event_time)
     SELECT event_id, equipment, work_order, product, operation, ideal_cycle_time_ms, target_quantity, to_timestamp(event_time / 1000.0)
     FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, equipment text, work_order text, product text, operation text,
          ideal_cycle_time_ms float8, target_quantity float8, event_time float8)
     ON CONFLICT (event_id) DO NOTHING`,
    [
      JSON.stringify(
        events.map((d) => ({
          event_id: d.eventId,
          equipment: d.equipment,
          work_order: d.workOrder,
          product: d.product,
          operation: d.operation,
          ideal_cycle_time_ms: d.idealCycleTimeMs,
          target_quantity: d.targetQuantity,
          event_time: d.eventTime,
        })),
      ),
    ],
  );
}

export interface WorkOrderView {
  workOrder: string;
  product: string;
  quantity: number;
  unit: string | null;
  status: WorkOrderStatus;
  erpState: string | null;
  plannedStart: number | null;
  /** Due date. */
  plannedEnd: number | null;
  erpMessageId: string | null;
  revision: number;
  eventTime: number;
  operations: WorkOrderOperation[];
}

interface WorkOrderRow {
  work_order: string;
  product: string;
  quantity: number;
  unit: string | null;
  status: WorkOrderStatus;
  erp_state: string | null;
  planned_start: number | null;
  planned_end: number | null;
  erp_message_id: string | null;
  revision: number;
  event_time: number;
  operations: Array<{ operation: string; equipment: string | null; ideal_cycle_time_ms: number | null; quantity: number | null; planned_start: number | null; planned_end: number | null }>;
}

const epoch = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/** Work orders with their operations: all, or those of a status, or those planned on an equipment (path prefix). */
export async function listWorkOrders(q: Queryable, filter: { status?: WorkOrderStatus; workOrder?: string; equipment?: string; limit?: number } = {}): Promise<WorkOrderView[]> {
  const rows = await q.query<WorkOrderRow>(
    `SELECT w.work_order, w.product, w.quantity, w.unit, w.status, w.erp_state, ${epoch('w.planned_start')} AS planned_start,
            ${epoch('w.planned_end')} AS planned_end, w.erp_message_id, w.revision::float8 AS revision, ${epoch('w.event_time')} AS event_time,
            coalesce((SELECT jsonb_agg(jsonb_build_object('operation', o.operation, 'equipment', o.equipment,
                        'ideal_cycle_time_ms', o.ideal_cycle_time_ms, 'quantity', o.quantity,
                        'planned_start', ${epoch('o.planned_start')}, 'planned_end', ${epoch('o.planned_end')}) ORDER BY o.seq)
                      FROM work_order_operations o WHERE o.work_order = w.work_order), '[]'::jsonb) AS operations
     FROM work_orders w
     WHERE ($1 = '' OR w.status = $1) AND ($2 = '' OR w.work_order = $2)
       AND ($3 = '' OR EXISTS (SELECT 1 FROM work_order_operations o WHERE o.work_order = w.work_order
                                 AND (o.equipment = $3 OR starts_with(o.equipment, $3 || '/'))))
     ORDER BY w.planned_end NULLS LAST, w.work_order
     LIMIT $4`,
    [filter.status ?? '', filter.workOrder ?? '', filter.equipment ?? '', filter.limit ?? 1000],
  );
  return rows.map((r) => ({
    workOrder: r.work_order,
    product: r.product,
    quantity: r.quantity,
    unit: r.unit,
    status: r.status,
    erpState: r.erp_state,
    plannedStart: r.planned_start,
    plannedEnd: r.planned_end,
    erpMessageId: r.erp_message_id,
    revision: r.revision,
    eventTime: r.event_time,
    operations: r.operations.map((o) => ({
      operation: o.operation,
      equipment: o.equipment,
      idealCycleTimeMs: o.ideal_cycle_time_ms,
      quantity: o.quantity,
      plannedStart: o.planned_start,
      plannedEnd: o.planned_end,
    })),
  }));
}

export interface DispatchView {
  equipment: string;
  workOrder: string | null;
  product: string | null;
  operation: string | null;
  idealCycleTimeMs: number | null;
  targetQuantity: number | null;
  since: number;
}

/** The work order dispatched on each equipment (under `scope`) at `at` (default: now, the latest dispatch). */
export async function currentDispatch(q: Queryable, options: { scope?: string; at?: number } = {}): Promise<DispatchView[]> {
  const rows = await q.query<{ equipment: string; work_order: string | null; product: string | null; operation: string | null; ideal_cycle_time_ms: number | null; target_quantity: number | null; since: number }>(
    `SELECT DISTINCT ON (equipment) equipment, work_order, product, operation, ideal_cycle_time_ms, target_quantity, ${epoch('event_time')} AS since
     FROM dispatch_events
     WHERE ($1 = '' OR equipment = $1 OR starts_with(equipment, $1 || '/')) AND ($2::float8 IS NULL OR event_time <= to_timestamp($2::float8 / 1000.0))
     ORDER BY equipment, event_time DESC, event_id DESC`,
    [options.scope ?? '', options.at ?? null],
  );
  return rows.map((r) => ({
    equipment: r.equipment,
    workOrder: r.work_order,
    product: r.product,
    operation: r.operation,
    idealCycleTimeMs: r.ideal_cycle_time_ms,
    targetQuantity: r.target_quantity,
    since: r.since,
  }));
}

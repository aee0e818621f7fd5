// The dispatch core: which work order is active on which equipment, from scans and work-order events, per
// equipment -> Dispatch (feeds counts, OEE and alerts). Pure and deterministic; conventions in README.md.
//
// - A scan (ACCEPTED) whose `workOrder` (the order active at the station, set by the edge from a work-order barcode)
//   differs from the dispatched one dispatches it. Scans without a work order change nothing.
// - A plain-code scan listed in `endCodes` ends the active order (Dispatch with workOrder null).
// - WorkOrderAssignment (the work orders projected by equipment by the erp-performance core) gives the product,
//   operation, ideal cycle time and target of the dispatch; when it arrives after the dispatch (or changes), the
//   dispatch is re-emitted with the details; a COMPLETED or CANCELLED order that is active here is ended.
// - PieceCount (the same equipment's counts) is read only as a clock: it moves the equipment's event time on, so a
//   work-order scan is dispatched as soon as the next piece is counted (or the idle watermark passes it), before
//   the counts core, which holds pieces longer (its reorderMs), books those pieces.
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import type { BarcodeScan, Dispatch, WorkOrderAssignment } from '../../schemas/generated/types.ts';
import type { DispatchConfig } from './config.ts';

interface Assignment {
  product: string;
  operation: string | null;
  idealCycleTimeMs: number | null;
  targetQuantity: number | null;
  revision: number;
  eventTime: number;
}

export interface DispatchState {
  /** The work order dispatched now (null: none), since when, and the details it was dispatched with. */
  workOrder: string | null;
  since: number | null;
  details: string | null;
  assignments: Record<string, Assignment>;
}

function detailsOf(a: Assignment | undefined): string {
  return a ? JSON.stringify([a.product, a.operation, a.idealCycleTimeMs, a.targetQuantity]) : '';
}

function dispatchOf(key: string, eventId: string, eventTime: number, workOrder: string | null, a: Assignment | undefined): CoreOutput<Dispatch> {
  return {
    topic: 'dispatch',
    key,
    value: {
      eventId,
      eventTime,
      equipment: key,
      workOrder,
      product: workOrder === null ? null : (a?.product ?? null),
      operation: workOrder === null ? null : (a?.operation ?? null),
      idealCycleTimeMs: workOrder === null ? null : (a?.idealCycleTimeMs ?? null),
      targetQuantity: workOrder === null ? null : (a?.targetQuantity ?? null),
    },
  };
}

function onScan(state: DispatchState, input: CoreInput, config: DispatchConfig): CoreResult<DispatchState> {
  const scan = input.value as BarcodeScan;
  if (scan.status !== 'ACCEPTED') return { state, outputs: [] };
  // A scan older than the dispatch in force (late data) does not change it.
  if (state.since !== null && input.eventTime < state.since) return { state, outputs: [] };
  let next: string | null | undefined;
  if (scan.code !== null && config.endCodes.includes(scan.code)) next = null;
  else if (scan.workOrder) next = scan.workOrder;
  if (next === undefined || next === state.workOrder) return { state, outputs: [] };
  const a = next === null ? undefined : state.assignments[next];
  return {
    state: { ...state, workOrder: next, since: input.eventTime, details: detailsOf(a) },
    outputs: [dispatchOf(input.key, `dispatch:${input.eventId}`, input.eventTime, next, a)],
  };
}

function onAssignment(prev: DispatchState, input: CoreInput, config: DispatchConfig): CoreResult<DispatchState> {
  const wa = input.value as WorkOrderAssignment;
  const known = prev.assignments[wa.workOrder];
  if (known && (known.revision > wa.revision || (known.revision === wa.revision && known.eventTime > input.eventTime))) return { state: prev, outputs: [] };
  const assignments = { ...prev.assignments };
  const state: DispatchState = { ...prev, assignments };
  const outputs: CoreOutput[] = [];
  const at = Math.max(input.eventTime, prev.since ?? input.eventTime);
  if (wa.status === 'COMPLETED' || wa.status === 'CANCELLED') {
    delete assignments[wa.workOrder];
    if (prev.workOrder === wa.workOrder) {
      outputs.push(dispatchOf(input.key, `dispatch:${input.eventId}`, at, null, undefined));
      Object.assign(state, { workOrder: null, since: at, details: '' });
    }
    return { state, outputs };
  }
  const a: Assignment = {
    product: wa.product,
    operation: wa.operation,
    idealCycleTimeMs: wa.idealCycleTimeMs,
    targetQuantity: wa.targetQuantity,
    revision: wa.revision,
    eventTime: input.eventTime,
  };
  assignments[wa.workOrder] = a;
  // Bounded: the least recent assignments go first (never the active one).
  const names = Object.keys(assignments);
  if (names.length > config.maxAssignments) {
    const drop = names
      .filter((n) => n !== prev.workOrder)
      .sort((x, y) => assignments[x]!.eventTime - assignments[y]!.eventTime || (x < y ? -1 : 1))
      .slice(0, names.length - config.maxAssignments);
    for (const n of drop) delete assignments[n];
  }
  if (prev.workOrder === wa.workOrder && detailsOf(a) !== prev.details) {
    outputs.push(dispatchOf(input.key, `dispatch:${input.eventId}`, at, wa.workOrder, a));
    Object.assign(state, { since: at, details: detailsOf(a) });
  }
  return { state, outputs };
}

export const dispatchCore: ProcessorCore<DispatchState, DispatchConfig> = {
  name: 'dispatch',
  inputs: ['scans', 'workOrderAssignments', 'counts'],
  outputs: ['dispatch'],
  reorderMs: (config) => config.reorderMs,
  initialState: () => ({ workOrder: null, since: null, details: null, assignments: {} }),
  process(state, input, config) {
    switch (input.topic) {
      case 'scans':
        return onScan(state, input, config);
      case 'workOrderAssignments':
        return onAssignment(state, input, config);
      default:
        return { state, outputs: [] };
    }
  },
};

// The ERP performance core: WorkOrder + WorkOrderProgress per work order -> B2MML V0700 OperationsPerformance on
// linepulse.erp.performance.v1 (keyed by work order), and WorkOrderAssignment per planned equipment (the work order
// projected by equipment, for the dispatch core). Pure and deterministic; conventions in README.md.
//
// A new revision of the work order's OperationsPerformance goes out
//   - when its state changes (Running, Paused, Completed, Aborted),
//   - while running, when event time crosses a multiple of `periodMs` and the figures changed,
//   - after completion, when late figures change it (a correction).
// OperationsPerformance/ID is `perf:<work order>:r<revision>`: the same id for the same revision, so ERP can drop a
// message it has already booked.
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import type { WorkOrder, WorkOrderAssignment, WorkOrderProgress } from '../../schemas/generated/types.ts';
import type { PerformanceConfig } from './config.ts';
import { operationsPerformanceXml, type ResponseState, type SegmentFigures } from './performance-xml.ts';

export interface PerformanceState {
  order: WorkOrder | null;
  /** Latest progress per equipment. */
  segments: Record<string, WorkOrderProgress>;
  /** Revision of the last emitted OperationsPerformance (0: none). */
  revision: number;
  /** State and figures of the last emitted revision. */
  emittedState: ResponseState | null;
  emittedFigures: string | null;
  dirty: boolean;
  lastEventTime: number | null;
  nextTickAt: number | null;
}

export function performanceId(workOrder: string, revision: number): string {
  return `perf:${workOrder}:r${revision}`;
}

interface Figures {
  state: ResponseState;
  start: number | null;
  end: number | null;
  good: number;
  reject: number;
  segments: SegmentFigures[];
}

/** The equipment's operation order in the work order (unplanned equipment last, by path). */
function orderedSegments(state: PerformanceState): WorkOrderProgress[] {
  const ops = state.order?.operations ?? [];
  const rank = (p: WorkOrderProgress) => {
    const i = ops.findIndex((o) => o.equipment === p.equipment && (p.operation === null || o.operation === p.operation));
    const j = i >= 0 ? i : ops.findIndex((o) => o.equipment === p.equipment);
    return j >= 0 ? j : ops.length;
  };
  return Object.values(state.segments).sort((a, b) => rank(a) - rank(b) || (a.equipment < b.equipment ? -1 : 1));
}

function figuresOf(state: PerformanceState, config: PerformanceConfig): Figures {
  const segments = orderedSegments(state);
  const running = segments.some((s) => s.running);
  const last = segments.at(-1);
  const good = last?.good ?? 0;
  const reject = segments.reduce((sum, s) => sum + s.reject, 0);
  const status = state.order?.status;
  let figuresState: ResponseState;
  if (status === 'CANCELLED') figuresState = 'Aborted';
  else if (status === 'COMPLETED') figuresState = 'Completed';
  else if (running) figuresState = 'Running';
  else if (segments.length === 0) figuresState = 'Ready';
  else if (config.completeAtQuantity && state.order !== null && good >= state.order.quantity) figuresState = 'Completed';
  else figuresState = 'Paused';
  const starts = segments.map((s) => s.actualStart).filter((t): t is number => t !== null);
  const ends = segments.map((s) => s.actualEnd).filter((t): t is number => t !== null);
  const final = figuresState === 'Completed' || figuresState === 'Aborted';
  const opOf = (s: WorkOrderProgress) =>
    s.operation ?? state.order?.operations.find((o) => o.equipment === s.equipment)?.operation ?? s.equipment;
  return {
    state: figuresState,
    start: starts.length > 0 ? Math.min(...starts) : null,
    end: final && ends.length > 0 && !running ? Math.max(...ends) : null,
    good,
    reject,
    segments: segments.map((s) => ({
      operation: opOf(s),
      equipment: s.equipment,
      state: s.running ? 'Running' : final ? figuresState : 'Paused',
      actualStart: s.actualStart,
      actualEnd: s.running ? null : s.actualEnd,
      good: s.good,
      reject: s.reject,
      materials: s.materials,
    })),
  };
}

function emit(state: PerformanceState, key: string, figures: Figures, eventTime: number, outputs: CoreOutput[]): PerformanceState {
  const order = state.order;
  if (!order) return state;
  const revision = state.revision + 1;
  const xml = operationsPerformanceXml({
    id: performanceId(key, revision),
    workOrder: key,
    revision,
    erpMessageId: order.erpMessageId,
    product: order.product,
    unit: order.unit,
    state: figures.state,
    actualStart: figures.start,
    actualEnd: figures.end,
    publishedAt: eventTime,
    good: figures.good,
    reject: figures.reject,
    segments: figures.segments,
  });
  outputs.push({ topic: 'erpPerformance', key, value: xml });
  return { ...state, revision, emittedState: figures.state, emittedFigures: JSON.stringify(figures), dirty: false };
}

/** Emits at once on a state change (and on any change once complete); otherwise marks dirty for the next period. */
function settle(state: PerformanceState, key: string, eventTime: number, config: PerformanceConfig, outputs: CoreOutput[]): PerformanceState {
  if (!state.order) return state;
  const figures = figuresOf(state, config);
  // Nothing happened on the shop floor yet: nothing to tell ERP.
  if (state.revision === 0 && Object.keys(state.segments).length === 0) return state;
  const text = JSON.stringify(figures);
  if (text === state.emittedFigures) return { ...state, dirty: false };
  const final = figures.state === 'Completed' || figures.state === 'Aborted';
  if (figures.state !== state.emittedState || (final && state.emittedState !== null)) return emit(state, key, figures, eventTime, outputs);
  return { ...state, dirty: true };
}

function assignments(order: WorkOrder): CoreOutput<WorkOrderAssignment>[] {
  const seen = new Set<string>();
  const out: CoreOutput<WorkOrderAssignment>[] = [];
  for (const op of order.operations) {
    if (op.equipment === null || seen.has(op.equipment)) continue;
    seen.add(op.equipment);
    out.push({
      topic: 'workOrderAssignments',
      key: op.equipment,
      value: {
        eventId: `wa:${order.eventId}:${op.equipment}`,
        eventTime: order.eventTime,
        equipment: op.equipment,
        workOrder: order.workOrder,
        product: order.product,
        operation: op.operation,
        idealCycleTimeMs: op.idealCycleTimeMs,
        targetQuantity: op.quantity ?? order.quantity,
        status: order.status,
        revision: order.revision,
      },
    });
  }
  return out;
}

function onWorkOrder(prev: PerformanceState, input: CoreInput, config: PerformanceConfig): CoreResult<PerformanceState> {
  const wo = input.value as WorkOrder;
  const known = prev.order;
  if (known && (known.revision > wo.revision || (known.revision === wo.revision && known.eventTime > wo.eventTime))) return { state: prev, outputs: [] };
  const outputs: CoreOutput[] = [...assignments(wo)];
  const state = settle({ ...prev, order: wo, lastEventTime: Math.max(prev.lastEventTime ?? input.eventTime, input.eventTime) }, input.key, input.eventTime, config, outputs);
  return { state, outputs };
}

function onProgress(prev: PerformanceState, input: CoreInput, config: PerformanceConfig): CoreResult<PerformanceState> {
  const p = input.value as WorkOrderProgress;
  const known = prev.segments[p.equipment];
  if (known && known.revision >= p.revision) return { state: prev, outputs: [] };
  const outputs: CoreOutput[] = [];
  const state = settle(
    { ...prev, segments: { ...prev.segments, [p.equipment]: p }, lastEventTime: Math.max(prev.lastEventTime ?? input.eventTime, input.eventTime) },
    input.key,
    input.eventTime,
    config,
    outputs,
  );
  return { state, outputs };
}

export const erpPerformanceCore: ProcessorCore<PerformanceState, PerformanceConfig> = {
  name: 'erp-performance',
  inputs: ['workOrders', 'workOrderProgress'],
  outputs: ['erpPerformance', 'workOrderAssignments'],
  reorderMs: (config) => config.reorderMs,
  initialState: () => ({ order: null, segments: {}, revision: 0, emittedState: null, emittedFigures: null, dirty: false, lastEventTime: null, nextTickAt: null }),
  process(state, input, config) {
    switch (input.topic) {
      case 'workOrders':
        return onWorkOrder(state, input, config);
      case 'workOrderProgress':
        return onProgress(state, input, config);
      default:
        return { state, outputs: [] };
    }
  },
  onWatermark(prev, key, watermark, config) {
    const gridNext = Math.floor(watermark / config.periodMs) * config.periodMs + config.periodMs;
    const tick = prev.nextTickAt !== null && watermark >= prev.nextTickAt;
    if (!tick && prev.nextTickAt !== null) return { state: prev, outputs: [] };
    let state: PerformanceState = { ...prev, nextTickAt: gridNext };
    const outputs: CoreOutput[] = [];
    if (tick && state.dirty && state.order) {
      const figures = figuresOf(state, config);
      if (JSON.stringify(figures) !== state.emittedFigures) state = emit(state, key, figures, Math.min(watermark, Math.max(state.lastEventTime ?? watermark, 0)), outputs);
      else state = { ...state, dirty: false };
    }
    return { state, outputs };
  },
};

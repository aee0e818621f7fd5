// The work-order progress core: Dispatch + CountIncrement + MaterialConsumption per equipment -> WorkOrderProgress
// (keyed by work order): what this equipment did for each work order so far (its segment response). The
// erp-performance core gathers these per work order. Pure and deterministic; conventions in README.md.
//
// - Dispatch opens the work order on the equipment (actual start = first dispatch) and closes the previous one
//   (actual end = when it was undispatched); both are emitted at once.
// - Pieces count for the work order the increment names (CountIncrement.workOrder, set by the counts core from
//   dispatch), else the dispatched one; material consumption likewise.
// - While running, changed figures are emitted when event time crosses a multiple of `intervalMs` (watermark), so
//   a replay emits exactly what the live run did.
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import type { CountIncrement, Dispatch, MaterialActualTotal, MaterialConsumption, WorkOrderProgress } from '../../schemas/generated/types.ts';
import type { ProgressConfig } from './config.ts';

interface OrderOnEquipment {
  operation: string | null;
  product: string | null;
  running: boolean;
  start: number | null;
  end: number | null;
  good: number;
  reject: number;
  /** By `<kind>|<id>`. */
  materials: Record<string, MaterialActualTotal>;
  revision: number;
  dirty: boolean;
  /** Latest event time folded in. */
  lastEventTime: number;
}

export interface ProgressState {
  active: string | null;
  activeSince: number | null;
  orders: Record<string, OrderOnEquipment>;
  nextTickAt: number | null;
}

function copy(s: ProgressState): ProgressState {
  return { ...s, orders: { ...s.orders } };
}

function emit(state: ProgressState, key: string, workOrder: string, outputs: CoreOutput[]): void {
  const o = state.orders[workOrder];
  if (!o) return;
  const next: OrderOnEquipment = { ...o, revision: o.revision + 1, dirty: false };
  state.orders[workOrder] = next;
  const value: WorkOrderProgress = {
    eventId: `wp:${workOrder}:${key}:${next.revision}`,
    eventTime: next.lastEventTime,
    workOrder,
    equipment: key,
    operation: next.operation,
    product: next.product,
    running: next.running,
    actualStart: next.start,
    actualEnd: next.running ? null : next.end,
    good: next.good,
    reject: next.reject,
    materials: Object.keys(next.materials).sort().map((k) => next.materials[k]!),
    revision: next.revision,
  };
  outputs.push({ topic: 'workOrderProgress', key: workOrder, value });
}

function order(state: ProgressState, workOrder: string, t: number): OrderOnEquipment {
  const known = state.orders[workOrder];
  const o: OrderOnEquipment = known
    ? { ...known, materials: { ...known.materials }, lastEventTime: Math.max(known.lastEventTime, t) }
    : { operation: null, product: null, running: false, start: null, end: null, good: 0, reject: 0, materials: {}, revision: 0, dirty: true, lastEventTime: t };
  state.orders[workOrder] = o;
  return o;
}

function onDispatch(prev: ProgressState, input: CoreInput, config: ProgressConfig): CoreResult<ProgressState> {
  const d = input.value as Dispatch;
  const t = input.eventTime;
  if (prev.activeSince !== null && t < prev.activeSince) return { state: prev, outputs: [] };
  const state = copy(prev);
  const outputs: CoreOutput[] = [];
  const next = d.workOrder ?? null;
  if (prev.active !== null && prev.active !== next) {
    const o = order(state, prev.active, t);
    o.running = false;
    o.end = t;
    emit(state, input.key, prev.active, outputs);
  }
  if (next !== null) {
    const o = order(state, next, t);
    const changed = !o.running || o.operation !== (d.operation ?? o.operation) || o.product !== (d.product ?? o.product);
    o.running = true;
    o.start ??= t;
    o.end = null;
    o.operation = d.operation ?? o.operation;
    o.product = d.product ?? o.product;
    if (changed) emit(state, input.key, next, outputs);
  }
  state.active = next;
  state.activeSince = t;
  evict(state, input.key, config, t, outputs);
  return { state, outputs };
}

function onCount(prev: ProgressState, input: CoreInput, config: ProgressConfig): CoreResult<ProgressState> {
  const c = input.value as CountIncrement;
  const workOrder = c.workOrder ?? prev.active;
  if (workOrder === null || c.good + c.reject === 0) return { state: prev, outputs: [] };
  const state = copy(prev);
  const o = order(state, workOrder, input.eventTime);
  o.good += c.good;
  o.reject += c.reject;
  o.start ??= input.eventTime;
  o.dirty = true;
  const outputs: CoreOutput[] = [];
  evict(state, input.key, config, input.eventTime, outputs);
  return { state, outputs };
}

function onConsumption(prev: ProgressState, input: CoreInput, config: ProgressConfig): CoreResult<ProgressState> {
  const m = input.value as MaterialConsumption;
  const workOrder = m.workOrder ?? prev.active;
  if (workOrder === null || !Number.isFinite(m.quantity)) return { state: prev, outputs: [] };
  const state = copy(prev);
  const o = order(state, workOrder, input.eventTime);
  const id = `${m.materialKind}|${m.materialId}`;
  const before = o.materials[id];
  o.materials[id] = {
    materialKind: m.materialKind,
    materialId: m.materialId,
    material: m.material ?? before?.material ?? null,
    quantity: (before?.quantity ?? 0) + m.quantity,
    unit: m.unit ?? before?.unit ?? null,
  };
  o.dirty = true;
  const outputs: CoreOutput[] = [];
  evict(state, input.key, config, input.eventTime, outputs);
  return { state, outputs };
}

/** Bounded state: forget stopped orders past retention, and the least recent ones beyond maxOrders (emitting first). */
function evict(state: ProgressState, key: string, config: ProgressConfig, now: number, outputs: CoreOutput[]): void {
  const names = Object.keys(state.orders);
  const stale = names.filter((n) => !state.orders[n]!.running && state.orders[n]!.lastEventTime + config.retentionMs < now);
  const rest = names.filter((n) => !stale.includes(n) && n !== state.active);
  const excess = Math.max(0, names.length - stale.length - config.maxOrders);
  const oldest = rest.sort((a, b) => state.orders[a]!.lastEventTime - state.orders[b]!.lastEventTime || (a < b ? -1 : 1)).slice(0, excess);
  for (const n of [...stale, ...oldest]) {
    if (state.orders[n]!.dirty) emit(state, key, n, outputs);
    delete state.orders[n];
  }
}

export const workOrderProgressCore: ProcessorCore<ProgressState, ProgressConfig> = {
  name: 'erp-progress',
  inputs: ['dispatch', 'countIncrements', 'materialConsumption'],
  outputs: ['workOrderProgress'],
  reorderMs: (config) => config.reorderMs,
  initialState: () => ({ active: null, activeSince: null, orders: {}, nextTickAt: null }),
  process(state, input, config) {
    switch (input.topic) {
      case 'dispatch':
        return onDispatch(state, input, config);
      case 'countIncrements':
        return onCount(state, input, config);
      case 'materialConsumption':
        return onConsumption(state, input, config);
      default:
        return { state, outputs: [] };
    }
  },
  onWatermark(prev, key, watermark, config) {
    const gridNext = Math.floor(watermark / config.intervalMs) * config.intervalMs + config.intervalMs;
    const tick = prev.nextTickAt !== null && watermark >= prev.nextTickAt;
    if (!tick && prev.nextTickAt !== null) return { state: prev, outputs: [] };
    const state = copy(prev);
    state.nextTickAt = gridNext;
    const outputs: CoreOutput[] = [];
    if (tick) for (const name of Object.keys(state.orders).sort()) if (state.orders[name]!.dirty) emit(state, key, name, outputs);
    evict(state, key, config, watermark, outputs);
    return { state, outputs };
  },
};

// Builders of raw events for processor tests, replay fixtures and benchmarks (complete records: every field of
// the Avro contract, so they encode as they are).
import type { Dispatch, EquipmentState, PieceCount, Telemetry } from '../../schemas/generated/types.ts';

export const equipmentPath = 'acme/plant1/assembly/line1/cell1/press';

// Origin sequences as the edge assigns them (per source, increasing in the order events are made); the same event
// id always gets the same seq, so building an event twice models a re-delivery (which the runtime drops).
const seqs = new Map<string, number>();
function seqFor(eventId: string): number {
  let seq = seqs.get(eventId);
  if (seq === undefined) {
    seq = seqs.size + 1;
    seqs.set(eventId, seq);
  }
  return seq;
}

const origin = (eventTime: number, eventId: string, sourceId = 'opcua:test') => ({ sourceId, seq: seqFor(eventId), serverTime: null, edgeTime: eventTime, historical: false });

export function pieceCount(p: Partial<PieceCount> & { eventId: string; eventTime: number }): PieceCount {
  return {
    equipment: equipmentPath,
    kind: 'GOOD',
    counterValue: null,
    counterMax: null,
    increment: null,
    rejectReason: null,
    workOrder: null,
    quality: 'GOOD',
    origin: origin(p.eventTime, p.eventId),
    ...p,
  };
}

export function dispatch(d: Partial<Dispatch> & { eventId: string; eventTime: number }): Dispatch {
  return { equipment: equipmentPath, workOrder: null, product: null, operation: null, idealCycleTimeMs: null, targetQuantity: null, ...d };
}

export function equipmentState(s: Partial<EquipmentState> & { eventId: string; eventTime: number; state: string }): EquipmentState {
  return { equipment: equipmentPath, reasonCode: null, reasonText: null, quality: 'GOOD', origin: origin(s.eventTime, s.eventId), ...s };
}

export function telemetry(t: Partial<Telemetry> & { eventId: string; eventTime: number; tag: string }): Telemetry {
  return { equipment: equipmentPath, value: null, text: null, unit: null, quality: 'GOOD', statusCode: null, outOfRange: false, origin: origin(t.eventTime, t.eventId), ...t };
}

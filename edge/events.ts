// What collectors hand to the outbox: a raw event without its identity. The outbox gives every event its per-source
// sequence number and its stable id `<sourceId>:<seq>` when it stores it, so both survive edge restarts.
import type { BarcodeScan, EquipmentState, Origin, PieceCount, QualityMeasurement, Telemetry } from '../schemas/generated/types.ts';
import { topics } from '../schemas/topics.ts';

export interface RawEventMap {
  telemetry: Telemetry;
  state: EquipmentState;
  counts: PieceCount;
  scans: BarcodeScan;
  measurements: QualityMeasurement;
}

export type RawTopic = keyof RawEventMap;

export type Draft<E> = Omit<E, 'eventId' | 'origin'> & { origin: Omit<Origin, 'seq'> };

/** One captured event, before the outbox numbers it. The record key is `event.equipment`. */
export type EdgeEvent = { [K in RawTopic]: { topic: K; event: Draft<RawEventMap[K]> } }[RawTopic];

/** How collectors hand events on; never throws (the outbox counts and logs its own failures). */
export type Publish = (event: EdgeEvent) => void;

export const rawTopics: Record<RawTopic, { topic: string; schema: string }> = {
  telemetry: topics.telemetry,
  state: topics.state,
  counts: topics.counts,
  scans: topics.scans,
  measurements: topics.measurements,
};

/** The full event, as it goes on the bus. */
export function finishEvent(draft: EdgeEvent, seq: number, historical: boolean): RawEventMap[RawTopic] {
  const { origin, ...rest } = draft.event;
  return {
    ...rest,
    eventId: `${origin.sourceId}:${seq}`,
    origin: { ...origin, seq, historical: origin.historical || historical },
  } as RawEventMap[RawTopic];
}

/** An in-memory numbering publish for tests and tools: assigns per-source seqs and collects full events. */
export function collectingPublish(): { publish: Publish; events: Array<{ topic: RawTopic; event: RawEventMap[RawTopic] }> } {
  const seqs = new Map<string, number>();
  const events: Array<{ topic: RawTopic; event: RawEventMap[RawTopic] }> = [];
  return {
    events,
    publish(e) {
      const seq = (seqs.get(e.event.origin.sourceId) ?? 0) + 1;
      seqs.set(e.event.origin.sourceId, seq);
      events.push({ topic: e.topic, event: finishEvent(e, seq, false) });
    },
  };
}

// Which derived events go live, and as what. One entry per topic: adding OEE tiles or SPC charts later is one
// line here (plus the client's handler). Payloads use the same shapes as the REST API (sinks/model.ts), so a
// client merges a snapshot and live updates with one function.
import type { TopicName } from '../../schemas/topics.ts';
import type { Alert, CountTotal, EquipmentState, OeeWindow, SpcAlarm, SpcCapability } from '../../schemas/generated/types.ts';
import type { SpcCapabilityView } from '../clickhouse/history.ts';
import type { CountTotalView } from '../model.ts';
import type { LiveUpdate } from './hub.ts';

/** Socket.IO event names, shared with the dashboard app. */
export const liveEvents = {
  countTotal: 'countTotal',
  alert: 'alert',
  snapshot: 'snapshot',
  oeeWindow: 'oeeWindow',
  equipmentState: 'equipmentState',
  spcAlarm: 'spcAlarm',
  spcCapability: 'spcCapability',
} as const;

/** Live OEE of the open shift (LIVE_SHIFT windows only), as the OEE wall shows it. */
export interface OeeLiveView {
  equipment: string;
  windowId: string;
  windowStart: number;
  windowEnd: number;
  closed: boolean;
  revision: number;
  eventTime: number;
  shift: string | null;
  workOrder: string | null;
  product: string | null;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  totalCount: number;
  goodCount: number;
  rejectCount: number;
  flags: string[];
}

/** The machine's raw state as reported (the dashboard maps it to a category). */
export interface EquipmentStateView {
  equipment: string;
  state: string;
  reasonCode: string | null;
  reasonText: string | null;
  quality: string;
  eventTime: number;
}

export function countTotalView(e: CountTotal): CountTotalView {
  return {
    equipment: e.equipment,
    windowKind: e.windowKind,
    windowId: e.windowId,
    windowStart: e.windowStart,
    windowEnd: e.windowEnd,
    good: e.good,
    reject: e.reject,
    revision: e.revision,
    eventTime: e.eventTime,
  };
}

/** A capability record in the shape of GET /api/spc/capability (sinks/clickhouse/history.ts), so live and REST merge alike. */
export function spcCapabilityView(e: SpcCapability): SpcCapabilityView {
  return {
    eventId: e.eventId,
    eventTime: e.eventTime,
    equipment: e.equipment,
    characteristic: e.characteristic,
    chart: e.chart,
    index: e.index,
    limitsVersion: e.limitsVersion,
    firstIndex: e.firstIndex,
    points: e.points,
    samples: e.samples,
    mean: e.mean,
    lsl: e.lsl,
    usl: e.usl,
    sigmaWithin: e.sigmaWithin,
    withinMethod: e.withinMethod,
    constants: e.constants,
    sigmaOverall: e.sigmaOverall,
    indexes: { cp: e.cp, cpl: e.cpl, cpu: e.cpu, cpk: e.cpk, pp: e.pp, ppl: e.ppl, ppu: e.ppu, ppk: e.ppk },
  };
}

type ToUpdate = (value: never) => LiveUpdate | null;

/** Topic -> live update. Keys include the window id, so a late revision of an old window never hides the current one. */
export const liveRoutes: Partial<Record<TopicName, ToUpdate>> = {
  countTotals: ((e: CountTotal) => ({
    event: liveEvents.countTotal,
    key: `${e.equipment}|${e.windowKind}|${e.windowId}`,
    equipment: e.equipment,
    payload: countTotalView(e),
  })) as ToUpdate,
  alerts: ((e: Alert) => ({ event: liveEvents.alert, key: e.alertId, equipment: e.equipment, payload: e })) as ToUpdate,
  // Added for the OEE wall, maintenance and SPC views (issue 8): the open shift's OEE, machine states, SPC alarms.
  oee: ((e: OeeWindow) =>
    e.windowKind === 'LIVE_SHIFT'
      ? {
          event: liveEvents.oeeWindow,
          key: `${e.equipment}|${e.windowId}`,
          equipment: e.equipment,
          payload: {
            equipment: e.equipment, windowId: e.windowId, windowStart: e.windowStart, windowEnd: e.windowEnd, closed: e.closed,
            revision: e.revision, eventTime: e.eventTime, shift: e.shift, workOrder: e.workOrder, product: e.product,
            availability: e.availability, performance: e.performance, quality: e.quality, oee: e.oee,
            totalCount: e.totalCount, goodCount: e.goodCount, rejectCount: e.rejectCount, flags: e.flags,
          } satisfies OeeLiveView,
        }
      : null) as ToUpdate,
  state: ((e: EquipmentState) => ({
    event: liveEvents.equipmentState,
    key: e.equipment,
    equipment: e.equipment,
    payload: { equipment: e.equipment, state: e.state, reasonCode: e.reasonCode, reasonText: e.reasonText, quality: e.quality, eventTime: e.eventTime } satisfies EquipmentStateView,
  })) as ToUpdate,
  spcAlarms: ((e: SpcAlarm) => ({ event: liveEvents.spcAlarm, key: e.eventId, equipment: e.equipment, payload: e })) as ToUpdate,
  // The capability panel of the SPC view: the latest record per characteristic (a burst coalesces to the newest).
  spcCapability: ((e: SpcCapability) => ({ event: liveEvents.spcCapability, key: e.characteristic, equipment: e.equipment, payload: spcCapabilityView(e) })) as ToUpdate,
};

export function toLiveUpdate(topic: TopicName, value: unknown): LiveUpdate | null {
  const route = liveRoutes[topic];
  return route ? route(value as never) : null;
}

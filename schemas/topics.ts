// The topic table: every Kafka topic of linepulse, its value contract and its key. Documented in README.md.
// Topic names carry a major version; an incompatible contract change means a new topic.

export interface TopicContract {
  readonly topic: string;
  /** Avro record name in schemas/avro, or 'xml' for B2MML payloads validated against the official XSDs. */
  readonly schema: string;
  /** What the record key is. */
  readonly key: 'equipment' | 'workOrder' | 'characteristic' | 'parentId' | 'source';
  readonly partitions: number;
  readonly compacted?: boolean;
}

export const topics = {
  telemetry: { topic: 'linepulse.telemetry.v1', schema: 'Telemetry', key: 'equipment', partitions: 6 },
  state: { topic: 'linepulse.state.v1', schema: 'EquipmentState', key: 'equipment', partitions: 6 },
  counts: { topic: 'linepulse.counts.v1', schema: 'PieceCount', key: 'equipment', partitions: 6 },
  scans: { topic: 'linepulse.scans.v1', schema: 'BarcodeScan', key: 'equipment', partitions: 6 },
  measurements: { topic: 'linepulse.measurements.v1', schema: 'QualityMeasurement', key: 'equipment', partitions: 6 },
  workOrders: { topic: 'linepulse.workorders.v1', schema: 'WorkOrder', key: 'workOrder', partitions: 3, compacted: true },
  dispatch: { topic: 'linepulse.dispatch.v1', schema: 'Dispatch', key: 'equipment', partitions: 6 },
  countIncrements: { topic: 'linepulse.count-increments.v1', schema: 'CountIncrement', key: 'equipment', partitions: 6 },
  countTotals: { topic: 'linepulse.count-totals.v1', schema: 'CountTotal', key: 'equipment', partitions: 6 },
  oee: { topic: 'linepulse.oee.v1', schema: 'OeeWindow', key: 'equipment', partitions: 6 },
  spcPoints: { topic: 'linepulse.spc-points.v1', schema: 'SpcPoint', key: 'characteristic', partitions: 6 },
  spcAlarms: { topic: 'linepulse.spc-alarms.v1', schema: 'SpcAlarm', key: 'characteristic', partitions: 3 },
  alerts: { topic: 'linepulse.alerts.v1', schema: 'Alert', key: 'equipment', partitions: 3 },
  reliability: { topic: 'linepulse.reliability.v1', schema: 'Reliability', key: 'equipment', partitions: 3 },
  genealogy: { topic: 'linepulse.genealogy.v1', schema: 'GenealogyLink', key: 'parentId', partitions: 6 },
  erpSchedule: { topic: 'linepulse.erp.schedule.v1', schema: 'xml', key: 'workOrder', partitions: 3 },
  erpPerformance: { topic: 'linepulse.erp.performance.v1', schema: 'xml', key: 'workOrder', partitions: 3 },
  materialConsumption: { topic: 'linepulse.material-consumption.v1', schema: 'MaterialConsumption', key: 'equipment', partitions: 6 },
  workOrderAssignments: { topic: 'linepulse.workorder-assignments.v1', schema: 'WorkOrderAssignment', key: 'equipment', partitions: 6 },
  workOrderProgress: { topic: 'linepulse.workorder-progress.v1', schema: 'WorkOrderProgress', key: 'workOrder', partitions: 3 },
  // SPC limits commands are keyed by equipment: co-partitioned with measurements, where the spc core keeps its state.
  spcCommands: { topic: 'linepulse.spc-commands.v1', schema: 'SpcCommand', key: 'equipment', partitions: 6 },
  spcAudit: { topic: 'linepulse.spc-audit.v1', schema: 'SpcLimitsAudit', key: 'characteristic', partitions: 3 },
  spcCapability: { topic: 'linepulse.spc-capability.v1', schema: 'SpcCapability', key: 'characteristic', partitions: 6 },
} as const satisfies Record<string, TopicContract>;

export type TopicName = keyof typeof topics;

/** Where every record that cannot be decoded or validated goes, with the reason in its headers. */
export const deadLetterTopic = 'linepulse.deadletter.v1';

/** Headers on a dead-lettered record. */
export const deadLetterHeaders = {
  reason: 'x-dlq-reason',
  sourceTopic: 'x-dlq-source-topic',
  sourcePartition: 'x-dlq-source-partition',
  sourceOffset: 'x-dlq-source-offset',
  consumer: 'x-dlq-consumer',
  time: 'x-dlq-time',
} as const;

/**
 * Headers that follow an event through the pipeline, for log lines: `x-event-id` is the record's own eventId;
 * `x-correlation-id` is the eventId of the raw event it started from (set by the edge or the gateway that
 * captured it, copied by the processors onto everything derived from it, kept on dead letters).
 */
export const correlationHeaders = {
  eventId: 'x-event-id',
  correlationId: 'x-correlation-id',
} as const;

/** Splits an ISA-95 equipment path enterprise/site/area/line/cell/equipment; shorter paths are allowed for areas and lines. */
export function parseEquipmentPath(path: string): string[] | null {
  const parts = path.split('/');
  if (parts.length < 1 || parts.length > 6) return null;
  return parts.every((p) => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(p)) ? parts : null;
}

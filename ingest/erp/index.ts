// ERP inbound (B2MML -> WorkOrder events): the public surface for composition roots (cli/).
export { erpIngestConfigSchema, erpIngestConfig, type ErpIngestConfig } from './config.ts';
export { parseSchedule, workOrderEventId, b2mmlNamespace, type ParsedSchedule, type ScheduleResult, type ScheduleFormat } from './schedule.ts';
export { openXsdSet, parseXml, defaultXsdDir, rejectionText, type XsdSet, type Rejection, type XmlNode } from './xml.ts';
export { createScheduleIngest, type ScheduleIngest, type ScheduleIngestOptions, type IngestOutcome, type ScheduleSource } from './ingest.ts';
export { startScheduleConsumer, type ScheduleConsumer, type ScheduleConsumerOptions } from './consumer.ts';
export { erpScheduleRoutes, type ErpRoutesOptions } from './http.ts';

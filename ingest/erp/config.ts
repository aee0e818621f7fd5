// Config of the ERP inbound adapter: section `erp` of the plant config file.
import { z } from 'zod';
import { parseEquipmentPath } from '../../schemas/topics.ts';

export const erpIngestConfigSchema = z.object({
  /** Folder of the official B2MML V0700 XSDs. Default: ../shared/b2mml-v0700 beside the repository. */
  xsdDir: z.string().optional(),
  /** Larger documents are refused before parsing. */
  maxDocumentBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(5 * 1024 * 1024),
  /** IANA time zone for B2MML date-times without an offset (xsd:dateTime allows them). */
  timeZone: z.string().default('UTC'),
  /**
   * ERP EquipmentID -> linepulse equipment path, for ERPs that do not send the ISA-95 path itself. An EquipmentID
   * that is already a valid path needs no entry.
   */
  equipment: z
    .record(z.string(), z.string().refine((p) => parseEquipmentPath(p) !== null, { message: 'must be an equipment path enterprise/site/area/line/cell/equipment' }))
    .default({}),
  /** SegmentParameter / ProductionParameter ID carrying the ideal cycle time per piece (compared case-insensitively). */
  idealCycleTimeParameter: z.string().min(1).default('IdealCycleTime'),
});

export type ErpIngestConfig = z.infer<typeof erpIngestConfigSchema>;

export function erpIngestConfig(input: unknown = {}): ErpIngestConfig {
  return erpIngestConfigSchema.parse(input);
}

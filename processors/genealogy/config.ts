// Config of the genealogy processor: section `processors.genealogy` of the plant config file.
import { z } from 'zod';

const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, { message: 'not a valid regular expression' });

export const materialKinds = ['LOT', 'SERIAL', 'CONTAINER'] as const;

export const genealogyStationSchema = z.object({
  /** Equipment path of the station (the key of its scans). */
  equipment: z.string().min(1),
  /** Scanner station id (BarcodeScan.station); default: every scanner of the equipment. */
  station: z.string().optional(),
  /**
   * ASSEMBLY: components scanned after the parent (the unit being built) are CONSUMED_INTO it.
   * PACKING: items (serials, lots, smaller containers) scanned after the container are CONTAINED_IN it.
   */
  role: z.enum(['ASSEMBLY', 'PACKING']),
  /**
   * What a parent scan looks like. A scan matching it opens a new parent (closing the previous). Without it, the
   * first scan after a close code (or the first scan at all) is the parent.
   */
  parent: z
    .object({
      /** The GS1 AI that identifies the parent: 00 (SSCC), 21 (serial) or 10 (lot). */
      ai: z.enum(['00', '21', '10']).optional(),
      /** GTINs (AI 01) of parent items. */
      gtins: z.array(z.string()).optional(),
      /** A regular expression the parent's id must match. */
      pattern: regex.optional(),
    })
    .optional(),
  /** Plain codes that close the open parent (the next scan opens a new one when `parent` is not set). */
  closeCodes: z.array(z.string().min(1)).default(['CLOSE']),
});

export const genealogyConfigSchema = z.object({
  reorderMs: z.number().int().min(0).default(2_000),
  /** An accepted GS1 scan with both a lot (AI 10) and a serial (AI 21) links the serial MADE_FROM the lot, at any station. */
  lotSerialLinks: z.boolean().default(true),
  stations: z.array(genealogyStationSchema).default([]),
  /** Kind of a plain (non-GS1) code scanned as a parent or child. */
  plainCodeKind: z.enum(materialKinds).default('SERIAL'),
  /** Links remembered per equipment for the local cycle check (the PostgreSQL sink checks the whole graph). */
  maxRememberedLinks: z.number().int().min(0).default(10_000),
});

export type GenealogyConfig = z.infer<typeof genealogyConfigSchema>;
export type GenealogyStation = z.infer<typeof genealogyStationSchema>;

export function genealogyConfig(input: unknown = {}): GenealogyConfig {
  return genealogyConfigSchema.parse(input);
}

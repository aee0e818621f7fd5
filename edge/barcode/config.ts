// Config of the barcode scanner collector: one entry per station.
import { z } from 'zod';
import { equipmentPath } from '../opcua/config.ts';

export const scannerSchema = z.object({
  /** Station id: events carry station = this and origin.sourceId = `scanner:<station>`. */
  station: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only'),
  /** Equipment path of the station (the record key of its scans). */
  equipment: equipmentPath,
  /** A scanner (or serial device server) that serves a keyboard-wedge stream over TCP: one scan per line. */
  tcp: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(1).max(65535) }).optional(),
  /** A scanner on a serial port. */
  serial: z.object({
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  }).optional(),
  /** The same text at the same station within this window is a double read and dropped. */
  duplicateWindowMs: z.number().int().min(0).default(2_000),
  /** Work order active when the edge starts (until a dispatch or a work-order scan changes it). */
  workOrder: z.string().optional(),
  /** A plain code matching this pattern is a work-order barcode: it makes that order active at the station. */
  workOrderPattern: z.string().optional(),
  maxLength: z.number().int().min(1).max(10_000).default(200),
  reconnect: z.object({ initialDelayMs: z.number().int().min(50).default(1_000), maxDelayMs: z.number().int().min(50).default(20_000) }).prefault({}),
}).refine((s) => Boolean(s.tcp) !== Boolean(s.serial), { message: 'give exactly one of tcp or serial' })
  .refine((s) => {
    if (s.workOrderPattern === undefined) return true;
    try {
      new RegExp(s.workOrderPattern);
      return true;
    } catch {
      return false;
    }
  }, { message: 'workOrderPattern is not a valid regular expression' });

export type ScannerConfig = z.infer<typeof scannerSchema>;
export type ScannerInput = z.input<typeof scannerSchema>;

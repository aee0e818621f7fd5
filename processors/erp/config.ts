// Config of the work-order processors: sections `processors.dispatch`, `processors.erp-progress` and
// `processors.erp-performance` of the plant config file. Every key has a default.
import { z } from 'zod';

export const dispatchConfigSchema = z.object({
  /**
   * Reorder buffer of scans and assignments per equipment (ms, event time). Keep it below the counts processor's
   * (default 5 s): a dispatch must reach the counts before the pieces after it are booked.
   */
  reorderMs: z.number().int().min(0).default(0),
  /** Plain barcodes that end the active work order at the station (no work order active afterwards). */
  endCodes: z.array(z.string().min(1)).default([]),
  /** Assignments (work orders planned on the equipment) remembered per equipment; the oldest go first. */
  maxAssignments: z.number().int().min(1).default(200),
});
export type DispatchConfig = z.infer<typeof dispatchConfigSchema>;

export const progressConfigSchema = z.object({
  reorderMs: z.number().int().min(0).default(5_000),
  /** While a work order runs, its changed figures are emitted each time event time crosses a multiple of this. */
  intervalMs: z.number().int().min(1_000).default(60_000),
  /** A work order not running and unchanged for this long (event time) is forgotten by the equipment. */
  retentionMs: z.number().int().min(60_000).default(7 * 24 * 3_600_000),
  /** Work orders remembered per equipment (least recently changed dropped first, after a last emission). */
  maxOrders: z.number().int().min(1).default(50),
});
export type ProgressConfig = z.infer<typeof progressConfigSchema>;

export const performanceConfigSchema = z.object({
  reorderMs: z.number().int().min(0).default(5_000),
  /** While running, a new OperationsPerformance revision goes out when event time crosses a multiple of this (if figures changed). */
  periodMs: z.number().int().min(1_000).default(15 * 60_000),
  /**
   * A work order is complete when nothing runs it any more and the good quantity of its last operation reached the
   * ordered quantity (or when ERP/MES sets it COMPLETED). false: only the COMPLETED status completes it.
   */
  completeAtQuantity: z.boolean().default(true),
});
export type PerformanceConfig = z.infer<typeof performanceConfigSchema>;

// What the sinks' query code returns, whichever store answers. The dashboard server and the API use these
// shapes; both the ClickHouse and the PostgreSQL query code produce them.
import type { CountWindowKind } from '../schemas/generated/types.ts';

export const countWindowKinds: readonly CountWindowKind[] = ['SHIFT', 'HOUR', 'DAY', 'WORK_ORDER', 'ALL_TIME'];

/** The latest revision of one count window of one equipment. Times are epoch ms. */
export interface CountTotalView {
  equipment: string;
  windowKind: CountWindowKind;
  windowId: string;
  windowStart: number | null;
  windowEnd: number | null;
  good: number;
  reject: number;
  revision: number;
  /** Event time of the revision (the latest count it includes). */
  eventTime: number;
}

export interface CountTotalsFilter {
  /** Only this window kind; default every kind. */
  windowKind?: CountWindowKind;
  /** An ISA-95 path (site, line, ...): only equipment at or below it. */
  scope?: string;
}

/** Pieces of one equipment in one time bucket (or over the whole range when no bucket is asked for). */
export interface CountRangeRow {
  equipment: string;
  /** Bucket start, epoch ms; null when the whole range is one bucket. */
  bucketStart: number | null;
  good: number;
  reject: number;
}

export interface CountRangeQuery {
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  scope?: string;
  bucket?: 'minute' | 'hour' | 'day';
}

/** The read side the dashboard needs for counts. */
export interface CountQueries {
  /** Per equipment and window kind, the most recent window at its highest revision. */
  currentCountTotals(filter?: CountTotalsFilter): Promise<CountTotalView[]>;
}

/** Range queries over the event history (ClickHouse). */
export interface CountHistoryQueries {
  countsOverRange(query: CountRangeQuery): Promise<CountRangeRow[]>;
}

/** True when `equipment` is `scope` itself or below it in the ISA-95 path. */
export function inScope(equipment: string, scope: string | undefined): boolean {
  if (!scope) return true;
  return equipment === scope || equipment.startsWith(`${scope}/`);
}

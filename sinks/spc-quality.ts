// What quality engineers read and write about an SPC alarm beyond its lifecycle, across both stores:
//   - containment: the serials / lots plotted on the alarm's characteristic from the first point of its pattern on
//     (ClickHouse spc_points), extended downstream through genealogy forward traces (PostgreSQL), with the path that
//     links each suspect material to the chart (processors/spc/containment.ts does the pure part);
//   - NCR drafts: a nonconformance report prefilled from the alarm and its containment (postgres/ncr.ts stores it).
import { containment, expandThroughGenealogy, type Containment, type ForwardTrace, type SuspectMaterial } from '../processors/spc/containment.ts';
import { spcPointsFrom } from './clickhouse/spc-containment.ts';
import type { ClickHouseStore } from './clickhouse/store.ts';
import { AlarmActionError } from './postgres/alarms.ts';
import type { Db } from './postgres/db.ts';
import { traceForwardMany } from './postgres/genealogy/index.ts';
import { getNcrByAlarm, getSpcAlarmCase, insertNcrDraft, listNcrs, type NcrView, type SpcAlarmCase } from './postgres/ncr.ts';

/** The bounds of a containment: points read, and the genealogy trace limits (those of GET /api/genealogy/trace). */
export interface ContainmentLimits {
  /** Plotted points read from the first of the pattern on. Default 10 000. */
  maxPoints?: number;
  /** Genealogy levels followed from each suspect. Default 100. */
  maxDepth?: number;
  /** Genealogy links read in all, over every suspect's trace. Default 10 000. */
  maxRows?: number;
  /** Last point index to include (default: the latest plotted). */
  throughIndex?: number;
}

export const containmentDefaults = { maxPoints: 10_000, maxDepth: 100, maxRows: 10_000 } as const;

export interface SpcContainmentView {
  alarm: Pick<SpcAlarmCase, 'alarmId' | 'equipment' | 'characteristic' | 'rule' | 'ruleSet' | 'title' | 'status' | 'raisedAt' | 'pointIndexes' | 'workOrder'>;
  /** Directly affected: what was plotted on the chart from the first point of the pattern on. */
  direct: Omit<Containment, 'alarmId' | 'characteristic'> & {
    /** maxPoints stopped the read: throughIndex is the last point read, later points are not included. */
    pointsTruncated: boolean;
  };
  /** What else may contain suspect material: everything the direct serials and lots went into (depth >= 1). */
  expanded: {
    materials: SuspectMaterial[];
    /** Direct serials / lots whose trace was not read (the row budget was spent). */
    untraced: string[];
    /** A trace hit maxDepth or maxRows, or suspects were left untraced: the list may be incomplete. */
    truncated: boolean;
    /** Genealogy links read. */
    rows: number;
  };
  limits: { maxPoints: number; maxDepth: number; maxRows: number };
}

export interface NcrDetail {
  alarm: { alarmId: string; title: string; severity: string; raisedAt: number; status: string };
  equipment: string;
  characteristic: string;
  rule: { number: number | null; ruleSet: string | null; direction: string | null };
  /** The pattern's points: indexes and plotted values. */
  points: { indexes: number[]; values: number[] };
  limits: unknown;
  /** Work order of the signalling point; every work order of the containment in `containment.workOrders`. */
  workOrder: string | null;
  serials: string[];
  lots: string[];
  containment: {
    fromIndex: number;
    throughIndex: number;
    fromTime: number | null;
    throughTime: number | null;
    complete: boolean;
    serials: string[];
    lots: string[];
    workOrders: string[];
    downstream: Array<Pick<SuspectMaterial, 'kind' | 'id' | 'depth' | 'via'>>;
    truncated: boolean;
  };
}

export interface SpcQualityQueries {
  /** Containment of an SPC alarm; null when the alarm does not exist. Throws AlarmActionError 'conflict' for a non-SPC alarm. */
  spcContainment(alarmId: string, limits?: ContainmentLimits): Promise<SpcContainmentView | null>;
  /** One NCR draft per alarm: creates it (prefilled, audited) or answers the existing one (`created: false`). */
  createNcrDraft(alarmId: string, who: string): Promise<{ ncr: NcrView<NcrDetail>; created: boolean }>;
  listNcrs(query: { scope?: string; characteristic?: string; limit?: number; offset?: number }): Promise<{ ncrs: NcrView<NcrDetail>[]; total: number }>;
}

/** The draft's title and content from the alarm and its containment (pure). */
export function ncrDraftFrom(alarm: SpcAlarmCase, c: SpcContainmentView): { title: string; detail: NcrDetail } {
  const name = alarm.characteristic?.split('/').at(-1) ?? alarm.characteristic ?? '';
  return {
    title: `${name}: ${alarm.title}`.slice(0, 500),
    detail: {
      alarm: { alarmId: alarm.alarmId, title: alarm.title, severity: alarm.severity, raisedAt: alarm.raisedAt, status: alarm.status },
      equipment: alarm.equipment,
      characteristic: alarm.characteristic ?? '',
      rule: { number: alarm.rule, ruleSet: alarm.ruleSet, direction: alarm.direction },
      points: { indexes: alarm.pointIndexes, values: alarm.values },
      limits: alarm.limits,
      workOrder: alarm.workOrder,
      serials: alarm.serials,
      lots: alarm.lots,
      containment: {
        fromIndex: c.direct.fromIndex,
        throughIndex: c.direct.throughIndex,
        fromTime: c.direct.fromTime,
        throughTime: c.direct.throughTime,
        complete: c.direct.complete && !c.direct.pointsTruncated,
        serials: c.direct.serials,
        lots: c.direct.lots,
        workOrders: c.direct.workOrders,
        downstream: c.expanded.materials.map((m) => ({ kind: m.kind, id: m.id, depth: m.depth, via: m.via })),
        truncated: c.expanded.truncated,
      },
    },
  };
}

/** Suspects traced per query. */
const traceChunk = 250;

const clamp = (v: number | undefined, fallback: number, max: number) => Math.min(Math.max(1, Math.floor(v ?? fallback)), max);

export function createSpcQualityQueries(stores: { clickhouse: ClickHouseStore; postgres: Db }, clock: () => number = Date.now): SpcQualityQueries {
  const db = stores.postgres;

  async function containmentOf(alarm: SpcAlarmCase, options: ContainmentLimits): Promise<SpcContainmentView> {
    if (alarm.source !== 'SPC' || alarm.characteristic === null || alarm.pointIndexes.length === 0)
      throw new AlarmActionError(`alarm '${alarm.alarmId}' is a ${alarm.source} alarm without SPC points: containment is for SPC alarms`, 'conflict');
    const maxPoints = clamp(options.maxPoints, containmentDefaults.maxPoints, 100_000);
    const maxDepth = clamp(options.maxDepth, containmentDefaults.maxDepth, 100);
    const maxRows = clamp(options.maxRows, containmentDefaults.maxRows, 100_000);
    const fromIndex = Math.min(...alarm.pointIndexes);
    const signalIndex = Math.max(...alarm.pointIndexes);
    if (options.throughIndex !== undefined && options.throughIndex < signalIndex)
      throw new AlarmActionError(`throughIndex ${options.throughIndex} is before the signal point ${signalIndex}`, 'invalid');
    const read = await spcPointsFrom(stores.clickhouse, {
      characteristic: alarm.characteristic,
      fromIndex,
      ...(options.throughIndex !== undefined ? { throughIndex: options.throughIndex } : {}),
      limit: maxPoints,
    });
    // Cut by maxPoints: the list covers what was read, and says so.
    const throughIndex = read.truncated ? Math.max(signalIndex, read.points.at(-1)?.index ?? signalIndex) : options.throughIndex;
    const c = containment(
      { eventId: alarm.alarmId, characteristic: alarm.characteristic, pointIndexes: alarm.pointIndexes, serials: alarm.serials, lots: alarm.lots, workOrder: alarm.workOrder },
      read.points,
      throughIndex !== undefined ? { throughIndex } : {},
    );

    // Forward traces of every suspect, a chunk of starts per query (traceForwardMany: each start's own trace), within
    // one budget of maxRows links in all; starts left when the budget is spent are reported untraced.
    const traces: ForwardTrace[] = [];
    let rows = 0;
    let budgetSpent = false;
    const suspects = [...c.serials.map((id) => ({ kind: 'SERIAL' as const, id })), ...c.lots.map((id) => ({ kind: 'LOT' as const, id }))];
    for (let i = 0; i < suspects.length; i += traceChunk) {
      const left = maxRows - rows;
      if (left <= 0) {
        budgetSpent = true;
        break;
      }
      const chunk = await traceForwardMany(db, suspects.slice(i, i + traceChunk), { maxDepth, maxRows: left });
      for (const t of chunk.traces) rows += t.links.length;
      // Cut by the budget: a start without links may not have been reached, so it counts as untraced.
      traces.push(...(chunk.rowsCut ? chunk.traces.filter((t) => t.links.length > 0) : chunk.traces));
      if (chunk.rowsCut) {
        budgetSpent = true;
        break;
      }
    }
    const g = expandThroughGenealogy(c, traces);
    const { alarmId: _a, characteristic: _c, ...direct } = c;
    return {
      alarm: {
        alarmId: alarm.alarmId,
        equipment: alarm.equipment,
        characteristic: alarm.characteristic,
        rule: alarm.rule,
        ruleSet: alarm.ruleSet,
        title: alarm.title,
        status: alarm.status,
        raisedAt: alarm.raisedAt,
        pointIndexes: alarm.pointIndexes,
        workOrder: alarm.workOrder,
      },
      direct: { ...direct, pointsTruncated: read.truncated },
      expanded: { materials: g.materials.filter((m) => m.depth > 0), untraced: g.untraced, truncated: g.truncated || budgetSpent, rows },
      limits: { maxPoints, maxDepth, maxRows },
    };
  }

  return {
    async spcContainment(alarmId, limits = {}) {
      const alarm = await getSpcAlarmCase(db, alarmId);
      return alarm ? containmentOf(alarm, limits) : null;
    },
    async createNcrDraft(alarmId, who) {
      const existing = await getNcrByAlarm<NcrDetail>(db, alarmId);
      if (existing) return { ncr: existing, created: false };
      const alarm = await getSpcAlarmCase(db, alarmId);
      if (!alarm) throw new AlarmActionError(`alarm '${alarmId}' does not exist`, 'not-found');
      const draft = ncrDraftFrom(alarm, await containmentOf(alarm, {}));
      return insertNcrDraft(db, alarmId, who, draft, clock());
    },
    async listNcrs(query) {
      return listNcrs<NcrDetail>(db, query);
    },
  };
}

// The alert processor core: EquipmentState + Telemetry + Dispatch per equipment -> Alert.
// - Downtime: an unplanned stop that lasts `downtime.thresholdMs` raises a DOWNTIME alert (reason, work order);
//   it clears when the equipment runs again, with the duration.
// - Sensor rules with hysteresis: out of range continuously for raiseAfterMs -> RAISED; back inside the limits (by
//   the deadband) continuously for clearAfterMs -> CLEARED. A sample that breaks either run restarts it: no flapping.
// - MTBF / MTTR per equipment per shift and day (ISO 22400-2 terms): a Reliability record per window when it ends
//   (and a revision when a failure counted in it is repaired later); the figures so far also ride on DOWNTIME alerts.
// Every timer runs on event time: it fires when the watermark (or a later event of the equipment) passes it.
// Pure and deterministic; conventions and sources in README.md.
import type { CoreInput, CoreOutput, CoreResult, ProcessorCore } from '../contract.ts';
import type { Alert, Dispatch, EquipmentState, Reliability, ReliabilityFigures, Telemetry } from '../../schemas/generated/types.ts';
import { cachedDayAt, cachedShiftAt, calendarFor, shiftsOverlapping } from '../calendar/calendar.ts';
import { categorize, type StateCategory } from '../states/states.ts';
import type { AlertsConfig, SensorRule } from './config.ts';

interface OpenStop {
  start: number;
  reasonCode: string | null;
  reasonText: string | null;
  workOrder: string | null;
  raised: boolean;
  /** Counted as a failure (after reliability.minFailureMs), in these reliability windows. */
  failureWindows: string[] | null;
  /** Opened by a late state event: raised only once a later state event or a silent key shows it lasted. */
  caughtUp?: boolean;
}

type SensorPhase = 'normal' | 'pendingRaise' | 'raised' | 'pendingClear';

interface SensorState {
  phase: SensorPhase;
  /** Start of the current run (out of range for pendingRaise, back in range for pendingClear). */
  since: number;
  /** Start of the excursion of the raised alert. */
  startTime: number | null;
  /** Last sample value. */
  value: number | null;
  /** Event time of the last sample taken for the rule (absent in states written before it existed). */
  lastAt?: number;
  /** The current run began with a late sample: its hold time ends only once a later sample or a silent key shows it. */
  caughtUp?: boolean;
}

type ReliabilityKind = 'SHIFT' | 'DAY';

interface ReliabilityWindow {
  kind: ReliabilityKind;
  id: string;
  start: number;
  end: number;
  failures: number;
  repairs: number;
  operatingMs: number;
  repairMs: number;
  /** The last Reliability record emitted for the window (absent: the window has not ended yet). */
  sent?: { r: number; failures: number; repairs: number; repairMs: number };
}

export interface AlertsState {
  /** Current state category (null before the first state event). */
  category: StateCategory | null;
  /** The open unplanned stop. */
  stop: OpenStop | null;
  workOrder: string | null;
  workOrderSince: number | null;
  /** Sensor rule id -> state. */
  sensors: Record<string, SensorState>;
  /** Reliability windows by `<kind> <id>`. */
  windows: Record<string, ReliabilityWindow>;
  /** Event time up to which timers fired (set back by a late event the core catches up on). */
  clock: number | null;
  /** Event time up to which operating time was accounted (never set back; absent: the clock). */
  accountedUntil?: number | null;
  /** Event time of the last state event taken (absent: none yet, or a state written before it existed). */
  lastStateAt?: number | null;
}

const kindOrder: Record<ReliabilityKind, number> = { SHIFT: 0, DAY: 1 };

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

interface TagRules {
  /** The rules on the tag, in config order. */
  readonly rules: SensorRule[];
  /** Their equipment paths without trailing slashes (null: every equipment), by position. */
  readonly prefixes: Array<string | null>;
  readonly everyEquipment: boolean;
}

/** Sensor rules by tag (built once per config: the telemetry path runs per sample). */
const rulesByTag = new WeakMap<AlertsConfig, Map<string, TagRules>>();
const noRules: readonly SensorRule[] = [];

/** The sensor rules that watch `tag` on `equipment`, in config order. */
function rulesFor(config: AlertsConfig, equipment: string, tag: string): readonly SensorRule[] {
  let index = rulesByTag.get(config);
  if (index === undefined) {
    index = new Map();
    for (const rule of config.sensors) {
      const entry = index.get(rule.tag) ?? { rules: [], prefixes: [], everyEquipment: true };
      const prefix = rule.equipment === undefined ? null : rule.equipment.replace(/\/+$/, '');
      index.set(rule.tag, { rules: [...entry.rules, rule], prefixes: [...entry.prefixes, prefix], everyEquipment: entry.everyEquipment && prefix === null });
    }
    rulesByTag.set(config, index);
  }
  const entry = index.get(tag);
  if (entry === undefined) return noRules;
  if (entry.everyEquipment) return entry.rules;
  return entry.rules.filter((_, i) => {
    const prefix = entry.prefixes[i]!;
    return prefix === null || equipment === prefix || equipment.startsWith(`${prefix}/`);
  });
}

function ruleText(rule: SensorRule): string {
  const limits = [rule.above !== undefined ? `${rule.tag} > ${rule.above}` : null, rule.below !== undefined ? `${rule.tag} < ${rule.below}` : null].filter(Boolean);
  return `${limits.join(' or ')} for ${seconds(rule.raiseAfterMs)}`;
}

/** A pending event-time timer (see nextTimer). */
type Timer =
  | { due: number; kind: 'raiseDowntime' | 'countFailure' }
  | { due: number; kind: 'raiseSensor' | 'clearSensor'; rule: SensorRule }
  | { due: number; kind: 'endWindow'; window: ReliabilityWindow };

/**
 * Mutable working copy for one call; the input state is never changed. Sensor states are copied on write (a key
 * can carry many rules and a sample touches one or two), the small rest of the state up front.
 */
class Work {
  readonly s: AlertsState;
  readonly outputs: CoreOutput[] = [];
  /** Rule ids whose sensor state this call has copied (null: the sensors record itself is still the input's). */
  #ownSensors: Set<string> | null = null;

  constructor(
    prev: AlertsState,
    readonly key: string,
    readonly config: AlertsConfig,
  ) {
    const windows: Record<string, ReliabilityWindow> = {};
    for (const id in prev.windows) windows[id] = { ...prev.windows[id]! };
    // Field by field rather than a spread: one object shape for every state, which keeps this per-event copy cheap.
    this.s = {
      category: prev.category,
      stop: prev.stop ? { ...prev.stop } : null,
      workOrder: prev.workOrder,
      workOrderSince: prev.workOrderSince,
      sensors: prev.sensors,
      windows,
      clock: prev.clock,
      accountedUntil: prev.accountedUntil,
      lastStateAt: prev.lastStateAt,
    };
  }

  /** The sensor state of a rule, safe to change (copied from the input state on first use in this call). */
  private sensorForUpdate(id: string): SensorState | undefined {
    if (this.#ownSensors === null) {
      this.#ownSensors = new Set();
      this.s.sensors = { ...this.s.sensors };
    }
    const st = this.s.sensors[id];
    if (st === undefined || this.#ownSensors.has(id)) return st;
    const copy = { ...st };
    this.s.sensors[id] = copy;
    this.#ownSensors.add(id);
    return copy;
  }

  private setSensor(id: string, st: SensorState): void {
    this.sensorForUpdate(id);
    this.s.sensors[id] = st;
    this.#ownSensors!.add(id);
  }

  result(): CoreResult<AlertsState> {
    return { state: this.s, outputs: this.outputs };
  }

  // -- time ---------------------------------------------------------------------------------------------------

  /** Moves the clock to `t`: fires due timers in time order, accounts operating time, drops finished windows. */
  advanceTo(t: number): void {
    if (this.s.clock === null) {
      this.s.clock = t;
      this.openWindows();
      return;
    }
    if (t <= this.s.clock) return;
    for (;;) {
      const next = this.nextTimer();
      if (next === null || next.due > t) break;
      this.account(this.s.clock, Math.max(this.s.clock, next.due));
      this.s.clock = Math.max(this.s.clock, next.due);
      this.fire(next);
      this.openWindows();
    }
    this.account(this.s.clock, t);
    this.s.clock = t;
    this.openWindows();
    this.prune();
  }

  /**
   * Moves the clock to the time of an event taken while catching up (a late event, see README "Late and bad
   * data"): forward as `advanceTo`, or back to `t`, so that timers from then on fire at their own event times
   * (a late stop raises at start + threshold, a late short stop raises nothing).
   */
  seekTo(t: number): void {
    if (this.s.clock !== null && t < this.s.clock) {
      this.s.accountedUntil = Math.max(this.s.accountedUntil ?? -Infinity, this.s.clock);
      this.s.clock = t;
    } else this.advanceTo(t);
  }

  /** Fires timers due at or before the clock (zero-length holds right after an event). */
  fireDue(): void {
    const clock = this.s.clock;
    if (clock === null) return;
    for (let next = this.nextTimer(); next !== null && next.due <= clock; next = this.nextTimer()) this.fire(next);
  }

  /**
   * The earliest pending timer. Ties: downtime raise, failure count, sensor rules in config order, then the end of
   * a reliability window (by kind, then start): whatever else is due at the same instant goes first.
   */
  private nextTimer(): Timer | null {
    let best: Timer | null = null;
    const stop = this.s.stop;
    const { downtime, reliability } = this.config;
    if (stop && !stop.raised && !stop.caughtUp && downtime.enabled) best = { due: stop.start + downtime.thresholdMs, kind: 'raiseDowntime' };
    if (stop && stop.failureWindows === null && (best === null || stop.start + reliability.minFailureMs < best.due))
      best = { due: stop.start + reliability.minFailureMs, kind: 'countFailure' };
    const sensors = this.s.sensors;
    for (const rule of this.config.sensors) {
      const st = sensors[rule.id];
      if (st === undefined || st.caughtUp) continue;
      if (st.phase === 'pendingRaise' && (best === null || st.since + rule.raiseAfterMs < best.due)) best = { due: st.since + rule.raiseAfterMs, kind: 'raiseSensor', rule };
      else if (st.phase === 'pendingClear' && (best === null || st.since + rule.clearAfterMs < best.due)) best = { due: st.since + rule.clearAfterMs, kind: 'clearSensor', rule };
    }
    let window: ReliabilityWindow | null = null;
    for (const id in this.s.windows) {
      const w = this.s.windows[id]!;
      if (w.sent !== undefined) continue;
      if (window === null || w.end < window.end || (w.end === window.end && (kindOrder[w.kind] - kindOrder[window.kind] || w.start - window.start) < 0)) window = w;
    }
    if (window !== null && (best === null || window.end < best.due)) best = { due: window.end, kind: 'endWindow', window };
    return best;
  }

  private fire(timer: Timer): void {
    switch (timer.kind) {
      case 'raiseDowntime':
        return this.raiseDowntime(timer.due);
      case 'countFailure':
        return this.countFailure();
      case 'raiseSensor':
        return this.raiseSensor(timer.rule, timer.due);
      case 'clearSensor':
        return this.clearSensor(timer.rule, timer.due);
      case 'endWindow':
        return this.endWindow(timer.window);
    }
  }

  // -- reliability windows ------------------------------------------------------------------------------------

  private windowAt(kind: ReliabilityKind, t: number): ReliabilityWindow | null {
    const calendar = calendarFor(this.config.calendars, this.key);
    const ref = kind === 'SHIFT' ? cachedShiftAt(calendar, t) : cachedDayAt(calendar.timeZone, t);
    if (!ref) return null;
    const id = `${kind} ${ref.id}`;
    let w = this.s.windows[id];
    if (!w) {
      // A window that ended before a catch-up set the clock back has had its final record: it is not reopened.
      if (ref.end <= (this.s.accountedUntil ?? -Infinity)) return null;
      w = { kind, id: ref.id, start: ref.start, end: ref.end, failures: 0, repairs: 0, operatingMs: 0, repairMs: 0 };
      this.s.windows[id] = w;
    }
    return w;
  }

  /** Adds running time in [from, to) to every reliability window it overlaps. */
  private account(fromTime: number, to: number): void {
    // After a catch-up set the clock back, time already accounted is not counted twice.
    const from = Math.max(fromTime, this.s.accountedUntil ?? -Infinity);
    if (to > (this.s.accountedUntil ?? -Infinity)) this.s.accountedUntil = to;
    if (this.s.category !== 'running' || to <= from) return;
    const calendar = calendarFor(this.config.calendars, this.key);
    for (const kind of this.config.reliability.windows) {
      let cursor = from;
      while (cursor < to) {
        const w = this.windowAt(kind, cursor);
        if (!w) {
          // Between shifts: skip to the next one (if any starts before `to`).
          cursor = shiftsOverlapping(calendar, cursor, to).find((s) => s.start > cursor)?.start ?? to;
          continue;
        }
        const end = Math.min(w.end, to);
        w.operatingMs += end - cursor;
        cursor = end;
      }
    }
  }

  /** Windows (ordered by kind, then start) of the state. */
  private sortedWindows(): ReliabilityWindow[] {
    return Object.values(this.s.windows).sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind] || a.start - b.start);
  }

  /**
   * Makes sure the window of each kind containing the clock exists (and, between shifts, the next shift within a
   * day), so that every window the equipment's time passes through ends with a record, even one without activity.
   */
  private openWindows(): void {
    const clock = this.s.clock;
    if (clock === null) return;
    for (const kind of this.config.reliability.windows) {
      if (this.windowAt(kind, clock) !== null || kind !== 'SHIFT') continue;
      const calendar = calendarFor(this.config.calendars, this.key);
      const next = shiftsOverlapping(calendar, clock, clock + 86_400_000).find((sh) => sh.start > clock);
      if (next) this.windowAt('SHIFT', next.start);
    }
  }

  private holdsStop(w: ReliabilityWindow): boolean {
    const stop = this.s.stop;
    return stop !== null && w.start <= stop.start && stop.start < w.end;
  }

  /** The window has ended: its record goes out; it is kept while a failure that started in it is being repaired. */
  private endWindow(w: ReliabilityWindow): void {
    this.emitReliability(w, w.end);
    if (!this.holdsStop(w)) delete this.s.windows[`${w.kind} ${w.id}`];
  }

  /** Emits the next revision of an ended window whose figures changed since its last record. */
  private reviseEnded(at: number): void {
    for (const w of this.sortedWindows()) {
      if (w.sent === undefined) continue;
      if (w.sent.failures !== w.failures || w.sent.repairs !== w.repairs || w.sent.repairMs !== w.repairMs) this.emitReliability(w, at);
      if (!this.holdsStop(w)) delete this.s.windows[`${w.kind} ${w.id}`];
    }
  }

  private emitReliability(w: ReliabilityWindow, eventTime: number): void {
    const revision = w.sent === undefined ? 0 : w.sent.r + 1;
    const record: Reliability = {
      eventId: `reliability:${this.key}:${w.kind}:${w.id}:r${revision}`,
      eventTime,
      equipment: this.key,
      windowKind: w.kind,
      windowId: w.id,
      windowStart: w.start,
      windowEnd: w.end,
      revision,
      failures: w.failures,
      repairs: w.repairs,
      openRepairs: w.failures - w.repairs,
      operatingTimeMs: w.operatingMs,
      repairTimeMs: w.repairMs,
      mtbfMs: w.failures > 0 ? w.operatingMs / w.failures : null,
      mttrMs: w.repairs > 0 ? w.repairMs / w.repairs : null,
    };
    w.sent = { r: revision, failures: w.failures, repairs: w.repairs, repairMs: w.repairMs };
    this.outputs.push({ topic: 'reliability', key: this.key, value: record });
  }

  private prune(): void {
    const clock = this.s.clock ?? -Infinity;
    for (const [id, w] of Object.entries(this.s.windows)) if (w.end <= clock && w.sent !== undefined && !this.holdsStop(w)) delete this.s.windows[id];
  }

  private countFailure(revise = true): void {
    const stop = this.s.stop;
    if (!stop || stop.failureWindows !== null) return;
    stop.failureWindows = [];
    for (const kind of this.config.reliability.windows) {
      const w = this.windowAt(kind, stop.start);
      if (!w) continue;
      w.failures += 1;
      stop.failureWindows.push(`${w.kind} ${w.id}`);
    }
    // Counted after its window ended (minFailureMs past the window end): a new revision of that window's record.
    if (revise && this.s.clock !== null) this.reviseEnded(this.s.clock);
  }

  private figures(t: number, also: readonly string[] = []): ReliabilityFigures[] {
    const ids = new Set(also);
    for (const kind of this.config.reliability.windows) {
      const w = this.windowAt(kind, t);
      if (w) ids.add(`${w.kind} ${w.id}`);
    }
    return [...ids]
      .map((id) => this.s.windows[id])
      .filter((w): w is ReliabilityWindow => w !== undefined)
      .sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind] || a.start - b.start)
      .map((w) => ({
        windowKind: w.kind,
        windowId: w.id,
        windowStart: w.start,
        windowEnd: w.end,
        failures: w.failures,
        repairs: w.repairs,
        operatingTimeMs: w.operatingMs,
        repairTimeMs: w.repairMs,
        mtbfMs: w.failures > 0 ? w.operatingMs / w.failures : null,
        mttrMs: w.repairs > 0 ? w.repairMs / w.repairs : null,
      }));
  }

  // -- downtime -----------------------------------------------------------------------------------------------

  private downtimeAlert(action: Alert['action'], stop: OpenStop, eventTime: number, endTime: number | null, reliability: ReliabilityFigures[]): void {
    const alertId = `${this.key}|DOWNTIME|${stop.start}`;
    const reason = stop.reasonCode ?? stop.reasonText;
    const alert: Alert = {
      eventId: `${alertId}|${action}`,
      eventTime,
      equipment: this.key,
      alertId,
      kind: 'DOWNTIME',
      action,
      severity: this.config.downtime.severity,
      startTime: stop.start,
      endTime,
      durationMs: endTime === null ? null : endTime - stop.start,
      reasonCode: stop.reasonCode,
      reasonText: stop.reasonText,
      tag: null,
      value: null,
      threshold: `unplanned stop > ${seconds(this.config.downtime.thresholdMs)}`,
      workOrder: stop.workOrder,
      message:
        action === 'RAISED'
          ? `Unplanned stop for more than ${seconds(this.config.downtime.thresholdMs)}${reason ? ` (${reason})` : ''}`
          : `Running again after an unplanned stop of ${seconds((endTime ?? eventTime) - stop.start)}${reason ? ` (${reason})` : ''}`,
      reliability,
    };
    this.outputs.push({ topic: 'alerts', key: this.key, value: alert });
  }

  private raiseDowntime(at: number): void {
    const stop = this.s.stop;
    if (!stop || stop.raised) return;
    stop.raised = true;
    this.downtimeAlert('RAISED', stop, at, null, this.figures(at, stop.failureWindows ?? []));
  }

  private endStop(at: number): void {
    const stop = this.s.stop;
    if (!stop) return;
    const ttr = at - stop.start;
    if (stop.failureWindows === null && ttr >= this.config.reliability.minFailureMs) this.countFailure(false);
    for (const id of stop.failureWindows ?? []) {
      const w = this.s.windows[id];
      if (!w) continue;
      w.repairs += 1;
      w.repairMs += ttr;
    }
    if (stop.raised) this.downtimeAlert('CLEARED', stop, at, at, this.figures(at, stop.failureWindows ?? []));
    this.s.stop = null;
    // Windows that ended during the repair: their final figures.
    this.reviseEnded(at);
  }

  /**
   * The run of a stop or sensor rule that began while catching up has lasted until `t` (a later event of the same
   * input, or a silent key): the alert its hold time would have raised by then goes out, at its own event time.
   */
  confirmCaughtUp(t: number, sensorsOnly = false): void {
    const stop = this.s.stop;
    if (!sensorsOnly && stop?.caughtUp) {
      if (!stop.raised && this.config.downtime.enabled && t >= stop.start + this.config.downtime.thresholdMs) this.raiseDowntime(stop.start + this.config.downtime.thresholdMs);
      delete stop.caughtUp;
    }
    for (const rule of this.config.sensors) this.confirmSensor(rule, t);
  }

  private confirmSensor(rule: SensorRule, t: number): void {
    if (!this.s.sensors[rule.id]?.caughtUp) return;
    const st = this.sensorForUpdate(rule.id)!;
    if (st.phase === 'pendingRaise' && t >= st.since + rule.raiseAfterMs) this.raiseSensor(rule, st.since + rule.raiseAfterMs);
    else if (st.phase === 'pendingClear' && t >= st.since + rule.clearAfterMs) this.clearSensor(rule, st.since + rule.clearAfterMs);
    delete this.sensorForUpdate(rule.id)!.caughtUp;
  }

  onState(e: EquipmentState, t: number, late = false): void {
    if (this.s.stop?.caughtUp) this.confirmCaughtUp(t);
    const category = categorize(this.config.states, this.key, e.state, e.reasonCode);
    const stop = this.s.stop;
    if (stop) {
      if (category === 'running') this.endStop(t);
      else if (category === 'unplannedStop') {
        if (e.reasonCode !== null || e.reasonText !== null) {
          stop.reasonCode = e.reasonCode;
          stop.reasonText = e.reasonText;
        }
      } else if (!stop.raised) this.endStop(t); // left the unplanned stop before it became an alert
    } else if (category === 'unplannedStop') {
      this.s.stop = { start: t, reasonCode: e.reasonCode, reasonText: e.reasonText, workOrder: this.s.workOrder, raised: false, failureWindows: null, ...(late ? { caughtUp: true } : {}) };
    }
    this.s.category = category;
    this.fireDue();
  }

  // -- sensors ------------------------------------------------------------------------------------------------

  private sensorAlert(action: Alert['action'], rule: SensorRule, st: SensorState, eventTime: number, endTime: number | null): void {
    const startTime = st.startTime ?? st.since;
    const alertId = `${this.key}|SENSOR|${rule.id}|${startTime}`;
    const alert: Alert = {
      eventId: `${alertId}|${action}`,
      eventTime,
      equipment: this.key,
      alertId,
      kind: 'SENSOR',
      action,
      severity: rule.severity,
      startTime,
      endTime,
      durationMs: endTime === null ? null : endTime - startTime,
      reasonCode: null,
      reasonText: null,
      tag: rule.tag,
      value: st.value,
      threshold: ruleText(rule),
      workOrder: this.s.workOrder,
      message:
        action === 'RAISED'
          ? `${rule.tag} out of range (${ruleText(rule)})`
          : `${rule.tag} back in range for ${seconds(rule.clearAfterMs)} after ${seconds((endTime ?? eventTime) - startTime)} out of range`,
      reliability: [],
    };
    this.outputs.push({ topic: 'alerts', key: this.key, value: alert });
  }

  private raiseSensor(rule: SensorRule, at: number): void {
    if (this.s.sensors[rule.id]?.phase !== 'pendingRaise') return;
    const st = this.sensorForUpdate(rule.id)!;
    st.phase = 'raised';
    st.startTime = st.since;
    this.sensorAlert('RAISED', rule, st, at, null);
  }

  private clearSensor(rule: SensorRule, at: number): void {
    const st = this.s.sensors[rule.id];
    if (st?.phase !== 'pendingClear') return;
    this.sensorAlert('CLEARED', rule, st, at, st.since);
    this.setSensor(rule.id, { phase: 'normal', since: at, startTime: null, value: st.value });
  }

  onTelemetry(e: Telemetry, t: number, late = false): void {
    if (e.value === null || !Number.isFinite(e.value)) return;
    const v = e.value;
    for (const rule of rulesFor(this.config, this.key, e.tag)) {
      const out = (rule.above !== undefined && v > rule.above) || (rule.below !== undefined && v < rule.below);
      const inside = !((rule.above !== undefined && v > rule.above - rule.deadband) || (rule.below !== undefined && v < rule.below + rule.deadband));
      // Late samples are taken in order only: one older than the rule's last sample cannot rewrite its run.
      const last = this.s.sensors[rule.id]?.lastAt;
      if (last !== undefined && t < last) continue;
      this.confirmSensor(rule, t);
      const st = this.sensorForUpdate(rule.id) ?? { phase: 'normal' as SensorPhase, since: t, startTime: null, value: null };
      const phase = st.phase;
      st.lastAt = t;
      st.value = v;
      switch (st.phase) {
        case 'normal':
          if (out) Object.assign(st, { phase: 'pendingRaise', since: t });
          break;
        case 'pendingRaise':
          if (!out) Object.assign(st, { phase: 'normal', since: t });
          break;
        case 'raised':
          if (inside) Object.assign(st, { phase: 'pendingClear', since: t });
          break;
        case 'pendingClear':
          if (!inside) st.phase = 'raised';
          break;
      }
      // A hold time that begins with a late sample waits for confirmation (see confirmCaughtUp).
      if (late && st.phase !== phase && (st.phase === 'pendingRaise' || st.phase === 'pendingClear')) st.caughtUp = true;
      this.setSensor(rule.id, st);
    }
    this.fireDue();
  }

  onDispatch(d: Dispatch, t: number): void {
    if (this.s.workOrderSince !== null && t < this.s.workOrderSince) return;
    this.s.workOrder = d.workOrder ?? null;
    this.s.workOrderSince = t;
  }
}

export const alertsCore: ProcessorCore<AlertsState, AlertsConfig> = {
  name: 'alerts',
  inputs: ['state', 'telemetry', 'dispatch'],
  outputs: ['alerts', 'reliability'],
  reorderMs: (config) => config.reorderMs,
  initialState: () => ({ category: null, stop: null, workOrder: null, workOrderSince: null, sensors: {}, windows: {}, clock: null }),

  process(state, input: CoreInput, config) {
    const work = new Work(state, input.key, config);
    switch (input.topic) {
      case 'dispatch':
        work.onDispatch(input.value as Dispatch, input.eventTime);
        return work.result();
      case 'state': {
        const e = input.value as EquipmentState;
        // BAD states are not trusted. A late state is caught up on when it is in order with the states taken so
        // far (a backlog); one older than the last state taken cannot rewrite the alert history (see README).
        if (e.quality === 'BAD') return { state, outputs: [] };
        if (input.late && state.lastStateAt != null && input.eventTime < state.lastStateAt) return { state, outputs: [] };
        if (input.late) work.seekTo(input.eventTime);
        else work.advanceTo(input.eventTime);
        work.s.lastStateAt = input.eventTime;
        work.onState(e, input.eventTime, input.late);
        return work.result();
      }
      case 'telemetry': {
        const e = input.value as Telemetry;
        const rules = rulesFor(config, input.key, e.tag);
        if (e.quality === 'BAD' || rules.length === 0) return { state, outputs: [] };
        if (input.late) {
          // Caught up on only if some rule takes it (in order with that rule's samples).
          const takes = rules.some((r) => input.eventTime >= (state.sensors[r.id]?.lastAt ?? -Infinity));
          if (!takes) return { state, outputs: [] };
          work.seekTo(input.eventTime);
        } else work.advanceTo(input.eventTime);
        work.onTelemetry(e, input.eventTime, input.late);
        return work.result();
      }
      default:
        return { state, outputs: [] };
    }
  },

  onWatermark(state, key, watermark, config, synthetic) {
    if (state.clock !== null && watermark <= state.clock) return { state, outputs: [] };
    const work = new Work(state, key, config);
    // A silent key confirms the runs caught up on: nothing came to end them up to the watermark.
    if (synthetic) work.confirmCaughtUp(watermark);
    work.advanceTo(watermark);
    return work.result();
  },
};

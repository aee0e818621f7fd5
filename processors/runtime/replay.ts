// `linepulse replay` without the terminal: NDJSON lines in (schemas/replay-format.ts), derived events out as NDJSON
// lines, through the registered cores with event-time semantics (processors/runtime/offline.ts).
//
// Output order is the replay format's canonical order (topic, key, event time, event id, line), and every line is
// formatted canonically, so the same input and config give byte-identical output whatever the batching, partitioning
// or machine. Input records of topics no core consumes are ignored (counted).
import { compareReplayRecords, formatReplayLine, parseReplayLine, type ReplayRecord } from '../../schemas/replay-format.ts';
import { MalformedInputError } from '../../platform/errors.ts';
import type { DriverOptions } from './driver.ts';
import { OfflineRun, topicNameOf, type BoundCore, type OfflineStats } from './offline.ts';
import { topics } from '../../schemas/topics.ts';

export interface ReplayOptions {
  /** Advance every key's watermark to this time at the end of the input (closes windows and timers before it). */
  until?: number;
  /** Skip lines that do not parse or validate (reported through onInvalid) instead of failing on the first one. */
  skipInvalid?: boolean;
  onInvalid?: (error: MalformedInputError) => void;
  driver?: DriverOptions;
}

export interface ReplayStats extends OfflineStats {
  invalidLines: number;
  outputs: number;
}

export class ReplaySession {
  private readonly run: OfflineRun;
  private readonly produced: ReplayRecord[] = [];
  private invalidLines = 0;

  constructor(
    cores: readonly BoundCore[],
    private readonly options: ReplayOptions = {},
  ) {
    this.run = new OfflineRun(cores, options.driver);
  }

  /** One input line (1-based line number for errors); blank lines are skipped. */
  push(line: string, lineNo: number): void {
    if (line.trim() === '') return;
    let record: ReplayRecord;
    try {
      record = parseReplayLine(line, lineNo);
    } catch (error) {
      const malformed = new MalformedInputError((error as Error).message.replace(/^line \d+: /, ''), `line ${lineNo}`);
      if (!this.options.skipInvalid) throw malformed;
      this.invalidLines += 1;
      this.options.onInvalid?.(malformed);
      return;
    }
    const topic = topicNameOf(record.topic);
    if (topic === null) throw new MalformedInputError(`unknown topic ${record.topic}`, `line ${lineNo}`);
    this.collect(this.run.push({ topic, key: record.key, value: record.value }));
  }

  /** Ends the input; returns the output lines (no trailing newlines) in canonical order. */
  end(): { lines: string[]; stats: ReplayStats } {
    this.collect(this.run.end(this.options.until));
    const sorted = [...this.produced].sort(compareReplayRecords);
    return { lines: sorted.map((r) => formatReplayLine(r)), stats: { ...this.run.stats, invalidLines: this.invalidLines, outputs: sorted.length } };
  }

  private collect(outputs: ReadonlyArray<{ topic: keyof typeof topics; key: string; value: unknown }>): void {
    for (const o of outputs) this.produced.push({ topic: topics[o.topic].topic, key: o.key, value: o.value });
  }
}

/** Replays a whole NDJSON text. */
export function replayText(text: string, cores: readonly BoundCore[], options: ReplayOptions = {}): { lines: string[]; stats: ReplayStats } {
  const session = new ReplaySession(cores, options);
  text.split('\n').forEach((line, i) => session.push(line, i + 1));
  return session.end();
}

// Measurement helpers of the benchmark harness: a fixed-resolution latency histogram (1 ms buckets up to 120 s,
// cheap enough to record every event), and CPU / RSS of a process from /proc (Linux).
import { readFileSync } from 'node:fs';

const maxMs = 120_000;

/** Latencies in whole milliseconds; negative values (clock skew between processes) count as 0. */
export class LatencyHistogram {
  private counts = new Uint32Array(maxMs + 1);
  count = 0;
  max = 0;

  record(ms: number, times = 1): void {
    const b = Math.min(maxMs, Math.max(0, Math.round(ms)));
    this.counts[b] = (this.counts[b] ?? 0) + times;
    this.count += times;
    if (b > this.max) this.max = b;
  }

  /** The smallest latency at or above which a fraction `q` of the samples lie below. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let ms = 0; ms <= this.max; ms += 1) {
      seen += this.counts[ms]!;
      if (seen >= rank) return ms;
    }
    return this.max;
  }

  summary(): LatencySummary {
    return { samples: this.count, p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99), max: this.count === 0 ? null : this.max };
  }

  /** Sparse form for IPC: [ms, count] pairs. */
  toSparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let ms = 0; ms <= this.max; ms += 1) if (this.counts[ms]! > 0) out.push([ms, this.counts[ms]!]);
    return out;
  }

  static fromSparse(pairs: ReadonlyArray<[number, number]>): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [ms, n] of pairs) h.record(ms, n);
    return h;
  }

  reset(): void {
    this.counts.fill(0, 0, this.max + 1);
    this.count = 0;
    this.max = 0;
  }
}

export interface LatencySummary {
  samples: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

const ticksPerSecond = 100; // USER_HZ on Linux
const pageSize = 4096;

export interface ProcSample {
  /** CPU seconds (user + system) so far. */
  cpuSeconds: number;
  rssMb: number;
}

/** CPU time and resident memory of `pid` (and, with `children`, of its descendants), or null when it is gone. */
export function procSample(pid: number, children = false): ProcSample | null {
  const pids = children ? [pid, ...descendants(pid)] : [pid];
  let cpu = 0;
  let rss = 0;
  let found = false;
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
      rss += (Number(fields[21]) * pageSize) / 1_048_576;
      found = true;
    } catch {
      // exited
    }
  }
  return found ? { cpuSeconds: cpu, rssMb: rss } : null;
}

function descendants(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids.flatMap((k) => [k, ...descendants(k)]);
  } catch {
    return [];
  }
}

export interface ProcessSeries {
  name: string;
  pid: number;
  /** [seconds since start, CPU % of one core over the last interval, RSS MB]. */
  points: Array<[number, number, number]>;
}

export interface ProcessFigures {
  name: string;
  pid: number;
  cpuAvgPct: number;
  cpuMaxPct: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  /** Least-squares slope of RSS over the measured window, MB per minute (flat ≈ 0). */
  rssSlopeMbPerMin: number;
  /** The same over the second half of the window only (after heaps and buffers have grown to their working size). */
  rssSlopeSecondHalfMbPerMin: number;
  /** Mean RSS of each full minute of the window, MB (empty for windows under a minute): the soak's series. */
  rssByMinuteMb: number[];
}

/** Samples CPU and RSS of named processes once per `intervalMs` until stopped. */
export class ProcessSampler {
  readonly series: ProcessSeries[] = [];
  private last = new Map<number, ProcSample>();
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly targets: ReadonlyArray<{ name: string; pid: number; children?: boolean }>,
    private readonly intervalMs = 1_000,
  ) {
    for (const t of targets) {
      this.series.push({ name: t.name, pid: t.pid, points: [] });
      const s = procSample(t.pid, t.children);
      if (s) this.last.set(t.pid, s);
    }
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  sample(): void {
    const at = (performance.now() - this.started) / 1000;
    for (const [i, t] of this.targets.entries()) {
      const s = procSample(t.pid, t.children);
      const prev = this.last.get(t.pid);
      if (!s) continue;
      const cpuPct = prev ? ((s.cpuSeconds - prev.cpuSeconds) / (this.intervalMs / 1000)) * 100 : 0;
      this.series[i]!.points.push([Math.round(at * 10) / 10, Math.round(cpuPct), Math.round(s.rssMb * 10) / 10]);
      this.last.set(t.pid, s);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Figures over the samples taken at or after `fromSeconds` (skip warm-up). */
  figures(fromSeconds = 0): ProcessFigures[] {
    return this.series.map((s) => {
      const pts = s.points.filter((p) => p[0] >= fromSeconds);
      const use = pts.length > 0 ? pts : s.points;
      const cpu = use.map((p) => p[1]);
      const rss = use.map((p) => p[2]);
      return {
        name: s.name,
        pid: s.pid,
        cpuAvgPct: cpu.length ? Math.round(cpu.reduce((a, b) => a + b, 0) / cpu.length) : 0,
        cpuMaxPct: cpu.length ? Math.max(...cpu) : 0,
        rssStartMb: rss[0] ?? 0,
        rssEndMb: rss[rss.length - 1] ?? 0,
        rssMaxMb: rss.length ? Math.max(...rss) : 0,
        rssSlopeMbPerMin: Math.round(slope(use.map((p) => [p[0], p[2]] as [number, number])) * 60 * 100) / 100,
        rssSlopeSecondHalfMbPerMin: Math.round(slope(secondHalf(use).map((p) => [p[0], p[2]] as [number, number])) * 60 * 100) / 100,
        rssByMinuteMb: byMinute(use),
      };
    });
  }
}

function secondHalf(points: ReadonlyArray<[number, number, number]>): ReadonlyArray<[number, number, number]> {
  if (points.length < 4) return points;
  const mid = (points[0]![0] + points[points.length - 1]![0]) / 2;
  return points.filter((p) => p[0] >= mid);
}

function byMinute(points: ReadonlyArray<[number, number, number]>): number[] {
  if (points.length === 0) return [];
  const start = points[0]![0];
  const sums: Array<{ sum: number; n: number }> = [];
  for (const [t, , rss] of points) {
    const m = Math.floor((t - start) / 60);
    (sums[m] ??= { sum: 0, n: 0 }).sum += rss;
    sums[m]!.n += 1;
  }
  const full = Math.floor((points[points.length - 1]![0] - start) / 60);
  return sums.slice(0, full).map((x) => Math.round((x.sum / Math.max(1, x.n)) * 10) / 10);
}

function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

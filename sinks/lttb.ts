// Largest-Triangle-Three-Buckets downsampling (S. Steinarsson, "Downsampling Time Series for Visual
// Representation", MSc thesis, University of Iceland, 2013, chapter 4.2): keeps the first and last point and, from
// each of `threshold - 2` equal buckets in between, the point forming the largest triangle with the point kept
// from the previous bucket and the average of the next bucket. Pure; O(n).
//
// `keep` marks points that must survive whatever their shape (SPC points with a rule hit): they are kept in
// addition to the LTTB choice, so the result may hold a few more than `threshold` points.

export interface XY {
  x: number;
  y: number;
}

/** Indexes (ascending) of the points to keep. Points must be sorted by x. */
export function lttbIndexes(points: readonly XY[], threshold: number, keep?: (index: number) => boolean): number[] {
  const n = points.length;
  if (threshold >= n || n <= 2) return points.map((_, i) => i);
  if (threshold < 3) threshold = 3;
  const chosen: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const start = Math.floor(bucket * every) + 1;
    const end = Math.min(Math.floor((bucket + 1) * every) + 1, n - 1);
    // Average of the next bucket (the last point for the last bucket).
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((bucket + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    const count = Math.max(nextEnd - nextStart, 1);
    for (let i = nextStart; i < nextStart + count && i < n; i++) {
      avgX += points[i]!.x;
      avgY += points[i]!.y;
    }
    avgX /= count;
    avgY /= count;
    const pa = points[a]!;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const p = points[i]!;
      const area = Math.abs((pa.x - avgX) * (p.y - pa.y) - (pa.x - p.x) * (avgY - pa.y));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    chosen.push(best);
    a = best;
  }
  chosen.push(n - 1);
  if (!keep) return chosen;
  const all = new Set(chosen);
  for (let i = 0; i < n; i++) if (keep(i)) all.add(i);
  return [...all].sort((x, y) => x - y);
}

/** The kept points themselves. */
export function lttb<T>(items: readonly T[], threshold: number, xy: (item: T) => XY, keep?: (item: T) => boolean): T[] {
  const points = items.map(xy);
  return lttbIndexes(points, threshold, keep ? (i) => keep(items[i]!) : undefined).map((i) => items[i]!);
}

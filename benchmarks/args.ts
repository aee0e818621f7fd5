// Command-line arguments and the median of rounds, shared by the single-file benchmarks in this folder (they take
// `--name value` pairs and ignore anything they do not know).

/** `--name <number>` when it is a number > 0, else `fallback`. */
export function positiveArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** `--name <text>` when given, else `fallback`. */
export function stringArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** The median (upper middle for an even count) of the figures of several rounds. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

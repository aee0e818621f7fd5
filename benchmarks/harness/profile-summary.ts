// Summarises V8 CPU profiles (`linepulse bench --profile` writes them, one per pipeline process): the functions
// with the most self time, and the project files with the most time spent in or under them.
//
//   npx tsx benchmarks/harness/profile-summary.ts <dir or .cpuprofile> [--top 25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

const root = new URL('../../', import.meta.url).pathname;

function where(url: string, line: number): string {
  const path = url.replace(/^file:\/\//, '');
  const rel = path.startsWith(root) ? relative(root, path) : path;
  return rel ? `${rel.replace(/^node_modules\//, 'nm/')}:${line + 1}` : '(native)';
}

export function summarise(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const totalHits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const ms = (profile.endTime - profile.startTime) / 1000;
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) {
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url, n.callFrame.lineNumber)}`;
    self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  // Inclusive time per project file (not node_modules): a node counts once for each distinct project file on its stack.
  const inclusive = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const files = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)!.callFrame.url.replace(/^file:\/\//, '');
      if (url.startsWith(root) && !url.includes('/node_modules/')) files.add(relative(root, url));
    }
    for (const f of files) inclusive.set(f, (inclusive.get(f) ?? 0) + n.hitCount);
  }
  const pct = (h: number) => `${((h / totalHits) * 100).toFixed(1)}%`.padStart(6);
  const lines = [`${basename(file)}: ${ms.toFixed(0)} ms profiled, ${totalHits} samples`, '  self time:'];
  for (const [k, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(h)}  ${k}`);
  lines.push('  inclusive time per project file:');
  for (const [k, h] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(h)}  ${k}`);
  return lines.join('\n');
}

const target = process.argv[2];
if (target) {
  const i = process.argv.indexOf('--top');
  const top = i > 0 ? Number(process.argv[i + 1]) : 25;
  const files = statSync(target).isDirectory() ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f)) : [target];
  for (const f of files) console.log(`${summarise(f, top)}\n`);
}

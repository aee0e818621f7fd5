#!/usr/bin/env node
// CI phase `audit`: the runtime dependencies (npm audit --omit=dev) must have no advisory of severity high or critical,
// unless the advisory is in the reviewed allowlist `.ci/audit-allowlist.json` (advisory URL -> { reason, reviewed }:
// why it does not apply; see SECURITY.md). Exit 1 on any other high/critical advisory.
// When the advisory service cannot be asked (an offline mirror answering GET only, no network), it says so loudly
// and exits 0, unless LINEPULSE_AUDIT_REQUIRED=1 makes that a failure too (set it where the registry is reachable).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const allowFile = join(root, '.ci', 'audit-allowlist.json');
const allow = existsSync(allowFile) ? JSON.parse(readFileSync(allowFile, 'utf8')) : {};
const failing = new Set(['high', 'critical']);

// LINEPULSE_AUDIT_REPORT=<file>: read a saved `npm audit --json` report instead (to check this script).
const saved = process.env.LINEPULSE_AUDIT_REPORT;
const run = saved
  ? { stdout: readFileSync(saved, 'utf8'), stderr: '', status: 0 }
  : spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = null;
}

if (!report || report.error || report.statusCode || !report.vulnerabilities) {
  const why = report?.error?.summary || report?.message || run.stderr.split('\n').find((l) => /error/i.test(l)) || `npm audit exited ${run.status}`;
  console.error(`audit: the advisory service could not be asked (${String(why).trim()})`);
  if (process.env.LINEPULSE_AUDIT_REQUIRED === '1') process.exit(1);
  console.error('audit: NOT CHECKED on this machine; set LINEPULSE_AUDIT_REQUIRED=1 where the npm registry is reachable');
  process.exit(0);
}

const findings = [];
for (const [name, vuln] of Object.entries(report.vulnerabilities)) {
  for (const via of vuln.via) {
    if (typeof via !== 'object' || !failing.has(via.severity)) continue;
    findings.push({ name, severity: via.severity, title: via.title, url: via.url, range: via.range, fix: vuln.fixAvailable });
  }
}
const blocking = findings.filter((f) => !allow[f.url]);
for (const f of findings) {
  const note = allow[f.url] ? ` (allowed: ${allow[f.url].reason})` : '';
  console.error(`audit: ${f.severity} ${f.name} ${f.range}: ${f.title} ${f.url}${note}`);
}
const counts = report.metadata?.vulnerabilities ?? {};
console.error(`audit: runtime dependencies: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low; ${blocking.length} high/critical not in the allowlist`);
process.exit(blocking.length > 0 ? 1 : 0);

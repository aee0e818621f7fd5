// Test helper: validates XML with Debian's xmllint (package libxml2-utils) against the official B2MML V0700 XSDs
// in ../shared/b2mml-v0700 beside the repository: an independent check of what linepulse reads and writes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultXsdDir } from '../xml.ts';

export interface XmllintResult {
  valid: boolean;
  /** xmllint's messages, without the schema parser's import warnings. */
  output: string;
}

function requireTools(): void {
  if (!existsSync(join(defaultXsdDir, 'B2MML-OperationsPerformance.xsd')))
    throw new Error(`the official B2MML V0700 XSDs are missing: expected ${defaultXsdDir} (the shared folder sits beside the repository)`);
  const probe = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (probe.error) throw new Error('xmllint not found: install Debian package libxml2-utils (node compose/stack/ensure-tools.js does)');
}

/** Runs `xmllint --noout --schema <xsd> <file>` on `xml`. */
export function xmllint(xml: string, xsd: 'B2MML-OperationsPerformance.xsd' | 'B2MML-OperationsSchedule.xsd'): XmllintResult {
  requireTools();
  const dir = mkdtempSync(join(tmpdir(), 'lp-xmllint-'));
  try {
    const file = join(dir, 'message.xml');
    writeFileSync(file, xml);
    const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', join(defaultXsdDir, xsd), file], { encoding: 'utf8' });
    const output = `${run.stdout}${run.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.includes('Skipping import of schema'))
      .join('\n');
    return { valid: run.status === 0, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

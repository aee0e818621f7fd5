// `linepulse bench --smoke` against the real stack: it completes and writes a JSON result with every section.
// No timing assertion: figures on a shared CI machine mean nothing (benchmarks/README.md).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'linepulse-bench-smoke-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('benchmarks > linepulse bench --smoke', () => {
  it('completes and writes the JSON result with the expected fields', async () => {
    const { stdout } = await run(process.execPath, ['bin/linepulse.js', 'bench', '--smoke', '--out', out, '--no-chart'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      timeout: 170_000,
      maxBuffer: 8 * 1024 * 1024,
    });
    expect(stdout).toContain('| target | measured | met |');
    const result = JSON.parse(readFileSync(join(out, 'latest-smoke.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(result).toMatchObject({ version: 1, mode: 'smoke' });
    expect(Object.keys(result.references).sort()).toEqual(['adapters', 'ceiling', 'peer']);
    expect(result.pipeline.skipped).toBeUndefined();
    expect(result.pipeline).toEqual(
      expect.objectContaining({
        offeredRate: expect.any(Number),
        producedPerSec: expect.any(Number),
        clickhouseEventsPerSec: expect.any(Number),
        sustained: expect.any(Boolean),
        lag: expect.objectContaining({ atEndOfLoad: expect.anything() }),
      }),
    );
    for (const name of ['sourceToClickHouse', 'sourceToClickHouseViaProcessors', 'sourceToDashboard'])
      expect(Object.keys(result.pipeline.latency[name]).sort()).toEqual(['max', 'p50', 'p95', 'p99', 'samples']);
    expect(result.pipeline.processes.length).toBeGreaterThanOrEqual(3);
    for (const p of result.pipeline.processes) expect(p).toEqual(expect.objectContaining({ name: expect.any(String), cpuAvgPct: expect.any(Number), rssMaxMb: expect.any(Number) }));
    expect(Object.keys(result.ratios)).toContain('countsProcessorVsKafkaStreamsPeer');
    expect(result.targets).toHaveLength(4);
  });
});

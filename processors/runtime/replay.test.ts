import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bindProcessors } from '../registry.ts';
import { replayText } from './replay.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const vectors = fileURLToPath(new URL('./vectors/replay/', import.meta.url));
const events = `${vectors}events.ndjson`;
const plant = `${vectors}plant.yaml`;

async function cli(...args: string[]): Promise<{ stdout: Buffer; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, ['bin/linepulse.js', 'replay', ...args], { cwd: root, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return { stdout, stderr: stderr.toString('utf8') };
}

describe('runtime > linepulse replay', () => {
  it('same input, byte-identical output (two runs) and equal to the golden file', async () => {
    const args = [events, '--config', plant, '--processors', 'counts,alerts'];
    const [first, second] = await Promise.all([cli(...args), cli(...args)]);
    expect(first.stdout.length).toBeGreaterThan(0);
    expect(Buffer.compare(first.stdout, second.stdout)).toBe(0);
    expect(first.stdout.toString('utf8')).toBe(readFileSync(`${vectors}expected.ndjson`, 'utf8'));
    expect(first.stderr).toMatch(/74 records \(1 duplicates, 1 late, 0 for no processor\) -> 145 derived events by counts, alerts/);
  }, 60_000);

  it('does not depend on the arrival order of the lines within the reorder window', () => {
    const config = bindProcessors(parse(readFileSync(plant, 'utf8')) as object, ['counts', 'alerts']);
    const lines = readFileSync(events, 'utf8').trim().split('\n');
    // Swap neighbours whose event times differ by less than the 5 s reorder window.
    const time = (l: string) => (JSON.parse(l) as { value: { eventTime: number } }).value.eventTime;
    const shuffled = [...lines];
    for (let i = 0; i + 1 < shuffled.length; i += 2) if (Math.abs(time(shuffled[i]!) - time(shuffled[i + 1]!)) < 5_000) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1]!, shuffled[i]!];
    expect(shuffled).not.toEqual(lines);
    expect(replayText(shuffled.join('\n'), config).lines).toEqual(replayText(lines.join('\n'), config).lines);
  });

  it('--until advances every watermark at the end: timers before it fire (an open stop raises its alert)', () => {
    const config = bindProcessors({ processors: { alerts: { downtime: { thresholdMs: 300_000 } } } }, ['alerts']);
    const t = Date.parse('2024-03-05T10:00:00Z');
    // Two events of one source carry two seqs (Origin: the runtime drops a repeated (sourceId, seq) as a duplicate).
    const line = (id: string, seq: number, at: number, state: string) =>
      JSON.stringify({ topic: 'state', value: { eventId: id, eventTime: at, equipment: 'acme/plant1/a/l/c/press', state, quality: 'GOOD', origin: { sourceId: 's', seq, edgeTime: at } } });
    const text = [line('a', 1, t, 'RUNNING'), line('b', 2, t + 60_000, 'STOPPED')].join('\n');
    expect(replayText(text, config).lines).toEqual([]);
    const raised = replayText(text, config, { until: t + 10 * 60_000 }).lines;
    expect(raised).toHaveLength(1);
    expect(JSON.parse(raised[0]!).value).toMatchObject({ kind: 'DOWNTIME', action: 'RAISED', eventTime: t + 360_000 });
  });

  it('a malformed line stops the replay with its line number, or is skipped with --skip-invalid', async () => {
    const bad = `${readFileSync(events, 'utf8')}{"topic":"counts","value":{"eventId":"x"}}\n`;
    const config = bindProcessors(parse(readFileSync(plant, 'utf8')) as object, ['counts', 'alerts']);
    expect(() => replayText(bad, config)).toThrow(/malformed input at line 75: linepulse.counts.v1 \(PieceCount\)/);
    const skipped: string[] = [];
    const result = replayText(bad, config, { skipInvalid: true, onInvalid: (e) => skipped.push(e.message) });
    expect(skipped).toHaveLength(1);
    expect(result.stats.invalidLines).toBe(1);
    await expect(cli('/nonexistent/events.ndjson')).rejects.toMatchObject({ stderr: Buffer.from('linepulse: config error at /nonexistent/events.ndjson: no such file\n') });
  }, 60_000);
});

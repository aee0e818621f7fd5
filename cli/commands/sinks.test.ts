// The plant config's `sinks` section as the sinks, dashboard and start commands read it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSinksConfig } from '../../sinks/config.ts';
import { loadSinksConfig } from './sinks.ts';

const dir = mkdtempSync(join(tmpdir(), 'linepulse-sinks-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('sinks config', () => {
  it('> reads sinks.retention and sinks.batching from the plant config, defaults without a file or section', async () => {
    const path = file(
      'plant.yaml',
      ['processors:', '  counts: {}', 'sinks:', '  retention: { rawDays: 30, minuteDays: 400, hourDays: 3650 }', '  batching:', '    maxDelayMs: 250', ''].join('\n'),
    );
    expect(await loadSinksConfig(path)).toEqual({ retention: { rawDays: 30, minuteDays: 400, hourDays: 3650 }, batching: { maxDelayMs: 250 } });
    // Retention keys not given take their defaults.
    expect(await loadSinksConfig(file('partial.yaml', 'sinks:\n  retention: { rawDays: 7 }\n'))).toEqual({ retention: { rawDays: 7, minuteDays: 1826, hourDays: 9131 } });
    expect(await loadSinksConfig(undefined)).toEqual({});
    expect(await loadSinksConfig(file('no-sinks.yaml', 'processors: {}\n'))).toEqual({});
    expect(await loadSinksConfig(file('empty.yaml', ''))).toEqual({});
  });

  it('> refuses a bad section with the file and the key path', async () => {
    await expect(loadSinksConfig(file('bad.yaml', 'sinks:\n  retention: { rawDays: 0 }\n'))).rejects.toThrow(/bad\.yaml: sinks\.retention\.rawDays/);
    await expect(loadSinksConfig(file('shrink.yaml', 'sinks:\n  retention: { rawDays: 400, minuteDays: 30 }\n'))).rejects.toThrow(/must not shrink/);
    await expect(loadSinksConfig(file('typo.yaml', 'sinks:\n  retension: {}\n'))).rejects.toThrow(/sinks/);
    await expect(loadSinksConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/no such file/);
    expect(() => parseSinksConfig({ batching: { maxRows: -1 } }, 'x.yaml')).toThrow(/x\.yaml: sinks\.batching\.maxRows/);
  });
});

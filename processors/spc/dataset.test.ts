import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerSpc } from '../../cli/commands/spc.ts';
import { oneLine } from '../../platform/errors.ts';
import { evaluateDataset, parseCsv, parseJson } from './dataset.ts';

const nist = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1];
const defaults = { phase1: 25, constants: 'table' };

describe('SPC > dataset (linepulse spc evaluate)', () => {
  it('CSV: header, comments, one value per row -> the NIST individuals example', () => {
    const csv = `flow\n# batch 1..10\n${nist.join('\n')}\n`;
    const out = evaluateDataset(csv, 'flow.csv', { ...defaults, chart: 'imr' });
    expect(out.limits.center).toBeCloseTo(50.81, 12);
    expect(out.limits.ucl!).toBeCloseTo(55.8041, 4);
    expect(out.hits).toEqual([]);
    expect(out.points).toHaveLength(10);
  });

  it('JSON subgroups and CSV value-per-row give the same X-bar/R chart; rules and capability', () => {
    const subgroups = [[1, 2, 3], [2, 3, 4], [3, 3, 3], [9, 9, 9]];
    const fromJson = evaluateDataset(JSON.stringify(subgroups), 'd.json', { ...defaults, chart: 'xbar-r', n: 3, phase1: 3, lsl: 0, usl: 6 });
    const fromCsv = evaluateDataset(subgroups.flat().join('\n'), 'd.csv', { ...defaults, chart: 'xbar-r', n: 3, phase1: 3, lsl: 0, usl: 6 });
    expect(fromCsv).toEqual(fromJson);
    expect(fromJson.limits.center).toBeCloseTo(8 / 3, 12);
    expect(fromJson.hits.map((h) => [h.rule, h.index])).toEqual([[1, 4]]);
    expect(fromJson.capability?.cp?.samples).toBe(9);
    expect(fromJson.points[3]!.phase).toBe('PHASE2');
  });

  it('Western Electric and a rule subset', () => {
    const values = [0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 1, -1, 0.2, -0.2, 0.1, -0.3];
    const we = evaluateDataset(JSON.stringify(values), 'v.json', { ...defaults, chart: 'imr', phase1: 16, westernElectric: true, rules: [4] });
    expect(we.ruleSet).toBe('WESTERN_ELECTRIC');
    expect(we.hits.map((h) => h.rule)).toEqual([4]);
  });

  it('p chart from count,size rows', () => {
    const out = evaluateDataset('count,size\n12,50\n15,50\n8,50\n', 'p.csv', { ...defaults, chart: 'p' });
    expect(out.limits.center).toBeCloseTo(35 / 150, 15);
    expect(out.points[0]!.ucl).toBeGreaterThan(out.limits.center);
  });

  it('bad files and options give one-line errors naming where', () => {
    expect(() => parseCsv('x\n1\nabc\n', 'a.csv')).toThrow('malformed input at a.csv line 3: "abc" is not a number');
    expect(() => parseCsv('# nothing\n', 'a.csv')).toThrow('malformed input at a.csv: no data rows');
    expect(() => parseJson('[1, "x"]', 'a.json')).toThrow('malformed input at a.json item 2');
    expect(() => parseJson('{', 'a.json')).toThrow(/malformed input at a\.json: not valid JSON/);
    expect(() => evaluateDataset('1,2\n3,4\n', 'a.csv', { ...defaults, chart: 'xbar-r', n: 3 })).toThrow('malformed input at a.csv row 1: subgroup of 2 values, expected 3 (--n)');
    expect(() => evaluateDataset('1\n2\n3\n', 'a.csv', { ...defaults, chart: 'xbar-r', n: 2 })).toThrow('3 values do not split into subgroups of 2');
    expect(() => evaluateDataset('1\n2\n', 'a.csv', { ...defaults, chart: 'cusum' })).toThrow('config error at --chart');
    expect(() => evaluateDataset('1\n2\n', 'a.csv', { ...defaults, chart: 'imr', westernElectric: true, rules: [7] })).toThrow('config error at --rules: WESTERN_ELECTRIC has no rule 7');
    expect(() => evaluateDataset('5\n', 'a.csv', { ...defaults, chart: 'imr' })).toThrow('malformed input at a.csv: an I-MR baseline needs at least 2 values');
    const error = (() => {
      try {
        parseCsv('1\n\nfoo\n', 'b.csv');
      } catch (e) {
        return e;
      }
    })();
    expect(oneLine(error)).not.toContain('\n');
  });

  it('the command prints JSON for a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spc-'));
    const file = join(dir, 'flow.json');
    writeFileSync(file, JSON.stringify(nist));
    const program = new Command('linepulse').exitOverride();
    registerSpc(program);
    let printed = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['spc', 'evaluate', '--chart', 'imr', '--lsl', '45', '--usl', '57', file], { from: 'user' });
    } finally {
      write.mockRestore();
    }
    const out = JSON.parse(printed) as { limits: { ucl: number }; capability: { cpk: { value: number; samples: number } } };
    expect(out.limits.ucl).toBeCloseTo(55.8041, 4);
    expect(out.capability.cpk.samples).toBe(10);
    await expect(program.parseAsync(['spc', 'evaluate', '--chart', 'imr', join(dir, 'missing.csv')], { from: 'user' })).rejects.toThrow('no such file');
  });
});

// Property-based fuzzing of the `spc evaluate` dataset readers (fast-check): whatever the CSV or JSON text, the
// result is an evaluation or a MalformedInputError naming the file (and the line or item), never another error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, MalformedInputError } from '../../platform/errors.ts';
import { evaluateDataset } from './dataset.ts';

const base = { phase1: 20, constants: 'table' };

function settle(run: () => unknown): 'ok' | 'malformed' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof MalformedInputError && error.reason.length > 0) return 'malformed';
    if (error instanceof ConfigError) return 'malformed';
    throw error;
  }
}

const cell = fc.oneof(fc.double().map(String), fc.integer({ min: -1000, max: 1000 }).map(String), fc.string({ maxLength: 6 }), fc.constantFrom('', ' ', 'NaN', 'Infinity', '1e400', '#', '0x10', '-', '+.5'));
const csvText = fc
  .tuple(fc.array(fc.array(cell, { minLength: 0, maxLength: 6 }), { maxLength: 40 }), fc.constantFrom(',', ';', '\t'), fc.constantFrom('\n', '\r\n'))
  .map(([rows, separator, newline]) => rows.map((cells) => cells.join(separator)).join(newline));
const chart = fc.constantFrom('imr', 'xbar-r', 'xbar-s', 'p', 'u');

describe('spc evaluate > dataset readers (property-based)', () => {
  it('> arbitrary CSV-like text: an evaluation or MalformedInputError', () => {
    fc.assert(
      fc.property(csvText, chart, fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }), (text, c, n) => {
        settle(() => evaluateDataset(text, 'data.csv', { ...base, chart: c, ...(n !== undefined ? { n } : {}) }));
      }),
      { numRuns: 1_500 },
    );
  });

  it('> arbitrary JSON: an evaluation or MalformedInputError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), chart, (doc, c) => {
        settle(() => evaluateDataset(JSON.stringify(doc) ?? '', 'data.json', { ...base, chart: c }));
      }),
      { numRuns: 1_500 },
    );
  });

  it('> arbitrary bytes as text: an evaluation or MalformedInputError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), chart, fc.boolean(), (bytes, c, json) => {
        settle(() => evaluateDataset(Buffer.from(bytes).toString('utf8'), json ? 'x.json' : 'x.csv', { ...base, chart: c }));
      }),
      { numRuns: 1_500 },
    );
  });

  it('> well-formed numeric series always evaluate', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 25, maxLength: 60 }), (values) => {
        expect(settle(() => evaluateDataset(values.join('\n'), 'v.csv', { ...base, chart: 'imr' }))).toBe('ok');
      }),
      { numRuns: 300 },
    );
  });
});

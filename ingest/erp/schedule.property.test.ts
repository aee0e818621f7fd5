// Property tests of the B2MML schedule parser: whatever bytes arrive, no exception escapes, and every input that is
// not a usable schedule gives a rejection with a path and a reason.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erpIngestConfig } from './config.ts';
import { parseSchedule } from './schedule.ts';
import { openXsdSet } from './xml.ts';

const xsd = openXsdSet();
const config = erpIngestConfig();
const valid = readFileSync(new URL('./examples/operations-schedule.xml', import.meta.url), 'utf8');
const legacy = readFileSync(new URL('./examples/production-schedule-v0500.xml', import.meta.url), 'utf8');

function check(input: unknown): void {
  let result;
  try {
    result = parseSchedule(input, xsd, config, { receivedAt: 0 });
  } catch (error) {
    throw new Error(`parseSchedule threw for ${JSON.stringify(input)?.slice(0, 200)}: ${(error as Error).message}`, { cause: error });
  }
  if (result.ok) {
    expect(result.workOrders.length).toBeGreaterThan(0);
    for (const w of result.workOrders) {
      expect(w.workOrder).not.toBe('');
      expect(w.quantity).toBeGreaterThan(0);
      expect(w.eventId).toContain(w.workOrder);
    }
  } else {
    expect(result.rejection.path).not.toBe('');
    expect(result.rejection.reason.trim()).not.toBe('');
  }
}

/** Element boundaries of a document: offsets of '<' that start a tag. */
function tagOffsets(doc: string): number[] {
  return [...doc.matchAll(/<[A-Za-z/]/g)].map((m) => m.index);
}

const mutation = (doc: string) => {
  const offsets = tagOffsets(doc);
  return fc.oneof(
    // Cut the document anywhere.
    fc.nat({ max: doc.length }).map((n) => doc.slice(0, n)),
    // Replace a stretch with random text (unicode, markup characters, entities).
    fc.tuple(fc.nat({ max: doc.length }), fc.nat({ max: 80 }), fc.string({ unit: fc.constantFrom('<', '>', '&', ';', '/', '"', "'", 'a', '1', ' ', '\u0000', '\u00e9', '!', '-', '?', 'D') })).map(
      ([at, len, text]) => doc.slice(0, at) + text + doc.slice(at + len),
    ),
    // Drop the text between two tags (removes elements or values).
    fc.tuple(fc.constantFrom(...offsets), fc.constantFrom(...offsets)).map(([a, b]) => doc.slice(0, Math.min(a, b)) + doc.slice(Math.max(a, b))),
    // Swap a value for something of another type.
    fc.tuple(fc.constantFrom('500', '250', 'WO-4711', 'Released', '2025-03-03T06:00:00Z', '12', 'Production', 'pcs'), fc.string({ maxLength: 20 })).map(([from, to]) => doc.replace(from, to)),
    // Duplicate an element.
    fc.tuple(fc.constantFrom(...offsets), fc.constantFrom(...offsets)).map(([a, b]) => doc.slice(0, Math.max(a, b)) + doc.slice(Math.min(a, b), Math.max(a, b)) + doc.slice(Math.max(a, b))),
  );
};

describe('ERP schedule > property: no exception escapes, every bad input is a rejection with a reason', () => {
  it('arbitrary values and strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), check), { numRuns: 300 });
  });

  it('mutations of a valid V0700 OperationsSchedule', () => {
    fc.assert(fc.property(mutation(valid), check), { numRuns: 400 });
  });

  it('mutations of a valid legacy ProductionSchedule', () => {
    fc.assert(fc.property(mutation(legacy), check), { numRuns: 300 });
  });

  it('random XML-like trees in the B2MML namespace', () => {
    const names = fc.constantFrom('OperationsSchedule', 'OperationsRequest', 'SegmentRequirement', 'MaterialRequirement', 'ID', 'Quantity', 'QuantityString', 'MaterialUse', 'x');
    const text = fc.string({ maxLength: 8 }).map((s) => s.replace(/[<&]/g, ''));
    const { node: tree } = fc.letrec<{ node: string; child: string }>((tie) => ({
      node: fc.tuple(names, fc.array(tie('child'), { maxLength: 3 })).map(([name, kids]) => `<${name}>${kids.join('')}</${name}>`),
      child: fc.oneof({ maxDepth: 5 }, text, tie('node')),
    }));
    fc.assert(fc.property(tree, (body) => check(body.replace(/^<(\w+)>/, '<$1 xmlns="http://www.mesa.org/xml/B2MML">'))), { numRuns: 300 });
  });
});

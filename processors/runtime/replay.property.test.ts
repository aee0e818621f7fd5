// Property-based fuzzing of the NDJSON replay reader (fast-check): whatever the lines (random text, any JSON,
// near-valid records with wrong types, unknown topics, extra members), `linepulse replay` either refuses the input
// with a MalformedInputError naming the line, or, with --skip-invalid, counts and reports each bad line and goes on.
// Never another error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedInputError } from '../../platform/errors.ts';
import { bindProcessors } from '../registry.ts';
import { ReplaySession } from './replay.ts';
import { pieceCount } from './test-events.ts';

const cores = bindProcessors({}, ['counts']);
const t0 = Date.parse('2025-01-06T06:00:00Z');
const good = (i: number) => JSON.stringify({ topic: 'counts', value: pieceCount({ eventId: `g${i}`, eventTime: t0 + i * 1_000, increment: 1 }) });

const anyValue = fc.oneof(fc.string({ maxLength: 12 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
const nearValid = fc
  .record({ topic: fc.oneof(fc.constantFrom('counts', 'linepulse.counts.v1', 'nope', ''), anyValue), key: fc.oneof(fc.string({ maxLength: 8 }), anyValue), value: fc.oneof(anyValue, fc.record({ eventId: anyValue, eventTime: anyValue, equipment: anyValue, kind: anyValue })), extra: anyValue }, { requiredKeys: [] })
  .map((r) => JSON.stringify(r));
const line = fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''), nearValid, fc.nat(50).map(good));

describe('replay > NDJSON reader (property-based)', () => {
  it('> strict: every line is accepted or refused with MalformedInputError naming it', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const session = new ReplaySession(cores);
        lines.forEach((l, i) => {
          try {
            session.push(l, i + 1);
          } catch (error) {
            expect(error).toBeInstanceOf(MalformedInputError);
            expect((error as MalformedInputError).where).toBe(`line ${i + 1}`);
          }
        });
        session.end();
      }),
      { numRuns: 800 },
    );
  });

  it('> skip-invalid: never throws; each bad line is reported and counted', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const reported: MalformedInputError[] = [];
        const session = new ReplaySession(cores, { skipInvalid: true, onInvalid: (e) => reported.push(e) });
        lines.forEach((l, i) => session.push(l, i + 1));
        const { stats } = session.end();
        expect(stats.invalidLines).toBe(reported.length);
        expect(reported.every((e) => e.reason.length > 0)).toBe(true);
      }),
      { numRuns: 800 },
    );
  });
});

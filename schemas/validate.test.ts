import { describe, expect, test } from 'vitest';
import { exampleEvents } from './examples.ts';
import { topicRecordNames } from './history.ts';
import { assertValid, validateEvent } from './validate.ts';

const telemetry = exampleEvents.Telemetry;

describe('validateEvent', () => {
  test.each(Object.entries(exampleEvents))('%s example is valid', (name, value) => {
    expect(validateEvent(name, value)).toEqual({ ok: true });
  });

  test('every topic record has an example', () => {
    expect(Object.keys(exampleEvents).sort()).toEqual(topicRecordNames());
  });

  test('fields with a default may be left out', () => {
    const { text: _text, unit: _unit, statusCode: _statusCode, outOfRange: _outOfRange, ...rest } = telemetry;
    expect(validateEvent('Telemetry', { ...rest, origin: { sourceId: 's', seq: 1, edgeTime: 2 } })).toEqual({ ok: true });
  });

  test('an undeclared key holding undefined is absent, as in JSON', () => {
    expect(validateEvent('Telemetry', { ...telemetry, extra: undefined, origin: { ...telemetry.origin, note: undefined } })).toEqual({ ok: true });
  });

  test('names the nested field path, the expected and the actual type', () => {
    const result = validateEvent('Telemetry', { ...telemetry, origin: { ...telemetry.origin, seq: 'abc' } });
    expect(result).toEqual({ ok: false, errors: ['field origin.seq: expected long, got "abc"'] });
  });

  test('reports every problem: missing, wrong type, enum symbol, union, undeclared', () => {
    const { eventTime: _eventTime, ...noTime } = telemetry;
    const result = validateEvent('Telemetry', { ...noTime, value: '1.5', quality: 'FINE', eventtime: 5, origin: { ...telemetry.origin, extra: true } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      'field eventTime: missing, expected long',
      'field value: expected null | double, got "1.5"',
      'field quality: expected enum Quality (GOOD | UNCERTAIN | BAD), got "FINE"',
      'field origin.extra: not declared in record Origin',
      'field eventtime: not declared in record Telemetry',
    ]);
  });

  test('array items and map values are located by index and key', () => {
    const oee = { ...exampleEvents.OeeWindow, flags: ['A', 7], losses: { setup: 'long' } };
    const result = validateEvent('OeeWindow', oee);
    expect(!result.ok && result.errors).toEqual(['field losses["setup"]: expected double, got "long"', 'field flags[1]: expected string, got 7']);
  });

  test('fields inside a nullable record are reported through the union', () => {
    const spc = { ...exampleEvents.SpcPoint, limits: { ...exampleEvents.SpcPoint.limits, ucl: null } };
    const result = validateEvent('SpcPoint', spc);
    expect(!result.ok && result.errors).toEqual(['field limits.ucl: expected double, got null']);
  });

  test('longs must be safe integers', () => {
    const tooBig = validateEvent('Telemetry', { ...telemetry, eventTime: 2 ** 53 + 2 });
    expect(!tooBig.ok && tooBig.errors).toEqual([`field eventTime: expected long, got ${2 ** 53 + 2} (beyond 2^53)`]);
    const fraction = validateEvent('Telemetry', { ...telemetry, eventTime: 1.5 });
    expect(!fraction.ok && fraction.errors).toEqual(['field eventTime: expected long, got 1.5']);
  });

  test('a wrapped union value (Avro JSON encoding) is not the plain shape', () => {
    const result = validateEvent('Telemetry', { ...telemetry, value: { double: 1.5 } });
    expect(!result.ok && result.errors).toEqual(['field value: expected null | double, got {"double":1.5}']);
  });

  test('not an object, unknown schema', () => {
    expect(validateEvent('Telemetry', null)).toEqual({ ok: false, errors: ['value: expected record Telemetry, got null'] });
    const unknown = validateEvent('Telemetri', {});
    expect(!unknown.ok && unknown.errors[0]).toMatch(/^unknown schema "Telemetri" \(known: Alert, .*Telemetry/);
  });

  test('caps the list of errors', () => {
    const result = validateEvent('OeeWindow', {});
    expect(!result.ok && result.errors.length).toBe(21);
    expect(!result.ok && result.errors.at(-1)).toMatch(/^\.\.\. and \d+ more$/);
  });
});

describe('assertValid', () => {
  test('passes a valid event, throws a plain Error listing the problems', () => {
    expect(() => assertValid('Telemetry', telemetry)).not.toThrow();
    expect(() => assertValid('Telemetry', { ...telemetry, tag: 1 })).toThrow(new Error('invalid Telemetry: field tag: expected string, got 1'));
  });
});

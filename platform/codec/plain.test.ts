import { describe, expect, test } from 'vitest';
import { contracts, parseStandalone, toPlain } from '../../schemas/index.ts';
import { exampleEvents } from '../../schemas/examples.ts';
import { plainConverter } from './plain.ts';

const isPlain = (value: unknown) => Object.getPrototypeOf(value) === Object.prototype;

describe('plain objects from decoded records', () => {
  test('records at every depth (nested, in nullable unions, in arrays) become plain objects', () => {
    const type = contracts().byName.get('SpcPoint')!;
    const decoded = type.fromBuffer(type.toBuffer(exampleEvents.SpcPoint)) as { limits: unknown };
    expect(isPlain(decoded)).toBe(false);
    const plain = plainConverter(type)(decoded) as { limits: unknown };
    expect(isPlain(plain) && isPlain(plain.limits)).toBe(true);
    expect(plain).toStrictEqual(toPlain(type, exampleEvents.SpcPoint));

    const order = contracts().byName.get('WorkOrder')!;
    const wo = plainConverter(order)(order.fromBuffer(order.toBuffer(exampleEvents.WorkOrder))) as { operations: unknown[] };
    expect(wo.operations.every(isPlain)).toBe(true);
  });

  test('null in a nullable record stays null; types without records are left alone', () => {
    const type = contracts().byName.get('SpcPoint')!;
    const decoded = type.fromBuffer(type.toBuffer({ ...exampleEvents.SpcPoint, limits: null }));
    expect((plainConverter(type)(decoded) as { limits: unknown }).limits).toBeNull();
    const strings = parseStandalone({ type: 'array', items: 'string' });
    const list = ['a'];
    expect(plainConverter(strings)(list)).toBe(list);
  });

  test('recursive record types compile', () => {
    const node = parseStandalone({ type: 'record', name: 'Node', fields: [{ name: 'v', type: 'int' }, { name: 'next', type: ['null', 'Node'], default: null }] });
    const value = { v: 1, next: { v: 2, next: null } };
    expect(plainConverter(node)(node.fromBuffer(node.toBuffer(value)))).toStrictEqual(value);
  });
});

import { describe, expect, it } from 'vitest';
import { categorize, defaultStateMapping, stateMappingSchema } from './states.ts';

const path = 'acme/plant1/assembly/line1/cell1/press';

describe('states > category mapping', () => {
  it.each([
    ['EXECUTE', null, 'running'],
    ['running', null, 'running'],
    ['Stopped', null, 'unplannedStop'],
    ['HELD', null, 'unplannedStop'],
    ['suspended', null, 'idle'],
    ['change-over', null, 'setup'],
    ['BREAK', null, 'plannedStop'],
    ['42', null, 'unknown'],
  ] as const)('built-in: %s -> %s', (state, reason, category) => {
    expect(categorize(defaultStateMapping(), path, state, reason)).toBe(category);
  });

  const mapping = stateMappingSchema.parse({
    states: { '3': 'running', '4': 'unplannedStop' },
    reasons: { LUNCH: 'plannedStop', PM: 'plannedStop' },
    equipment: {
      'acme/plant1/assembly': { states: { '4': 'idle' } },
      'acme/plant1/assembly/line1/cell1/press': { reasons: { TOOL: 'setup' } },
    },
  });

  it('configured states and reason codes; the reason decides for a stop', () => {
    expect(categorize(mapping, 'acme/plant2/x', '3')).toBe('running');
    expect(categorize(mapping, 'acme/plant2/x', '4')).toBe('unplannedStop');
    expect(categorize(mapping, 'acme/plant2/x', '4', 'lunch')).toBe('plannedStop');
    expect(categorize(mapping, 'acme/plant2/x', 'STOPPED', 'PM')).toBe('plannedStop');
  });

  it('a reason code never turns running into a stop', () => {
    expect(categorize(mapping, 'acme/plant2/x', '3', 'LUNCH')).toBe('running');
  });

  it('the longest equipment prefix wins, on whole path segments', () => {
    expect(categorize(mapping, path, '4')).toBe('idle');
    expect(categorize(mapping, path, 'STOPPED', 'TOOL')).toBe('setup');
    expect(categorize(mapping, 'acme/plant1/assembly2/x', '4')).toBe('unplannedStop');
  });

  it('built-ins can be switched off', () => {
    expect(categorize(stateMappingSchema.parse({ builtins: false }), path, 'RUNNING')).toBe('unknown');
  });
});

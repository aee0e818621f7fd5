import { describe, expect, it } from 'vitest';
import { categorize, categorizeEvent, defaultStateMapping, stateMappingSchema } from './states.ts';

const path = 'acme/plant1/assembly/line1/cell1/press';

describe('states > numeric codes, presets, data quality', () => {
  it('numeric code ranges, most specific equipment first', () => {
    const mapping = stateMappingSchema.parse({
      ranges: [{ from: 100, to: 199, category: 'unplannedStop' }, { from: 200, to: 209, category: 'setup' }],
      equipment: { 'acme/plant1': { ranges: [{ from: 150, to: 150, category: 'idle' }] } },
    });
    expect(categorize(mapping, path, '120')).toBe('unplannedStop');
    expect(categorize(mapping, path, '150')).toBe('idle');
    expect(categorize(mapping, 'acme/plant2/x', '150')).toBe('unplannedStop');
    expect(categorize(mapping, path, '205')).toBe('setup');
    expect(categorize(mapping, path, '300')).toBe('unknown');
    expect(() => stateMappingSchema.parse({ ranges: [{ from: 5, to: 1, category: 'idle' }] })).toThrow(/from must be/);
  });

  it('the packml-opcua preset maps OPC UA PackML StateEnumeration codes', () => {
    const mapping = stateMappingSchema.parse({ presets: ['packml-opcua'] });
    expect(['4', '2', '12', '15', '8', '0'].map((code) => categorize(mapping, path, code))).toEqual([
      'running', 'idle', 'idle', 'unplannedStop', 'unplannedStop', 'unplannedStop',
    ]);
    // Without the preset, a bare number is unknown (numbering schemes differ between PackTags and OPC UA).
    expect(categorize(defaultStateMapping(), path, '4')).toBe('unknown');
  });

  it('PackML state names, including the transitional ones', () => {
    const m = defaultStateMapping();
    expect(['Execute', 'Starting', 'Resetting', 'Unsuspending', 'Un-holding', 'Clearing'].map((s) => categorize(m, path, s))).toEqual([
      'running', 'idle', 'idle', 'idle', 'unplannedStop', 'unplannedStop',
    ]);
  });

  it('a BAD quality reading is unknown unless configured otherwise', () => {
    const event = { equipment: path, state: 'RUNNING', reasonCode: null, quality: 'BAD' as const };
    expect(categorizeEvent(defaultStateMapping(), event)).toBe('unknown');
    expect(categorizeEvent(stateMappingSchema.parse({ badQuality: 'useValue' }), event)).toBe('running');
    expect(categorizeEvent(defaultStateMapping(), { ...event, quality: 'UNCERTAIN' })).toBe('running');
  });
});

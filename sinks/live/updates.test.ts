import { describe, expect, it } from 'vitest';
import { characteristic, press, spcCapability } from '../testing/fixtures.ts';
import { liveEvents, liveRoutes, toLiveUpdate } from './updates.ts';

describe('live updates > SPC capability', () => {
  it('goes live as spcCapability, keyed by characteristic (a burst coalesces to the newest), in the REST shape', () => {
    const update = toLiveUpdate('spcCapability', spcCapability(7, { ppl: { value: 0.9, samples: 7 } }));
    expect(liveRoutes.spcCapability).toBeDefined();
    expect(update).toMatchObject({ event: liveEvents.spcCapability, key: characteristic, equipment: press });
    expect(update?.payload).toEqual({
      eventId: `spc-capability:${characteristic}:7`,
      eventTime: spcCapability(7).eventTime,
      equipment: press,
      characteristic,
      chart: 'IMR',
      index: 7,
      limitsVersion: 1,
      firstIndex: 1,
      points: 7,
      samples: 7,
      mean: 10.01,
      lsl: 9,
      usl: 11,
      sigmaWithin: 0.3,
      withinMethod: 'MRBAR_D2',
      constants: 'TABLE',
      sigmaOverall: 0.32,
      indexes: {
        cp: { value: 1.11, samples: 7 },
        cpl: { value: 1.12, samples: 7 },
        cpu: { value: 1.07, samples: 7 },
        cpk: { value: 1.07, samples: 7 },
        pp: { value: 1.04, samples: 7 },
        ppl: { value: 0.9, samples: 7 },
        ppu: null,
        ppk: { value: 1, samples: 7 },
      },
    });
    expect(toLiveUpdate('spcCapability', spcCapability(8))?.key).toBe(update?.key);
  });
});

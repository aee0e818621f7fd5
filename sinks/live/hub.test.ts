import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import { countTotal, press, welder } from '../testing/fixtures.ts';
import { createLiveHub, roomsFor, type LiveEmitter } from './hub.ts';
import { toLiveUpdate } from './updates.ts';

interface Sent {
  at: number;
  rooms: string[];
  event: string;
  payload: unknown;
}

function fakeEmitter(sent: Sent[]): LiveEmitter {
  return {
    to: (rooms) => ({
      emit: (event, payload) => {
        sent.push({ at: Date.now(), rooms: ([] as string[]).concat(rooms), event, payload });
        return true;
      },
    }),
  };
}

describe('live hub', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('> rooms: everything, then every ISA-95 prefix down to the equipment', () => {
    expect(roomsFor(press)).toEqual([
      'scope:',
      'scope:acme',
      'scope:acme/plant1',
      'scope:acme/plant1/stamping',
      'scope:acme/plant1/stamping/line1',
      'scope:acme/plant1/stamping/line1/cell1',
      'scope:acme/plant1/stamping/line1/cell1/press1',
    ]);
  });

  it('> emits the first update of a quiet key at once', () => {
    const sent: Sent[] = [];
    const hub = createLiveHub({ logger: silentLogger() });
    hub.attach(fakeEmitter(sent));
    hub.publish(toLiveUpdate('countTotals', countTotal(1))!);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.event).toBe('countTotal');
    expect(sent[0]?.payload).toMatchObject({ equipment: press, revision: 1, good: 10 });
    hub.close();
  });

  it('> coalesces a burst to the latest value and keeps each key at or under 4 Hz', () => {
    const sent: Sent[] = [];
    const hub = createLiveHub({ logger: silentLogger(), minIntervalMs: 250 });
    hub.attach(fakeEmitter(sent));
    // 1,000 revisions of one total over 2 s (one every 2 ms), plus a second equipment.
    for (let r = 1; r <= 1000; r += 1) {
      hub.publish(toLiveUpdate('countTotals', countTotal(r))!);
      if (r % 100 === 0) hub.publish(toLiveUpdate('countTotals', countTotal(r, { equipment: welder }))!);
      vi.advanceTimersByTime(2);
    }
    vi.advanceTimersByTime(1000);
    const pressSent = sent.filter((s) => (s.payload as { equipment: string }).equipment === press);
    // 2 s at 4 Hz: at most 9 emissions (leading edge + one per 250 ms slot), and the last one is the latest value.
    expect(pressSent.length).toBeLessThanOrEqual(9);
    expect(pressSent.length).toBeGreaterThanOrEqual(8);
    expect((pressSent.at(-1)?.payload as { revision: number }).revision).toBe(1000);
    for (let i = 1; i < pressSent.length; i += 1) expect(pressSent[i]!.at - pressSent[i - 1]!.at).toBeGreaterThanOrEqual(250);
    const welderSent = sent.filter((s) => (s.payload as { equipment: string }).equipment === welder);
    expect((welderSent.at(-1)?.payload as { revision: number }).revision).toBe(1000);
    const stats = hub.stats();
    expect(stats.published).toBe(1010);
    expect(stats.pending).toBe(0);
    expect(stats.coalesced).toBeGreaterThan(900);
    hub.close();
  });

  it('> never lets a late revision of an old window hide the current window', () => {
    const sent: Sent[] = [];
    const hub = createLiveHub({ logger: silentLogger() });
    hub.attach(fakeEmitter(sent));
    hub.publish(toLiveUpdate('countTotals', countTotal(1, { windowId: 'B' }))!);
    hub.publish(toLiveUpdate('countTotals', countTotal(2, { windowId: 'B' }))!);
    hub.publish(toLiveUpdate('countTotals', countTotal(9, { windowId: 'A' }))!);
    vi.advanceTimersByTime(300);
    const last = new Map<string, number>();
    for (const s of sent) {
      const p = s.payload as { windowId: string; revision: number };
      last.set(p.windowId, p.revision);
    }
    expect(Object.fromEntries(last)).toEqual({ A: 9, B: 2 });
    hub.close();
  });

  it('> drops updates while no emitter is attached, and close cancels waiting ones', () => {
    const sent: Sent[] = [];
    const hub = createLiveHub({ logger: silentLogger() });
    hub.publish(toLiveUpdate('countTotals', countTotal(1))!);
    hub.attach(fakeEmitter(sent));
    hub.publish(toLiveUpdate('countTotals', countTotal(2))!);
    hub.close();
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(0);
    expect(hub.stats().pending).toBe(0);
  });
});

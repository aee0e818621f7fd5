import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatcher } from './batcher.ts';

describe('sink batcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('> flushes after maxDelayMs with every group, and resolves each add only once written', async () => {
    const writes: Array<Map<string, number[]>> = [];
    const batcher = createBatcher<string, number>({ maxRows: 100, maxDelayMs: 1000, write: async (groups) => void writes.push(groups) });
    let done = 0;
    void batcher.add('a', [1, 2]).then(() => (done += 1));
    void batcher.add('b', [3]).then(() => (done += 1));
    void batcher.add('a', [4]).then(() => (done += 1));
    expect(batcher.waiting).toBe(4);
    await vi.advanceTimersByTimeAsync(999);
    expect(writes).toHaveLength(0);
    expect(done).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([
      new Map([
        ['a', [1, 2, 4]],
        ['b', [3]],
      ]),
    ]);
    expect(done).toBe(3);
    expect(batcher.waiting).toBe(0);
  });

  it('> flushes at once when maxRows are waiting; flushes run one at a time, in order', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = createBatcher<string, number>({
      maxRows: 3,
      maxDelayMs: 1000,
      write: async (groups) => {
        const first = [...groups.values()][0]?.[0];
        order.push(`start ${first}`);
        if (first === 1) await gate;
        order.push(`end ${first}`);
      },
    });
    const one = batcher.add('a', [1, 2, 3]);
    const two = batcher.add('a', [4, 5, 6]);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['start 1']);
    release();
    await Promise.all([one, two]);
    expect(order).toEqual(['start 1', 'end 1', 'start 4', 'end 4']);
  });

  it('> a failed flush rejects every add it holds; the next flush is independent', async () => {
    let fail = true;
    const batcher = createBatcher<string, number>({
      maxRows: 10,
      maxDelayMs: 100,
      write: async () => {
        if (fail) throw new Error('store down');
      },
    });
    const a = batcher.add('a', [1]);
    const b = batcher.add('b', [2]);
    const settled = Promise.allSettled([a, b]);
    await vi.advanceTimersByTimeAsync(100);
    expect((await settled).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    const c = batcher.add('a', [3]);
    await batcher.flush();
    await expect(c).resolves.toBeUndefined();
    await expect(batcher.add('a', [])).resolves.toBeUndefined();
  });

  /** A store write that waits for the test to release it. */
  function gatedWrites() {
    const writes: Array<Map<string, number[]>> = [];
    const gates: Array<() => void> = [];
    return {
      writes,
      release: () => gates.shift()?.(),
      write: (groups: Map<string, number[]>) => {
        writes.push(groups);
        return new Promise<void>((resolve) => gates.push(resolve));
      },
    };
  }

  it('> a handler with a backlog behind its batch is flushed at once, not after maxDelayMs (one partition at a time)', async () => {
    const writes: number[] = [];
    const batcher = createBatcher<string, number>({ maxRows: 20_000, maxDelayMs: 1000, write: async (_, rows) => void writes.push(rows) });
    // A serial bus: each handler waits for its flush before the next batch comes.
    for (let i = 0; i < 5; i += 1) await batcher.add('telemetry', [i, i + 1], { more: true });
    expect(writes).toEqual([2, 2, 2, 2, 2]);
    expect(batcher.stats).toMatchObject({ concurrency: 1, flushes: 5 });
  });

  it('> a caught-up handler flushes at once, then small flushes are spaced by minIntervalMs', async () => {
    const writes: number[] = [];
    const batcher = createBatcher<string, number>({ maxRows: 20_000, maxDelayMs: 1000, minIntervalMs: 200, write: async (_, rows) => void writes.push(rows) });
    await batcher.add('a', [1], { more: false });
    expect(writes).toEqual([1]);
    let done = false;
    void batcher.add('a', [2, 3], { more: false }).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(199);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(writes).toEqual([1, 2]);
    // Half of maxRows waiting is large enough to go at once.
    const big = createBatcher<string, number>({ maxRows: 4, maxDelayMs: 1000, minIntervalMs: 200, write: async (_, rows) => void writes.push(rows) });
    await big.add('a', [1], { more: false });
    await big.add('a', [1, 2], { more: false });
    expect(writes).toEqual([1, 2, 1, 2]);
  });

  it('> partition handlers that arrive during a write share the next flush', async () => {
    const gated = gatedWrites();
    const batcher = createBatcher<string, number>({ maxRows: 20_000, maxDelayMs: 1000, write: gated.write });
    const first = batcher.add('telemetry', [1], { more: true });
    const others = [batcher.add('telemetry', [2], { more: true }), batcher.add('counts', [3], { more: true }), batcher.add('telemetry', [4], { more: true })];
    await vi.advanceTimersByTimeAsync(0);
    expect(gated.writes).toHaveLength(1);
    gated.release();
    await first;
    // The three waiting handlers are every handler there is (4 were blocked at once, one was just released):
    // their flush waits for the fourth at most the linger, and its add completes the set.
    await vi.advanceTimersByTimeAsync(5);
    expect(gated.writes).toHaveLength(1);
    const fourth = batcher.add('counts', [5], { more: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(gated.writes).toEqual([
      new Map([['telemetry', [1]]]),
      new Map([
        ['telemetry', [2, 4]],
        ['counts', [3, 5]],
      ]),
    ]);
    gated.release();
    await Promise.all([...others, fourth]);
    expect(batcher.stats.concurrency).toBe(4);
  });

  it('> waits for the other handlers at most the linger, then expects as many handlers as came', async () => {
    const gated = gatedWrites();
    const batcher = createBatcher<string, number>({ maxRows: 20_000, maxDelayMs: 1000, write: gated.write });
    const a = batcher.add('a', [1], { more: true });
    const b = [batcher.add('a', [2], { more: true }), batcher.add('a', [3], { more: true })];
    await vi.advanceTimersByTimeAsync(0);
    gated.release();
    await a;
    expect(batcher.stats.concurrency).toBe(3);
    // Two of three: they wait for the third (the default first linger, 100 ms), which does not come.
    await vi.advanceTimersByTimeAsync(99);
    expect(gated.writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(gated.writes).toHaveLength(2);
    expect(batcher.stats.concurrency).toBe(2);
    gated.release();
    await Promise.all(b);
    // A third handler is back: three blocked at once again.
    const c = [batcher.add('a', [5], { more: true }), batcher.add('a', [6], { more: true })];
    await vi.advanceTimersByTimeAsync(0);
    expect(gated.writes).toHaveLength(3);
    const d = batcher.add('a', [7], { more: true });
    expect(batcher.stats.concurrency).toBe(3);
    gated.release();
    await Promise.all(c);
    await vi.advanceTimersByTimeAsync(batcher.stats.lingerMs);
    gated.release();
    await d;
    // Only one of the three came back within the linger (the others' partitions went quiet): it went alone, and
    // the batcher expects one handler from now on.
    expect(gated.writes.at(-1)).toEqual(new Map([['a', [7]]]));
    expect(batcher.stats.concurrency).toBe(1);
    const lone = batcher.add('a', [8], { more: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(gated.writes).toHaveLength(5);
    gated.release();
    await lone;
  });

  it('> never holds more than maxRows in one flush, and flush() writes what is waiting at once', async () => {
    const writes: number[] = [];
    const batcher = createBatcher<string, number>({ maxRows: 3, maxDelayMs: 1000, write: async (_, rows) => void writes.push(rows) });
    const adds = [batcher.add('a', [1, 2], { more: true }), batcher.add('a', [3, 4], { more: true }), batcher.add('a', [5], { more: true })];
    await vi.advanceTimersByTimeAsync(0);
    await batcher.flush();
    await Promise.all(adds);
    expect(writes.every((n) => n <= 4)).toBe(true);
    expect(writes.reduce((n, r) => n + r, 0)).toBe(5);
    expect(batcher.waiting).toBe(0);
    await expect(batcher.flush()).resolves.toBeUndefined();
  });
});

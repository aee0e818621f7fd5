import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

describe('metrics', () => {
  it('keeps one registry per instance and returns the same metric for the same name', async () => {
    const a = createMetrics({ defaultLabels: { process: 'test' } });
    const b = createMetrics();
    const counter = a.counter({ name: 'linepulse_things_total', help: 'Things.', labelNames: ['kind'] as const });
    expect(a.counter({ name: 'linepulse_things_total', help: 'Things.', labelNames: ['kind'] as const })).toBe(counter);
    counter.inc({ kind: 'x' }, 2);
    b.counter({ name: 'linepulse_things_total', help: 'Things.' }).inc();
    a.histogram({ name: 'linepulse_batch_seconds', help: 'Batch time.', buckets: [0.1, 1] }).observe(0.5);
    a.gauge({ name: 'linepulse_lag', help: 'Lag.' }).set(3);
    const text = await a.render();
    expect(text).toContain('linepulse_things_total{kind="x",process="test"} 2');
    expect(text).toContain('linepulse_batch_seconds_bucket{le="1",process="test"} 1');
    expect(text).toContain('linepulse_lag{process="test"} 3');
    expect(await b.render()).toContain('linepulse_things_total 1');
    expect(() => a.gauge({ name: 'linepulse_things_total', help: 'x' })).toThrow(/already registered with another type/);
  });
});

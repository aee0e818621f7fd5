import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../platform/metrics.ts';
import { startProbeServer, type ProbeServer } from './probe-server.ts';

let probe: ProbeServer | undefined;
afterEach(async () => {
  await probe?.close();
});

describe('probe server > /metrics, /health, /ready', () => {
  it('serves Prometheus text and answers health 200 when fit, 503 with the report when not', async () => {
    const metrics = createMetrics();
    metrics.counter({ name: 'linepulse_test_events_total', help: 'test' }).inc(3);
    let fit = true;
    probe = await startProbeServer({ port: 0, metrics, health: () => ({ ok: fit, backlog: fit ? 0 : 42 }) });
    const text = await (await fetch(`${probe.url}/metrics`)).text();
    expect(text).toContain('linepulse_test_events_total 3');
    expect((await fetch(`${probe.url}/health`)).status).toBe(200);
    fit = false;
    const ready = await fetch(`${probe.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'degraded', ok: false, backlog: 42 });
    expect((await fetch(`${probe.url}/nothing`)).status).toBe(404);
  });

  it('answers GET and HEAD only, with minimal security headers', async () => {
    probe = await startProbeServer({ port: 0, metrics: createMetrics() });
    const answer = await fetch(`${probe.url}/health`);
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    const post = await fetch(`${probe.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

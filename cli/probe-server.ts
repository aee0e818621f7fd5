// The probe endpoints of a linepulse process on 127.0.0.1: /metrics (Prometheus), /health and /ready (200 when
// the process reports itself fit, 503 otherwise, with its report as JSON). One server for every process kind.
// GET and HEAD only; no rate limit (it listens on 127.0.0.1 and does no work a scrape could multiply).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../platform/metrics.ts';

export interface ProbeReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface ProbeServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startProbeServer(options: {
  port: number;
  metrics: Pick<Metrics, 'render' | 'contentType'>;
  /** What the process reports on /health and /ready; default always fit. */
  health?: () => ProbeReport | Promise<ProbeReport>;
}): Promise<ProbeServer> {
  const health = options.health ?? (() => ({ ok: true }));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // Minimal hardening: read-only, never cached, never sniffed or framed (SECURITY.md).
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      void options.metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': options.metrics.contentType }).end(text),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    } else if (path === '/health' || path === '/ready') {
      void Promise.resolve(health()).then(
        (report) => res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: report.ok ? 'ok' : 'degraded', ...report })),
        (error: unknown) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'down', error: String(error) })),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

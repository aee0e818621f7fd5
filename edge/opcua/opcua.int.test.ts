// OPC-UA collector against real node-opcua servers: security modes with user/password and the PKI trust list,
// and browsing a 50k-node address space without blocking the event loop.
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import type { PieceCount } from '../../schemas/generated/types.ts';
import { collectingPublish } from '../events.ts';
import { createEdgeMetrics } from '../metrics.ts';
import { demoOpcUaEndpoint } from '../sim/demo-config.ts';
import { startPlantSimulator, type PlantSimulator } from '../sim/index.ts';
import { browseEndpoint, starterMapping } from './browse.ts';
import { startOpcUaCollector } from './collector.ts';
import { opcUaEndpointSchema } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'lp-opcua-'));
const sims: PlantSimulator[] = [];
afterAll(async () => {
  for (const s of sims) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('edge > opcua (real node-opcua servers)', () => {
  // The last case runs the client's certificate manager without file watchers (as on a file system without
  // change events): the collector must still see the certificate moved to trusted/ at its next try.
  for (const [mode, watchers] of [['Sign', true], ['SignAndEncrypt', true], ['Sign', false]] as const) {
    it(`${mode} (Basic256Sha256) with user/password; the server certificate must be in the PKI trusted folder${watchers ? '' : ' (no file watchers)'}`, async () => {
      const sim = await startPlantSimulator({
        machines: 1,
        port: 0,
        acceleration: 50,
        pkiDir: join(dir, `pki-sim-${mode}-${watchers}`),
        security: { modes: [mode], users: [{ user: 'edge', password: 'pw-1' }], allowAnonymous: false },
      });
      sims.push(sim);
      const pkiDir = join(dir, `pki-client-${mode}-${watchers}`);
      const { publish, events } = collectingPublish();
      const base = demoOpcUaEndpoint({ endpointUrl: sim.endpointUrl, machines: ['M01'] });
      const config = opcUaEndpointSchema.parse({ ...base, id: `sec-${mode}-${watchers}`, securityMode: mode, user: { username: 'edge', password: 'pw-1' }, pkiDir, reconnect: { initialDelayMs: 300, maxDelayMs: 600 } });
      // node-opcua-pki reads this variable when the collector creates its certificate manager (synchronously).
      const watcherSetting = process.env.OPCUA_PKI_DISABLE_FILE_WATCHERS;
      if (!watchers) process.env.OPCUA_PKI_DISABLE_FILE_WATCHERS = 'true';
      const collector = startOpcUaCollector({ config, publish, logger: silentLogger(), metrics: createEdgeMetrics(), pkiDir });
      if (watcherSetting === undefined) delete process.env.OPCUA_PKI_DISABLE_FILE_WATCHERS;
      else process.env.OPCUA_PKI_DISABLE_FILE_WATCHERS = watcherSetting;
      // Not trusted yet: the server certificate lands in rejected/, nothing flows.
      const rejected = join(pkiDir, 'rejected');
      await until(() => existsSync(rejected) && readdirSync(rejected).some((f) => f.endsWith('.pem') || f.endsWith('.der')), 'the server certificate in rejected/', 30_000);
      expect(collector.connected).toBe(false);
      // The plant engineer trusts it: move it to trusted/certs; the collector's retry connects.
      for (const f of readdirSync(rejected)) renameSync(join(rejected, f), join(pkiDir, 'trusted', 'certs', f));
      await collector.ready;
      await until(() => events.some((e) => e.topic === 'counts'), 'counter readings over a secure channel');
      expect((events.find((e) => e.topic === 'counts')?.event as PieceCount).quality).toBe('GOOD');
      await collector.stop();

      // A wrong password never gets a session.
      const bad = startOpcUaCollector({ config: { ...config, id: `bad-${mode}-${watchers}`, user: { username: 'edge', password: 'wrong' } }, publish: () => undefined, logger: silentLogger(), metrics: createEdgeMetrics(), pkiDir });
      await new Promise((r) => setTimeout(r, 3_000));
      expect(bad.connected).toBe(false);
      await bad.stop();
    }, 120_000);
  }

  it('browses 50k+ nodes depth-limited while the event loop keeps ticking, and prints a starter mapping', async () => {
    const sim = await startPlantSimulator({ machines: 2, port: 0, pkiDir: join(dir, 'pki-sim-browse'), loadVariables: 50_000, loadIntervalMs: 3_600_000 });
    sims.push(sim);
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const t = performance.now();
      maxGap = Math.max(maxGap, t - last);
      last = t;
      ticks += 1;
    }, 10);
    const started = performance.now();
    const { nodes, truncated } = await browseEndpoint({ endpoint: sim.endpointUrl, pkiDir: join(dir, 'pki-browse'), maxDepth: 4, batchSize: 500 });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    expect(truncated).toBe(false);
    expect(nodes.length).toBeGreaterThan(50_000);
    expect(ticks).toBeGreaterThan(seconds * 20); // the loop ran (nominal 100/s) during the browse
    console.log(`browse: ${nodes.length} nodes in ${seconds.toFixed(1)} s, longest event-loop gap ${maxGap.toFixed(0)} ms`);
    const shallow = await browseEndpoint({ endpoint: sim.endpointUrl, pkiDir: join(dir, 'pki-browse'), maxDepth: 2 });
    expect(shallow.nodes.every((n) => n.depth <= 2)).toBe(true);
    expect(shallow.nodes.some((n) => n.browsePath === '/1:Plant/1:M01')).toBe(true);
    const deep = await browseEndpoint({ endpoint: sim.endpointUrl, pkiDir: join(dir, 'pki-browse'), maxDepth: 3 });
    const mapping = starterMapping(deep.nodes.filter((n) => !n.browsePath.startsWith('/1:Plant/1:Load')), { id: 'plc1', endpoint: sim.endpointUrl, equipmentPrefix: 'acme/p1/a1/l1' });
    expect(mapping.tags).toContainEqual({ node: 'ns=1;s=M01.GoodCount', equipment: 'acme/p1/a1/l1/M01', role: 'goodCounter', tag: 'GoodCount' });
    expect(mapping.tags).toContainEqual({ node: 'ns=1;s=M02.RejectCount', equipment: 'acme/p1/a1/l1/M02', role: 'rejectCounter', tag: 'RejectCount' });
    expect(opcUaEndpointSchema.safeParse(mapping).success).toBe(true);
  }, 180_000);
});

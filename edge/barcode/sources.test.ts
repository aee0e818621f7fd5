// Scanner line sources: a real TCP keyboard-wedge stream (the simulator's scanner server, dropped and reconnected)
// and a serial port (serialport's mock binding: the same SerialPort API without a device).
import { SerialPortMock } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/log.ts';
import type { BarcodeScan } from '../../schemas/generated/types.ts';
import { collectingPublish } from '../events.ts';
import { createEdgeMetrics } from '../metrics.ts';
import { createRng } from '../sim/prng.ts';
import { startSimScanners, type SimScanners } from '../sim/scanners.ts';
import { simulatePlant } from '../sim/index.ts';
import { scannerSchema } from './config.ts';
import { startScannerCollector } from './collector.ts';

let sims: SimScanners | null = null;
afterAll(async () => {
  await sims?.stop();
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('edge > barcode sources', () => {
  it('TCP: GS1 scans of the simulated station arrive parsed, and the stream reconnects', async () => {
    sims = await startSimScanners({ machineIds: ['M01'], basePort: 0, host: '127.0.0.1', rng: createRng(1) });
    const station = sims.stations[0];
    if (!station) throw new Error('no station');
    const { publish, events } = collectingPublish();
    const config = scannerSchema.parse({ station: station.station, equipment: 'demo/plant1/assembly/line1/cell1/M01', tcp: { port: station.port }, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, workOrderPattern: '^WO-' });
    const collector = startScannerCollector({ config, publish, logger: silentLogger(), metrics: createEdgeMetrics() });
    await collector.ready;
    const trace = simulatePlant({ machines: 1, seed: 2, ticks: 3_000 });
    for (let i = 1; i < trace.length; i += 1) sims.onTick(trace[i - 1] ?? [], trace[i] ?? [], i * 100);
    const written = sims.written(station.station).length;
    expect(written).toBeGreaterThan(10);
    await until(() => events.length >= written - 5, 'the scans');
    const scans = events.map((e) => e.event as BarcodeScan);
    expect(scans.filter((s) => s.status === 'ACCEPTED' && s.gs1?.gtin).length).toBeGreaterThan(5);
    expect(scans.every((s) => s.status === 'ACCEPTED' || (s.rejectReason ?? '').length > 0)).toBe(true);

    await sims.stop(); // the scanner goes away ...
    sims = await startSimScanners({ machineIds: ['M01'], basePort: station.port, host: '127.0.0.1', rng: createRng(3) }); // ... and comes back
    await until(() => collector.status().reconnects >= 1 && collector.connected, 'the reconnection');
    const before = events.length;
    sims.onTick(trace[0] ?? [], trace[0]?.map((m) => ({ ...m, goodCount: m.goodCount + 1 })) ?? [], 1);
    await until(() => events.length > before, 'a scan after the reconnection');
    await collector.stop();
  });

  it('serial: lines split on CR/LF, parsed, bound to the station', async () => {
    const path = '/dev/ttyLP0';
    SerialPortMock.binding.createPort(path, { echo: false, record: false });
    const opened: SerialPortMock[] = [];
    class CapturingPort extends SerialPortMock {
      constructor(options: ConstructorParameters<typeof SerialPortMock>[0]) {
        super(options);
        opened.push(this);
      }
    }
    const { publish, events } = collectingPublish();
    const config = scannerSchema.parse({ station: 'st-serial', equipment: 'demo/plant1/assembly/line1/cell2/M02', serial: { path, baudRate: 9600 }, workOrder: 'WO-9' });
    const collector = startScannerCollector({ config, publish, logger: silentLogger(), metrics: createEdgeMetrics(), serialPortClass: CapturingPort });
    await collector.ready;
    expect(collector.connected).toBe(true);
    const port = opened[0]?.port;
    if (!port) throw new Error('serial port not open');
    port.emitData(']C1010950600013435210LOT1\r\n]C0PART');
    port.emitData('-7\r]C10109506000134353\n');
    await until(() => events.length === 3, 'three scans');
    const scans = events.map((e) => e.event as BarcodeScan);
    expect(scans.map((s) => [s.status, s.gs1?.lot ?? s.code, s.workOrder, s.station])).toEqual([
      ['ACCEPTED', 'LOT1', 'WO-9', 'st-serial'],
      ['ACCEPTED', 'PART-7', 'WO-9', 'st-serial'],
      ['REJECTED', null, 'WO-9', 'st-serial'],
    ]);
    await collector.stop();
  });
});

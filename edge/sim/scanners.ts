// Simulated barcode scanners: one TCP keyboard-wedge stream per station (127.0.0.1), one scan per line.
// Each good part gets a GS1-128 scan (GTIN, lot, serial); a changeover starts a new lot and the operator scans a
// work-order barcode (Code 128); now and then a double read or an unreadable/invalid scan, as on a real line.
import { createServer, type Server, type Socket } from 'node:net';
import { GS, buildElementString, withCheckDigit } from '../barcode/gs1.ts';
import type { MachineSnapshot } from './machine.ts';
import type { Rng } from './prng.ts';

export interface SimStation {
  station: string;
  machineId: string;
  port: number;
}

export interface SimScanners {
  readonly stations: SimStation[];
  /** Feeds the machine snapshots of one tick; writes the scans they imply. */
  onTick(previous: MachineSnapshot[], current: MachineSnapshot[], simTime: number): void;
  /** Lines written so far per station (tests). */
  written(station: string): string[];
  stop(): Promise<void>;
}

export async function startSimScanners(options: { machineIds: string[]; basePort: number; host: string; rng: Rng; keepLines?: number }): Promise<SimScanners> {
  const stations: SimStation[] = [];
  const servers: Server[] = [];
  const clients = new Map<string, Set<Socket>>();
  const lines = new Map<string, string[]>();
  const keep = options.keepLines ?? 10_000;
  for (const [i, machineId] of options.machineIds.entries()) {
    const station = `st-${machineId}`;
    const set = new Set<Socket>();
    clients.set(station, set);
    lines.set(station, []);
    const server = createServer((socket) => {
      set.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => set.delete(socket));
    });
    const port = await new Promise<number>((resolvePort, reject) => {
      server.once('error', reject);
      server.listen(options.basePort === 0 ? 0 : options.basePort + i, options.host, () => {
        const a = server.address();
        resolvePort(typeof a === 'object' && a ? a.port : 0);
      });
    });
    servers.push(server);
    stations.push({ station, machineId, port });
  }
  const { rng } = options;
  const gtins = options.machineIds.map((_, i) => withCheckDigit(`0950600${String(13000 + i * 7).padStart(5, '0')}${i % 10}`));
  const lots = options.machineIds.map((id) => `L${id}-${String(rng.int(100, 999))}`);
  const serials = options.machineIds.map(() => rng.int(100_000, 900_000));
  let workOrder = 4700;

  const write = (station: string, line: string) => {
    const list = lines.get(station);
    if (list) {
      list.push(line);
      if (list.length > keep) list.splice(0, list.length - keep);
    }
    for (const socket of clients.get(station) ?? []) socket.write(`${line}\r\n`);
  };

  return {
    stations,
    onTick(previous, current, simTime) {
      for (const [i, s] of current.entries()) {
        const p = previous[i];
        const st = stations[i];
        if (!p || !st) continue;
        if (s.state === 'CHANGEOVER' && p.state !== 'CHANGEOVER') {
          lots[i] = `L${s.id}-${String(rng.int(100, 999))}`;
          workOrder += 1;
          write(st.station, `]C0WO-${workOrder}`);
        }
        if (s.goodCount !== p.goodCount) {
          serials[i] = (serials[i] ?? 0) + 1;
          const expiry = new Date(simTime + 365 * 86_400_000);
          const yymmdd = `${String(expiry.getUTCFullYear() % 100).padStart(2, '0')}${String(expiry.getUTCMonth() + 1).padStart(2, '0')}${String(expiry.getUTCDate()).padStart(2, '0')}`;
          const text = `]C1${buildElementString([['01', gtins[i] ?? ''], ['17', yymmdd], ['10', lots[i] ?? ''], ['21', `S${serials[i]}`]])}`;
          const u = rng.next();
          if (u < 0.02) write(st.station, `]C101${(gtins[i] ?? '').slice(0, 13)}${((Number((gtins[i] ?? '0').slice(13)) + 1) % 10)}10${lots[i]}`); // misread: bad check digit
          else {
            write(st.station, text);
            if (u > 0.97) write(st.station, text); // double read
          }
        }
      }
    },
    written: (station) => [...(lines.get(station) ?? [])],
    async stop() {
      for (const set of clients.values()) for (const socket of set) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
    },
  };
}

export { GS };

// Mosquitto from Debian on 127.0.0.1:11883 with the stack's own config file (no system service), no persistence.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isAlive, logFile, pidFile, readPid, removePid, spawnDetached, stopProcess, writePid } from '../proc.ts';
import type { StackService } from '../types.ts';

export const mqttPort = 11883;
const binary = '/usr/sbin/mosquitto';
const marker = 'mosquitto';
const config = fileURLToPath(new URL('../mosquitto/mosquitto.conf', import.meta.url));
const pids = pidFile('mqtt');

// MQTT 3.1.1 CONNECT with an empty client id and clean session, and the CONNACK that accepts it.
const connectPacket = Buffer.from([0x10, 12, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x0a, 0x00, 0x00]);
const disconnectPacket = Buffer.from([0xe0, 0x00]);

/** One MQTT handshake: true when the broker answers CONNECT with an accepting CONNACK. */
function mqttAnswers(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const done = (ok: boolean) => {
      if (ok) socket.end(disconnectPacket);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(connectPacket));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4) done(received[0] === 0x20 && received[3] === 0x00);
    });
  });
}

export function mqttService(): StackService {
  return {
    name: 'mqtt',
    address: `127.0.0.1:${mqttPort}`,
    port: mqttPort,
    log: logFile('mqtt'),
    readyTimeoutMs: 15_000,
    installed: () => existsSync(binary),
    async install() {
      throw new Error(`Mosquitto is not installed (no ${binary}): run \`node compose/stack/ensure-tools.js\` (Debian package mosquitto)`);
    },
    pid() {
      const pid = readPid(pids);
      return isAlive(pid, marker) ? pid : undefined;
    },
    async start() {
      const pid = spawnDetached(binary, ['-c', config], { cwd: '/', log: this.log });
      writePid(pids, pid);
      return pid;
    },
    ready: () => mqttAnswers(mqttPort),
    async stop() {
      const stopped = await stopProcess(readPid(pids), marker, 'SIGTERM', 10_000);
      removePid(pids);
      return stopped;
    },
  };
}

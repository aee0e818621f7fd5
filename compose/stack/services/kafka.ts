// Apache Kafka 3.9 (KRaft, one combined broker+controller node) from Maven Central jars, on 127.0.0.1:19092.
// `kafkaService()` is the shared stack's broker; `kafkaService({ port, controllerPort, home })` a private instance
// (own ports, data, pid file and log) for tests that kill and restart their broker.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { fetchKafka, kafkaInstalled, kafkaLibsDir, stackDir } from '../artifacts.js';
import { isAlive, logFile, pidFile, readPid, removePid, run, spawnDetached, stopProcess, writePid } from '../proc.ts';
import type { StackService } from '../types.ts';

export const kafkaPort = 19092;
export const kafkaControllerPort = 19093;
const marker = 'kafka.Kafka';
const template = fileURLToPath(new URL('../kafka/server.properties', import.meta.url));
const log4j = fileURLToPath(new URL('../kafka/log4j.properties', import.meta.url));

/** A private broker: its own ports and folder (data, server.properties, pid file, log). */
export interface KafkaInstanceOptions {
  port: number;
  controllerPort: number;
  /** Folder of the instance; created on start. */
  home: string;
  /**
   * More PLAINTEXT listeners: `port` is where the broker listens, `advertisedPort` what it tells clients of that
   * listener (e.g. a TCP proxy in front of it, so that one client can be cut off alone).
   */
  extraListeners?: ReadonlyArray<{ name: string; port: number; advertisedPort: number }>;
}

/** server.properties of an instance: the stack's template with the instance's ports, data folder and listeners. */
export function kafkaProperties(instance: KafkaInstanceOptions | undefined): string {
  const text = readFileSync(template, 'utf8').replaceAll('@STACK_DIR@', stackDir);
  if (!instance) return text;
  const extra = instance.extraListeners ?? [];
  const set = (source: string, key: string, value: string) => source.replace(new RegExp(`^${key.replaceAll('.', '\\.')}=.*$`, 'm'), `${key}=${value}`);
  let out = text;
  out = set(out, 'controller.quorum.voters', `1@127.0.0.1:${instance.controllerPort}`);
  out = set(out, 'listeners', [`PLAINTEXT://127.0.0.1:${instance.port}`, `CONTROLLER://127.0.0.1:${instance.controllerPort}`, ...extra.map((l) => `${l.name}://127.0.0.1:${l.port}`)].join(','));
  out = set(out, 'advertised.listeners', [`PLAINTEXT://127.0.0.1:${instance.port}`, ...extra.map((l) => `${l.name}://127.0.0.1:${l.advertisedPort}`)].join(','));
  out = set(out, 'listener.security.protocol.map', ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...extra.map((l) => `${l.name}:PLAINTEXT`)].join(','));
  out = set(out, 'log.dirs', join(instance.home, 'data'));
  return out;
}

function classpath(): string {
  return `${kafkaLibsDir}/*`;
}

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). Like
 * Kafka's Uuid.randomUuid, never one that starts with '-': `StorageTool format -t -abc…` reads it as an option
 * and fails (one start in 64 before).
 */
export function clusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaService(instance?: KafkaInstanceOptions): StackService {
  const port = instance?.port ?? kafkaPort;
  const address = `127.0.0.1:${port}`;
  const home = instance?.home ?? join(stackDir, 'kafka');
  const dataDir = join(home, 'data');
  const pids = instance ? join(home, 'kafka.pid') : pidFile('kafka');
  return {
    name: 'kafka',
    address,
    port,
    log: instance ? join(home, 'kafka.log') : logFile('kafka'),
    readyTimeoutMs: 90_000,
    installed: kafkaInstalled,
    async install() {
      await fetchKafka();
    },
    pid() {
      const pid = readPid(pids);
      return isAlive(pid, marker) ? pid : undefined;
    },
    async start() {
      mkdirSync(dataDir, { recursive: true });
      const properties = join(home, 'server.properties');
      writeFileSync(properties, kafkaProperties(instance));
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        await run('java', ['-cp', classpath(), `-Dlog4j.configuration=file:${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties, '--ignore-formatted']);
      }
      const pid = spawnDetached(
        'java',
        [
          '-Xms256m',
          '-Xmx512m',
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${log4j}`,
          '-cp',
          classpath(),
          marker,
          properties,
        ],
        { cwd: home, log: this.log },
      );
      writePid(pids, pid);
      return pid;
    },
    async ready() {
      const kafka = new Kafka({ clientId: 'linepulse-stack', brokers: [address], logLevel: logLevel.NOTHING, connectionTimeout: 1_000, requestTimeout: 2_000, retry: { retries: 0 } });
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    async stop() {
      const stopped = await stopProcess(readPid(pids), marker, 'SIGTERM', 30_000);
      removePid(pids);
      return stopped;
    },
  };
}

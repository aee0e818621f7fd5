// Apache Kafka 3.9 (KRaft, one combined broker+controller node) from Maven Central jars, on 127.0.0.1:19092.
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
const home = join(stackDir, 'kafka');
const dataDir = join(home, 'data');
const template = fileURLToPath(new URL('../kafka/server.properties', import.meta.url));
const log4j = fileURLToPath(new URL('../kafka/log4j.properties', import.meta.url));
const pids = pidFile('kafka');

function classpath(): string {
  return `${kafkaLibsDir}/*`;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

export function kafkaService(): StackService {
  const address = `127.0.0.1:${kafkaPort}`;
  return {
    name: 'kafka',
    address,
    port: kafkaPort,
    log: logFile('kafka'),
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
      writeFileSync(properties, readFileSync(template, 'utf8').replaceAll('@STACK_DIR@', stackDir));
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

// Apicurio Registry 3.0 (Quarkus, in-memory H2 storage) from Maven Central on 127.0.0.1:18081; the
// Confluent-compatible API that @confluentinc/schemaregistry talks to is at /apis/ccompat/v7.
import { fetchRegistry, registryDir, registryInstalled, registryJar } from '../artifacts.js';
import { isAlive, logFile, pidFile, readPid, removePid, spawnDetached, stopProcess, writePid } from '../proc.ts';
import type { StackService } from '../types.ts';

export const registryPort = 18081;
export const ccompatPath = '/apis/ccompat/v7';
const marker = 'apicurio-registry-app';
const pids = pidFile('registry');

export function registryService(): StackService {
  const address = `127.0.0.1:${registryPort}`;
  return {
    name: 'registry',
    address,
    port: registryPort,
    log: logFile('registry'),
    readyTimeoutMs: 120_000,
    installed: registryInstalled,
    async install() {
      await fetchRegistry();
    },
    pid() {
      const pid = readPid(pids);
      return isAlive(pid, marker) ? pid : undefined;
    },
    async start() {
      const pid = spawnDetached(
        'java',
        [
          '-Xms64m',
          '-Xmx384m',
          '-XX:+UseSerialGC',
          '-XX:+ExitOnOutOfMemoryError',
          `-Dquarkus.http.host=127.0.0.1`,
          `-Dquarkus.http.port=${registryPort}`,
          // In-memory storage (the default of 3.0: SQL on an H2 in-memory database), no auth, no telemetry.
          '-Dapicurio.storage.kind=sql',
          '-Dapicurio.storage.sql.kind=h2',
          '-Dquarkus.http.access-log.enabled=false',
          '-Dquarkus.log.level=WARN',
          '-Dquarkus.log.category."io.quarkus".level=INFO',
          '-jar',
          registryJar,
        ],
        { cwd: registryDir, log: this.log },
      );
      writePid(pids, pid);
      return pid;
    },
    async ready() {
      try {
        const response = await fetch(`http://${address}${ccompatPath}/subjects`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.ok;
      } catch {
        return false;
      }
    },
    async stop() {
      const stopped = await stopProcess(readPid(pids), marker, 'SIGTERM', 30_000);
      removePid(pids);
      return stopped;
    },
  };
}

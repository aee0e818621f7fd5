// The real-service test stack without Docker: Kafka, PostgreSQL, Mosquitto and a schema registry on 127.0.0.1
// with fixed ports, state in <repo>/.stack. Used by `linepulse stack up|down|status` and test/stack-setup.ts.
// See compose/README.md.
import { ServiceUnreachableError, describeCause } from '../../platform/errors.ts';
import { silentLogger, type Logger } from '../../platform/log.ts';
import { isAlive, logTail, pollUntil, portOpen, withLock } from './proc.ts';
import { kafkaService } from './services/kafka.ts';
import { mqttService } from './services/mqtt.ts';
import { databaseName, postgresService } from './services/postgres.ts';
import { ccompatPath, registryService } from './services/registry.ts';
import { serviceNames, type ServiceName, type StackEnv, type StackService } from './types.ts';

export { serviceNames, type ServiceName, type StackEnv, type StackService } from './types.ts';
export { logsDir } from './proc.ts';
export { kafkaService, type KafkaInstanceOptions } from './services/kafka.ts';
export { postgresService, databaseName, type PostgresInstanceOptions } from './services/postgres.ts';

const services: Record<ServiceName, StackService> = {
  kafka: kafkaService(),
  postgres: postgresService(),
  mqtt: mqttService(),
  registry: registryService(),
};

/** The connection env of the stack (fixed addresses, whether or not it runs). */
export function stackEnv(): StackEnv {
  return {
    KAFKA_BROKERS: services.kafka.address,
    DATABASE_URL: `postgres://postgres@${services.postgres.address}/${databaseName}`,
    MQTT_URL: `mqtt://${services.mqtt.address}`,
    SCHEMA_REGISTRY_URL: `http://${services.registry.address}${ccompatPath}`,
  };
}

export interface StackUpOptions {
  /** Default: all of them. */
  services?: readonly ServiceName[];
  log?: Logger;
}

export interface StackUpResult {
  env: StackEnv;
  /** Services this call started (the rest were already running). */
  started: ServiceName[];
}

function failure(service: StackService, problem: string): ServiceUnreachableError {
  const tail = logTail(service.log);
  return new ServiceUnreachableError(service.name, service.address, `${problem}; read ${service.log}${tail ? ` (last line: ${tail})` : ''}`);
}

/** Brings one service up; resolves to true when this call started it. */
async function up(service: StackService, log: Logger): Promise<boolean> {
  // Fast path: already running and answering.
  if (service.pid() !== undefined && (await service.ready())) return false;

  return withLock(service.name, service.readyTimeoutMs + 180_000, async () => {
    let pid = service.pid();
    let started = false;
    if (pid === undefined) {
      if (await portOpen(service.port))
        throw new ServiceUnreachableError(service.name, service.address, `port ${service.port} is taken by a process the stack did not start (see \`ss -ltnp 'sport = :${service.port}'\`)`);
      if (!service.installed()) {
        log.info({ service: service.name }, 'installing');
        try {
          await service.install();
        } catch (error) {
          throw new ServiceUnreachableError(service.name, service.address, describeCause(error));
        }
      }
      log.info({ service: service.name, address: service.address, log: service.log }, 'starting');
      try {
        pid = await service.start();
      } catch (error) {
        throw failure(service, `start failed: ${describeCause(error)}`);
      }
      started = true;
    }
    const startedAt = Date.now();
    const outcome = await pollUntil(() => service.ready(), {
      timeoutMs: service.readyTimeoutMs,
      intervalMs: 250,
      giveUp: () => service.pid() === undefined,
    });
    if (outcome === 'gave-up') throw failure(service, 'the process exited before it was ready');
    if (outcome === 'timeout') throw failure(service, `not ready after ${service.readyTimeoutMs / 1000} s (pid ${pid ?? '?'}${isAlive(pid, '') ? ', still running' : ''})`);
    if (started) {
      await service.afterReady?.();
      log.info({ service: service.name, address: service.address, ms: Date.now() - startedAt }, 'ready');
    }
    return started;
  });
}

/**
 * Starts the requested services that are not running yet (in parallel) and waits until each answers its own
 * protocol. Idempotent: when all run already it returns after one probe each. Throws ServiceUnreachableError
 * naming the service, its address and the log file to read.
 */
export async function stackUp(options: StackUpOptions = {}): Promise<StackUpResult> {
  const log = options.log ?? silentLogger();
  const names = options.services ?? serviceNames;
  const results = await Promise.allSettled(names.map((name) => up(services[name], log)));
  const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((error) => describeCause(error)).join('; '));
  const started = names.filter((_, index) => (results[index] as PromiseFulfilledResult<boolean>).value);
  return { env: stackEnv(), started };
}

/** Stops the requested services (default: all) that the stack started. Returns the ones that were running. */
export async function stackDown(options: { services?: readonly ServiceName[]; log?: Logger } = {}): Promise<ServiceName[]> {
  const log = options.log ?? silentLogger();
  const names = options.services ?? serviceNames;
  const stopped = await Promise.all(
    names.map(async (name) => {
      const wasRunning = await services[name].stop();
      if (wasRunning) log.info({ service: name }, 'stopped');
      return wasRunning ? [name] : [];
    }),
  );
  return stopped.flat();
}

/**
 * Starts a private instance of a service (`kafkaService({ port, controllerPort, home })`, `postgresService({ port,
 * dataDir, log })`: own ports and state, not the shared stack) unless it runs, and waits until it answers. Returns
 * its pid. The caller stops it with `service.stop()`.
 */
export async function instanceUp(service: StackService): Promise<number> {
  let pid = service.pid();
  if (pid !== undefined && (await service.ready())) return pid;
  if (pid === undefined) {
    if (await portOpen(service.port)) throw new ServiceUnreachableError(service.name, service.address, `port ${service.port} is taken`);
    if (!service.installed()) await service.install();
    try {
      pid = await service.start();
    } catch (error) {
      throw failure(service, `start failed: ${describeCause(error)}`);
    }
  }
  const outcome = await pollUntil(() => service.ready(), { timeoutMs: service.readyTimeoutMs, intervalMs: 250, giveUp: () => service.pid() === undefined });
  if (outcome === 'gave-up') throw failure(service, 'the process exited before it was ready');
  if (outcome === 'timeout') throw failure(service, `not ready after ${service.readyTimeoutMs / 1000} s`);
  await service.afterReady?.();
  return pid;
}

export type ServiceState = 'running' | 'starting' | 'stopped' | 'not installed';

export interface ServiceStatus {
  service: ServiceName;
  state: ServiceState;
  address: string;
  pid?: number;
  log: string;
}

/** One entry per service: running (answers), starting (process up, not answering yet), stopped, not installed. */
export async function stackStatus(options: { services?: readonly ServiceName[] } = {}): Promise<ServiceStatus[]> {
  const names = options.services ?? serviceNames;
  return Promise.all(
    names.map(async (name): Promise<ServiceStatus> => {
      const service = services[name];
      const pid = service.pid();
      const base = { service: name, address: service.address, log: service.log };
      if (pid !== undefined) return { ...base, pid, state: (await service.ready()) ? 'running' : 'starting' };
      return { ...base, state: service.installed() ? 'stopped' : 'not installed' };
    }),
  );
}

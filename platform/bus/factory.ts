// Picks the bus from the environment: KAFKA_BROKERS set -> Kafka through kafkajs (default) or node-rdkafka
// (KAFKA_CLIENT=rdkafka); not set -> the in-process embedded bus. Called by the composition roots in cli/.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RuntimeEnv } from '../config/env.ts';
import { ConfigError, describeCause } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createEmbeddedBus } from './embedded.ts';
import type { KafkaBusOptions, KafkaConnection } from './kafka-connection.ts';
import { createKafkajsBus } from './kafkajs.ts';
import type { Bus } from './port.ts';
import { createRdkafkaBus } from './rdkafka.ts';

export type BusEnv = Pick<
  RuntimeEnv,
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_USERNAME_FILE'
  | 'KAFKA_SASL_PASSWORD'
  | 'KAFKA_SASL_PASSWORD_FILE'
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA_FILE'
>;

export interface CreateBusOptions {
  env: BusEnv;
  logger: Logger;
  /** Bound on reaching Kafka at start (ServiceUnreachableError after it). Default 20 s. */
  connectTimeoutMs?: number;
}

/** The bus for this process; ServiceUnreachableError('Kafka', brokers, cause) when KAFKA_BROKERS cannot be reached. */
export async function createBus(options: CreateBusOptions): Promise<Bus> {
  const { env, logger } = options;
  if (!env.KAFKA_BROKERS || env.KAFKA_BROKERS.length === 0) {
    logger.info({ bus: 'embedded' }, 'bus: in-process (set KAFKA_BROKERS to use Kafka)');
    return createEmbeddedBus({ logger });
  }
  const busOptions: KafkaBusOptions = {
    connection: kafkaConnection(env),
    logger,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
  };
  const bus = env.KAFKA_CLIENT === 'rdkafka' ? await createRdkafkaBus(busOptions) : await createKafkajsBus(busOptions);
  logger.info({ bus: bus.kind, brokers: env.KAFKA_BROKERS, tls: busOptions.connection.ssl !== undefined, sasl: busOptions.connection.sasl?.mechanism }, 'bus: Kafka');
  return bus;
}

/** The Kafka connection settings of the environment, secrets read from their *_FILE when given. */
export function kafkaConnection(env: BusEnv, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): KafkaConnection {
  const connection: KafkaConnection = { brokers: env.KAFKA_BROKERS ?? [], clientId: env.KAFKA_CLIENT_ID };
  // A CA file means TLS even without KAFKA_SSL=true.
  if (env.KAFKA_SSL || env.KAFKA_SSL_CA_FILE) {
    const caFile = env.KAFKA_SSL_CA_FILE ? resolve(env.KAFKA_SSL_CA_FILE) : undefined;
    connection.ssl = caFile ? { caFile, ca: readSetting('KAFKA_SSL_CA_FILE', caFile, readFile) } : {};
  }
  const username = secret(env, 'KAFKA_SASL_USERNAME', readFile);
  const password = secret(env, 'KAFKA_SASL_PASSWORD', readFile);
  const mechanism = env.KAFKA_SASL_MECHANISM;
  if (mechanism) {
    if (!username) throw new ConfigError('environment variable KAFKA_SASL_USERNAME', `required when KAFKA_SASL_MECHANISM is set (or KAFKA_SASL_USERNAME_FILE)`);
    if (!password) throw new ConfigError('environment variable KAFKA_SASL_PASSWORD', `required when KAFKA_SASL_MECHANISM is set (or KAFKA_SASL_PASSWORD_FILE)`);
    connection.sasl = { mechanism, username, password };
  } else if (username || password) {
    throw new ConfigError('environment variable KAFKA_SASL_MECHANISM', 'required when a SASL username or password is set: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512');
  }
  return connection;
}

function secret(env: BusEnv, name: 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD', readFile: (path: string) => string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && file !== undefined) throw new ConfigError(`environment variable ${name}`, `set either ${name} or ${name}_FILE, not both`);
  if (file === undefined) return direct;
  return readSetting(`${name}_FILE`, file, readFile).replace(/\r?\n$/, '');
}

function readSetting(variable: string, path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    throw new ConfigError(`environment variable ${variable}`, `cannot read ${path}: ${describeCause(error)}`);
  }
}

// What the two Kafka adapters need to reach a cluster, independent of the client library.
import type { Logger } from '../log.ts';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** Present: TLS to the brokers. `ca` is the PEM text (kafkajs), `caFile` its path (librdkafka). */
  ssl?: { ca?: string; caFile?: string };
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

export interface KafkaBusOptions {
  connection: KafkaConnection;
  logger: Logger;
  /** Bound on reaching the cluster when the bus is created (ServiceUnreachableError after it). Default 20 s. */
  connectTimeoutMs?: number;
  /** Consumer group session timeout. Default 10 s. */
  sessionTimeoutMs?: number;
  /** Consumer heartbeat interval: how soon a member notices a rebalance. Default 1 s. */
  heartbeatIntervalMs?: number;
  /** Replication factor of topics that ensureTopics creates. Default: the broker's default.replication.factor. */
  replicationFactor?: number;
}

export const kafkaDefaults = {
  connectTimeoutMs: 20_000,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  /** How long a consumer may take to join its group in start(). */
  joinTimeoutMs: 60_000,
  /** How long ensureTopics waits for new partitions to have leaders. */
  topicReadyTimeoutMs: 30_000,
} as const;

/** The brokers as one string, for errors and logs. */
export function brokerList(connection: KafkaConnection): string {
  return connection.brokers.join(',');
}

/** Topic config entries of a spec, as Kafka names them. */
export function topicConfig(spec: { cleanupPolicy?: 'delete' | 'compact'; retentionMs?: number }): Record<string, string> {
  return {
    ...(spec.cleanupPolicy ? { 'cleanup.policy': spec.cleanupPolicy } : {}),
    ...(spec.retentionMs !== undefined ? { 'retention.ms': String(spec.retentionMs) } : {}),
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes (metadata propagation after topic creation). */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

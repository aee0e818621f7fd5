// Helpers for *.int.test.ts and *.e2e.test.ts: the address of a stack service (or a clear error, never a skip),
// unique names per test, and polling instead of sleeping.
import { ConfigError } from '../platform/errors.ts';

export type StackServiceName = 'kafka' | 'postgres' | 'mqtt' | 'registry';

const envVar: Record<StackServiceName, string> = {
  kafka: 'KAFKA_BROKERS',
  postgres: 'DATABASE_URL',
  mqtt: 'MQTT_URL',
  registry: 'SCHEMA_REGISTRY_URL',
};

/**
 * The connection string of a stack service, from the env test/stack-setup.ts exports: KAFKA_BROKERS
 * (`127.0.0.1:19092`), DATABASE_URL, MQTT_URL or SCHEMA_REGISTRY_URL. Throws when it is not set: an integration
 * test without its service fails, it is never skipped.
 */
export function requireService(service: StackServiceName): string {
  const name = envVar[service];
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new ConfigError(name, `not set, so this test has no ${service}: run it in the integration or e2e vitest project (test/stack-setup.ts starts the stack), or \`node bin/linepulse.js stack up\` and export what it prints`);
  return value;
}

let counter = 0;

/**
 * A name no other test (in this run, a parallel run or an earlier run) uses: `<prefix>_<suffix>`, the suffix
 * lowercase letters and digits. Valid as a Kafka topic, consumer group, transactional id, schema subject and,
 * when the prefix is a lowercase identifier, an unquoted PostgreSQL or ClickHouse name (stays within 63 chars
 * for a prefix up to 40).
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const random = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  return `${prefix}_${Date.now().toString(36)}${process.pid.toString(36)}${counter.toString(36)}${random}`;
}

export interface WaitForOptions {
  /** What is awaited, for the timeout message: "3 records on linepulse.counts.v1". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `condition` until it returns a truthy value (which it resolves to) or `timeoutMs` (default 30 s)
 * passes; a throwing condition counts as "not yet" and its last error is quoted in the timeout message.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${options.what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

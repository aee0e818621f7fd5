// Process environment -> validated runtime settings. Every service switches from its embedded default to the
// real one by setting one variable, with no code change.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

const csv = z
  .string()
  .transform((s) => s.split(',').map((part) => part.trim()).filter(Boolean));

const url = (what: string) => z.string().url({ message: `must be a URL (${what})` });

const envSchema = z.object({
  LINEPULSE_DATA_DIR: z.string().default('.data'),
  LINEPULSE_CONFIG: z.string().optional(),
  KAFKA_BROKERS: csv.optional(),
  KAFKA_CLIENT: z.enum(['kafkajs', 'rdkafka']).default('kafkajs'),
  KAFKA_CLIENT_ID: z.string().default('linepulse'),
  // Kafka security (platform/bus/factory.ts): SASL over plaintext or TLS. A secret may come from a file
  // (KAFKA_SASL_PASSWORD_FILE, e.g. a mounted Docker/Kubernetes secret) instead of the environment.
  KAFKA_SASL_MECHANISM: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], { message: 'must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512' }))
    .optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_USERNAME_FILE: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
  KAFKA_SSL: z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(false),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  SCHEMA_REGISTRY_URL: url('e.g. http://127.0.0.1:8081').optional(),
  DATABASE_URL: url('e.g. postgres://user:pass@127.0.0.1:5432/linepulse').optional(),
  CLICKHOUSE_URL: url('e.g. http://127.0.0.1:8123').optional(),
  MQTT_URL: url('e.g. mqtt://127.0.0.1:1883').optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RuntimeEnv = z.infer<typeof envSchema> & { dataDir: string };

/**
 * Connection URLs that may carry a password, each also readable from a file named by `<NAME>_FILE` (a mounted
 * Docker/Kubernetes secret). The Kafka SASL secrets and the dashboard's secrets have their own `*_FILE` variables.
 */
export const urlSecretVariables = ['DATABASE_URL', 'CLICKHOUSE_URL', 'MQTT_URL', 'SCHEMA_REGISTRY_URL'] as const;

function withFileSecrets(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  for (const name of urlSecretVariables) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined) throw new ConfigError(`environment variable ${name}`, `set either ${name} or ${name}_FILE, not both`);
    try {
      out[name] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(`environment variable ${name}_FILE`, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return out;
}

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const cleaned = withFileSecrets(Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`environment variable ${String(issue?.path[0] ?? '?')}`, issue?.message ?? 'invalid');
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.LINEPULSE_DATA_DIR) };
}

// Process environment -> validated runtime settings. Every service switches from its embedded default to the
// real one by setting one variable, with no code change.
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
  SCHEMA_REGISTRY_URL: url('e.g. http://127.0.0.1:8081').optional(),
  DATABASE_URL: url('e.g. postgres://user:pass@127.0.0.1:5432/linepulse').optional(),
  CLICKHOUSE_URL: url('e.g. http://127.0.0.1:8123').optional(),
  MQTT_URL: url('e.g. mqtt://127.0.0.1:1883').optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RuntimeEnv = z.infer<typeof envSchema> & { dataDir: string };

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`environment variable ${String(issue?.path[0] ?? '?')}`, issue?.message ?? 'invalid');
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.LINEPULSE_DATA_DIR) };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../config/env.ts';
import { ConfigError, ServiceUnreachableError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { createBus, kafkaConnection } from './factory.ts';

const logger = silentLogger();

describe('bus > factory', () => {
  it('uses the embedded bus when KAFKA_BROKERS is not set', async () => {
    const bus = await createBus({ env: readEnv({}), logger });
    expect(bus.kind).toBe('embedded');
    await bus.close();
  });

  it('fails with a one-line ServiceUnreachableError within the bound when Kafka cannot be reached', async () => {
    const started = Date.now();
    const error = await createBus({ env: readEnv({ KAFKA_BROKERS: '127.0.0.1:1' }), logger, connectTimeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect((error as Error).message).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:1: \S/);
    expect((error as Error).message).not.toContain('\n');
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('reads SASL and TLS settings, secrets from *_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'linepulse-bus-'));
    writeFileSync(join(dir, 'password'), 's3cret\n');
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n...');
    const connection = kafkaConnection(
      readEnv({
        KAFKA_BROKERS: 'kafka-1:9093, kafka-2:9093',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'linepulse',
        KAFKA_SASL_PASSWORD_FILE: join(dir, 'password'),
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
      }),
    );
    expect(connection).toEqual({
      brokers: ['kafka-1:9093', 'kafka-2:9093'],
      clientId: 'linepulse',
      sasl: { mechanism: 'scram-sha-512', username: 'linepulse', password: 's3cret' },
      ssl: { caFile: join(dir, 'ca.pem'), ca: '-----BEGIN CERTIFICATE-----\n...' },
    });
    expect(kafkaConnection(readEnv({ KAFKA_BROKERS: 'k:9093', KAFKA_SSL: 'true' })).ssl).toEqual({});
    expect(kafkaConnection(readEnv({ KAFKA_BROKERS: 'k:9092' }))).toEqual({ brokers: ['k:9092'], clientId: 'linepulse' });
  });

  it('names the variable when security settings are incomplete or unreadable', () => {
    const attempt = (env: Record<string, string>) => () => kafkaConnection(readEnv({ KAFKA_BROKERS: 'k:9092', ...env }));
    expect(attempt({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toThrow(new ConfigError('environment variable KAFKA_SASL_PASSWORD', 'required when KAFKA_SASL_MECHANISM is set (or KAFKA_SASL_PASSWORD_FILE)'));
    expect(attempt({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(/KAFKA_SASL_MECHANISM: required/);
    expect(attempt({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_PASSWORD_FILE: '/x' })).toThrow(/set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE/);
    expect(attempt({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/nonexistent/secret' })).toThrow(/KAFKA_SASL_PASSWORD_FILE: cannot read \/nonexistent\/secret: ENOENT/);
    expect(() => readEnv({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM: must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512/);
    expect(() => readEnv({ KAFKA_SSL: 'yes' })).toThrow(/KAFKA_SSL: must be true or false/);
  });
});

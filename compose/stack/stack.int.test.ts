// The local test stack: each service answers its own protocol at the address test/stack-setup.ts exported,
// and `stackUp` is idempotent (nothing restarted, quick) when everything already runs.
import { Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { requireService, uniqueName, waitFor } from '../../test/services.ts';
import { stackEnv, stackStatus, stackUp } from './index.ts';

describe('stack > services answer', () => {
  it('kafka: metadata of a freshly created topic (3 partitions by default)', async () => {
    const kafka = new Kafka({ clientId: 'stack-test', brokers: requireService('kafka').split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      const topic = uniqueName('stack.test');
      await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).toHaveLength(3);
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  });

  it('kafka: topics are not auto-created', async () => {
    const kafka = new Kafka({ clientId: 'stack-test', brokers: requireService('kafka').split(','), logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      await expect(producer.send({ topic: uniqueName('stack.absent'), messages: [{ value: 'x' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  });

  it('postgres: select 1 on the linepulse database', async () => {
    const client = new pg.Client({ connectionString: requireService('postgres') });
    await client.connect();
    try {
      const result = await client.query<{ one: number; db: string; fsync: string }>("select 1 as one, current_database() as db, current_setting('fsync') as fsync");
      expect(result.rows[0]).toEqual({ one: 1, db: 'linepulse', fsync: 'off' });
    } finally {
      await client.end();
    }
  });

  it('mqtt: publish/subscribe round trip', async () => {
    const client = await mqtt.connectAsync(requireService('mqtt'), { clientId: uniqueName('stack_test'), reconnectPeriod: 0 });
    try {
      const topic = `linepulse/test/${uniqueName('roundtrip')}`;
      const received: string[] = [];
      client.on('message', (_topic, payload) => received.push(payload.toString()));
      await client.subscribeAsync(topic, { qos: 1 });
      await client.publishAsync(topic, 'hello', { qos: 1 });
      await waitFor(() => received.length > 0, { what: `the message on ${topic}`, timeoutMs: 10_000 });
      expect(received).toEqual(['hello']);
    } finally {
      await client.endAsync();
    }
  });

  it('registry: the Confluent-compatible API registers and returns a schema', async () => {
    const base = requireService('registry');
    expect((await fetch(`${base}/subjects`)).status).toBe(200);
    const subject = uniqueName('stack-test-value');
    const schema = JSON.stringify({ type: 'record', name: 'Probe', namespace: 'dev.linepulse.test', fields: [{ name: 'id', type: 'string' }] });
    const registered = await fetch(`${base}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema, schemaType: 'AVRO' }),
    });
    expect(registered.status).toBe(200);
    const { id } = (await registered.json()) as { id: number };
    const fetched = (await (await fetch(`${base}/schemas/ids/${id}`)).json()) as { schema: string };
    expect(JSON.parse(fetched.schema)).toEqual(JSON.parse(schema));
    expect(await (await fetch(`${base}/subjects`)).json()).toContain(subject);
  });
});

describe('stack > up', () => {
  it('exports the fixed addresses', () => {
    expect(stackEnv()).toEqual({
      KAFKA_BROKERS: '127.0.0.1:19092',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:15432/linepulse',
      MQTT_URL: 'mqtt://127.0.0.1:11883',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7',
    });
    expect(process.env.KAFKA_BROKERS).toBe(stackEnv().KAFKA_BROKERS);
  });

  it('is idempotent: a second up starts nothing, keeps the same processes and returns quickly', async () => {
    const before = await stackStatus();
    expect(before.map((entry) => entry.state)).toEqual(['running', 'running', 'running', 'running']);
    const began = performance.now();
    const result = await stackUp();
    const elapsed = performance.now() - began;
    expect(result.started).toEqual([]);
    expect(result.env).toEqual(stackEnv());
    expect((await stackStatus()).map((entry) => entry.pid)).toEqual(before.map((entry) => entry.pid));
    // One protocol probe per service; generous bound for a loaded 2-core machine (typically ~50 ms).
    expect(elapsed).toBeLessThan(3_000);
  });
});

// The sink writer against the real stack: Kafka (through the bus factory: kafkajs), the stack's PostgreSQL
// server, and chDB. Unique topics, group, PostgreSQL schema and ClickHouse database per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus } from '../platform/bus/factory.ts';
import type { Bus, Producer } from '../platform/bus/port.ts';
import { createTypedProducer, type TypedProducer } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { readEnv } from '../platform/config/env.ts';
import { silentLogger } from '../platform/log.ts';
import { createMetrics } from '../platform/metrics.ts';
import { topics, type TopicName } from '../schemas/topics.ts';
import { requireService, uniqueName, waitFor } from '../test/services.ts';
import { createClickHouseQueries } from './clickhouse/queries.ts';
import { openClickHouse, type ClickHouseStore } from './clickhouse/store.ts';
import { openPostgres, type Db } from './postgres/db.ts';
import { migratePostgres } from './postgres/migrate.ts';
import { createPostgresQueries } from './postgres/repository.ts';
import { countIncrement, countTotal, press, T0, welder } from './testing/fixtures.ts';
import { startSinks } from './writer.ts';

// The fixtures are from 2025: keep them whatever today's date (TTLs would drop them at insert).
const keepFixtures = { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 };
const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-sinks-int-'));
const schema = uniqueName('lp_sinks');
const topicNames: Partial<Record<TopicName, string>> = {
  telemetry: uniqueName('telemetry'),
  state: uniqueName('state'),
  countIncrements: uniqueName('increments'),
  countTotals: uniqueName('totals'),
  alerts: uniqueName('alerts'),
};
let bus: Bus;
let rawProducer: Producer;
let producer: TypedProducer;
let clickhouse: ClickHouseStore;
let admin: Db;
let postgres: Db;

beforeAll(async () => {
  const url = requireService('postgres');
  const env = readEnv({ KAFKA_BROKERS: requireService('kafka'), LOG_LEVEL: 'silent' });
  bus = await createBus({ env, logger: silentLogger() });
  await bus.ensureTopics(Object.entries(topicNames).map(([name, topic]) => ({ name: topic, partitions: topics[name as TopicName].partitions })));
  rawProducer = await bus.producer();
  producer = createTypedProducer({ producer: rawProducer, codec: createAvroCodec(), logger: silentLogger() });
  clickhouse = await openClickHouse({ dataDir, database: schema, logger: silentLogger(), retention: keepFixtures });
  await clickhouse.migrate();
  admin = await openPostgres({ url, dataDir, logger: silentLogger(), maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  postgres = await openPostgres({ url: scoped.toString(), dataDir, logger: silentLogger() });
  await migratePostgres(postgres, silentLogger());
});

afterAll(async () => {
  await rawProducer?.close();
  await bus?.close();
  await clickhouse?.close();
  await postgres?.close();
  await admin?.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sum = (offsets: Array<{ offset: string }>) => offsets.reduce((n, o) => n + Number(o.offset), 0);
const rows = async (table: string) =>
  Number((await clickhouse.query<{ n: string | number }>(`SELECT count() AS n FROM ${clickhouse.database}.${table} FINAL`))[0]?.n ?? 0);

function sinksWith(groupId: string) {
  return startSinks({
    bus,
    codec: createAvroCodec(),
    logger: silentLogger(),
    metrics: createMetrics(),
    clickhouse,
    postgres,
    groupId,
    topicNames,
    maxDelayMs: 200,
  });
}

describe('sink writer > real Kafka, PostgreSQL server, chDB', () => {
  it('> writes, commits after the write, and a full replay from the beginning adds no rows', async () => {
    const increments = Array.from({ length: 3000 }, (_, i) => countIncrement(i, { equipment: i % 2 ? press : welder }));
    await producer.send({ ...topics.countIncrements, topic: topicNames.countIncrements! }, increments);
    await producer.send({ ...topics.countTotals, topic: topicNames.countTotals! }, [countTotal(1), countTotal(2), countTotal(7, { equipment: welder })]);

    const group = uniqueName('sinks');
    const sinks = await sinksWith(group);
    await waitFor(async () => (await rows('count_increments')) === 3000, { what: '3000 increments in ClickHouse', timeoutMs: 60_000 });
    await waitFor(async () => (await createPostgresQueries(postgres).currentCountTotals()).length === 2, { what: 'two totals in PostgreSQL', timeoutMs: 60_000 });
    const incrementsTopic = topicNames.countIncrements!;
    await waitFor(async () => sum(await bus.committedOffsets(group, incrementsTopic)) === 3000, { what: 'offsets committed to the end', timeoutMs: 60_000 });
    await sinks.stop();

    // A second group replays everything from the beginning: same rows.
    const replayGroup = uniqueName('sinks_replay');
    const replay = await sinksWith(replayGroup);
    await waitFor(async () => sum(await bus.committedOffsets(replayGroup, incrementsTopic)) === 3000, { what: 'the replay committed', timeoutMs: 60_000 });
    await replay.stop();
    expect(await rows('count_increments')).toBe(3000);
    const range = await createClickHouseQueries(clickhouse).countsOverRange({ from: T0, to: T0 + 3_600_000 * 2 });
    expect(range.reduce((n, r) => n + r.good, 0)).toBe(3000);
    const totals = await createPostgresQueries(postgres).currentCountTotals();
    expect(totals.map((t) => [t.equipment, t.revision])).toEqual([
      [press, 2],
      [welder, 7],
    ]);
  });

  it('> holds the commit while PostgreSQL refuses writes, then resumes without loss', async () => {
    let down = true;
    const flaky: Db = {
      ...postgres,
      kind: postgres.kind,
      address: postgres.address,
      transaction: async (work) => {
        if (down) throw new Error('cannot reach PostgreSQL at 127.0.0.1:15432: ECONNREFUSED (test)');
        return postgres.transaction(work);
      },
    };
    const group = uniqueName('sinks_outage');
    const sinks = await startSinks({
      bus,
      codec: createAvroCodec(),
      logger: silentLogger(),
      metrics: createMetrics(),
      clickhouse,
      postgres: flaky,
      groupId: group,
      topicNames,
      maxDelayMs: 100,
      retryInitialMs: 50,
      retryMaxMs: 200,
    });
    const totalsTopic = topicNames.countTotals!;
    const before = sum(await bus.latestOffsets(totalsTopic));
    await producer.send({ ...topics.countTotals, topic: totalsTopic }, [countTotal(9), countTotal(12, { equipment: welder })]);
    await waitFor(() => !sinks.health().postgres.up, { what: 'PostgreSQL reported down', timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sum(await bus.committedOffsets(group, totalsTopic))).toBeLessThan(before + 2);
    down = false;
    await waitFor(async () => sum(await bus.committedOffsets(group, totalsTopic)) === before + 2, { what: 'totals committed after recovery', timeoutMs: 60_000 });
    expect(sinks.health().postgres.up).toBe(true);
    const totals = await createPostgresQueries(postgres).currentCountTotals();
    expect(totals.map((t) => [t.equipment, t.revision])).toEqual([
      [press, 9],
      [welder, 12],
    ]);
    await sinks.stop();
  });
});

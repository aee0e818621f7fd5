// The sink end to end in one process: embedded bus, embedded Avro codec, chDB and PGlite (the single-machine
// defaults). Events go in through the typed producer; rows come out of both stores; offsets are committed only
// after the store write, also across a store outage.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../platform/bus/embedded.ts';
import type { Bus } from '../platform/bus/port.ts';
import { createTypedProducer, type TypedProducer } from '../platform/bus/typed.ts';
import { createAvroCodec } from '../platform/codec/avro.ts';
import { ServiceUnreachableError } from '../platform/errors.ts';
import { silentLogger } from '../platform/log.ts';
import { createMetrics } from '../platform/metrics.ts';
import { deadLetterTopic, topics } from '../schemas/topics.ts';
import { waitFor } from '../test/services.ts';
import { createClickHouseQueries } from './clickhouse/queries.ts';
import { openClickHouse, type ClickHouseStore } from './clickhouse/store.ts';
import { openPostgres, type Db } from './postgres/db.ts';
import { migratePostgres } from './postgres/migrate.ts';
import { createPostgresQueries, listAlerts, listEquipment } from './postgres/repository.ts';
import { alert, characteristic, countIncrement, countTotal, equipmentState, press, reliabilityWindow, spcCapability, spcLimitsAudit, T0, telemetry, welder } from './testing/fixtures.ts';
import { listSpcLimitsAudit } from './postgres/spc-audit.ts';
import { hasMore, startSinks, type Sinks } from './writer.ts';

// The fixtures are from 2025: keep them whatever today's date (TTLs would drop them at insert).
const keepFixtures = { rawDays: 20_000, minuteDays: 20_000, hourDays: 20_000 };
const dataDir = mkdtempSync(join(tmpdir(), 'linepulse-sinks-'));
let chdb: ClickHouseStore;
let pglite: Db;

beforeAll(async () => {
  chdb = await openClickHouse({ dataDir, database: 'lp_writer_test', logger: silentLogger(), retention: keepFixtures });
  pglite = await openPostgres({ dataDir, logger: silentLogger() });
}, 120_000); // PGlite start-up (WASM initdb) takes seconds, more on a loaded machine
afterAll(async () => {
  await chdb?.close();
  await pglite?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Harness {
  bus: Bus;
  producer: TypedProducer;
  clickhouse: ClickHouseStore;
  postgres: Db;
  sinks: Sinks;
  committed(topic: string): Promise<number>;
  end(topic: string): Promise<number>;
}

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

/** A fresh ClickHouse database and PostgreSQL schema per test; `wrap` lets a test break a store. */
async function harness(wrap: { clickhouse?: (s: ClickHouseStore) => ClickHouseStore } = {}): Promise<Harness> {
  const id = randomUUID().replaceAll('-', '').slice(0, 10);
  const clickhouse = await openClickHouse({ dataDir, database: `lp_w_${id}`, logger: silentLogger(), retention: keepFixtures });
  await clickhouse.migrate();
  await pglite.exec(`CREATE SCHEMA lp_w_${id}; SET search_path TO lp_w_${id}`);
  await migratePostgres(pglite, silentLogger());
  const bus = createEmbeddedBus({ logger: silentLogger() });
  const codec = createAvroCodec();
  const producer = createTypedProducer({ producer: await bus.producer(), codec, logger: silentLogger() });
  const metrics = createMetrics();
  const sinks = await startSinks({
    bus,
    codec,
    logger: silentLogger(),
    metrics,
    clickhouse: wrap.clickhouse ? wrap.clickhouse(clickhouse) : clickhouse,
    postgres: pglite,
    groupId: `sinks-${id}`,
    maxDelayMs: 100,
    retryInitialMs: 20,
    retryMaxMs: 100,
  });
  const sum = (offsets: Array<{ offset: string }>) => offsets.reduce((n, o) => n + Number(o.offset), 0);
  running.push(async () => {
    await sinks.stop();
    await bus.close();
    await clickhouse.command(`DROP DATABASE IF EXISTS ${clickhouse.database}`);
    await clickhouse.close();
    await pglite.exec(`SET search_path TO public; DROP SCHEMA lp_w_${id} CASCADE`);
  });
  return {
    bus,
    producer,
    clickhouse,
    postgres: pglite,
    sinks,
    committed: async (topic) => sum(await bus.committedOffsets(`sinks-${id}`, topic)),
    end: async (topic) => sum(await bus.latestOffsets(topic)),
  };
}

const countIn = async (store: ClickHouseStore, table: string) =>
  Number((await store.query<{ n: string | number }>(`SELECT count() AS n FROM ${store.database}.${table} FINAL`))[0]?.n ?? 0);

describe('sink writer', () => {
  it('> knows a backlog from the high watermark, else from a full batch', () => {
    const records = [{ offset: '9' }] as never;
    expect(hasMore({ nextOffset: '10', highWatermark: '10', records }, 5000)).toBe(false);
    expect(hasMore({ nextOffset: '10', highWatermark: '9007199254740993', records }, 5000)).toBe(true);
    expect(hasMore({ nextOffset: '10', records }, 1)).toBe(true);
    expect(hasMore({ nextOffset: '10', records }, 2)).toBe(false);
  });

  it('> writes every routed topic to its stores and commits after the write', async () => {
    const h = await harness();
    await h.producer.send('countIncrements', Array.from({ length: 300 }, (_, i) => countIncrement(i)));
    await h.producer.send('countTotals', [countTotal(1), countTotal(2), countTotal(3, { equipment: welder })]);
    await h.producer.send('telemetry', Array.from({ length: 50 }, (_, i) => telemetry(i)));
    await h.producer.send('state', [equipmentState(1, 'EXECUTE'), equipmentState(2, 'STOPPED')]);
    await h.producer.send('alerts', [alert('RAISED')]);

    await waitFor(async () => (await countIn(h.clickhouse, 'count_increments')) === 300, { what: '300 count increments in ClickHouse' });
    await waitFor(async () => (await countIn(h.clickhouse, 'telemetry')) === 50, { what: '50 telemetry rows in ClickHouse' });
    await waitFor(async () => (await countIn(h.clickhouse, 'state_events')) === 2, { what: '2 state events in ClickHouse' });
    await waitFor(async () => (await countIn(h.clickhouse, 'count_totals')) === 2, { what: '2 count totals in ClickHouse' });
    await waitFor(async () => (await listAlerts(h.postgres)).length === 1, { what: 'the alert in PostgreSQL' });

    const pgTotals = await createPostgresQueries(h.postgres).currentCountTotals();
    const chTotals = await createClickHouseQueries(h.clickhouse).currentCountTotals();
    expect(pgTotals).toEqual(chTotals);
    expect(pgTotals.map((t) => [t.equipment, t.revision])).toEqual([
      [press, 2],
      [welder, 3],
    ]);
    expect((await listEquipment(h.postgres)).filter((n) => n.level === 'equipment').map((n) => n.path)).toEqual([press, welder]);

    for (const name of ['countIncrements', 'countTotals', 'telemetry', 'state', 'alerts'] as const) {
      const topic = topics[name].topic;
      await waitFor(async () => (await h.committed(topic)) === (await h.end(topic)), { what: `offsets of ${topic} committed to the end` });
    }
    expect(h.sinks.health()).toMatchObject({ clickhouse: { up: true, kind: 'chdb' }, postgres: { up: true, kind: 'pglite' } });
  });

  it('> writes the SPC limit audit to PostgreSQL and capability and reliability to ClickHouse, once', async () => {
    const h = await harness();
    for (let pass = 0; pass < 2; pass += 1) {
      await h.producer.send('spcAudit', [spcLimitsAudit(1), spcLimitsAudit(2)]);
      await h.producer.send('spcCapability', [spcCapability(25), spcCapability(50)]);
      await h.producer.send('reliability', [reliabilityWindow(0), reliabilityWindow(1)]);
    }
    for (const name of ['spcAudit', 'spcCapability', 'reliability'] as const) {
      const topic = topics[name].topic;
      await waitFor(async () => (await h.committed(topic)) === (await h.end(topic)), { what: `offsets of ${topic} committed to the end` });
    }
    expect((await listSpcLimitsAudit(h.postgres, { characteristic })).map((a) => a.toVersion)).toEqual([1, 2]);
    expect(await countIn(h.clickhouse, 'spc_capability')).toBe(2);
    expect(await countIn(h.clickhouse, 'reliability_windows')).toBe(1);
    const [rows] = await h.clickhouse.query<{ revision: number | string }>(`SELECT revision FROM ${h.clickhouse.database}.reliability_windows FINAL`);
    expect(Number(rows?.revision)).toBe(1);
  });

  it('> is idempotent: the same events delivered again add no rows', async () => {
    const h = await harness();
    const increments = Array.from({ length: 200 }, (_, i) => countIncrement(i));
    await h.producer.send('countIncrements', increments);
    await h.producer.send('countTotals', [countTotal(4)]);
    await waitFor(async () => (await countIn(h.clickhouse, 'count_increments')) === 200, { what: '200 increments' });
    // A replay: the same events again, re-cut into other batches (as after a crash before the commit).
    await h.producer.send('countIncrements', increments.slice(50, 150));
    await h.producer.send('countIncrements', increments);
    await h.producer.send('countTotals', [countTotal(2), countTotal(4)]);
    const topic = topics.countIncrements.topic;
    await waitFor(async () => (await h.committed(topic)) === 500, { what: 'the replayed records committed' });
    await waitFor(async () => (await h.committed(topics.countTotals.topic)) === 3, { what: 'the replayed totals committed' });
    expect(await countIn(h.clickhouse, 'count_increments')).toBe(200);
    const [range] = await createClickHouseQueries(h.clickhouse).countsOverRange({ from: T0, to: T0 + 3_600_000 });
    expect(range).toMatchObject({ equipment: press, good: 200 });
    expect((await createPostgresQueries(h.postgres).currentCountTotals())[0]?.revision).toBe(4);
  });

  it('> stops committing while ClickHouse is down and resumes without loss', async () => {
    let down = false;
    let refused = 0;
    const h = await harness({
      clickhouse: (store) => ({
        ...store,
        kind: store.kind,
        address: store.address,
        database: store.database,
        insert: async (table, rows) => {
          if (down) {
            refused += 1;
            throw new ServiceUnreachableError('ClickHouse', 'http://127.0.0.1:1', new Error('connect ECONNREFUSED'));
          }
          return store.insert(table, rows);
        },
      }),
    });
    const topic = topics.countIncrements.topic;
    await h.producer.send('countIncrements', Array.from({ length: 100 }, (_, i) => countIncrement(i)));
    await waitFor(async () => (await h.committed(topic)) === 100, { what: 'first 100 committed' });

    down = true;
    await h.producer.send('countIncrements', Array.from({ length: 100 }, (_, i) => countIncrement(100 + i)));
    await waitFor(() => refused >= 3, { what: 'retries against the broken store' });
    expect(h.sinks.health().clickhouse).toMatchObject({ up: false, error: expect.stringContaining('cannot reach ClickHouse') });
    expect(await h.committed(topic)).toBe(100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await h.committed(topic)).toBe(100);

    down = false;
    await waitFor(async () => (await h.committed(topic)) === 200, { what: 'the held batch committed after recovery' });
    expect(await countIn(h.clickhouse, 'count_increments')).toBe(200);
    expect(h.sinks.health().clickhouse.up).toBe(true);
  });

  it('> dead-letters a record that does not decode and keeps going', async () => {
    const h = await harness();
    const raw = await h.bus.producer();
    await raw.send(topics.countIncrements.topic, [{ key: press, value: Buffer.from('not avro'), headers: { 'lp-schema': 'CountIncrement@1' } }]);
    await raw.close();
    await h.producer.send('countIncrements', [countIncrement(1)]);
    await waitFor(async () => (await countIn(h.clickhouse, 'count_increments')) === 1, { what: 'the good record written' });
    await waitFor(async () => (await h.end(deadLetterTopic)) === 1, { what: 'one dead letter' });
    await waitFor(async () => (await h.committed(topics.countIncrements.topic)) === 2, { what: 'both records committed' });
  });

  it('> dead-letters a record a store refuses for its content (with the reason), writes the rest of its batch', async () => {
    const h = await harness();
    // A negative total passes the Avro contract (long) but breaks count_totals' CHECK (good >= 0) in PostgreSQL.
    await h.producer.send('countTotals', [countTotal(1), countTotal(2, { equipment: welder, good: -5 }), countTotal(3)]);
    const topic = topics.countTotals.topic;
    await waitFor(async () => (await h.committed(topic)) === 3, { what: 'the batch committed' });
    const totals = await createPostgresQueries(h.postgres).currentCountTotals();
    expect(totals.map((t) => [t.equipment, t.revision])).toEqual([[press, 3]]);
    expect(await h.end(deadLetterTopic)).toBe(1);
    const letters: Array<{ headers: Record<string, string>; value: Buffer | null }> = [];
    const reader = h.bus.consumer({ groupId: `dlq-${randomUUID()}`, topics: [deadLetterTopic] });
    await reader.start(async (batch) => {
      letters.push(...batch.records);
    });
    await waitFor(() => letters.length === 1, { what: 'the dead letter' });
    await reader.stop();
    // ClickHouse refuses -5 for its UInt64 column, PostgreSQL for its CHECK: one dead letter naming both.
    expect(letters[0]?.headers['x-dlq-reason']).toMatch(/clickhouse refused the record: ClickHouse refused the statement: /);
    expect(letters[0]?.headers['x-dlq-reason']).toMatch(/postgres refused the record: .*count_totals_good_check.*\(SQLSTATE 23514\)/);
    expect(await countIn(h.clickhouse, 'count_totals')).toBe(1);
    expect(letters[0]?.headers['x-dlq-source-topic']).toBe(topic);
    expect(h.sinks.health().postgres.up).toBe(true);
  });
});

// Bus throughput per adapter: produce and consume records per second for N records of S bytes (default 100k x
// 200 B) on a 6-partition topic. Prints figures, asserts nothing (docs/decisions/0002-kafka-clients.md).
//
//   KAFKA_BROKERS=127.0.0.1:19092 npx tsx benchmarks/bus-throughput.ts [--records 100000] [--size 200] [--batch 1000]
//       [--adapters embedded,kafkajs,rdkafka]
//
// Produce: the records go out in sends of --batch records, one after the other, each awaited (acks=all, idempotent),
// which is how the outbox and the processors produce. Consume: one consumer of a new group reads the topic from
// the beginning and commits after every batch (the default 'after-batch' mode); the rate is measured from its
// first batch to the last record, the group join is printed separately. Without KAFKA_BROKERS only the embedded
// bus runs. The benchmark topics are deleted afterwards.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { deferred } from '../platform/bus/common.ts';
import { createEmbeddedBus } from '../platform/bus/embedded.ts';
import type { KafkaBusOptions } from '../platform/bus/kafka-connection.ts';
import { createKafkajsBus } from '../platform/bus/kafkajs.ts';
import type { Bus, OutgoingRecord } from '../platform/bus/port.ts';
import { createRdkafkaBus } from '../platform/bus/rdkafka.ts';
import { oneLine } from '../platform/errors.ts';
import { silentLogger } from '../platform/log.ts';
import { stringArg } from './args.ts';

const count = Number(stringArg('--records', '100000'));
const size = Number(stringArg('--size', '200'));
const batch = Number(stringArg('--batch', '1000'));
const adapters = stringArg('--adapters', 'embedded,kafkajs,rdkafka').split(',');
const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
const logger = silentLogger();
const run = Date.now().toString(36);

const makers: Record<string, () => Promise<Bus>> = {
  embedded: async () => createEmbeddedBus({ logger }),
  kafkajs: () => createKafkajsBus(kafkaOptions()),
  rdkafka: () => createRdkafkaBus(kafkaOptions()),
};

function kafkaOptions(): KafkaBusOptions {
  if (!brokers) throw new Error('KAFKA_BROKERS not set');
  return { connection: { brokers, clientId: 'linepulse-bench' }, logger };
}

interface Row {
  adapter: string;
  produce: string;
  consume: string;
  join: string;
}

const value = randomBytes(size);
const records: OutgoingRecord[] = Array.from({ length: count }, (_, i) => ({
  key: `acme/plant1/assembly/line${i % 4}/cell${i % 7}/station-${String(i % 500).padStart(3, '0')}`,
  value,
}));

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}`;

async function measure(adapter: string): Promise<Row> {
  const bus = await makers[adapter]!();
  const topic = `bench_bus_${adapter}_${run}`;
  try {
    await bus.ensureTopics([{ name: topic, partitions: 6 }]);
    const producer = await bus.producer();
    const produceStart = performance.now();
    for (let i = 0; i < records.length; i += batch) await producer.send(topic, records.slice(i, i + batch));
    const produceMs = performance.now() - produceStart;
    await producer.close();

    let received = 0;
    let firstAt = 0;
    let lastAt = 0;
    const finished = deferred<void>();
    const consumer = bus.consumer({ groupId: `bench_bus_${adapter}_${run}`, topics: [topic] });
    const joinStart = performance.now();
    await consumer.start(async (b) => {
      if (received === 0) firstAt = performance.now();
      received += b.records.length;
      if (received >= count) {
        lastAt = performance.now();
        finished.resolve();
      }
    });
    const joinMs = performance.now() - joinStart;
    await finished.promise;
    await consumer.stop();
    return { adapter, produce: rate(count, produceMs), consume: rate(count, lastAt - firstAt), join: `${Math.round(joinMs)} ms` };
  } finally {
    await bus.close();
  }
}

async function deleteTopics(): Promise<void> {
  if (!brokers) return;
  const admin = new Kafka({ clientId: 'linepulse-bench', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith('bench_bus_') && t.endsWith(`_${run}`));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
}

const rows: Row[] = [];
for (const adapter of adapters) {
  if (!makers[adapter]) throw new Error(`unknown adapter ${adapter} (embedded, kafkajs, rdkafka)`);
  if (adapter !== 'embedded' && !brokers) {
    rows.push({ adapter, produce: 'KAFKA_BROKERS not set', consume: '', join: '' });
    continue;
  }
  try {
    rows.push(await measure(adapter));
  } catch (error) {
    rows.push({ adapter, produce: `failed: ${oneLine(error)}`, consume: '', join: '' });
  }
}
await deleteTopics();

console.log(`bus throughput: ${count.toLocaleString('en-US')} records of ${size} B, 6 partitions, sends of ${batch}, Node ${process.version}`);
console.log('| adapter | produce records/s | consume records/s | group join |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of rows) console.log(`| ${row.adapter} | ${row.produce} | ${row.consume} | ${row.join} |`);

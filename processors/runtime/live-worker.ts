// A counts processor instance in a process of its own, for live.int.test.ts (killed with SIGKILL mid-transaction).
// Settings from the environment:
//   KAFKA_BROKERS (and the other bus settings of platform/config/env.ts), LP_PREFIX (topic name prefix), LP_GROUP (consumer group), LP_MAX_BATCH (records per batch),
//   LP_CRASH_AT_BATCH (SIGKILL itself inside the n-th transaction, after the records are sent, before the commit;
//   tasks commit concurrently, so it first waits until some other transaction has committed: the crash always
//   leaves committed work behind, as the test expects).
// Prints "ready" once started; stops on SIGTERM.
import { createBus } from '../../platform/bus/factory.ts';
import { readEnv } from '../../platform/config/env.ts';
import { createAvroCodec } from '../../platform/codec/avro.ts';
import { createLogger } from '../../platform/log.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { countsConfig } from '../counts/config.ts';
import { countsCore } from '../counts/core.ts';
import { changelogTopicName } from './changelog.ts';
import { topicNamesFor } from './live-harness.ts';
import { startLiveProcessor } from './live.ts';

const env = process.env;
const prefix = env.LP_PREFIX ?? 'worker';
const crashAt = env.LP_CRASH_AT_BATCH ? Number(env.LP_CRASH_AT_BATCH) : undefined;
const logger = createLogger({ name: 'live-worker', level: env.LOG_LEVEL ?? 'warn' });
const bus = await createBus({ env: readEnv(), logger });
let transactions = 0;
let committed = 0;
let onFirstCommit: () => void = () => undefined;
const firstCommit = new Promise<void>((resolve) => (onFirstCommit = resolve));
const processor = await startLiveProcessor({
  core: countsCore,
  config: countsConfig(JSON.parse(env.LP_COUNTS_CONFIG ?? '{}')),
  bus,
  codec: createAvroCodec(),
  logger,
  metrics: createMetrics(),
  groupId: env.LP_GROUP ?? `${prefix}.counts`,
  changelogTopic: `${prefix}.${changelogTopicName('counts')}`,
  topicNames: topicNamesFor(prefix, ['counts', 'dispatch', 'countIncrements', 'countTotals']),
  deadLetterTopic: `${prefix}.dlq`,
  idle: false,
  ...(env.LP_MAX_BATCH ? { maxBatchSize: Number(env.LP_MAX_BATCH) } : {}),
  onCommit: () => {
    committed += 1;
    onFirstCommit();
  },
  beforeCommit: async () => {
    transactions += 1;
    if (crashAt !== undefined && transactions === crashAt) {
      const n = transactions;
      if (committed === 0) await firstCommit;
      process.stdout.write(`crashing inside transaction ${n}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  },
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void processor
    .stop()
    .then(() => bus.close())
    .then(() => process.exit(0));
});

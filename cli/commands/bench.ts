// `linepulse bench [--smoke] [--duration s] [--equipment n] [--rate r] ...`: the end-to-end benchmark with its
// references (benchmarks/harness/run.ts, benchmarks/README.md). Brings the Kafka and PostgreSQL of the local stack
// up when KAFKA_BROKERS / DATABASE_URL are not set (idempotent), prints the table on stdout, writes JSON and a PNG chart under
// benchmarks/results/. Asserts nothing about timing; exits 1 only when the pipeline could not run at all.
import { InvalidArgumentError, type Command } from 'commander';

interface BenchCliOptions {
  smoke?: boolean;
  duration?: number;
  warmup?: number;
  equipment?: number;
  tags?: number;
  rate?: number;
  countHz?: number;
  seed?: number;
  processors?: string[];
  reorderMs?: number;
  sinkDelayMs?: number;
  commitIntervalMs?: number;
  hubIntervalMs?: number;
  references: boolean;
  peer: boolean;
  adapters: boolean;
  peerEvents?: number;
  ceilingRecords?: number;
  profile?: boolean;
  /** `--soak` alone: true (10 minutes); `--soak 5`: minutes. */
  soak?: boolean | number;
  out?: string;
  chart: boolean;
}

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const nonNegativeInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be an integer >= 0`);
  return n;
};

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('End-to-end benchmark (synthetic plant -> Kafka -> processors -> ClickHouse/PostgreSQL -> Socket.IO) with the broker ceiling, kafkajs vs node-rdkafka and a Kafka Streams peer as references')
    .option('--smoke', 'tiny run for CI (< 30 s): small load, no adapter or Kafka Streams comparison')
    .option('--duration <s>', 'measured seconds after the warm-up (default 30; smoke 3)', positive('--duration'))
    .option('--warmup <s>', 'warm-up seconds, not measured (default 5; smoke 1)', positive('--warmup'))
    .option('--equipment <n>', 'simulated equipment (default 50; smoke 4)', positive('--equipment'))
    .option('--tags <n>', 'telemetry tags per equipment (default 20; smoke 4)', positive('--tags'))
    .option('--rate <r>', 'offered raw events per second, telemetry + piece counts (default 20000; smoke 400)', positive('--rate'))
    .option('--count-hz <hz>', 'counter readings per equipment per second (default 10)', positive('--count-hz'))
    .option('--seed <n>', 'workload seed (default 42)', nonNegativeInt('--seed'))
    .option('--processors <names>', 'processors in the pipeline (default counts,alerts)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--reorder-ms <ms>', 'reorderMs of those processors (default 0; the plant default 5000 holds every event 5 s by design)', nonNegativeInt('--reorder-ms'))
    .option('--sink-delay-ms <ms>', "the sink batcher's maxDelayMs (default 1000, the sink's own default)", positive('--sink-delay-ms'))
    .option('--commit-interval-ms <ms>', 'commitIntervalMs of the processors (default 100, as `linepulse processors`; 0: a transaction per batch)', nonNegativeInt('--commit-interval-ms'))
    .option('--hub-interval-ms <ms>', "the live hub's minIntervalMs (default 250, the dashboard's: at most 4 updates/s per key)", nonNegativeInt('--hub-interval-ms'))
    .option('--no-references', 'skip every reference (broker ceiling, adapters, counts vs Kafka Streams)')
    .option('--no-peer', 'skip the Kafka Streams peer (needs java 17 and mvn; built on first use)')
    .option('--no-adapters', 'skip kafkajs vs node-rdkafka')
    .option('--peer-events <n>', 'PieceCount backlog drained by the counts processor and the peer (default 100000)', positive('--peer-events'))
    .option('--ceiling-records <n>', 'records for Kafka perf tools (default 200000)', positive('--ceiling-records'))
    .option('--profile', 'run the pipeline processes with node --cpu-prof (profiles under the results folder)')
    .option('--soak [minutes]', 'RSS soak: the pipeline only (no references) for this many minutes (default 10), judged on the RSS slope of the second half', positive('--soak'))
    .option('--out <dir>', 'results folder (default benchmarks/results)')
    .option('--no-chart', 'do not render the PNG chart')
    .action(async (options: BenchCliOptions) => runBenchCommand(options));
}

async function runBenchCommand(cli: BenchCliOptions): Promise<void> {
  const { benchDefaults, runBench, formatReport } = await import('../../benchmarks/harness/run.ts');
  const { resolve } = await import('node:path');
  // The pipeline needs Kafka and PostgreSQL (the sinks and the dashboard are separate processes, as in a Kafka
  // deployment); what the environment does not name comes from the local stack (idempotent).
  const missing = [...(process.env.KAFKA_BROKERS ? [] : (['kafka'] as const)), ...(process.env.DATABASE_URL ? [] : (['postgres'] as const))];
  if (missing.length > 0) {
    const { stackUp } = await import('../../compose/stack/index.ts');
    const { createLogger } = await import('../../platform/log.ts');
    const up = await stackUp({ services: missing, log: createLogger({ name: 'stack', level: process.env.LOG_LEVEL ?? 'warn' }) });
    process.env.KAFKA_BROKERS ??= up.env.KAFKA_BROKERS;
    process.env.DATABASE_URL ??= up.env.DATABASE_URL;
  }
  const defaults = benchDefaults(cli.smoke === true);
  const soakMinutes = cli.soak === undefined || cli.soak === false ? null : cli.soak === true ? 10 : cli.soak;
  const options = {
    ...defaults,
    ...(cli.duration !== undefined ? { duration: cli.duration } : {}),
    ...(soakMinutes !== null ? { duration: Math.round(soakMinutes * 60), soak: true } : {}),
    ...(cli.warmup !== undefined ? { warmup: cli.warmup } : {}),
    ...(cli.equipment !== undefined ? { equipment: Math.round(cli.equipment) } : {}),
    ...(cli.tags !== undefined ? { tags: Math.round(cli.tags) } : {}),
    ...(cli.rate !== undefined ? { rate: cli.rate } : {}),
    ...(cli.countHz !== undefined ? { countHz: cli.countHz } : {}),
    ...(cli.seed !== undefined ? { seed: cli.seed } : {}),
    ...(cli.processors ? { processors: cli.processors } : {}),
    ...(cli.reorderMs !== undefined ? { reorderMs: cli.reorderMs } : {}),
    ...(cli.sinkDelayMs !== undefined ? { sinkDelayMs: cli.sinkDelayMs } : {}),
    ...(cli.commitIntervalMs !== undefined ? { commitIntervalMs: cli.commitIntervalMs } : {}),
    ...(cli.hubIntervalMs !== undefined ? { hubIntervalMs: cli.hubIntervalMs } : {}),
    ...(cli.peerEvents !== undefined ? { peerEvents: Math.round(cli.peerEvents) } : {}),
    ...(cli.ceilingRecords !== undefined ? { ceilingRecords: Math.round(cli.ceilingRecords) } : {}),
    references: cli.references && soakMinutes === null,
    peer: cli.peer && defaults.peer && cli.references && soakMinutes === null,
    adapters: cli.adapters && defaults.adapters && cli.references && soakMinutes === null,
    profile: cli.profile === true,
    chart: cli.chart,
    brokers: (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean),
    ...(cli.out ? { outDir: resolve(cli.out) } : {}),
  };
  const result = await runBench(options);
  console.log(formatReport(result));
  if ('skipped' in result.pipeline) process.exitCode = 1;
}

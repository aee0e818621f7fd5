// The live adapter: runs one ProcessorCore over the bus with keyed state and an exactly-once effect.
//
// - One consumer group (`linepulse.<core>`) over the core's input topics, commit 'in-transaction', read-committed.
//   The inputs are co-partitioned, so partition p of every input topic belongs to one member: a *task*.
// - Each task has its own transactional producer (`linepulse.<core>.<p>`): creating it fences a previous owner of
//   p (a zombie after a rebalance or a crash) and aborts what it left open. Every handled batch commits, in ONE
//   transaction, its outputs, its dead letters and the task's journal (journal.ts): what the task applied since its
//   last checkpoint. Every `checkpoint.intervalMs` (and when the task goes quiet) a transaction is a *checkpoint*:
//   it also writes the state of every key changed since the previous checkpoint and commits the task's input
//   positions as the group's offsets. Snapshots are written once per key per checkpoint instead of once per batch.
// - On assignment a task restores from the changelog (processors/runtime/changelog.ts): the checkpointed states
//   and the journal. The consumer resumes at the checkpoint's offsets; the journal's entries are applied again in
//   their original order with their outputs dropped (they are committed already), then processing goes on. On
//   revocation the state is dropped unless the same task comes straight back (its producer would have been fenced
//   had anyone else owned it in between, failing the next commit, which restarts the consumer); records delivered
//   again from the checkpoint's offsets are skipped by position.
// - An idle key's watermark advances with the wall clock (`idle`), so windows and timers fire without traffic:
//   watermark = max event time + time since the key's last arrival - reorderMs. An advance that produces outputs is
//   committed (and journaled); one that produces nothing is undone, so the state only ever changes through
//   journaled steps.
// - A failed batch or commit stops the consumer (see the bus port); the runtime starts a new one after a pause,
//   which restores state from the changelog: nothing is lost and nothing is applied twice.
import type { CoreOutput, ProcessorCore } from '../contract.ts';
import { correlationHeaders, deadLetterHeaders, deadLetterTopic, topics, type TopicContract, type TopicName } from '../../schemas/topics.ts';
import type { Bus, OutgoingRecord, PartitionOffset, Producer, RebalanceEvent, TransactionalProducer } from '../../platform/bus/port.ts';
import { TransactionFencedError } from '../../platform/bus/port.ts';
import { correlationOf, createTypedConsumer, encodeEvents, type TypedBatch, type TypedConsumer, type TypedRecord } from '../../platform/bus/typed.ts';
import type { InputGuard } from '../../platform/bus/guard.ts';
import type { Codec } from '../../platform/codec/port.ts';
import type { Logger } from '../../platform/log.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { createDriver, deserializeKeyState, eventFields, inputOf, serializeKeyState, type DriverOptions, type KeyState } from './driver.ts';
import { changelogTopicName, journalRecord, restorePartitions, stateRecord } from './changelog.ts';
import { journalJson, offsetBefore, parseJournal, type Journal, type JournalEntry } from './journal.ts';

export interface IdleOptions {
  /** How often idle keys are looked at (ms). */
  tickMs: number;
  /** A key with no arrival for this long (wall clock, ms) has its watermark advanced. */
  afterMs: number;
}

export interface CheckpointOptions {
  /** Longest time (wall clock, ms) between two checkpoints of a task that keeps handling input. Default 10 000. */
  intervalMs: number;
  /** A task that handled nothing for this long (ms) checkpoints what it has not yet. Default 1 000. */
  quietMs: number;
  /** At most this many transactions between two checkpoints (bounds the replay after a crash). Default 200. */
  maxTransactions: number;
}

export interface CommitInfo {
  partition: number;
  /** Input records of the batch (0 for an idle tick or a checkpoint alone). */
  records: number;
  /** Record timestamps (produce time) of the inputs. */
  inputTimestamps: number[];
  outputs: number;
  /** The transaction was a checkpoint (key states and input offsets written). */
  checkpoint: boolean;
  /** Bytes of key state written to the changelog (0 unless a checkpoint). */
  stateBytes: number;
  /** Wall-clock time the transaction committed. */
  committedAt: number;
  /** Handling time of the batch, ms. */
  durationMs: number;
}

export interface LiveProcessorOptions<S, C> {
  core: ProcessorCore<S, C>;
  config: C;
  bus: Bus;
  codec: Codec;
  logger: Logger;
  metrics: Metrics;
  /** Consumer group; default `linepulse.<core>`. Also the prefix of the transactional ids. */
  groupId?: string;
  /** Default `linepulse.<core>.changelog.v1`. */
  changelogTopic?: string;
  /** Kafka topic names instead of the topic table's (tests use unique names). */
  topicNames?: Partial<Record<TopicName, string>>;
  /** Default linepulse.deadletter.v1. */
  deadLetterTopic?: string;
  /** Input checks beyond the schema (size, future timestamps, unknown equipment): failing records are dead-lettered. */
  guard?: InputGuard;
  /** Idle-key watermark advance; default { tickMs: 1000, afterMs: 2000 }; false: off (watermarks move on events only). */
  idle?: IdleOptions | false;
  /**
   * Keep only the last output per key and `core.coalesceKey` of each transaction (e.g. one CountTotal revision per
   * window per batch instead of one per input). Default false: the outputs are then exactly those of an offline
   * replay of the same input. `startProcessors` turns it on.
   */
  coalesce?: boolean;
  /** When key states are written and input offsets committed (see the file comment). */
  checkpoint?: Partial<CheckpointOptions>;
  /** Wall clock for idle watermarks (tests). */
  now?: () => number;
  driver?: DriverOptions;
  /**
   * Most input records handled in one transaction. Default 5 000 (the bus adapters' default is 500): each batch costs
   * a transaction round trip (AddPartitions, Produce, EndTxn), so under a backlog larger batches mean fewer of them.
   * `linepulse bench` at 20 000 telemetry/s: alerts lag 216k -> 91k and broker CPU 51 % -> 33 % (benchmarks/README.md).
   * At live rates a batch holds what arrived since the last fetch, so latency is unchanged.
   */
  maxBatchSize?: number;
  /**
   * Shortest time between the starts of two transactions of a task (ms), as Kafka Streams' `commit.interval.ms`.
   * Default 0: a transaction per handled batch, as soon as the previous one has committed. A larger value holds the
   * work of the batches that arrive in between (state already applied, outputs not yet sent) and commits it in one
   * transaction: fewer transactions for the broker and the processor at high rates, at the price of up to this long
   * before outputs are visible. The held work goes out with any earlier transaction (idle tick, checkpoint), when
   * it reaches `maxBatchSize` records, on revocation and on stop; a crash loses only uncommitted work, which is
   * replayed from the changelog like any other.
   */
  commitIntervalMs?: number;
  /** Pause before a new consumer replaces one that failed (ms); doubles up to 30 s. Default 1000. */
  restartDelayMs?: number;
  /** Called after each committed transaction (benchmarks, tests). */
  onCommit?: (info: CommitInfo) => void;
  /** Test hook, called inside each transaction after the records are sent and before it commits. */
  beforeCommit?: (info: { partition: number; batch: number }) => void | Promise<void>;
}

export interface LiveProcessor {
  readonly name: string;
  /** Partitions (tasks) this instance owns and has restored. */
  assigned(): number[];
  /** Stops consuming (after a last checkpoint of each task), drops state, closes producers. */
  stop(): Promise<void>;
}

/** Input records per transaction unless `maxBatchSize` says otherwise (see LiveProcessorOptions.maxBatchSize). */
export const defaultProcessorBatchSize = 5_000;

/** A dead letter held until the transaction that covers its input offset. */
interface HeldDeadLetter {
  offset: string;
  record: OutgoingRecord;
}

/** Records of one input topic received while a task replays its journal. */
interface Queued {
  records: TypedRecord<unknown>[];
  deadLetters: HeldDeadLetter[];
  /** Offset after the last batch received. */
  end: string;
}

interface Task<S> {
  partition: number;
  producer: TransactionalProducer;
  states: Map<string, KeyState<S>>;
  /** Wall time of the last arrival (or of the restore) per key. */
  lastArrival: Map<string, number>;
  /** Serialises the task's batches, ticks and checkpoints. */
  chain: Promise<unknown>;
  /** False after a failed batch or commit: its state is ahead of the changelog and must be restored. */
  valid: boolean;
  /** Transactions committed (or attempted) by this task. */
  batches: number;
  /** Next input offset to apply, per input topic (absent: not seen yet, the consumer's start is right). */
  positions: Map<TopicName, string>;
  /** Keys changed since the last checkpoint. */
  dirty: Set<string>;
  /** Transactions since the last checkpoint. */
  sinceCheckpoint: number;
  /** The committed journal; null before the task's first checkpoint. */
  journal: Journal | null;
  /** Journal entries still to apply after a restore; null once live. */
  replay: JournalEntry[] | null;
  /** Input received while replaying, per topic. */
  queued: Map<TopicName, Queued>;
  /** performance.now() of the last checkpoint and of the last handled input. */
  checkpointedAt: number;
  workedAt: number;
  /** The task's transaction being committed (transactions go out one at a time, in order). */
  inFlight: Promise<void>;
  /** Work applied but not yet in a transaction (commitIntervalMs > 0); every prepared transaction takes it. */
  held: Held | null;
  /** performance.now() when the task's last transaction was prepared. */
  preparedAt: number;
  /** Sends the held work when the commit interval has passed. */
  heldTimer: NodeJS.Timeout | undefined;
}

/** The part of a transaction gathered from handled batches: what `prepare` takes, and the figures for onCommit. */
interface Held {
  outputs: CoreOutput[];
  entries: JournalEntry[];
  deadLetters: OutgoingRecord[];
  records: number;
  inputTimestamps: number[];
  started: number;
}

/** A transaction built (outputs encoded, states serialised) and waiting to be sent. */
interface Prepared {
  encoded: Array<{ topic: string; records: OutgoingRecord[] }>;
  deadLetters: OutgoingRecord[];
  changelog: OutgoingRecord[];
  offsets: PartitionOffset[];
  checkpoint: boolean;
  stateBytes: number;
}

const defaultIdle: IdleOptions = { tickMs: 1_000, afterMs: 2_000 };
const defaultCheckpoint: CheckpointOptions = { intervalMs: 10_000, quietMs: 1_000, maxTransactions: 200 };
/** A journal larger than this (idle advances of many keys) is folded into a checkpoint. */
const maxJournalBytes = 64 * 1024;

/**
 * The journal entries after `added`: consecutive ranges of the same input topic merge into one (applying records
 * [a, b) then [b, c) of one topic is applying [a, c)), so a single-topic core's journal stays one entry long.
 */
function appendEntries(entries: readonly JournalEntry[], added: readonly JournalEntry[]): JournalEntry[] {
  const out = entries.slice();
  for (const entry of added) {
    const last = out[out.length - 1];
    if ('t' in entry && last !== undefined && 't' in last && last.t === entry.t) out[out.length - 1] = { t: entry.t, to: entry.to };
    else out.push(entry);
  }
  return out;
}

/** An input or changelog topic with the wrong partition count: a deployment error, not worth retrying. */
class PartitionCountError extends Error {
  override name = 'PartitionCountError';
}

export async function startLiveProcessor<S, C>(options: LiveProcessorOptions<S, C>): Promise<LiveProcessor> {
  const runtime = new LiveRuntime(options);
  await runtime.start();
  return runtime;
}

interface Segment {
  topic: TopicName;
  records: TypedRecord<unknown>[];
  end: string;
}

class LiveRuntime<S, C> implements LiveProcessor {
  readonly name: string;
  private readonly log: Logger;
  private readonly driver;
  private readonly groupId: string;
  private readonly changelog: string;
  private readonly dlqTopic: string;
  private readonly contracts = new Map<TopicName, TopicContract>();
  private readonly byKafkaTopic = new Map<string, TopicName>();
  private readonly partitions: number;
  private readonly now: () => number;
  private readonly checkpointing: CheckpointOptions;
  private readonly tasks = new Map<number, Task<S>>();
  /** Input eventId -> its `x-correlation-id`, when that differs from the eventId (the most recent 10 000). */
  private readonly correlations = new Map<string, string>();
  /** Dead letters of batches being decoded, by `<kafka topic>|<partition>`, until their batch is handled. */
  private readonly pendingDeadLetters = new Map<string, HeldDeadLetter[]>();
  private consumer: TypedConsumer<unknown> | null = null;
  /** Consumers whose failure was handled (a failure can be reported by the consumer and by a transaction). */
  private readonly failed = new WeakSet<TypedConsumer<unknown>>();
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private restartDelay: number;
  private supervising: Promise<void> = Promise.resolve();
  private readonly m;

  constructor(private readonly options: LiveProcessorOptions<S, C>) {
    const { core } = options;
    this.name = core.name;
    this.groupId = options.groupId ?? `linepulse.${core.name}`;
    this.changelog = options.changelogTopic ?? changelogTopicName(core.name);
    this.dlqTopic = options.deadLetterTopic ?? deadLetterTopic;
    this.log = options.logger.child({ component: 'processor', processor: core.name });
    this.driver = createDriver(core, options.config, options.driver);
    this.now = options.now ?? Date.now;
    this.checkpointing = { ...defaultCheckpoint, ...options.checkpoint };
    this.restartDelay = options.restartDelayMs ?? 1_000;
    for (const name of new Set<TopicName>([...core.inputs, ...core.outputs])) {
      const contract: TopicContract = { ...topics[name], topic: options.topicNames?.[name] ?? topics[name].topic };
      this.contracts.set(name, contract);
      this.byKafkaTopic.set(contract.topic, name);
    }
    const inputPartitions = new Set(core.inputs.map((name) => topics[name].partitions));
    if (inputPartitions.size !== 1) throw new Error(`${core.name}: input topics ${core.inputs.join(', ')} are not co-partitioned (partition counts ${[...inputPartitions].join(', ')})`);
    this.partitions = [...inputPartitions][0]!;
    const labels = { processor: core.name };
    const { metrics } = options;
    this.m = {
      eventsIn: metrics.counter({ name: 'linepulse_processor_events_in_total', help: 'Input events handled by a processor.', labelNames: ['processor', 'topic'] as const }),
      eventsOut: metrics.counter({ name: 'linepulse_processor_events_out_total', help: 'Derived events committed by a processor.', labelNames: ['processor', 'topic'] as const }),
      duplicates: metrics.counter({ name: 'linepulse_processor_duplicates_total', help: 'Input events dropped as already processed (same origin seq or event id).', labelNames: ['processor'] as const }).labels(labels),
      late: metrics.counter({ name: 'linepulse_processor_late_total', help: 'Input events older than their key watermark (processed with late = true).', labelNames: ['processor'] as const }).labels(labels),
      batchSeconds: metrics.histogram({ name: 'linepulse_processor_batch_seconds', help: 'Time to handle and commit one batch.', labelNames: ['processor'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] }).labels(labels),
      lag: metrics.gauge({ name: 'linepulse_processor_lag', help: 'Records behind the end of the input partition after the last batch.', labelNames: ['processor', 'topic', 'partition'] as const }),
      restores: metrics.counter({ name: 'linepulse_processor_restores_total', help: 'Partitions whose state was restored from the changelog.', labelNames: ['processor'] as const }).labels(labels),
      replayed: metrics.counter({ name: 'linepulse_processor_replayed_total', help: 'Input events applied again from the journal after a restore (outputs not sent again).', labelNames: ['processor'] as const }).labels(labels),
      checkpoints: metrics.counter({ name: 'linepulse_processor_checkpoints_total', help: 'Checkpoints: changed key states written and input offsets committed.', labelNames: ['processor'] as const }).labels(labels),
      stateBytes: metrics.counter({ name: 'linepulse_processor_state_bytes_total', help: 'Bytes of key state written to the changelog.', labelNames: ['processor'] as const }).labels(labels),
      restarts: metrics.counter({ name: 'linepulse_processor_consumer_restarts_total', help: 'Consumers replaced after a failure.', labelNames: ['processor'] as const }).labels(labels),
    };
  }

  assigned(): number[] {
    return [...this.tasks.values()].filter((t) => t.valid).map((t) => t.partition).sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    // Topics just created can answer "not the leader" / "not hosted here" for a moment: a few tries.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.ensureTopics();
        await this.checkPartitions();
        break;
      } catch (error) {
        if (attempt >= 5 || error instanceof PartitionCountError) throw error;
        this.log.warn({ err: error, attempt }, 'ensuring topics failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
    await this.startConsumer();
    const idle = this.options.idle === undefined ? defaultIdle : this.options.idle;
    if (idle) this.tickTimer = setInterval(() => this.tick(idle), idle.tickMs);
    const every = Math.max(20, Math.min(250, this.checkpointing.quietMs / 2, this.checkpointing.intervalMs / 2));
    this.checkpointTimer = setInterval(() => this.checkpointDue(), every);
    this.log.info({ groupId: this.groupId, inputs: this.options.core.inputs, changelog: this.changelog }, 'processor started');
  }

  private async ensureTopics(): Promise<void> {
    const { bus } = this.options;
    await bus.ensureTopics([
      ...[...this.contracts.values()].map((c) => ({ name: c.topic, partitions: c.partitions, ...(c.compacted ? { cleanupPolicy: 'compact' as const } : {}) })),
      { name: this.changelog, partitions: this.partitions, cleanupPolicy: 'compact' },
      { name: this.dlqTopic, partitions: 3 },
    ]);
  }

  /** Key K's state must live in the changelog partition of K's inputs: inputs and changelog need the same count. */
  private async checkPartitions(): Promise<void> {
    const { bus } = this.options;
    for (const topic of [...this.options.core.inputs.map((name) => this.contracts.get(name)!.topic), this.changelog]) {
      const count = (await bus.latestOffsets(topic)).length;
      if (count !== this.partitions)
        throw new PartitionCountError(`${this.name}: topic ${topic} has ${count} partitions, the processor needs ${this.partitions} (inputs and changelog co-partitioned); recreate it or repartition`);
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.tickTimer);
    clearInterval(this.checkpointTimer);
    clearTimeout(this.restartTimer);
    await this.consumer?.stop().catch((error: unknown) => this.log.warn({ err: error }, 'consumer did not stop cleanly'));
    await this.supervising;
    // A last checkpoint: the next owner of each partition then has nothing to replay.
    await Promise.all(
      [...this.tasks.values()].map((task) =>
        this.onTask(task, async () => {
          await task.inFlight;
          if (!task.valid || task.replay !== null || !this.hasUncheckpointed(task)) return;
          const prepared = await this.prepare(task, { outputs: [], entries: [], deadLetters: [], checkpoint: true });
          task.inFlight = this.send(task, prepared.transaction, prepared.info);
          await task.inFlight;
        }).catch((error: unknown) => this.log.warn({ err: error, partition: task.partition }, 'last checkpoint failed; the next owner replays the journal')),
      ),
    );
    await Promise.all([...this.tasks.keys()].map((p) => this.dropTask(p)));
    this.log.info('processor stopped');
  }

  // -- consumer lifecycle ---------------------------------------------------------------------------------------

  private async startConsumer(): Promise<void> {
    const deferredDeadLetters: Pick<Producer, 'send'> = {
      // Held until the transaction that covers the record's offset: a dead letter is committed exactly once.
      send: async (_topic, records) => {
        for (const r of records) {
          const id = `${r.headers?.[deadLetterHeaders.sourceTopic] ?? ''}|${r.headers?.[deadLetterHeaders.sourcePartition] ?? ''}`;
          const list = this.pendingDeadLetters.get(id) ?? [];
          list.push({ offset: r.headers?.[deadLetterHeaders.sourceOffset] ?? '0', record: r });
          this.pendingDeadLetters.set(id, list);
        }
      },
    };
    const consumer = createTypedConsumer<TopicContract>({
      bus: this.options.bus,
      codec: this.options.codec,
      groupId: this.groupId,
      topics: this.options.core.inputs.map((name) => this.contracts.get(name)!),
      logger: this.log,
      metrics: this.options.metrics,
      deadLetter: { producer: deferredDeadLetters, topic: this.dlqTopic },
      ...(this.options.guard ? { guard: this.options.guard } : {}),
      consumer: {
        commit: 'in-transaction',
        readCommitted: true,
        fromBeginning: true,
        maxBatchSize: this.options.maxBatchSize ?? defaultProcessorBatchSize,
        onRebalance: (event) => this.onRebalance(event),
      },
    });
    try {
      await consumer.start((batch) => this.handleBatch(batch));
    } catch (error) {
      await consumer.stop().catch(() => undefined);
      throw error;
    }
    this.consumer = consumer;
    this.supervising = consumer.done.then(
      () => undefined,
      (error: unknown) => this.onConsumerFailed(consumer, error),
    );
  }

  private onConsumerFailed(consumer: TypedConsumer<unknown>, error: unknown): void {
    if (this.stopping || this.consumer !== consumer || this.failed.has(consumer)) return;
    this.failed.add(consumer);
    const fenced = error instanceof TransactionFencedError || (error instanceof Error && error.cause instanceof TransactionFencedError);
    this.log.error({ err: error, fenced }, `consumer stopped by an error; a new one starts in ${this.restartDelay} ms and restores state from the changelog`);
    // Whatever the consumer held is now suspect: restore it when it comes back. Its batches come again, and so do
    // their dead letters.
    for (const task of this.tasks.values()) task.valid = false;
    this.pendingDeadLetters.clear();
    this.m.restarts.inc();
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.startConsumer().then(
        () => (this.restartDelay = this.options.restartDelayMs ?? 1_000),
        (startError: unknown) => this.onConsumerFailed(consumer, startError),
      );
    }, this.restartDelay);
    this.restartDelay = Math.min(this.restartDelay * 2, 30_000);
  }

  private async onRebalance(event: RebalanceEvent): Promise<void> {
    if (event.type === 'revoke') return; // eager: the 'assign' that follows says what stays
    const wanted = new Set(event.partitions.map((p) => p.partition));
    for (const p of [...this.tasks.keys()]) if (!wanted.has(p) || !this.tasks.get(p)!.valid) await this.dropTask(p);
    const fresh = [...wanted].filter((p) => !this.tasks.has(p)).sort((a, b) => a - b);
    if (fresh.length > 0) await this.restore(fresh);
    this.log.info({ partitions: [...wanted].sort((a, b) => a - b), restored: fresh }, 'partitions assigned');
  }

  private async dropTask(partition: number): Promise<void> {
    const task = this.tasks.get(partition);
    if (!task) return;
    this.tasks.delete(partition);
    clearTimeout(task.heldTimer);
    // Work held for the commit interval goes out before the partition is given up (as Kafka Streams commits on
    // revocation); if that fails, the next owner replays it from the changelog.
    if (task.valid && task.held !== null) await this.onTask(task, () => this.sendHeld(task)).catch(() => undefined);
    await task.chain.catch(() => undefined);
    await task.inFlight.catch(() => undefined);
    for (const key of [...this.pendingDeadLetters.keys()]) if (key.endsWith(`|${partition}`)) this.pendingDeadLetters.delete(key);
    await task.producer.close().catch((error: unknown) => this.log.warn({ err: error, partition }, 'transactional producer did not close cleanly'));
  }

  private async restore(partitions: number[]): Promise<void> {
    const started = this.now();
    // Creating the producer of partition p fences its previous owner and aborts what that one left open.
    const producers = new Map<number, TransactionalProducer>(
      await Promise.all(partitions.map(async (p) => [p, await this.options.bus.transactionalProducer(`${this.groupId}.${p}`)] as const)),
    );
    const restored = await restorePartitions(producers, {
      bus: this.options.bus,
      topic: this.changelog,
      partitions: this.partitions,
      groupPrefix: this.groupId,
      logger: this.log,
    });
    const now = this.now();
    let keys = 0;
    let entries = 0;
    for (const p of partitions) {
      const states = new Map<string, KeyState<S>>();
      const lastArrival = new Map<string, number>();
      const part = restored.get(p) ?? { states: new Map<string, string>(), journal: null };
      for (const [key, json] of part.states) {
        states.set(key, deserializeKeyState<S>(json));
        lastArrival.set(key, now);
      }
      const journal = parseJournal(part.journal);
      const positions = new Map<TopicName, string>();
      for (const [topic, offset] of Object.entries(journal?.base ?? {})) if (offset !== undefined) positions.set(topic as TopicName, offset);
      keys += states.size;
      entries += journal?.entries.length ?? 0;
      const at = performance.now();
      const task: Task<S> = {
        partition: p,
        producer: producers.get(p)!,
        states,
        lastArrival,
        chain: Promise.resolve(),
        valid: true,
        batches: 0,
        positions,
        dirty: new Set(),
        sinceCheckpoint: journal?.entries.length ?? 0,
        journal,
        replay: journal !== null && journal.entries.length > 0 ? [...journal.entries] : null,
        queued: new Map(),
        checkpointedAt: at,
        workedAt: at,
        inFlight: Promise.resolve(),
        held: null,
        preparedAt: at,
        heldTimer: undefined,
      };
      // Idle advances at the head of the journal need no input: apply them now (a journal of nothing else is done).
      if (task.replay !== null) this.replayJournal(task);
      this.tasks.set(p, task);
      this.m.restores.inc();
    }
    this.log.info({ partitions, keys, journalEntries: entries, ms: this.now() - started }, 'state restored from the changelog');
  }

  // -- processing -----------------------------------------------------------------------------------------------

  private onTask<T>(task: Task<S>, work: () => Promise<T>): Promise<T> {
    const run = task.chain.then(work, work);
    task.chain = run.catch(() => undefined);
    return run;
  }

  private takeDeadLetters(batch: TypedBatch<unknown>): HeldDeadLetter[] {
    const id = `${batch.topic}|${batch.partition}`;
    const held = this.pendingDeadLetters.get(id) ?? [];
    this.pendingDeadLetters.delete(id);
    return held;
  }

  private async handleBatch(batch: TypedBatch<unknown>): Promise<void> {
    const task = this.tasks.get(batch.partition);
    if (!task || !task.valid) throw new Error(`batch for partition ${batch.partition} of ${batch.topic}, which this instance has not restored`);
    const deadLetters = this.takeDeadLetters(batch);
    await this.onTask(task, async () => {
      const started = performance.now();
      const topic = this.byKafkaTopic.get(batch.topic)!;
      // Records before the task's position were applied already: delivered again from the checkpoint's offsets
      // (after a rebalance that left the task here, or while replaying).
      const queued = task.queued.get(topic);
      const from = queued?.end ?? task.positions.get(topic);
      if (from !== undefined && !offsetBefore(from, batch.nextOffset)) return;
      const fresh = from === undefined ? batch.records : batch.records.filter((r) => !offsetBefore(r.offset, from));
      const freshDeadLetters = from === undefined ? deadLetters : deadLetters.filter((d) => !offsetBefore(d.offset, from));
      let segments: Segment[];
      let held: HeldDeadLetter[];
      if (task.replay !== null) {
        if (queued) {
          queued.records.push(...fresh);
          queued.deadLetters.push(...freshDeadLetters);
          queued.end = batch.nextOffset;
        } else task.queued.set(topic, { records: fresh, deadLetters: freshDeadLetters, end: batch.nextOffset });
        this.replayJournal(task);
        if (task.replay !== null) return; // waiting for the records of another input topic
        // Replayed: what arrived beyond the journal is new input.
        segments = [];
        held = [];
        for (const name of this.options.core.inputs) {
          const q = task.queued.get(name);
          if (q === undefined) continue;
          segments.push({ topic: name, records: q.records, end: q.end });
          held.push(...q.deadLetters);
        }
        task.queued.clear();
      } else {
        segments = [{ topic, records: fresh, end: batch.nextOffset }];
        held = freshDeadLetters;
      }
      const outputs: CoreOutput[] = [];
      const entries: JournalEntry[] = [];
      const arrivedAt = this.now();
      let handled = 0;
      const timestamps: number[] = [];
      for (const segment of segments) {
        const kafkaTopic = this.contracts.get(segment.topic)!.topic;
        let count = 0;
        for (const record of segment.records) {
          timestamps.push(record.timestamp);
          if (this.apply(task, segment.topic, record, arrivedAt, outputs)) count += 1;
        }
        task.positions.set(segment.topic, segment.end);
        entries.push({ t: segment.topic, to: segment.end });
        this.m.eventsIn.inc({ processor: this.name, topic: kafkaTopic }, count);
        handled += count;
      }
      task.workedAt = performance.now();
      const hw = batch.raw.highWatermark;
      if (hw !== undefined) this.m.lag.set({ processor: this.name, topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(hw) - BigInt(batch.nextOffset))));
      this.hold(task, { outputs, entries, deadLetters: held.map((d) => d.record), records: handled, inputTimestamps: timestamps, started });
      const interval = this.options.commitIntervalMs ?? 0;
      const wait = task.preparedAt + interval - performance.now();
      if (interval > 0 && wait > 0 && task.held!.records < (this.options.maxBatchSize ?? defaultProcessorBatchSize)) {
        // Within the commit interval: the work waits for the next transaction (a timer sends it if nothing else does).
        task.heldTimer ??= setTimeout(() => {
          task.heldTimer = undefined;
          void this.onTask(task, () => this.sendHeld(task)).catch(() => undefined);
        }, wait);
        return;
      }
      // Pipelined: the handler returns once the task's previous transaction has committed, while this one is being
      // sent; the next batch is processed meanwhile. A failure of either fails this handler (or, for the last
      // transaction, the consumer through failTask): the task is then restored from what did commit.
      const previous = task.inFlight;
      await this.sendHeld(task);
      await previous;
    });
  }

  /** Adds a handled batch's work to what the task's next transaction carries. */
  private hold(task: Task<S>, work: Held): void {
    const held = task.held;
    if (held === null) {
      task.held = work;
      return;
    }
    for (const o of work.outputs) held.outputs.push(o);
    held.entries = appendEntries(held.entries, work.entries);
    for (const d of work.deadLetters) held.deadLetters.push(d);
    held.records += work.records;
    for (const t of work.inputTimestamps) held.inputTimestamps.push(t);
  }

  /** Prepares the held work as a transaction and queues it behind the task's previous one (not awaited). */
  private async sendHeld(task: Task<S>): Promise<void> {
    if (task.held === null || !task.valid) return;
    const prepared = await this.prepare(task, { outputs: [], entries: [], deadLetters: [], checkpoint: this.checkpointNeeded(task) });
    task.inFlight = this.send(task, prepared.transaction, prepared.info);
  }

  /** Ingests one record into its key's state; false when it was skipped (no key, eventId or eventTime). */
  private apply(task: Task<S>, topic: TopicName, record: TypedRecord<unknown>, arrivedAt: number, outputs: CoreOutput[] | null): boolean {
    if (record.event === null) return false;
    const fields = eventFields(record.event);
    const key = record.key;
    if (fields === null || key === null) {
      if (outputs !== null) this.log.warn({ topic, partition: record.partition, offset: record.offset, ...correlationOf(record.headers) }, 'record without key, eventId or eventTime skipped');
      return false;
    }
    const state = task.states.get(key) ?? this.driver.initialKeyState(key);
    const result = this.driver.ingest(state, { topic, key, value: record.event, ...fields });
    task.states.set(key, result.state);
    task.lastArrival.set(key, arrivedAt);
    task.dirty.add(key);
    if (outputs !== null) {
      const correlation = record.headers[correlationHeaders.correlationId];
      if (correlation !== undefined && correlation !== fields.eventId) {
        this.correlations.set(fields.eventId, correlation);
        if (this.correlations.size > 10_000) this.correlations.delete(this.correlations.keys().next().value!);
      }
      for (const o of result.outputs) outputs.push(o);
      if (result.duplicate) this.m.duplicates.inc();
      if (result.late) this.m.late.inc();
    }
    return true;
  }

  /** Applies the journal entries whose input has arrived, in order; `task.replay` becomes null when done. */
  private replayJournal(task: Task<S>): void {
    const entries = task.replay!;
    const arrivedAt = this.now();
    let applied = 0;
    while (entries.length > 0) {
      const entry = entries[0]!;
      if ('w' in entry) {
        for (const [key, watermark] of entry.w) {
          const state = task.states.get(key);
          if (state === undefined) continue;
          this.driver.advance(state, key, watermark);
          task.dirty.add(key);
        }
        entries.shift();
        continue;
      }
      const q = task.queued.get(entry.t);
      if (q === undefined || offsetBefore(q.end, entry.to)) break;
      let n = 0;
      while (n < q.records.length && offsetBefore(q.records[n]!.offset, entry.to)) n += 1;
      for (const record of q.records.splice(0, n)) if (this.apply(task, entry.t, record, arrivedAt, null)) applied += 1;
      // Their dead letters were committed with the original transaction.
      q.deadLetters = q.deadLetters.filter((d) => !offsetBefore(d.offset, entry.to));
      task.positions.set(entry.t, entry.to);
      if (q.records.length === 0 && q.deadLetters.length === 0 && q.end === entry.to) task.queued.delete(entry.t);
      entries.shift();
    }
    this.m.replayed.inc(applied);
    if (entries.length === 0) {
      task.replay = null;
      this.log.info({ partition: task.partition, keys: task.dirty.size }, 'journal replayed');
    }
  }

  private hasUncheckpointed(task: Task<S>): boolean {
    return task.held !== null || task.dirty.size > 0 || (task.journal !== null && task.journal.entries.length > 0);
  }

  /** Whether the next transaction of the task should be a checkpoint. */
  private checkpointNeeded(task: Task<S>): boolean {
    if (task.journal === null) return true; // the task's first transaction: start the journal from known offsets
    if (task.sinceCheckpoint + 1 >= this.checkpointing.maxTransactions) return true;
    return performance.now() - task.checkpointedAt >= this.checkpointing.intervalMs;
  }

  /**
   * Builds one transaction: outputs, dead letters, the journal (with `entries` appended, or reset at a checkpoint),
   * and at a checkpoint the states of the changed keys and the input positions as the group's offsets. The task's
   * journal and dirty set move on at once (optimistically: if the transaction fails, the task is restored anyway).
   */
  private async prepare(
    task: Task<S>,
    added: { outputs: CoreOutput[]; entries: JournalEntry[]; deadLetters: OutgoingRecord[]; checkpoint: boolean },
  ): Promise<{ transaction: Prepared; info: { records: number; inputTimestamps: number[]; started: number } }> {
    // Work held for the commit interval goes first: the input positions (journal, checkpoint offsets) already
    // include it, so no transaction may commit without it.
    clearTimeout(task.heldTimer);
    task.heldTimer = undefined;
    task.preparedAt = performance.now();
    const what = { ...added };
    const info = { records: 0, inputTimestamps: [] as number[], started: performance.now() };
    const held = task.held;
    if (held !== null) {
      task.held = null;
      what.outputs = [...held.outputs, ...added.outputs];
      what.entries = appendEntries(held.entries, added.entries);
      what.deadLetters = [...held.deadLetters, ...added.deadLetters];
      Object.assign(info, { records: held.records, inputTimestamps: held.inputTimestamps, started: held.started });
    }
    const byTopic = new Map<TopicName, CoreOutput[]>();
    for (const o of this.coalesced(what.outputs)) {
      const list = byTopic.get(o.topic) ?? [];
      list.push(o);
      byTopic.set(o.topic, list);
    }
    const encoded: Array<{ topic: string; records: OutgoingRecord[] }> = [];
    for (const [name, list] of byTopic) {
      const contract = this.contracts.get(name);
      if (!contract) throw new Error(`${this.name} emitted to ${name}, which is not among its outputs`);
      const batch = await encodeEvents(this.options.codec, contract, list.map((o) => o.value) as never[], { key: (_event, i) => list[i]!.key });
      for (const [i, record] of batch.records.entries()) {
        const output = list[i]!;
        const eventId = (output.value as { eventId?: unknown }).eventId;
        const input = inputOf.get(output);
        const cause = input === undefined ? undefined : (this.correlations.get(input) ?? input);
        record.headers = {
          ...record.headers,
          ...(typeof eventId === 'string' ? { [correlationHeaders.eventId]: eventId } : {}),
          ...(cause !== undefined ? { [correlationHeaders.correlationId]: cause } : {}),
        };
      }
      encoded.push(batch);
    }
    let journal: Journal = { v: 1, base: task.journal?.base ?? {}, entries: appendEntries(task.journal?.entries ?? [], what.entries) };
    let json = journalJson(journal);
    const checkpoint = what.checkpoint || json.length > maxJournalBytes;
    const changelog: OutgoingRecord[] = [];
    const offsets: PartitionOffset[] = [];
    let stateBytes = -1;
    if (checkpoint) {
      stateBytes = 0;
      for (const key of task.dirty) {
        const record = stateRecord(key, serializeKeyState(task.states.get(key)!));
        stateBytes += record.value!.length;
        changelog.push(record);
      }
      journal = { v: 1, base: Object.fromEntries(task.positions), entries: [] };
      json = journalJson(journal);
      for (const [name, offset] of task.positions) offsets.push({ topic: this.contracts.get(name)!.topic, partition: task.partition, offset });
      task.dirty.clear();
      task.checkpointedAt = performance.now();
      task.sinceCheckpoint = 0;
    } else task.sinceCheckpoint += 1;
    changelog.push(journalRecord(task.partition, this.partitions, json));
    task.journal = journal;
    return { transaction: { encoded, deadLetters: what.deadLetters, changelog, offsets, checkpoint, stateBytes }, info };
  }

  /**
   * Sends a prepared transaction after the task's previous one. On failure the task is invalid (its state is ahead
   * of the changelog) and the consumer is replaced; the returned promise rejects.
   */
  private send(task: Task<S>, prepared: Prepared, info: { records: number; inputTimestamps: number[]; started: number }): Promise<void> {
    const run = task.inFlight.then(async () => {
      task.batches += 1;
      const batchNo = task.batches;
      await task.producer.transaction(async (tx) => {
        for (const { topic, records } of prepared.encoded) await tx.send(topic, records);
        if (prepared.deadLetters.length > 0) await tx.send(this.dlqTopic, prepared.deadLetters);
        await tx.send(this.changelog, prepared.changelog);
        if (prepared.offsets.length > 0) await tx.sendOffsets(this.groupId, prepared.offsets);
        await this.options.beforeCommit?.({ partition: task.partition, batch: batchNo });
      });
      let sent = 0;
      for (const { topic, records } of prepared.encoded) {
        this.m.eventsOut.inc({ processor: this.name, topic }, records.length);
        sent += records.length;
      }
      if (prepared.checkpoint) {
        this.m.checkpoints.inc();
        this.m.stateBytes.inc(prepared.stateBytes);
      }
      const durationMs = performance.now() - info.started;
      if (info.records > 0) this.m.batchSeconds.observe(durationMs / 1000);
      this.options.onCommit?.({
        partition: task.partition,
        records: info.records,
        inputTimestamps: info.inputTimestamps,
        outputs: sent,
        checkpoint: prepared.checkpoint,
        stateBytes: Math.max(0, prepared.stateBytes),
        committedAt: Date.now(),
        durationMs,
      });
    });
    run.catch((error: unknown) => {
      if (task.valid && this.tasks.get(task.partition) === task) this.failTask(task, error, 'transaction failed');
    });
    return run;
  }

  /** The outputs without those a later output of the same key and coalesce key supersedes (option `coalesce`). */
  private coalesced(outputs: CoreOutput[]): CoreOutput[] {
    const coalesceKey = this.options.core.coalesceKey;
    if (!this.options.coalesce || coalesceKey === undefined || outputs.length < 2) return outputs;
    const seen = new Set<string>();
    const kept: CoreOutput[] = [];
    for (let i = outputs.length - 1; i >= 0; i -= 1) {
      const o = outputs[i]!;
      const id = coalesceKey(o);
      if (id !== null) {
        const full = `${o.topic}\u0000${o.key}\u0000${id}`;
        if (seen.has(full)) continue;
        seen.add(full);
      }
      kept.push(o);
    }
    return kept.reverse();
  }

  /** Checkpoints tasks that went quiet, or whose last checkpoint is older than the interval, with something new. */
  private checkpointDue(): void {
    if (this.stopping) return;
    const now = performance.now();
    for (const task of this.tasks.values()) {
      if (!task.valid || task.replay !== null || !this.hasUncheckpointed(task)) continue;
      const quiet = now - task.workedAt >= this.checkpointing.quietMs;
      if (!quiet && now - task.checkpointedAt < this.checkpointing.intervalMs) continue;
      void this.onTask(task, async () => {
        if (!task.valid || this.tasks.get(task.partition) !== task || task.replay !== null || !this.hasUncheckpointed(task)) return;
        const prepared = await this.prepare(task, { outputs: [], entries: [], deadLetters: [], checkpoint: true });
        task.inFlight = this.send(task, prepared.transaction, prepared.info);
        await task.inFlight.catch(() => undefined);
      });
    }
  }

  /** Wall-clock watermark advance of idle keys, one transaction per task that produced something. */
  private tick(idle: IdleOptions): void {
    if (this.stopping) return;
    const now = this.now();
    for (const task of this.tasks.values()) {
      if (!task.valid || task.replay !== null) continue;
      void this.onTask(task, async () => {
        if (!task.valid || this.tasks.get(task.partition) !== task || task.replay !== null) return;
        const started = performance.now();
        const outputs: CoreOutput[] = [];
        const advanced: Array<[string, number]> = [];
        for (const [key, state] of task.states) {
          if (state.maxEventTime === null) continue;
          const idleFor = now - (task.lastArrival.get(key) ?? now);
          if (idleFor < idle.afterMs) continue;
          const watermark = state.maxEventTime + idleFor - this.driver.reorderMs;
          if (state.watermark !== null && watermark <= state.watermark) continue;
          // Kept only if it produces outputs (then committed and journaled); otherwise undone, so that a restore
          // that replays the journal reaches exactly this state.
          const before = { core: state.core, watermark: state.watermark, buffer: state.buffer.slice() };
          const result = this.driver.advance(state, key, watermark);
          if (result.outputs.length === 0) {
            Object.assign(state, before);
            continue;
          }
          task.states.set(key, result.state);
          task.dirty.add(key);
          advanced.push([key, watermark]);
          outputs.push(...result.outputs);
        }
        if (advanced.length === 0) return;
        const prepared = await this.prepare(task, { outputs, entries: [{ w: advanced }], deadLetters: [], checkpoint: this.checkpointNeeded(task) });
        prepared.info.started = Math.min(prepared.info.started, started);
        task.inFlight = this.send(task, prepared.transaction, prepared.info);
        await task.inFlight.catch(() => undefined);
      });
    }
  }

  /** A commit outside a batch failed: the task's state is ahead of the changelog; restart the consumer to restore. */
  private failTask(task: Task<S>, error: unknown, what: string): void {
    if (!task.valid) return;
    task.valid = false;
    this.log.error({ err: error, partition: task.partition }, `${what}; restarting the consumer to restore state`);
    void this.restartAfterFailure(what);
  }

  private async restartAfterFailure(what: string): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.stopping) return;
    await consumer.stop().catch(() => undefined);
    this.onConsumerFailed(consumer, new Error(what));
  }
}

// Names of a benchmark run: every topic, group and changelog carries the run's prefix, so a run never touches the
// plant's topics or another run's; and the settings of a pipeline child process (pipeline-child.ts).
import { topics as topicTable, type TopicName } from '../../schemas/topics.ts';

export interface ChildConfig {
  role: 'processors' | 'sinks' | 'dashboard' | 'drain';
  prefix: string;
  /** processors: which registered cores. */
  processors?: string[];
  /** Per-core config overrides, e.g. { counts: { reorderMs: 0 } }. */
  plant?: { processors?: Record<string, unknown> };
  /** sinks: throwaway data directory for chDB. */
  dataDir?: string;
  /** sinks, dashboard: PostgreSQL URL scoped to the run's schema (search_path). */
  databaseUrl?: string;
  /** sinks: the sink batcher's maxDelayMs. */
  sinkDelayMs?: number;
  /** drain: the input topic and the number of input events to wait for. */
  input?: string;
  events?: number;
  maxBatchSize?: number;
  /** dashboard: the live hub's minIntervalMs (its default 250 ms). */
  hubIntervalMs?: number;
  /** processors, drain: commitIntervalMs of the processors (default: as `linepulse processors` runs them). */
  commitIntervalMs?: number;
}

/** Kafka name of a topic-table topic under a run prefix. */
export function prefixed(prefix: string, name: TopicName): string {
  return `${prefix}.${topicTable[name].topic}`;
}

export function prefixedNames(prefix: string): Partial<Record<TopicName, string>> {
  return Object.fromEntries((Object.keys(topicTable) as TopicName[]).map((n) => [n, prefixed(prefix, n)]));
}


// Prometheus metrics. One registry per process, created by the composition root and passed down as a factory
// argument; prom-client's global default registry is never used, so tests and several processes in one Node
// process (the single-machine `start`) never collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type { Counter, Gauge, Histogram, Registry };

interface MetricConfig<L extends string> {
  /** snake_case with the `linepulse_` prefix, e.g. 'linepulse_dead_letters_total'. */
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramConfig<L extends string> extends MetricConfig<L> {
  /** Upper bounds; prom-client's defaults (seconds) when omitted. */
  buckets?: number[];
}

export interface Metrics {
  readonly registry: Registry;
  /** The counter `name`, created on first use; later calls with the same name return the same counter. */
  counter<L extends string = string>(config: MetricConfig<L>): Counter<L>;
  gauge<L extends string = string>(config: MetricConfig<L>): Gauge<L>;
  histogram<L extends string = string>(config: HistogramConfig<L>): Histogram<L>;
  /** The Prometheus text exposition of every metric (for GET /metrics). */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Labels added to every metric, e.g. { process: 'processors' }. */
  defaultLabels?: Record<string, string>;
  /** Also collect Node process metrics (event loop lag, heap, GC). Default false. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'linepulse_' });

  function getOrCreate<M>(name: string, kind: new (...args: never[]) => M, create: () => M): M {
    const existing = registry.getSingleMetric(name);
    if (existing === undefined) return create();
    if (existing instanceof kind) return existing as M;
    throw new Error(`metric ${name} is already registered with another type`);
  }

  return {
    registry,
    counter: <L extends string>(config: MetricConfig<L>) =>
      getOrCreate(config.name, Counter, () => new Counter<L>({ ...config, labelNames: config.labelNames ?? [], registers: [registry] })) as Counter<L>,
    gauge: <L extends string>(config: MetricConfig<L>) =>
      getOrCreate(config.name, Gauge, () => new Gauge<L>({ ...config, labelNames: config.labelNames ?? [], registers: [registry] })) as Gauge<L>,
    histogram: <L extends string>(config: HistogramConfig<L>) =>
      getOrCreate(config.name, Histogram, () =>
        new Histogram<L>({ ...config, labelNames: config.labelNames ?? [], registers: [registry], ...(config.buckets ? { buckets: config.buckets } : {}) }),
      ) as Histogram<L>,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Counter of store calls, labelled `store` and `op` (one per call; a batch call counts once). */
export const STORE_OPERATIONS_METRIC = 'streams_store_operations_total';
/** Latency of the store calls that can reach disk, labelled `store` and `op`. */
export const STORE_OPERATION_SECONDS_METRIC = 'streams_store_operation_duration_seconds';
/** Approximate entries per store and task, updated on init, flush and restore. */
export const STORE_ENTRIES_METRIC = 'streams_store_entries';

/** The operations a metered store counts. */
export type StoreOperation =
  | 'get'
  | 'getMany'
  | 'put'
  | 'putAll'
  | 'putIfAbsent'
  | 'delete'
  | 'range'
  | 'prefixScan'
  | 'all'
  | 'fetch'
  | 'fetchRange'
  | 'fetchAll'
  | 'flush'
  | 'restore';

// Store calls range from a microsecond (cache hit) to tens of milliseconds (a batch to disk).
const LATENCY_BUCKETS = [1e-6, 5e-6, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.02, 0.1, 0.5, 2];

type Stop = () => void;
const NO_OP_STOP: Stop = () => {};

/**
 * The stores whose counts are not yet in a registry's operations counter. A prom-client
 * increment hashes its labels on every call, too slow for several store calls per record, so
 * stores count in plain numbers and the counter adds them up when it is collected (scraped).
 */
const uncollected = new WeakMap<Counter<string>, Set<StoreMetrics>>();

function collectStoreOperations(this: Counter<string>): void {
  for (const metrics of uncollected.get(this) ?? []) metrics.publishCounts();
}

/**
 * One store's metrics in a task. The metrics are shared by all stores of a registry (created on
 * first use); calls are counted locally and published when the registry is collected.
 */
export class StoreMetrics {
  private readonly counters = new Map<StoreOperation, Counter.Internal>();
  /** Calls since the counter last collected them. */
  private readonly counts = new Map<StoreOperation, number>();
  private readonly timers = new Map<StoreOperation, Histogram.Internal<string>>();

  private constructor(
    private readonly store: string,
    private readonly task: string,
    private readonly operations: Counter<string> | null,
    private readonly latency: Histogram<string> | null,
    private readonly entries: Gauge<string> | null,
  ) {}

  /** Metrics registered in `registry`; with null, every call is a no-op. */
  static create(registry: Registry | null, store: string, task: string): StoreMetrics {
    if (registry === null) return new StoreMetrics(store, task, null, null, null);
    const operations =
      (registry.getSingleMetric(STORE_OPERATIONS_METRIC) as Counter<string> | undefined) ??
      new Counter({
        name: STORE_OPERATIONS_METRIC,
        help: 'State store operations, by store and operation',
        labelNames: ['store', 'op'],
        registers: [registry],
        collect: collectStoreOperations,
      });
    const latency =
      (registry.getSingleMetric(STORE_OPERATION_SECONDS_METRIC) as Histogram<string> | undefined) ??
      new Histogram({
        name: STORE_OPERATION_SECONDS_METRIC,
        help: 'Latency of state store reads, flushes and restores',
        labelNames: ['store', 'op'],
        buckets: LATENCY_BUCKETS,
        registers: [registry],
      });
    const entries =
      (registry.getSingleMetric(STORE_ENTRIES_METRIC) as Gauge<string> | undefined) ??
      new Gauge({
        name: STORE_ENTRIES_METRIC,
        help: 'Approximate number of entries in a state store',
        labelNames: ['store', 'task'],
        registers: [registry],
      });
    const metrics = new StoreMetrics(store, task, operations, latency, entries);
    let stores = uncollected.get(operations);
    if (stores === undefined) uncollected.set(operations, (stores = new Set()));
    stores.add(metrics);
    return metrics;
  }

  count(op: StoreOperation): void {
    if (this.operations === null) return;
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
  }

  /** Adds the calls counted since the last collection to the registry's counter. */
  publishCounts(): void {
    if (this.operations === null) return;
    for (const [op, n] of this.counts) {
      if (n === 0) continue;
      let child = this.counters.get(op);
      if (child === undefined) {
        child = this.operations.labels(this.store, op);
        this.counters.set(op, child);
      }
      child.inc(n);
    }
    this.counts.clear();
  }

  /** Counts the call and starts its latency timer; call the result when it completes. */
  time(op: StoreOperation): Stop {
    this.count(op);
    if (this.latency === null) return NO_OP_STOP;
    let child = this.timers.get(op);
    if (child === undefined) {
      child = this.latency.labels(this.store, op);
      this.timers.set(op, child);
    }
    const timer = child;
    const start = process.hrtime.bigint();
    return () => timer.observe(Number(process.hrtime.bigint() - start) / 1e9);
  }

  /** Counts and times `work` as one `op`, whether it succeeds or fails. */
  async timed<T>(op: StoreOperation, work: () => Promise<T>): Promise<T> {
    const stop = this.time(op);
    try {
      return await work();
    } finally {
      stop();
    }
  }

  setEntries(count: number): void {
    this.entries?.labels(this.store, this.task).set(count);
  }

  /** Drops this store's entries gauge (the task is gone); counters keep their totals. */
  close(): void {
    this.entries?.remove(this.store, this.task);
    if (this.operations === null) return;
    this.publishCounts();
    uncollected.get(this.operations)?.delete(this);
  }
}

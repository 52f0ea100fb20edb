import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FailureStage } from './exception-handlers.js';

/**
 * Engine metrics, registered once per registry and labelled per task. Names follow Prometheus
 * conventions with the `streams_` prefix so dashboards can tell engine from domain metrics.
 */
export class StreamsMetrics {
  readonly processed: Counter<'task'>;
  readonly dropped: Counter<'task' | 'stage'>;
  readonly processLatency: Histogram<'task'>;
  readonly commitLatency: Histogram;
  readonly commits: Counter;
  readonly restored: Counter<'store'>;
  readonly consumerLag: Gauge<'topic' | 'partition'>;

  constructor(readonly registry: Registry) {
    const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
    this.processed =
      existing('streams_records_processed_total') ??
      new Counter({ name: 'streams_records_processed_total', help: 'Input records processed, per task', labelNames: ['task'], registers: [registry] });
    this.dropped =
      existing('streams_records_dropped_total') ??
      new Counter({ name: 'streams_records_dropped_total', help: 'Input records dead-lettered or dropped by an exception handler, per task and stage', labelNames: ['task', 'stage'], registers: [registry] });
    this.processLatency =
      existing('streams_process_batch_seconds') ??
      new Histogram({ name: 'streams_process_batch_seconds', help: 'Time to process one polled batch of a task', labelNames: ['task'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
    this.commitLatency =
      existing('streams_commit_seconds') ??
      new Histogram({ name: 'streams_commit_seconds', help: 'Time of one commit (flush stores, flush or commit transaction, commit offsets)', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
    this.commits =
      existing('streams_commits_total') ?? new Counter({ name: 'streams_commits_total', help: 'Commits completed', registers: [registry] });
    this.restored =
      existing('streams_restored_records_total') ??
      new Counter({ name: 'streams_restored_records_total', help: 'Changelog records applied during restore, per store', labelNames: ['store'], registers: [registry] });
    this.consumerLag =
      existing('streams_consumer_lag') ??
      new Gauge({ name: 'streams_consumer_lag', help: 'Records in a source partition not yet processed by this member (end offset minus position)', labelNames: ['topic', 'partition'], registers: [registry] });
  }

  forTask(taskId: string): TaskMetrics {
    const processed = this.processed.labels(taskId);
    const latency = this.processLatency.labels(taskId);
    return {
      recordProcessed: (count, elapsedMs) => {
        processed.inc(count);
        latency.observe(elapsedMs / 1000);
      },
      recordDropped: (stage) => this.dropped.labels(taskId, stage).inc(),
    };
  }
}

/** What a task reports about itself. */
export interface TaskMetrics {
  recordProcessed(count: number, elapsedMs: number): void;
  recordDropped(stage: FailureStage): void;
}

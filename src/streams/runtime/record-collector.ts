import type { Headers } from '../processor/record.js';

/**
 * Where a task's output goes: sink records, changelog records and dead letters. The real
 * runtime hands them to the Kafka producer (no per-record delivery report; failures surface at
 * flush or transaction commit); the test driver keeps them in memory.
 */
export interface RecordCollector {
  /** `partition` undefined lets the producer pick by key hash (murmur2, as Java clients do). */
  send(
    topic: string,
    partition: number | undefined,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    headers: Headers | undefined,
  ): void;
  /** Partition count of an output topic, for custom partitioners. */
  partitionsFor(topic: string): number;
}

import type { RocksDbMemoryBudget } from './rocksdb-memory-budget.js';

/**
 * The stores' part of the engine's memory total: the RocksDB budget (shared out per instance as
 * instances open) and the record caches' bytes, divided evenly by the number of stores the
 * topology implies (stores × partitions) — a store of a task this process does not own leaves
 * its part unused, so the total holds however the partitions are spread.
 */
export class StoreMemoryBudget {
  private expectedStores = 0;

  constructor(
    /** Bytes for the read caches of every store together (V8 heap, estimated per entry). */
    readonly recordCacheBytes: number,
    readonly rocksDb: RocksDbMemoryBudget,
  ) {}

  /** Stores × partitions of the topology: every store of every task this process could own. */
  expectStores(count: number): void {
    this.expectedStores = Math.max(0, Math.floor(count));
    this.rocksDb.expectInstances(this.expectedStores);
  }

  /** The read cache bound of one store of one task; the whole part until the count is known. */
  recordCacheBytesPerStore(): number {
    return this.expectedStores > 0 ? Math.floor(this.recordCacheBytes / this.expectedStores) : this.recordCacheBytes;
  }
}

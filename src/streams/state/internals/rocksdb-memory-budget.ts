import type { RocksDbConfigSetter, RocksDbMemory, RocksDbMemoryShare, RocksDbOptions } from '../rocksdb-config.js';

const MIB = 1024 * 1024;

/** No instance gets less than this, even past the expected count: 512 KiB memtables, 512 KiB cache. */
export const MIN_ROCKSDB_SHARE_BYTES = MIB;

/** RocksDB keeps up to this many memtables per instance (its `max_write_buffer_number` default). */
const MEMTABLES_PER_INSTANCE = 2;

const MAX_UINT32 = 0xffff_ffff;

/** How a {@link RocksDbMemoryBudget} is sized. */
export interface RocksDbMemoryBudgetOptions {
  /** Bytes for the memtables and block caches of every instance together. */
  readonly totalBytes: number;
  /** Share of an instance's part that goes to memtables; the rest is its block cache. */
  readonly writeBufferRatio: number;
  readonly configSetter: RocksDbConfigSetter | null;
}

/**
 * The RocksDB part of the engine's memory total, shared out to instances as they open — the
 * pattern of Kafka Streams' bounded-memory config setter. Kafka Streams gives every store one
 * shared block cache and write buffer manager; the `rocksdb` binding cannot share either, so
 * each instance gets a fixed slice instead: `totalBytes / expected instances`, where the runtime
 * sets the expected count from the topology (stores × partitions: every task this process could
 * own). Past that count, or once the total is taken, an instance gets what is left but never
 * less than {@link MIN_ROCKSDB_SHARE_BYTES}. A slice is returned when its instance closes, so a
 * rebalance moves memory with the tasks.
 *
 * Bounded: memtables (at most twice `writeBufferSize`) and block cache. Not bounded: index and
 * filter blocks of open SST files (`rocksdb.estimate-table-readers-mem`, ~10 bits per key for
 * the filter plus the index), which grow with the data.
 */
export class RocksDbMemoryBudget implements RocksDbMemory {
  private expected = 0;
  private allocated = 0;
  private openInstances = 0;

  constructor(readonly options: RocksDbMemoryBudgetOptions) {}

  /** The number of instances the total is divided by (stores × partitions of the topology). */
  expectInstances(count: number): void {
    this.expected = Math.max(0, Math.floor(count));
  }

  /** Bytes held by open instances. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  get instances(): number {
    return this.openInstances;
  }

  acquire(storeName: string): RocksDbMemoryShare {
    const { totalBytes, writeBufferRatio, configSetter } = this.options;
    const slots = Math.max(this.expected, this.openInstances + 1);
    const fair = Math.floor(totalBytes / slots);
    const bytes = Math.max(MIN_ROCKSDB_SHARE_BYTES, Math.min(fair, totalBytes - this.allocated));
    const chosen = rocksDbOptionsForShare(bytes, writeBufferRatio);
    const options = configSetter ? configSetter(storeName, chosen) : chosen;
    this.allocated += bytes;
    this.openInstances++;
    let released = false;
    return {
      options,
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.allocated -= bytes;
        this.openInstances--;
      },
    };
  }
}

/**
 * Splits one instance's share: `writeBufferRatio` of it for memtables (two of `writeBufferSize`
 * each), the rest for the block cache.
 */
export function rocksDbOptionsForShare(shareBytes: number, writeBufferRatio: number): RocksDbOptions {
  const memtables = Math.floor(shareBytes * writeBufferRatio);
  return {
    // The binding reads both as unsigned 32-bit integers.
    writeBufferSize: Math.min(MAX_UINT32, Math.floor(memtables / MEMTABLES_PER_INSTANCE)),
    cacheSize: Math.min(MAX_UINT32, shareBytes - memtables),
  };
}

import { StreamsConfigError } from './errors.js';
import type { RocksDbConfigSetter } from './state/rocksdb-config.js';
import { RocksDbMemoryBudget } from './state/internals/rocksdb-memory-budget.js';
import { StoreMemoryBudget } from './state/internals/store-memory-budget.js';

const MIB = 1024 * 1024;

/**
 * The memory the engine sizes itself, as one total (README "Memory"), in three parts:
 *
 * - RocksDB (`rocksDbRatio` of the total): the memtables and block caches of every RocksDB
 *   instance this KafkaStreams instance opens, shared out per instance by the number the
 *   topology implies (stores × partitions). The binding cannot share one cache between instances
 *   as Kafka Streams does, so each instance has its own fixed slice.
 * - Record caches (`recordCacheRatio`): the stores' LRU read caches, on the V8 heap, bounded in
 *   estimated bytes (key + value + a fixed per-entry overhead), divided evenly per store.
 * - Kafka clients (the rest), divided among the stream threads; each thread's part bounds what
 *   its consumers prefetch, what its producer queues and what its restore consumer fetches.
 *
 * Not in the total: the rest of the V8 heap (records in flight, write buffers until the next
 * commit, code; see `--max-semi-space-size`), the stores' key filters (sized by their expected
 * keys), RocksDB's index and filter blocks (grow with the data), code and allocator.
 */
export interface MemoryConfig {
  /** Default 256 MiB: 128 MiB for RocksDB, 64 MiB for record caches, 64 MiB for the Kafka clients. */
  readonly totalBytes?: number;
  /** Share of the total for RocksDB. Default 0.5. */
  readonly rocksDbRatio?: number;
  /** Share of the total for the stores' read caches. Default 0.25. The Kafka clients get the rest. */
  readonly recordCacheRatio?: number;
  /** Share of a RocksDB instance's part for its memtables, the rest for its block cache. Default 0.5. */
  readonly writeBufferRatio?: number;
  /** Sees and may change each RocksDB instance's options before it opens (not with `WorkerStreams`). */
  readonly rocksDbConfigSetter?: RocksDbConfigSetter;
}

/** {@link MemoryConfig} with defaults filled in and its parts computed. */
export interface ResolvedMemoryConfig {
  readonly totalBytes: number;
  readonly rocksDbBytes: number;
  readonly recordCacheBytes: number;
  /** The Kafka clients' part, over all stream threads. */
  readonly kafkaClientBytes: number;
  /** The Kafka clients' part of one stream thread. */
  readonly kafkaClientBytesPerThread: number;
  readonly writeBufferRatio: number;
  /** What every store of this KafkaStreams instance takes its share from. */
  readonly stores: StoreMemoryBudget;
}

export const DEFAULT_MEMORY_TOTAL_BYTES = 256 * MIB;
export const DEFAULT_ROCKSDB_RATIO = 0.5;
export const DEFAULT_RECORD_CACHE_RATIO = 0.25;
export const DEFAULT_WRITE_BUFFER_RATIO = 0.5;
/** The least a thread's clients get, whatever the total: below it they could not take full fetches. */
export const MIN_KAFKA_CLIENT_BYTES_PER_THREAD = 16 * MIB;

function ratio(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new StreamsConfigError(key, `expected a number between 0 and 1 (exclusive), got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Checks `memory` and computes its parts for `threads` stream threads; a bad value throws naming
 * the key. Each thread's clients get at least {@link MIN_KAFKA_CLIENT_BYTES_PER_THREAD}.
 */
export function resolveMemoryConfig(memory: MemoryConfig = {}, threads = 1): ResolvedMemoryConfig {
  const totalBytes = memory.totalBytes ?? DEFAULT_MEMORY_TOTAL_BYTES;
  if (!Number.isSafeInteger(totalBytes) || totalBytes <= 0) {
    throw new StreamsConfigError('memory.totalBytes', `expected a positive integer number of bytes, got ${JSON.stringify(memory.totalBytes)}`);
  }
  const rocksDbRatio = ratio('memory.rocksDbRatio', memory.rocksDbRatio, DEFAULT_ROCKSDB_RATIO);
  const recordCacheRatio = ratio('memory.recordCacheRatio', memory.recordCacheRatio, DEFAULT_RECORD_CACHE_RATIO);
  if (rocksDbRatio + recordCacheRatio >= 1) {
    throw new StreamsConfigError('memory.recordCacheRatio', `with memory.rocksDbRatio ${rocksDbRatio} it leaves nothing for the Kafka clients; the two must add up to less than 1`);
  }
  const writeBufferRatio = ratio('memory.writeBufferRatio', memory.writeBufferRatio, DEFAULT_WRITE_BUFFER_RATIO);
  if (memory.rocksDbConfigSetter !== undefined && typeof memory.rocksDbConfigSetter !== 'function') {
    throw new StreamsConfigError('memory.rocksDbConfigSetter', 'expected a function (storeName, options) => options');
  }
  const rocksDbBytes = Math.floor(totalBytes * rocksDbRatio);
  const recordCacheBytes = Math.floor(totalBytes * recordCacheRatio);
  const kafkaClientBytes = totalBytes - rocksDbBytes - recordCacheBytes;
  // Below the floor each client could not take a full fetch: the floor wins over the total.
  const kafkaClientBytesPerThread = Math.max(MIN_KAFKA_CLIENT_BYTES_PER_THREAD, Math.floor(kafkaClientBytes / Math.max(1, threads)));
  return {
    totalBytes,
    rocksDbBytes,
    recordCacheBytes,
    kafkaClientBytes,
    kafkaClientBytesPerThread,
    writeBufferRatio,
    stores: new StoreMemoryBudget(recordCacheBytes, new RocksDbMemoryBudget({ totalBytes: rocksDbBytes, writeBufferRatio, configSetter: memory.rocksDbConfigSetter ?? null })),
  };
}

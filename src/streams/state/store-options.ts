/** Options of the store builders (see {@link Stores}). */

/**
 * The write cache and read cache of a store. Writes are buffered as dirty entries until the next
 * flush (commit), or until `maxDirtyEntries` is exceeded, when they are flushed early in one batch.
 */
export interface CachingOptions {
  /** Dirty entries held before an early flush. Default 10,000. */
  readonly maxDirtyEntries?: number;
  /** Clean entries kept in the LRU read cache. Default 10,000; 0 disables the read cache. */
  readonly readCacheEntries?: number;
}

/**
 * A Bloom filter in front of the bytes store, so that a read of a key never written answers
 * "absent" without a disk read (e.g. a dedupe store, where nearly every id is new).
 */
export interface KeyFilterOptions {
  /** Keys the filter is sized for; past it the false-positive rate grows (never false negatives). */
  readonly expectedKeys: number;
  /** Share of never-written keys that still reach the bytes store, e.g. 0.01. */
  readonly falsePositiveRate: number;
  /**
   * A persistent store saves the filter on close and on a flush at most this often, so a restart
   * loads it instead of scanning every key. Default 60,000 ms.
   */
  readonly persistIntervalMs?: number;
}

/** Retention and segmenting of a window store. */
export interface WindowStoreOptions {
  /** Stream time a window is kept after its start. */
  readonly retentionMs: number;
  /**
   * Width of one time segment; a whole segment is dropped once all its windows are expired.
   * Default max(retentionMs / 2, 60,000), as Kafka Streams sets it.
   */
  readonly segmentIntervalMs?: number;
}

/** Default of {@link CachingOptions.maxDirtyEntries}. */
export const DEFAULT_MAX_DIRTY_ENTRIES = 10_000;
/** Default of {@link CachingOptions.readCacheEntries}. */
export const DEFAULT_READ_CACHE_ENTRIES = 10_000;

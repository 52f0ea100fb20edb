import type { StateStore } from './state-store.js';

/** One entry of a key-value store, as ranges and `putAll` carry it. */
export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

/**
 * A typed key-value store, as processors see it.
 *
 * Writes are synchronous: they land in the store's write cache and reach disk and the changelog
 * on the next commit (or when the cache fills). Reads are asynchronous because a miss goes to
 * disk; a hit in the write cache or read cache resolves without touching disk.
 * `undefined` means absent; store `null` values are not allowed (use `delete`).
 */
export interface KeyValueStore<K, V> extends StateStore {
  get(key: K): Promise<V | undefined>;
  /** One batched read; results in the order of `keys`. */
  getMany(keys: readonly K[]): Promise<(V | undefined)[]>;
  put(key: K, value: V): void;
  putAll(entries: readonly KeyValue<K, V>[]): void;
  /** Stores `value` only if absent; returns the value that was there. */
  putIfAbsent(key: K, value: V): Promise<V | undefined>;
  delete(key: K): void;
  /**
   * Entries with `from <= key < to` in serialized-key byte order; either bound may be null
   * (open). Sees writes not yet flushed.
   */
  range(from: K | null, to: K | null): AsyncIterable<KeyValue<K, V>>;
  /** Entries whose serialized key starts with the serialized `prefix`. */
  prefixScan(prefix: K): AsyncIterable<KeyValue<K, V>>;
  all(): AsyncIterable<KeyValue<K, V>>;
  /** A cheap estimate, for metrics. */
  approximateNumEntries(): number;
}

/**
 * A byte-level key-value store: the innermost layer (RocksDB, in-memory) and every decorator
 * between it and the typed store implement this. Keys order by unsigned byte comparison.
 */
export interface KeyValueBytesStore extends StateStore {
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]>;
  /** Writes a batch atomically; a null value deletes. */
  write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void>;
  /** `from <= key < to`; null bounds are open. */
  range(from: Buffer | null, to: Buffer | null): AsyncIterable<readonly [Buffer, Buffer]>;
  approximateNumEntries(): number;
}

import type { StateStore } from './state-store.js';

/** What {@link KeyValueStore.getIfCached} answers when only a disk read can tell. */
export const NOT_CACHED: unique symbol = Symbol('not cached');
export type NotCached = typeof NOT_CACHED;

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
  /**
   * `get` without waiting, when the store can answer without a disk read (write cache, read
   * cache, key filter, in-memory store): the value or undefined, else {@link NOT_CACHED}. After a
   * processor's `prefetch` warmed the keys of a batch, its reads answer here, so `process` can
   * stay synchronous — no promise per record. {@link readThen} is the usual way to call it.
   */
  getIfCached(key: K): V | undefined | NotCached;
  /** One batched read; results in the order of `keys`. */
  getMany(keys: readonly K[]): Promise<(V | undefined)[]>;
  /**
   * Reads `keys` in one batch and keeps what it read at hand until the next `prefetch`: then
   * {@link getIfCached} answers those keys from a map, without serializing the key or asking the
   * caches, key filter and disk below. A write to a key drops what was prefetched for it. This is
   * what a processor's `prefetch` calls for the keys its `process` will read.
   */
  prefetch(keys: readonly K[]): Promise<void>;
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
  /** The answer of `get` when known without a disk read (see {@link KeyValueStore.getIfCached}); layers that cannot tell leave it out. */
  getIfCached?(key: Buffer): Buffer | undefined | NotCached;
  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]>;
  /** Writes a batch atomically; a null value deletes. */
  write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void>;
  /** `from <= key < to`; null bounds are open. */
  range(from: Buffer | null, to: Buffer | null): AsyncIterable<readonly [Buffer, Buffer]>;
  approximateNumEntries(): number;
}

/** What a bytes layer answers without a disk read: {@link NOT_CACHED} when it cannot tell. */
export function bytesIfCached(store: KeyValueBytesStore, key: Buffer): Buffer | undefined | NotCached {
  return store.getIfCached ? store.getIfCached(key) : NOT_CACHED;
}

/**
 * Calls `use` with the value of `key`: at once when the store has it cached (see
 * {@link KeyValueStore.getIfCached}), else after the read. The result is `use`'s, or a promise of
 * it; a processor returns it from `process`.
 */
export function readThen<K, V, R>(store: KeyValueStore<K, V>, key: K, use: (value: V | undefined) => R): R | Promise<R> {
  const cached = store.getIfCached(key);
  if (cached !== NOT_CACHED) return use(cached);
  return store.get(key).then(use);
}

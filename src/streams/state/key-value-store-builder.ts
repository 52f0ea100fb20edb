import type { Serde } from '../serde/serde.js';
import { CachingKeyValueBytesStore } from './internals/caching-key-value-bytes-store.js';
import { ChangeLoggingKeyValueBytesStore } from './internals/change-logging-key-value-bytes-store.js';
import { KeyFilteredKeyValueBytesStore } from './internals/key-filtered-key-value-bytes-store.js';
import { MeteredKeyValueStore } from './internals/metered-key-value-store.js';
import type { KeyValueBytesStore, KeyValueStore } from './key-value-store.js';
import type { StoreBuilder } from './store-builder.js';
import type { CachingOptions, KeyFilterOptions } from './store-options.js';
import { DEFAULT_MAX_DIRTY_ENTRIES, DEFAULT_READ_CACHE_ENTRIES } from './store-options.js';
import type { KeyValueBytesStoreSupplier } from './store-suppliers.js';

/**
 * Builds a typed key-value store per task from a bytes store supplier, layered outermost first:
 * metered (serdes, metrics) → caching → change-logging → key filter (optional) → bytes store.
 * Logging and caching are enabled by default.
 *
 * Caching disabled keeps the write buffer — `put` is synchronous, so writes wait for the next
 * flush (commit) either way — but drops the LRU read cache: every read that misses the buffered
 * writes goes to the bytes store.
 */
export class KeyValueStoreBuilder<K, V> implements StoreBuilder<KeyValueStore<K, V>> {
  private caching: CachingOptions | null = {};
  private logging: Readonly<Record<string, string>> | null = {};
  private keyFilter: KeyFilterOptions | null = null;

  constructor(
    private readonly supplier: KeyValueBytesStoreSupplier,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  get name(): string {
    return this.supplier.name;
  }

  get loggingEnabled(): boolean {
    return this.logging !== null;
  }

  /** The changelog topic's configs: compacted, plus what `withLoggingEnabled` was given. */
  get changelogConfig(): Readonly<Record<string, string>> {
    return { 'cleanup.policy': 'compact', ...this.logging };
  }

  withCachingEnabled(options: CachingOptions = {}): this {
    this.caching = { ...options };
    return this;
  }

  withCachingDisabled(): this {
    this.caching = null;
    return this;
  }

  /** `topicConfig` is added to the changelog topic's configs (e.g. `min.insync.replicas`). */
  withLoggingEnabled(topicConfig: Readonly<Record<string, string>> = {}): this {
    this.logging = { ...topicConfig };
    return this;
  }

  withLoggingDisabled(): this {
    this.logging = null;
    return this;
  }

  /** Adds a Bloom filter in front of the bytes store (see {@link KeyFilterOptions}). */
  withKeyFilter(options: KeyFilterOptions): this {
    if (!(options.expectedKeys > 0) || !(options.falsePositiveRate > 0 && options.falsePositiveRate < 1)) {
      throw new RangeError(
        `store "${this.name}": key filter needs expectedKeys > 0 and 0 < falsePositiveRate < 1`,
      );
    }
    this.keyFilter = { ...options };
    return this;
  }

  build(): KeyValueStore<K, V> {
    let bytes: KeyValueBytesStore = this.supplier.get();
    if (this.keyFilter !== null) bytes = new KeyFilteredKeyValueBytesStore(bytes, this.keyFilter);
    if (this.logging !== null) bytes = new ChangeLoggingKeyValueBytesStore(bytes);
    const cached = new CachingKeyValueBytesStore(bytes, {
      maxDirtyEntries: this.caching?.maxDirtyEntries ?? DEFAULT_MAX_DIRTY_ENTRIES,
      readCacheEntries: this.caching === null ? 0 : (this.caching.readCacheEntries ?? DEFAULT_READ_CACHE_ENTRIES),
    });
    return new MeteredKeyValueStore(cached, this.keySerde, this.valueSerde);
  }
}

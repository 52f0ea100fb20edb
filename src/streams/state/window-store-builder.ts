import type { Serde } from '../serde/serde.js';
import { CachingWindowBytesStore } from './internals/caching-window-bytes-store.js';
import { ChangeLoggingWindowBytesStore } from './internals/change-logging-window-bytes-store.js';
import { MeteredWindowStore } from './internals/metered-window-store.js';
import type { StoreBuilder } from './store-builder.js';
import type { CachingOptions } from './store-options.js';
import { DEFAULT_MAX_DIRTY_ENTRIES } from './store-options.js';
import type { WindowBytesStoreSupplier } from './store-suppliers.js';
import type { WindowBytesStore, WindowStore } from './window-store.js';

/** Extra changelog retention beyond the store's, as Kafka Streams adds (one day). */
export const WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Builds a typed window store per task, layered outermost first: metered (serdes, metrics) →
 * caching (write buffer) → change-logging → segmented bytes store. Logging and caching are
 * enabled by default.
 *
 * A window store's cache is only its write buffer (`put` is synchronous, so writes wait for the
 * next flush either way); `withCachingDisabled` therefore only resets its size to the default.
 *
 * The changelog is `compact,delete` with `retention.ms` = the store's retention plus one day, so
 * expired windows leave the changelog too while live ones are never deleted from it.
 */
export class WindowStoreBuilder<K, V> implements StoreBuilder<WindowStore<K, V>> {
  private maxDirtyEntries = DEFAULT_MAX_DIRTY_ENTRIES;
  private logging: Readonly<Record<string, string>> | null = {};

  constructor(
    private readonly supplier: WindowBytesStoreSupplier,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  get name(): string {
    return this.supplier.name;
  }

  get loggingEnabled(): boolean {
    return this.logging !== null;
  }

  get changelogConfig(): Readonly<Record<string, string>> {
    return {
      'cleanup.policy': 'compact,delete',
      'retention.ms': String(this.supplier.retentionMs + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS),
      ...this.logging,
    };
  }

  /** `readCacheEntries` does not apply to window stores. */
  withCachingEnabled(options: CachingOptions = {}): this {
    this.maxDirtyEntries = options.maxDirtyEntries ?? DEFAULT_MAX_DIRTY_ENTRIES;
    return this;
  }

  withCachingDisabled(): this {
    this.maxDirtyEntries = DEFAULT_MAX_DIRTY_ENTRIES;
    return this;
  }

  /**
   * `topicConfig` is added to the changelog topic's configs. A `retention.ms` below the store's
   * retention is refused: the changelog would lose windows the store still needs to restore.
   */
  withLoggingEnabled(topicConfig: Readonly<Record<string, string>> = {}): this {
    const retention = topicConfig['retention.ms'];
    if (retention !== undefined && Number(retention) !== -1 && !(Number(retention) >= this.supplier.retentionMs)) {
      throw new RangeError(
        `store "${this.name}": changelog retention.ms ${retention} is below the store's retention ` +
          `${this.supplier.retentionMs} ms; raise it or leave it unset`,
      );
    }
    this.logging = { ...topicConfig };
    return this;
  }

  withLoggingDisabled(): this {
    this.logging = null;
    return this;
  }

  build(): WindowStore<K, V> {
    let bytes: WindowBytesStore = this.supplier.get();
    if (this.logging !== null) bytes = new ChangeLoggingWindowBytesStore(bytes);
    const cached = new CachingWindowBytesStore(bytes, { maxDirtyEntries: this.maxDirtyEntries });
    return new MeteredWindowStore(cached, this.keySerde, this.valueSerde);
  }
}

/**
 * State stores: the typed key-value and window stores processors use, and how they are built.
 *
 * A store is layers around one byte-level store, as in Kafka Streams: metered (serdes, metrics)
 * → caching (write buffer flushed on commit, LRU read cache) → change-logging (changelog topic)
 * → an optional key filter → RocksDB or in-memory bytes store. Build stores with {@link Stores};
 * the layers themselves live in `internals/` and are not part of the API.
 */
export type { StateStore, StateStoreContext, ChangelogSink, ChangelogRecord } from './state-store.js';
export type { KeyValue, KeyValueStore, KeyValueBytesStore, NotCached } from './key-value-store.js';
export { NOT_CACHED, readThen } from './key-value-store.js';
export type {
  WindowStore,
  WindowedValue,
  WindowedKeyValue,
  WindowBytesStore,
  WindowBytesEntry,
  WindowedBytes,
} from './window-store.js';
export type { StoreBuilder } from './store-builder.js';
export type { KeyValueBytesStoreSupplier, WindowBytesStoreSupplier } from './store-suppliers.js';
export type { CachingOptions, KeyFilterOptions, WindowStoreOptions } from './store-options.js';
export type { RocksDbOptions, RocksDbConfigSetter, RocksDbMemory, RocksDbMemoryShare } from './rocksdb-config.js';
export { KeyValueStoreBuilder } from './key-value-store-builder.js';
export { WindowStoreBuilder, WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS } from './window-store-builder.js';
export { Stores } from './stores.js';
export {
  STORE_OPERATIONS_METRIC,
  STORE_OPERATION_SECONDS_METRIC,
  STORE_ENTRIES_METRIC,
} from './internals/store-metrics.js';
export type { StoreOperation } from './internals/store-metrics.js';

import type { Serde } from '../serde/serde.js';
import { InMemoryKeyValueBytesStore } from './internals/in-memory-key-value-bytes-store.js';
import { RocksDbKeyValueBytesStore } from './internals/rocksdb-key-value-bytes-store.js';
import type { SegmentStoreFactory } from './internals/segments.js';
import { SegmentedWindowBytesStore } from './internals/segmented-window-bytes-store.js';
import { KeyValueStoreBuilder } from './key-value-store-builder.js';
import type { WindowStoreOptions } from './store-options.js';
import type { KeyValueBytesStoreSupplier, WindowBytesStoreSupplier } from './store-suppliers.js';
import { WindowStoreBuilder } from './window-store-builder.js';

/**
 * Where stores are made, in Kafka Streams' style: pick a bytes store supplier (RocksDB or
 * in-memory), then wrap it in a builder with serdes, and configure caching, logging and the key
 * filter on the builder. The topology keeps the builder; each task builds its own store.
 *
 * ```ts
 * const seen = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore('seen-ids'), strings, json)
 *   .withKeyFilter({ expectedKeys: 10_000_000, falsePositiveRate: 0.01 });
 * ```
 */
export const Stores = {
  /** A RocksDB key-value store: one instance per task in the store's state dir. */
  persistentKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    return { name, get: () => new RocksDbKeyValueBytesStore(name) };
  },

  /** An in-memory key-value store, rebuilt from its changelog when a task starts. */
  inMemoryKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    return { name, get: () => new InMemoryKeyValueBytesStore(name) };
  },

  /** A builder of typed key-value stores; logging and caching enabled. */
  keyValueStoreBuilder<K, V>(
    supplier: KeyValueBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ): KeyValueStoreBuilder<K, V> {
    return new KeyValueStoreBuilder(supplier, keySerde, valueSerde);
  },

  /**
   * A RocksDB window store: one RocksDB instance per time segment, in
   * `<stateDir>/<name>.<segmentStart>/`; expired segments are closed and their folders removed.
   */
  persistentWindowStore(name: string, options: WindowStoreOptions): WindowBytesStoreSupplier {
    return windowSupplier(name, options, true, (segment) => new RocksDbKeyValueBytesStore(segment));
  },

  /** An in-memory window store in time segments, rebuilt from its changelog when a task starts. */
  inMemoryWindowStore(name: string, options: WindowStoreOptions): WindowBytesStoreSupplier {
    return windowSupplier(name, options, false, (segment) => new InMemoryKeyValueBytesStore(segment));
  },

  /** A builder of typed window stores; logging and caching enabled. */
  windowStoreBuilder<K, V>(
    supplier: WindowBytesStoreSupplier,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ): WindowStoreBuilder<K, V> {
    return new WindowStoreBuilder(supplier, keySerde, valueSerde);
  },
};

function windowSupplier(
  name: string,
  options: WindowStoreOptions,
  persistent: boolean,
  segmentFactory: SegmentStoreFactory,
): WindowBytesStoreSupplier {
  const { retentionMs } = options;
  if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0) {
    throw new RangeError(`window store "${name}": retentionMs must be a positive integer, got ${retentionMs}`);
  }
  // Kafka Streams' default: two or three segments live at a time, none narrower than a minute.
  const segmentIntervalMs = options.segmentIntervalMs ?? Math.max(Math.floor(retentionMs / 2), 60_000);
  if (!Number.isSafeInteger(segmentIntervalMs) || segmentIntervalMs <= 0) {
    throw new RangeError(`window store "${name}": segmentIntervalMs must be a positive integer, got ${segmentIntervalMs}`);
  }
  return {
    name,
    retentionMs,
    segmentIntervalMs,
    get: () => new SegmentedWindowBytesStore(name, { retentionMs, segmentIntervalMs, persistent, segmentFactory }),
  };
}

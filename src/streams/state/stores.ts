import type { Serde } from '../serde/serde.js';
import { InMemoryKeyValueBytesStore } from './internals/in-memory-key-value-bytes-store.js';
import { RocksDbKeyValueBytesStore } from './internals/rocksdb-key-value-bytes-store.js';
import { KeyValueStoreBuilder } from './key-value-store-builder.js';
import type { KeyValueBytesStoreSupplier } from './store-suppliers.js';

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
};

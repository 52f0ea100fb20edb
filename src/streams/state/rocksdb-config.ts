/**
 * Per-instance RocksDB settings, and the hook that may change them before an instance opens
 * (Kafka Streams' `rocksdb.config.setter`). The engine's memory budget (`StreamsConfig.memory`)
 * chooses the sizes; a setter sees them and may change any of them for a store.
 */

/**
 * What the `rocksdb` binding (leveldown API, RocksDB 6.x) honours when an instance opens; the
 * binding's defaults apply to what is left out. Each instance gets its own block cache and
 * memtables: the binding cannot share a cache or a write buffer manager between instances.
 */
export interface RocksDbOptions {
  /** Block cache (LRU) size in bytes; 0 turns the cache off. Binding default 8 MiB. */
  readonly cacheSize?: number;
  /**
   * Size of one memtable in bytes. RocksDB keeps up to two (one taking writes, one being flushed),
   * so an instance's memtables take up to twice this. Binding default 4 MiB.
   */
  readonly writeBufferSize?: number;
  /** Data block size in bytes before compression. Binding default 4096. */
  readonly blockSize?: number;
  /** SST files kept open (each holds its index and filter blocks in memory). Binding default 1000. */
  readonly maxOpenFiles?: number;
  /** Keys between restart points for delta encoding of keys. Binding default 16. */
  readonly blockRestartInterval?: number;
  /** Snappy compression of data blocks. Default true. */
  readonly compression?: boolean;
}

/**
 * Called once per RocksDB instance, before it opens, with the store's name (a window store's
 * segments are named `<store>.<segmentStart>`) and the options the memory budget chose; returns
 * the options to open with. The budget counts what it chose, not what a setter returns: a setter
 * that raises the sizes takes the process past the configured total.
 */
export type RocksDbConfigSetter = (storeName: string, options: RocksDbOptions) => RocksDbOptions;

/** The part of the memory budget one RocksDB instance holds while it is open. */
export interface RocksDbMemoryShare {
  /** The options to open the instance with (after the config setter). */
  readonly options: RocksDbOptions;
  /** Bytes of the budget counted for it: memtables (twice `writeBufferSize`) plus block cache. */
  readonly bytes: number;
  /** Gives the share back; call once, when the instance is closed. Later calls do nothing. */
  release(): void;
}

/** Shares RocksDB memory out to instances as they open; the runtime hands one to every store. */
export interface RocksDbMemory {
  acquire(storeName: string): RocksDbMemoryShare;
}

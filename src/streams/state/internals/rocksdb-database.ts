import { createRequire } from 'node:module';
import type { RocksDbOptions } from '../rocksdb-config.js';

/**
 * The one file that touches the `rocksdb` binding (leveldown API, RocksDB 6.17). Everything else
 * talks to {@link RocksDbDatabase}, so the binding can be swapped (e.g. for `rocksdb-native`,
 * which adds column families, snapshots and deleteRange) without touching the stores.
 */

type Callback<T = void> = (err: Error | null | undefined, result?: T) => void;

interface NativeIterator {
  next(callback: (err: Error | null | undefined, key?: Buffer, value?: Buffer) => void): void;
  end(callback: Callback): void;
}

interface NativeChainedBatch {
  put(key: Buffer, value: Buffer): void;
  del(key: Buffer): void;
  write(callback: Callback): void;
}

interface NativeDb {
  open(options: Record<string, unknown>, callback: Callback): void;
  close(callback: Callback): void;
  getMany(keys: Buffer[], options: Record<string, unknown>, callback: Callback<(Buffer | undefined)[]>): void;
  batch(): NativeChainedBatch;
  iterator(options: Record<string, unknown>): NativeIterator;
  getProperty(property: string): string;
}

type NativeFactory = (location: string) => NativeDb;

const require = createRequire(import.meta.url);
const rocksdb = require('rocksdb') as NativeFactory;

function promisify<T>(run: (callback: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

export type { RocksDbOptions } from '../rocksdb-config.js';

/** A chunked forward iterator over `[gte, lt)`. */
export interface RocksDbIterator {
  /** Up to `max` entries; fewer only at the end, empty when done. */
  nextChunk(max: number): Promise<[Buffer, Buffer][]>;
  end(): Promise<void>;
}

/**
 * Native memory of RocksDB instances, in bytes, from RocksDB's own properties. Each instance has
 * its own memtables, block cache and table readers (the binding cannot share a cache).
 */
export interface RocksDbMemoryUsage {
  /** Open instances counted. */
  readonly instances: number;
  /** `rocksdb.size-all-mem-tables`: active, unflushed and pinned memtables. */
  readonly memTables: number;
  /** `rocksdb.block-cache-usage`: data blocks held in the instances' block caches. */
  readonly blockCache: number;
  /** `rocksdb.estimate-table-readers-mem`: index and filter blocks of open SST files (outside the cache). */
  readonly tableReaders: number;
}

/** One open RocksDB instance with promise-returning, batch-oriented operations. */
export class RocksDbDatabase {
  /** Every instance open in this thread, for {@link RocksDbDatabase.memoryUsage}. */
  private static readonly openInstances = new Set<RocksDbDatabase>();

  private constructor(private readonly db: NativeDb) {}

  static async open(location: string, options: RocksDbOptions = {}): Promise<RocksDbDatabase> {
    const db = rocksdb(location);
    await promisify<void>((cb) => db.open({ createIfMissing: true, compression: true, ...options }, cb));
    const database = new RocksDbDatabase(db);
    RocksDbDatabase.openInstances.add(database);
    return database;
  }

  /** The sum over every instance open in this thread (sampled: each call reads the properties). */
  static memoryUsage(): RocksDbMemoryUsage {
    let memTables = 0;
    let blockCache = 0;
    let tableReaders = 0;
    for (const database of RocksDbDatabase.openInstances) {
      memTables += database.numericProperty('rocksdb.size-all-mem-tables');
      blockCache += database.numericProperty('rocksdb.block-cache-usage');
      tableReaders += database.numericProperty('rocksdb.estimate-table-readers-mem');
    }
    return { instances: RocksDbDatabase.openInstances.size, memTables, blockCache, tableReaders };
  }

  /** Values in the order of `keys`, undefined where absent (the binding's native multi-get). */
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> {
    return promisify((cb) => this.db.getMany(keys, { asBuffer: true, fillCache: true }, cb));
  }

  /** Applies all entries in one atomic write batch; a null value deletes. */
  write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    const batch = this.db.batch();
    for (const [key, value] of entries) {
      if (value === null) batch.del(key);
      else batch.put(key, value);
    }
    return promisify((cb) => batch.write(cb));
  }

  /** Applies changelog-shaped entries in one atomic write batch (no per-entry tuple); a null value deletes. */
  writeRecords(records: readonly { readonly key: Buffer; readonly value: Buffer | null }[]): Promise<void> {
    const batch = this.db.batch();
    for (const r of records) {
      if (r.value === null) batch.del(r.key);
      else batch.put(r.key, r.value);
    }
    return promisify((cb) => batch.write(cb));
  }

  /** The iterator is created (and so sees the data) now, not on the first chunk. */
  iterator(gte: Buffer | null, lt: Buffer | null): RocksDbIterator {
    const options: Record<string, unknown> = { keyAsBuffer: true, valueAsBuffer: true, highWaterMark: 64 * 1024 };
    if (gte !== null) options['gte'] = gte;
    if (lt !== null) options['lt'] = lt;
    const native = this.db.iterator(options);
    return {
      nextChunk: (max) =>
        new Promise((resolve, reject) => {
          const chunk: [Buffer, Buffer][] = [];
          // The binding fetches entries natively in batches and hands them out one callback at a
          // time (from its own cache, on nextTick), so one promise per chunk is the cheap path.
          const step = (err: Error | null | undefined, key?: Buffer, value?: Buffer): void => {
            if (err) return reject(err);
            if (key === undefined || value === undefined) return resolve(chunk);
            chunk.push([key, value]);
            if (chunk.length >= max) return resolve(chunk);
            native.next(step);
          };
          native.next(step);
        }),
      end: () => promisify((cb) => native.end(cb)),
    };
  }

  /** RocksDB's own estimate of live keys (counts overwrites until compaction). */
  estimateNumKeys(): number {
    return this.numericProperty('rocksdb.estimate-num-keys');
  }

  /** A numeric RocksDB property (e.g. `rocksdb.cur-size-all-mem-tables`); 0 when unknown. */
  numericProperty(property: string): number {
    const value = Number(this.db.getProperty(property));
    return Number.isFinite(value) ? value : 0;
  }

  close(): Promise<void> {
    RocksDbDatabase.openInstances.delete(this);
    return promisify((cb) => this.db.close(cb));
  }
}

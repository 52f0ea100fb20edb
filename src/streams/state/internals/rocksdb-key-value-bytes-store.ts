import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import type { KeyValueBytesStore } from '../key-value-store.js';
import type { RocksDbMemoryShare, RocksDbOptions } from '../rocksdb-config.js';
import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import type { RocksDbIterator } from './rocksdb-database.js';
import { RocksDbDatabase } from './rocksdb-database.js';
import { StoreLifecycle } from './store-lifecycle.js';

/** Entries read from RocksDB per native round trip of a range scan. */
const RANGE_CHUNK = 512;

/** The folder under the store's state dir that holds the RocksDB files. */
export const ROCKSDB_DIR = 'rocksdb';

/**
 * A byte-level key-value store in one RocksDB instance (one per store per task, in
 * `<stateDir>/rocksdb`), as Kafka Streams keeps it. A `write` is one RocksDB write batch; reads
 * use the native multi-get; ranges read in chunks through a RocksDB iterator, which sees the data
 * as of the moment `range` is iterated first.
 */
export class RocksDbKeyValueBytesStore implements KeyValueBytesStore {
  readonly persistent = true;
  readonly loggingEnabled = false;
  private readonly lifecycle: StoreLifecycle;
  private db: RocksDbDatabase | null = null;
  /** This instance's part of the runtime's RocksDB memory budget, while open. */
  private memory: RocksDbMemoryShare | null = null;
  private location = '';
  private readonly openIterators = new Set<RocksDbIterator>();
  private estimatedEntries = 0;

  /**
   * `options` override what the runtime's memory budget (`StreamsConfig.memory`, handed over in
   * the store context) chooses; without a budget the binding's defaults apply to the rest.
   */
  constructor(
    readonly name: string,
    private readonly options: RocksDbOptions = {},
  ) {
    this.lifecycle = new StoreLifecycle(name);
  }

  async init(context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {
      this.location = join(context.stateDir, ROCKSDB_DIR);
      this.memory = context.rocksDbMemory?.acquire(this.name) ?? null;
      try {
        await mkdir(this.location, { recursive: true });
        this.db = await RocksDbDatabase.open(this.location, { ...this.memory?.options, ...this.options });
      } catch (cause) {
        this.releaseMemory();
        throw new StoreError(`store "${this.name}": cannot open RocksDB at ${this.location}`, { cause });
      }
      this.estimatedEntries = this.db.estimateNumKeys();
    });
  }

  isOpen(): boolean {
    return this.lifecycle.isOpen();
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    // A multi-get of one: a plain get reports absence by building an Error, which costs more.
    const [value] = await this.getMany([key]);
    return value;
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    const db = this.open('getMany');
    if (keys.length === 0) return [];
    try {
      return await db.getMany(keys as Buffer[]);
    } catch (cause) {
      throw new StoreError(`store "${this.name}": read failed`, { cause });
    }
  }

  async write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    const db = this.open('write');
    if (entries.length === 0) return;
    try {
      await db.write(entries);
    } catch (cause) {
      throw new StoreError(`store "${this.name}": write of ${entries.length} entries failed`, { cause });
    }
    this.estimatedEntries = db.estimateNumKeys();
  }

  async restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    const db = this.open('restore');
    if (records.length === 0) return;
    try {
      await db.writeRecords(records);
    } catch (cause) {
      throw new StoreError(`store "${this.name}": restore write of ${records.length} records failed`, { cause });
    }
    this.estimatedEntries = db.estimateNumKeys();
  }

  async *range(from: Buffer | null, to: Buffer | null): AsyncGenerator<readonly [Buffer, Buffer]> {
    const db = this.open('range');
    // Created before the first await, so callers that snapshot other state synchronously around
    // this call (the cache's dirty entries) see one consistent point in time.
    const iterator = db.iterator(from, to);
    this.openIterators.add(iterator);
    try {
      for (;;) {
        const chunk = await iterator.nextChunk(RANGE_CHUNK);
        for (const entry of chunk) yield entry;
        if (chunk.length < RANGE_CHUNK) return;
      }
    } finally {
      if (this.openIterators.delete(iterator)) await iterator.end();
    }
  }

  /** RocksDB's estimate, refreshed after each write. */
  approximateNumEntries(): number {
    return this.estimatedEntries;
  }

  async flush(): Promise<void> {
    // Writes go to RocksDB's WAL as they happen; a flush has nothing left to hand over.
    this.open('flush');
  }

  async close(): Promise<void> {
    await this.lifecycle.runClose(async () => {
      const iterators = [...this.openIterators];
      this.openIterators.clear();
      await Promise.allSettled(iterators.map((it) => it.end()));
      const db = this.db;
      this.db = null;
      try {
        if (db) await db.close();
      } finally {
        this.releaseMemory();
      }
    });
  }

  /** The options this instance was opened with, null when closed (for tests and diagnostics). */
  openOptions(): RocksDbOptions | null {
    return this.db === null ? null : { ...this.memory?.options, ...this.options };
  }

  private releaseMemory(): void {
    this.memory?.release();
    this.memory = null;
  }

  private open(operation: string): RocksDbDatabase {
    this.lifecycle.assertOpen(operation);
    return this.db as RocksDbDatabase;
  }
}

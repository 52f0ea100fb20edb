import { join } from 'node:path';
import { WrappedStore } from './wrapped-store.js';
import { bytesIfCached, type KeyValueBytesStore, type NotCached } from '../key-value-store.js';
import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import type { KeyFilterOptions } from '../store-options.js';
import { BloomFilter } from './bloom-filter.js';
import { readKeyFilterFile, removeKeyFilterFile, writeKeyFilterFile } from './key-filter-file.js';

/** The filter's file in the store's state dir. */
export const KEY_FILTER_FILE = 'key-filter.bin';

const DEFAULT_PERSIST_INTERVAL_MS = 60_000;

/**
 * Puts a Bloom filter in front of a bytes store: a get of a key the filter has never seen
 * resolves to undefined without reaching the inner store. The filter is fed by every write and
 * restore (deletes leave their bits: no false negatives). For a persistent inner store it is kept
 * in `<stateDir>/key-filter.bin` under the protocol in `key-filter-file.ts`; with no valid file,
 * init rebuilds it from a scan of the inner store's keys.
 */
export class KeyFilteredKeyValueBytesStore extends WrappedStore<KeyValueBytesStore> implements KeyValueBytesStore {
  private readonly dimensions: { numBits: number; numHashes: number };
  private filter: BloomFilter;
  private insertedCount = 0;
  private filePath: string | null = null;
  /** True while the file on disk covers every key in the inner store. */
  private fileValid = false;
  /** True when keys were added since the file was last written. */
  private changedSinceSave = false;
  private lastSaveMs = 0;
  private fileOperations: Promise<void> = Promise.resolve();

  constructor(
    inner: KeyValueBytesStore,
    private readonly options: KeyFilterOptions,
  ) {
    super(inner);
    this.dimensions = BloomFilter.dimensions(options.expectedKeys, options.falsePositiveRate);
    this.filter = BloomFilter.create(options.expectedKeys, options.falsePositiveRate);
  }

  async init(context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {
      await this.inner.init(context);
      if (!this.inner.persistent) return;
      this.filePath = join(context.stateDir, KEY_FILTER_FILE);
      const loaded = await readKeyFilterFile(this.filePath, this.dimensions);
      // Cheap sanity check against a file that does not belong to this data: the filter saw
      // every put (overwrites included), so the store cannot hold many more keys than that.
      if (loaded && this.inner.approximateNumEntries() <= loaded.insertedCount * 2 + 1000) {
        this.filter = loaded.filter;
        this.insertedCount = loaded.insertedCount;
        this.fileValid = true;
      } else {
        await this.rebuild();
      }
      this.lastSaveMs = Date.now();
    });
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.lifecycle.assertOpen('get');
    if (!this.filter.mightContain(key)) {
      return undefined;
    }
    return this.inner.get(key);
  }

  /** A key the filter never saw is known absent; otherwise the inner store may know. */
  getIfCached(key: Buffer): Buffer | undefined | NotCached {
    this.lifecycle.assertOpen('get');
    if (!this.filter.mightContain(key)) return undefined;
    return bytesIfCached(this.inner, key);
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.lifecycle.assertOpen('getMany');
    const result: (Buffer | undefined)[] = new Array<Buffer | undefined>(keys.length).fill(undefined);
    const maybeKeys: Buffer[] = [];
    const maybeIndexes: number[] = [];
    keys.forEach((key, i) => {
      if (this.filter.mightContain(key)) {
        maybeKeys.push(key);
        maybeIndexes.push(i);
      }
    });
    if (maybeKeys.length > 0) {
      const values = await this.inner.getMany(maybeKeys);
      maybeIndexes.forEach((index, j) => (result[index] = values[j]));
    }
    return result;
  }

  async write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    this.lifecycle.assertOpen('write');
    for (const [key, value] of entries) if (value !== null) this.add(key);
    await this.invalidateFile();
    await this.inner.write(entries);
  }

  override async restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    this.lifecycle.assertOpen('restore');
    for (const record of records) if (record.value !== null) this.add(record.key);
    await this.invalidateFile();
    await this.inner.restoreBatch(records);
  }

  range(from: Buffer | null, to: Buffer | null): AsyncIterable<readonly [Buffer, Buffer]> {
    return this.inner.range(from, to);
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }

  override async flush(): Promise<void> {
    this.lifecycle.assertOpen('flush');
    await this.inner.flush();
    const interval = this.options.persistIntervalMs ?? DEFAULT_PERSIST_INTERVAL_MS;
    if (Date.now() - this.lastSaveMs >= interval) await this.save();
  }

  override async close(): Promise<void> {
    await this.lifecycle.runClose(async () => {
      try {
        await this.save();
      } finally {
        await this.inner.close();
      }
    });
  }

  private add(key: Buffer): void {
    this.filter.add(key);
    this.insertedCount++;
    this.changedSinceSave = true;
  }

  /**
   * Removes the saved file before the inner store gets keys it may not hold. Keys are added to
   * the filter before this is queued, so any save that runs after it holds them too; file work
   * runs one operation at a time, so `fileValid` always says what is on disk.
   */
  private invalidateFile(): Promise<void> {
    return this.serially(async () => {
      if (this.fileValid && this.filePath !== null) {
        await removeKeyFilterFile(this.filePath);
        this.fileValid = false;
      }
    });
  }

  private save(): Promise<void> {
    this.lastSaveMs = Date.now();
    return this.serially(async () => {
      if (this.filePath === null || (this.fileValid && !this.changedSinceSave)) return;
      // Cleared first: keys added while the file is being written set it again.
      this.changedSinceSave = false;
      await writeKeyFilterFile(this.filePath, this.filter, this.insertedCount);
      this.fileValid = true;
    });
  }

  private serially(operation: () => Promise<void>): Promise<void> {
    const run = this.fileOperations.then(operation);
    // The queue goes on after a failure; the caller still sees the error.
    this.fileOperations = run.catch(() => {});
    return run;
  }

  private async rebuild(): Promise<void> {
    this.filter = BloomFilter.create(this.options.expectedKeys, this.options.falsePositiveRate);
    this.insertedCount = 0;
    for await (const [key] of this.inner.range(null, null)) this.add(key);
    // The scan covers the store as it is, so it can be saved right away.
    this.changedSinceSave = true;
    await this.save();
  }
}

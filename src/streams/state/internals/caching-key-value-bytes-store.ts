import { WrappedStore } from './wrapped-store.js';
import { NOT_CACHED, bytesIfCached, type KeyValueBytesStore, type NotCached } from '../key-value-store.js';
import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import type { BufferedKeyValueBytesStore } from './buffered-key-value-bytes-store.js';
import { keyString } from './bytes.js';
import { LruCache } from './lru-cache.js';
import { mergeCachedWithInner } from './merge-sorted.js';
import { WriteBuffer } from './write-buffer.js';

/**
 * What one read-cache entry is counted as on the V8 heap besides its key and value bytes: the
 * map entry, the list node, the key string's header and the value Buffer's objects.
 */
export const READ_CACHE_ENTRY_OVERHEAD_BYTES = 200;

function readCacheWeight(key: string, value: Buffer | null): number {
  return key.length + (value === null ? 0 : value.length) + READ_CACHE_ENTRY_OVERHEAD_BYTES;
}

interface DirtyEntry {
  readonly key: Buffer;
  /** null: deleted. */
  readonly value: Buffer | null;
}

/** Sizes of the two caches. */
export interface CachingStoreOptions {
  readonly maxDirtyEntries: number;
  /** 0 disables the read cache; writes are still buffered (`put` is synchronous). */
  readonly readCacheEntries: number;
}

/**
 * The caching layer: a write cache of dirty entries, which makes `put`/`delete` synchronous, and
 * a bounded LRU read cache of clean entries (absent keys included, as null).
 *
 * `get` looks in the dirty entries, then the LRU, then the inner store. `flush` writes all dirty
 * entries to the inner layer in one batch (which the change-logging layer under it then logs),
 * and moves them into the LRU. More than `maxDirtyEntries` dirty entries start that flush early.
 * Ranges merge the dirty entries with the inner store's iterator, deletions included.
 *
 * Restores bypass both caches; they clear the LRU, which could otherwise hold older values.
 */
export class CachingKeyValueBytesStore extends WrappedStore<KeyValueBytesStore> implements BufferedKeyValueBytesStore {
  private readonly buffer: WriteBuffer<DirtyEntry>;
  private readonly readCache: LruCache<string, Buffer | null>;
  /** The last putIfAbsent in flight per key, so calls on one key apply in call order. */
  private readonly pendingPutIfAbsent = new Map<string, Promise<void>>();

  constructor(
    inner: KeyValueBytesStore,
    options: CachingStoreOptions,
  ) {
    super(inner);
    this.readCache = new LruCache(options.readCacheEntries, readCacheWeight);
    this.buffer = new WriteBuffer<DirtyEntry>({
      storeName: inner.name,
      maxDirtyEntries: options.maxDirtyEntries,
      writeBatch: (entries) => this.inner.write(entries.map((e) => [e.key, e.value] as const)),
      onFlushed: (sortKeys, entries) => {
        sortKeys.forEach((k, i) => this.readCache.set(k, (entries[i] as DirtyEntry).value));
      },
    });
  }

  async init(context: StateStoreContext): Promise<void> {
    if (context.recordCacheBytes !== undefined) this.readCache.limitWeight(context.recordCacheBytes);
    await this.lifecycle.runInit(() => this.inner.init(context));
  }

  /** Keeps `key` and `value` as they are (no copy): the caller hands them over for good. */
  put(key: Buffer, value: Buffer): void {
    this.lifecycle.assertOpen('put');
    this.buffer.put(keyString(key), { key, value });
  }

  delete(key: Buffer): void {
    this.lifecycle.assertOpen('delete');
    this.buffer.put(keyString(key), { key, value: null });
  }

  async write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    for (const [key, value] of entries) {
      if (value === null) this.delete(key);
      else this.put(key, value);
    }
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.lifecycle.assertOpen('get');
    const k = keyString(key);
    const local = this.lookupLocal(k);
    if (local !== undefined) return local ?? undefined;
    const known = bytesIfCached(this.inner, key);
    if (known !== NOT_CACHED) return known;
    const epoch = this.buffer.epoch;
    const value = await this.inner.get(key);
    this.remember(k, value, epoch);
    return value;
  }

  getIfCached(key: Buffer): Buffer | undefined | NotCached {
    this.lifecycle.assertOpen('get');
    const local = this.lookupLocal(keyString(key));
    if (local !== undefined) return local ?? undefined;
    return bytesIfCached(this.inner, key);
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.lifecycle.assertOpen('getMany');
    const result = new Array<Buffer | undefined>(keys.length).fill(undefined);
    const missKeys: Buffer[] = [];
    const missIndexes: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const local = this.lookupLocal(keyString(key));
      if (local !== undefined) {
        result[i] = local ?? undefined;
        continue;
      }
      // What a layer below answers without I/O (a key filter's "never written") needs no read
      // and no room in the read cache: it answers as cheaply next time.
      const known = bytesIfCached(this.inner, key);
      if (known !== NOT_CACHED) {
        result[i] = known;
        continue;
      }
      missKeys.push(key);
      missIndexes.push(i);
    }
    if (missKeys.length === 0) return result;
    const epoch = this.buffer.epoch;
    const values = await this.inner.getMany(missKeys);
    missIndexes.forEach((index, j) => {
      const value = values[j];
      result[index] = value;
      this.remember(keyString(missKeys[j] as Buffer), value, epoch);
    });
    return result;
  }

  /**
   * Calls on one key take effect in call order: a call waits for the one before it on the same
   * key, so the first caller wins however the disk reads complete (RocksDB reads of one batch
   * run on several threads and may finish out of order).
   */
  putIfAbsent(key: Buffer, value: Buffer): Promise<Buffer | undefined> {
    this.lifecycle.assertOpen('putIfAbsent');
    const k = keyString(key);
    const before = this.pendingPutIfAbsent.get(k);
    const result = before ? before.then(() => this.putIfAbsentNow(key, k, value)) : this.putIfAbsentNow(key, k, value);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.pendingPutIfAbsent.set(k, settled);
    void settled.then(() => {
      if (this.pendingPutIfAbsent.get(k) === settled) this.pendingPutIfAbsent.delete(k);
    });
    return result;
  }

  private async putIfAbsentNow(key: Buffer, k: string, value: Buffer): Promise<Buffer | undefined> {
    for (;;) {
      const local = this.lookupLocal(k);
      if (local !== undefined && local !== null) return local;
      if (local === null) {
        this.put(key, value);
        return undefined;
      }
      const epoch = this.buffer.epoch;
      const existing = await this.inner.get(key);
      // Check and write in one synchronous step after the read: a put may have landed meanwhile,
      // and a flush that changed the inner store makes the read stale (read again).
      const buffered = this.buffer.lookup(k);
      if (buffered === undefined && this.buffer.epoch !== epoch) continue;
      const current = buffered === undefined ? existing : (buffered.value ?? undefined);
      if (current !== undefined) {
        if (buffered === undefined) this.remember(k, current, epoch);
        return current;
      }
      this.put(key, value);
      return undefined;
    }
  }

  async *range(from: Buffer | null, to: Buffer | null): AsyncGenerator<readonly [Buffer, Buffer]> {
    this.lifecycle.assertOpen('range');
    const cached = this.buffer.snapshot(from === null ? null : keyString(from), to === null ? null : keyString(to));
    const inner = this.inner.range(from, to)[Symbol.asyncIterator]();
    const first = inner.next();
    yield* mergeCachedWithInner(
      cached,
      inner,
      first,
      (c, i) => Buffer.compare(c.key, i[0]),
      (c) => (c.value === null ? null : ([c.key, c.value] as const)),
      (i) => i,
    );
  }

  /**
   * The inner store's count; dirty entries are not added (they may overwrite or delete keys the
   * inner store holds), so this lags by up to one flush.
   */
  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }

  override async flush(): Promise<void> {
    this.lifecycle.assertOpen('flush');
    await this.buffer.flush();
    await this.inner.flush();
  }

  override async restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    this.lifecycle.assertOpen('restore');
    this.readCache.clear();
    this.buffer.markInnerChanged();
    await this.inner.restoreBatch(records);
  }

  /**
   * Does not flush: the runtime flushes on commit before a clean close, and after a dirty close
   * the unflushed writes must not reach the changelog.
   */
  override async close(): Promise<void> {
    await this.lifecycle.runClose(async () => {
      this.buffer.discard();
      this.readCache.clear();
      await this.inner.close();
    });
  }

  /** The value buffered or cached for `k`: a Buffer, null (known absent), or undefined (unknown). */
  private lookupLocal(k: string): Buffer | null | undefined {
    const buffered = this.buffer.lookup(k);
    if (buffered !== undefined) return buffered.value;
    return this.readCache.get(k);
  }

  /** Caches a value read from the inner store, unless the store changed since the read began. */
  private remember(k: string, value: Buffer | undefined, epoch: number): void {
    if (this.buffer.epoch === epoch && this.buffer.lookup(k) === undefined) this.readCache.set(k, value ?? null);
  }
}

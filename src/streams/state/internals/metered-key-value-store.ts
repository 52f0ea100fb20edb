import { StoreArgumentError } from '../../errors.js';
import { WrappedStore } from './wrapped-store.js';
import type { Serde } from '../../serde/serde.js';
import { NOT_CACHED, type KeyValue, type KeyValueStore, type NotCached } from '../key-value-store.js';
import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import type { BufferedKeyValueBytesStore } from './buffered-key-value-bytes-store.js';
import { prefixUpperBound } from './bytes.js';
import { StoreMetrics } from './store-metrics.js';

/**
 * The outermost layer of a key-value store, and the only one that knows the serdes: it turns
 * keys and values into bytes (with the changelog topic, or the store name when unlogged, as the
 * serde's `topic`) and counts and times every operation in the task's metrics registry.
 */
export class MeteredKeyValueStore<K, V> extends WrappedStore<BufferedKeyValueBytesStore> implements KeyValueStore<K, V> {
  private metrics: StoreMetrics = StoreMetrics.create(null, '', '');
  private topic: string;
  /**
   * What the last `prefetch` read, by key (null: absent); a write deletes its key. Only string
   * and number keys: a map compares objects (Buffers) by identity, so an equal key in another
   * object would miss the write that should have deleted it.
   */
  private prefetched = new Map<K, Buffer | null>();
  /** Prefetches still reading, and the keys written meanwhile (their reads may be stale). */
  private prefetching = 0;
  private readonly writtenWhilePrefetching = new Set<K>();

  constructor(
    inner: BufferedKeyValueBytesStore,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {
    super(inner);
    this.topic = inner.name;
  }

  async init(context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {
      this.topic = context.changelogTopic ?? this.name;
      this.metrics = StoreMetrics.create(context.metrics, this.name, context.taskId);
      await this.inner.init(context);
      this.metrics.setEntries(this.inner.approximateNumEntries());
    });
  }

  async get(key: K): Promise<V | undefined> {
    this.lifecycle.assertOpen('get');
    const known = this.fromPrefetch(key);
    if (known !== NOT_CACHED) return known;
    const stop = this.metrics.time('get');
    try {
      const value = await this.inner.get(this.keyBytes(key));
      return value === undefined ? undefined : this.decodeValue(value);
    } finally {
      stop();
    }
  }

  /** Counted as a `get`; not timed (it never waits). */
  getIfCached(key: K): V | undefined | NotCached {
    this.lifecycle.assertOpen('get');
    const known = this.fromPrefetch(key);
    if (known !== NOT_CACHED) return known;
    const value = this.inner.getIfCached(this.keyBytes(key));
    if (value === NOT_CACHED) return NOT_CACHED;
    this.metrics.count('get');
    return value === undefined ? undefined : this.decodeValue(value);
  }

  async getMany(keys: readonly K[]): Promise<(V | undefined)[]> {
    this.lifecycle.assertOpen('getMany');
    const stop = this.metrics.time('getMany');
    try {
      // Keys the last prefetch read are answered from it; only the others go to the layers below.
      const bytes = new Array<Buffer | null | undefined>(keys.length);
      const missing: number[] = [];
      for (let i = 0; i < keys.length; i++) {
        const known = this.prefetched.get(keys[i]!);
        if (known === undefined) missing.push(i);
        else bytes[i] = known;
      }
      if (missing.length > 0) {
        const read = await this.inner.getMany(missing.map((i) => this.keyBytes(keys[i]!)));
        for (let j = 0; j < missing.length; j++) bytes[missing[j]!] = read[j];
      }
      return bytes.map((value) => (value === null || value === undefined ? undefined : this.decodeValue(value)));
    } finally {
      stop();
    }
  }

  /** Counted and timed as a `getMany`. */
  async prefetch(keys: readonly K[]): Promise<void> {
    this.lifecycle.assertOpen('getMany');
    const stop = this.metrics.time('getMany');
    this.prefetching++;
    try {
      const values = await this.inner.getMany(keys.map((key) => this.keyBytes(key)));
      const prefetched = new Map<K, Buffer | null>();
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (isValueKey(key) && !this.writtenWhilePrefetching.has(key)) prefetched.set(key, values[i] ?? null);
      }
      this.prefetched = prefetched;
    } finally {
      if (--this.prefetching === 0) this.writtenWhilePrefetching.clear();
      stop();
    }
  }

  put(key: K, value: V): void {
    this.lifecycle.assertOpen('put');
    this.metrics.count('put');
    this.forgetPrefetched(key);
    this.inner.put(this.keyBytes(key), this.valueBytes(value));
  }

  putAll(entries: readonly KeyValue<K, V>[]): void {
    this.lifecycle.assertOpen('putAll');
    this.metrics.count('putAll');
    for (const { key, value } of entries) {
      this.forgetPrefetched(key);
      this.inner.put(this.keyBytes(key), this.valueBytes(value));
    }
  }

  async putIfAbsent(key: K, value: V): Promise<V | undefined> {
    this.lifecycle.assertOpen('putIfAbsent');
    this.forgetPrefetched(key);
    const stop = this.metrics.time('putIfAbsent');
    try {
      const previous = await this.inner.putIfAbsent(this.keyBytes(key), this.valueBytes(value));
      return previous === undefined ? undefined : this.decodeValue(previous);
    } finally {
      stop();
    }
  }

  delete(key: K): void {
    this.lifecycle.assertOpen('delete');
    this.metrics.count('delete');
    this.forgetPrefetched(key);
    this.inner.delete(this.keyBytes(key));
  }

  range(from: K | null, to: K | null): AsyncIterable<KeyValue<K, V>> {
    this.lifecycle.assertOpen('range');
    this.metrics.count('range');
    return this.typed(
      from === null ? null : this.keySerde.serialize(this.topic, from),
      to === null ? null : this.keySerde.serialize(this.topic, to),
    );
  }

  prefixScan(prefix: K): AsyncIterable<KeyValue<K, V>> {
    this.lifecycle.assertOpen('prefixScan');
    this.metrics.count('prefixScan');
    const from = this.keySerde.serialize(this.topic, prefix);
    return this.typed(from, prefixUpperBound(from));
  }

  all(): AsyncIterable<KeyValue<K, V>> {
    this.lifecycle.assertOpen('all');
    this.metrics.count('all');
    return this.typed(null, null);
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }

  override async flush(): Promise<void> {
    this.lifecycle.assertOpen('flush');
    await this.metrics.timed('flush', () => this.inner.flush());
    this.metrics.setEntries(this.inner.approximateNumEntries());
  }

  override async restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    this.lifecycle.assertOpen('restore');
    this.prefetched = new Map();
    await this.metrics.timed('restore', () => this.inner.restoreBatch(records));
    this.metrics.setEntries(this.inner.approximateNumEntries());
  }

  override async close(): Promise<void> {
    await this.lifecycle.runClose(async () => {
      this.prefetched = new Map();
      this.metrics.close();
      await this.inner.close();
    });
  }

  private async *typed(from: Buffer | null, to: Buffer | null): AsyncGenerator<KeyValue<K, V>> {
    for await (const [key, value] of this.inner.range(from, to)) {
      yield { key: this.keySerde.deserialize(this.topic, key), value: this.decodeValue(value) };
    }
  }

  /** The value the last prefetch read for `key` (counted as a get), or NOT_CACHED. */
  private fromPrefetch(key: K): V | undefined | NotCached {
    const known = this.prefetched.get(key);
    if (known === undefined) return NOT_CACHED;
    this.metrics.count('get');
    return known === null ? undefined : this.decodeValue(known);
  }

  private forgetPrefetched(key: K): void {
    this.prefetched.delete(key);
    if (this.prefetching > 0) this.writtenWhilePrefetching.add(key);
  }

  /** A point key's bytes; stores cannot hold an empty key (RocksDB's binding refuses it). */
  private keyBytes(key: K): Buffer {
    const bytes = this.keySerde.serialize(this.topic, key);
    if (bytes.length === 0) throw new StoreArgumentError(`store "${this.name}": empty key ${JSON.stringify(key)}; a key must serialize to at least one byte`);
    return bytes;
  }

  private valueBytes(value: V): Buffer {
    if (value === null || value === undefined) {
      throw new StoreArgumentError(`store "${this.name}": null or undefined value; use delete() to remove a key`);
    }
    return this.valueSerde.serialize(this.topic, value);
  }

  private decodeValue(bytes: Buffer): V {
    return this.valueSerde.deserialize(this.topic, bytes);
  }
}

function isValueKey(key: unknown): boolean {
  return typeof key === 'string' || typeof key === 'number';
}

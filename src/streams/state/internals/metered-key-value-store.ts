import { StoreError } from '../../errors.js';
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
    const value = this.inner.getIfCached(this.keyBytes(key));
    if (value === NOT_CACHED) return NOT_CACHED;
    this.metrics.count('get');
    return value === undefined ? undefined : this.decodeValue(value);
  }

  async getMany(keys: readonly K[]): Promise<(V | undefined)[]> {
    this.lifecycle.assertOpen('getMany');
    const stop = this.metrics.time('getMany');
    try {
      const values = await this.inner.getMany(keys.map((key) => this.keyBytes(key)));
      return values.map((value) => (value === undefined ? undefined : this.decodeValue(value)));
    } finally {
      stop();
    }
  }

  put(key: K, value: V): void {
    this.lifecycle.assertOpen('put');
    this.metrics.count('put');
    this.inner.put(this.keyBytes(key), this.valueBytes(value));
  }

  putAll(entries: readonly KeyValue<K, V>[]): void {
    this.lifecycle.assertOpen('putAll');
    this.metrics.count('putAll');
    for (const { key, value } of entries) this.inner.put(this.keyBytes(key), this.valueBytes(value));
  }

  async putIfAbsent(key: K, value: V): Promise<V | undefined> {
    this.lifecycle.assertOpen('putIfAbsent');
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
    this.inner.delete(this.keyBytes(key));
  }

  range(from: K | null, to: K | null): AsyncIterable<KeyValue<K, V>> {
    this.lifecycle.assertOpen('range');
    this.metrics.count('range');
    return this.typed(
      from === null ? null : this.keyBytes(from),
      to === null ? null : this.keyBytes(to),
    );
  }

  prefixScan(prefix: K): AsyncIterable<KeyValue<K, V>> {
    this.lifecycle.assertOpen('prefixScan');
    this.metrics.count('prefixScan');
    const from = this.keyBytes(prefix);
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
    await this.metrics.timed('restore', () => this.inner.restoreBatch(records));
    this.metrics.setEntries(this.inner.approximateNumEntries());
  }

  override async close(): Promise<void> {
    await this.lifecycle.runClose(async () => {
      this.metrics.close();
      await this.inner.close();
    });
  }

  private async *typed(from: Buffer | null, to: Buffer | null): AsyncGenerator<KeyValue<K, V>> {
    for await (const [key, value] of this.inner.range(from, to)) {
      yield { key: this.keySerde.deserialize(this.topic, key), value: this.decodeValue(value) };
    }
  }

  private keyBytes(key: K): Buffer {
    return this.keySerde.serialize(this.topic, key);
  }

  private valueBytes(value: V): Buffer {
    if (value === null || value === undefined) {
      throw new StoreError(`store "${this.name}": null or undefined value; use delete() to remove a key`);
    }
    return this.valueSerde.serialize(this.topic, value);
  }

  private decodeValue(bytes: Buffer): V {
    return this.valueSerde.deserialize(this.topic, bytes);
  }
}

import { StoreArgumentError } from '../../errors.js';
import { WrappedStore } from './wrapped-store.js';
import type { Serde } from '../../serde/serde.js';
import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import type { WindowStore, WindowedKeyValue, WindowedValue } from '../window-store.js';
import type { BufferedWindowBytesStore } from './buffered-window-bytes-store.js';
import { StoreMetrics } from './store-metrics.js';
import { checkWindowStart } from './window-key-schema.js';

/**
 * The outermost layer of a window store, and the only one that knows the serdes (with the
 * changelog topic, or the store name when unlogged, as the serde's `topic`); counts and times
 * operations like the key-value metered layer.
 */
export class MeteredWindowStore<K, V> extends WrappedStore<BufferedWindowBytesStore> implements WindowStore<K, V> {
  private metrics: StoreMetrics = StoreMetrics.create(null, '', '');
  private topic: string;

  constructor(
    inner: BufferedWindowBytesStore,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {
    super(inner);
    this.topic = inner.name;
  }

  get retentionMs(): number {
    return this.inner.retentionMs;
  }

  async init(context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {
      this.topic = context.changelogTopic ?? this.name;
      this.metrics = StoreMetrics.create(context.metrics, this.name, context.taskId);
      await this.inner.init(context);
      this.metrics.setEntries(this.inner.approximateNumEntries());
    });
  }

  put(key: K, value: V, windowStart: number): void {
    this.lifecycle.assertOpen('put');
    checkWindowStart(this.name, windowStart);
    if (value === null || value === undefined) {
      throw new StoreArgumentError(`store "${this.name}": null or undefined value for a window`);
    }
    this.metrics.count('put');
    this.inner.put(this.keySerde.serialize(this.topic, key), windowStart, this.valueSerde.serialize(this.topic, value));
  }

  async fetch(key: K, windowStart: number): Promise<V | undefined> {
    this.lifecycle.assertOpen('fetch');
    checkWindowStart(this.name, windowStart);
    const stop = this.metrics.time('fetch');
    try {
      const value = await this.inner.get(this.keySerde.serialize(this.topic, key), windowStart);
      return value === undefined ? undefined : this.valueSerde.deserialize(this.topic, value);
    } finally {
      stop();
    }
  }

  async fetchRange(key: K, timeFrom: number, timeTo: number): Promise<WindowedValue<V>[]> {
    this.lifecycle.assertOpen('fetchRange');
    const stop = this.metrics.time('fetchRange');
    try {
      const out: WindowedValue<V>[] = [];
      const keyBytes = this.keySerde.serialize(this.topic, key);
      for await (const { windowStart, value } of this.inner.fetchRange(keyBytes, timeFrom, timeTo)) {
        out.push({ windowStart, value: this.valueSerde.deserialize(this.topic, value) });
      }
      return out;
    } finally {
      stop();
    }
  }

  fetchAll(timeFrom: number, timeTo: number): AsyncIterable<WindowedKeyValue<K, V>> {
    this.lifecycle.assertOpen('fetchAll');
    this.metrics.count('fetchAll');
    return this.typedAll(timeFrom, timeTo);
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

  private async *typedAll(timeFrom: number, timeTo: number): AsyncGenerator<WindowedKeyValue<K, V>> {
    for await (const { key, windowStart, value } of this.inner.fetchAll(timeFrom, timeTo)) {
      yield {
        key: this.keySerde.deserialize(this.topic, key),
        windowStart,
        value: this.valueSerde.deserialize(this.topic, value),
      };
    }
  }
}

import { WrappedStore } from './wrapped-store.js';
import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import type { WindowBytesEntry, WindowBytesStore, WindowedBytes } from '../window-store.js';
import type { BufferedWindowBytesStore } from './buffered-window-bytes-store.js';
import { keyString } from './bytes.js';
import { mergeCachedWithInner } from './merge-sorted.js';
import { compareWindowed } from './segmented-window-bytes-store.js';
import { WindowRetention } from './window-retention.js';
import { MAX_WINDOW_START, windowKey, windowStartOf } from './window-key-schema.js';
import { WriteBuffer } from './write-buffer.js';

/**
 * The caching layer of a window store: a write buffer of dirty windows (so `put` is
 * synchronous), flushed to the inner layer in one batch on commit or when it exceeds
 * `maxDirtyEntries`. Reads merge the buffered windows with the inner store's. There is no read
 * cache: window reads are ranges, which the buffer answers only in part.
 */
export class CachingWindowBytesStore extends WrappedStore<WindowBytesStore> implements BufferedWindowBytesStore {
  private readonly buffer: WriteBuffer<WindowBytesEntry>;
  private readonly retention: WindowRetention;

  constructor(
    inner: WindowBytesStore,
    options: { readonly maxDirtyEntries: number },
  ) {
    super(inner);
    this.retention = new WindowRetention(inner.retentionMs);
    this.buffer = new WriteBuffer<WindowBytesEntry>({
      storeName: inner.name,
      maxDirtyEntries: options.maxDirtyEntries,
      writeBatch: (entries) => this.inner.write(entries),
    });
  }

  get retentionMs(): number {
    return this.inner.retentionMs;
  }

  get segmentIntervalMs(): number {
    return this.inner.segmentIntervalMs;
  }

  async init(context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {
      this.retention.bind(context);
      await this.inner.init(context);
    });
  }

  put(key: Buffer, windowStart: number, value: Buffer | null): void {
    this.lifecycle.assertOpen('put');
    if (!this.retention.isLive(windowStart)) return;
    const k = Buffer.from(key);
    this.buffer.put(keyString(windowKey(k, windowStart)), {
      key: k,
      windowStart,
      value: value === null ? null : Buffer.from(value),
    });
  }

  async write(entries: readonly WindowBytesEntry[]): Promise<void> {
    for (const { key, windowStart, value } of entries) this.put(key, windowStart, value);
  }

  async get(key: Buffer, windowStart: number): Promise<Buffer | undefined> {
    this.lifecycle.assertOpen('get');
    if (!this.retention.isLive(windowStart)) return undefined;
    const buffered = this.buffer.lookup(keyString(windowKey(key, windowStart)));
    if (buffered !== undefined) return buffered.value ?? undefined;
    return this.inner.get(key, windowStart);
  }

  async *fetchRange(key: Buffer, timeFrom: number, timeToAsked: number): AsyncGenerator<WindowedBytes> {
    this.lifecycle.assertOpen('fetchRange');
    const from = Math.max(timeFrom, this.retention.minLiveTime(), 0);
    const timeTo = Math.min(timeToAsked, MAX_WINDOW_START);
    if (from > timeTo) return;
    const cached = this.buffer
      .snapshot(keyString(windowKey(key, from)), keyString(windowKey(key, timeTo + 1)))
      .filter((e) => e.key.equals(key));
    const inner = this.inner.fetchRange(key, from, timeTo)[Symbol.asyncIterator]();
    const first = inner.next();
    yield* this.merge(cached, inner, first, (c, i) => c.windowStart - i.windowStart);
  }

  async *fetchAll(timeFrom: number, timeToAsked: number): AsyncGenerator<WindowedBytes> {
    this.lifecycle.assertOpen('fetchAll');
    const from = Math.max(timeFrom, this.retention.minLiveTime(), 0);
    const timeTo = Math.min(timeToAsked, MAX_WINDOW_START);
    if (from > timeTo) return;
    const cached = this.buffer
      .snapshot(null, null)
      .filter((e) => e.windowStart >= from && e.windowStart <= timeTo)
      .sort(compareWindowed);
    const inner = this.inner.fetchAll(from, timeTo)[Symbol.asyncIterator]();
    const first = inner.next();
    yield* this.merge(cached, inner, first, compareWindowed);
  }

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
    for (const record of records) {
      if (record.key.length >= 8) this.retention.observeRestored(windowStartOf(record.key));
    }
    this.buffer.markInnerChanged();
    await this.inner.restoreBatch(records);
  }

  /** Does not flush; see the key-value caching layer for why. */
  override async close(): Promise<void> {
    await this.lifecycle.runClose(async () => {
      this.buffer.discard();
      await this.inner.close();
    });
  }

  private merge(
    cached: readonly WindowBytesEntry[],
    inner: AsyncIterator<WindowedBytes>,
    first: Promise<IteratorResult<WindowedBytes>>,
    compare: (c: WindowBytesEntry, i: WindowedBytes) => number,
  ): AsyncGenerator<WindowedBytes> {
    return mergeCachedWithInner(
      cached,
      inner,
      first,
      compare,
      // Stream time may move during the read: an entry is checked when it is handed out.
      (c) => (c.value === null || !this.retention.isLive(c.windowStart) ? null : { ...c, value: c.value }),
      (i) => (this.retention.isLive(i.windowStart) ? i : null),
    );
  }
}

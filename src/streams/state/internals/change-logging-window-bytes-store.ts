import { WrappedStore } from './wrapped-store.js';
import type { ChangelogSink, StateStoreContext } from '../state-store.js';
import type { WindowBytesEntry, WindowBytesStore, WindowedBytes } from '../window-store.js';
import { changelogTimestamp } from './changelog-timestamp.js';
import { windowKey } from './window-key-schema.js';

/**
 * Writes through to the inner window store, then sends each window to the changelog with key
 * `[key][windowStart 8B]` (a restore decodes it back) — a delete as a tombstone. The record
 * timestamp is never before the window start, so the changelog's time retention (`retention.ms`
 * ≥ the store's retention) cannot delete a window the store still holds.
 */
export class ChangeLoggingWindowBytesStore extends WrappedStore<WindowBytesStore> implements WindowBytesStore {
  private context: StateStoreContext | null = null;
  private topic: string | null = null;
  private sink: ChangelogSink | null = null;
  private partition = 0;

  override get loggingEnabled(): boolean {
    return true;
  }

  get retentionMs(): number {
    return this.inner.retentionMs;
  }

  get segmentIntervalMs(): number {
    return this.inner.segmentIntervalMs;
  }

  async init(context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {
      await this.inner.init(context);
      this.context = context;
      this.topic = context.changelogTopic;
      this.sink = context.changelog;
      this.partition = context.partition;
    });
  }

  get(key: Buffer, windowStart: number): Promise<Buffer | undefined> {
    return this.inner.get(key, windowStart);
  }

  async write(entries: readonly WindowBytesEntry[]): Promise<void> {
    this.lifecycle.assertOpen('write');
    await this.inner.write(entries);
    const { topic, sink, context } = this;
    if (topic === null || sink === null || context === null) return;
    const now = changelogTimestamp(context);
    for (const { key, windowStart, value } of entries) {
      sink.send(topic, this.partition, windowKey(key, windowStart), value, Math.max(now, windowStart));
    }
  }

  fetchRange(key: Buffer, timeFrom: number, timeTo: number): AsyncIterable<WindowedBytes> {
    return this.inner.fetchRange(key, timeFrom, timeTo);
  }

  fetchAll(timeFrom: number, timeTo: number): AsyncIterable<WindowedBytes> {
    return this.inner.fetchAll(timeFrom, timeTo);
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }
}

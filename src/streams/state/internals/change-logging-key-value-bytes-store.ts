import { WrappedStore } from './wrapped-store.js';
import { bytesIfCached, type KeyValueBytesStore, type NotCached } from '../key-value-store.js';
import type { ChangelogSink, StateStoreContext } from '../state-store.js';
import { changelogTimestamp } from './changelog-timestamp.js';

/**
 * Writes through to the inner store, then sends every written entry to the store's changelog
 * topic (a delete as a tombstone), so another instance can rebuild the store by replaying it.
 * Records are sent only after the inner write succeeded: the changelog never holds a write the
 * local store failed to take. Restores go to the inner store unlogged (they come from the log).
 *
 * When the task gives no changelog topic (logging disabled for this store), nothing is sent.
 */
export class ChangeLoggingKeyValueBytesStore extends WrappedStore<KeyValueBytesStore> implements KeyValueBytesStore {
  private context: StateStoreContext | null = null;
  private topic: string | null = null;
  private sink: ChangelogSink | null = null;
  private partition = 0;

  override get loggingEnabled(): boolean {
    return true;
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

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }

  getIfCached(key: Buffer): Buffer | undefined | NotCached {
    return bytesIfCached(this.inner, key);
  }

  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    return this.inner.getMany(keys);
  }

  async write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    this.lifecycle.assertOpen('write');
    await this.inner.write(entries);
    const { topic, sink, context } = this;
    if (topic === null || sink === null || context === null) return;
    const timestamp = changelogTimestamp(context);
    for (const [key, value] of entries) sink.send(topic, this.partition, key, value, timestamp);
  }

  range(from: Buffer | null, to: Buffer | null): AsyncIterable<readonly [Buffer, Buffer]> {
    return this.inner.range(from, to);
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }
}

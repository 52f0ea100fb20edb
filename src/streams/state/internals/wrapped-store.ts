import type { ChangelogRecord, StateStore } from '../state-store.js';
import { StoreLifecycle } from './store-lifecycle.js';

/**
 * The base of every store layer that wraps another (metered, caching, change-logging, key
 * filter), as Kafka Streams' `WrappedStateStore`: identity comes from the inner store, and each
 * layer keeps its own open/closed lifecycle.
 */
export abstract class WrappedStore<S extends StateStore> {
  protected readonly lifecycle: StoreLifecycle;

  constructor(protected readonly inner: S) {
    this.lifecycle = new StoreLifecycle(inner.name);
  }

  get name(): string {
    return this.inner.name;
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  get loggingEnabled(): boolean {
    return this.inner.loggingEnabled;
  }

  isOpen(): boolean {
    return this.lifecycle.isOpen();
  }

  /** Restore bypasses what a layer adds; layers with restore-time work override this. */
  restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    return this.inner.restoreBatch(records);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  async close(): Promise<void> {
    await this.lifecycle.runClose(() => this.inner.close());
  }
}

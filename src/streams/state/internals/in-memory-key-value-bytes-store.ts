import type { KeyValueBytesStore } from '../key-value-store.js';
import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import { keyFromString, keyString } from './bytes.js';
import { SortedTree } from './sorted-tree.js';
import { StoreLifecycle } from './store-lifecycle.js';

/**
 * A byte-level key-value store held in a B+ tree, for state that need not survive a restart (it
 * is rebuilt from the changelog). Keys are kept as latin1 strings, whose order is the keys'
 * unsigned byte order. Ranges iterate a copy-on-write clone, so writes during an iteration are
 * not seen by it, as with a RocksDB iterator.
 */
export class InMemoryKeyValueBytesStore implements KeyValueBytesStore {
  readonly persistent = false;
  readonly loggingEnabled = false;
  private readonly lifecycle: StoreLifecycle;
  private tree: SortedTree<Buffer> = new SortedTree<string, Buffer>();

  constructor(readonly name: string) {
    this.lifecycle = new StoreLifecycle(name);
  }

  async init(_context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {});
  }

  isOpen(): boolean {
    return this.lifecycle.isOpen();
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.lifecycle.assertOpen('get');
    return this.tree.get(keyString(key));
  }

  /** Memory answers every read at once. */
  getIfCached(key: Buffer): Buffer | undefined {
    this.lifecycle.assertOpen('get');
    return this.tree.get(keyString(key));
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.lifecycle.assertOpen('getMany');
    return keys.map((key) => this.tree.get(keyString(key)));
  }

  async write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    this.lifecycle.assertOpen('write');
    this.apply(entries);
  }

  async restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    this.lifecycle.assertOpen('restore');
    for (const record of records) this.applyOne(record.key, record.value);
  }

  async *range(from: Buffer | null, to: Buffer | null): AsyncGenerator<readonly [Buffer, Buffer]> {
    this.lifecycle.assertOpen('range');
    const snapshot = this.tree.clone();
    const upper = to === null ? null : keyString(to);
    const iterator = snapshot.entries(from === null ? undefined : keyString(from));
    for (const [key, value] of iterator) {
      if (upper !== null && key >= upper) return;
      yield [keyFromString(key), value];
    }
  }

  approximateNumEntries(): number {
    return this.tree.size;
  }

  async flush(): Promise<void> {
    this.lifecycle.assertOpen('flush');
  }

  async close(): Promise<void> {
    await this.lifecycle.runClose(async () => {
      this.tree = new SortedTree<string, Buffer>();
    });
  }

  private apply(entries: readonly (readonly [Buffer, Buffer | null])[]): void {
    for (const [key, value] of entries) this.applyOne(key, value);
  }

  private applyOne(key: Buffer, value: Buffer | null): void {
    if (value === null) this.tree.delete(keyString(key));
    // Copy: the caller may reuse its buffer, and a store must own what it keeps.
    else this.tree.set(keyString(key), Buffer.from(value));
  }
}

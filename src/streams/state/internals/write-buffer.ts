import { StoreError } from '../../errors.js';
import { SortedTree } from './sorted-tree.js';

/** How a {@link WriteBuffer} hands its entries on. */
export interface WriteBufferOptions<E> {
  readonly storeName: string;
  /** Dirty entries held before a flush starts by itself. */
  readonly maxDirtyEntries: number;
  /** Writes one batch (in sort-key order) to the inner store; the entries are then durable. */
  readonly writeBatch: (entries: E[]) => Promise<void>;
  /** Called after a batch was written, e.g. to move the entries into a read cache. */
  readonly onFlushed?: (sortKeys: string[], entries: E[]) => void;
}

/**
 * The write cache of a caching store: dirty entries by a sort key (a latin1 string that orders
 * like the entry's key bytes), flushed to the inner store in one batch. Writes are synchronous;
 * a flush swaps the dirty set out and keeps it readable (`flushing`) until the batch is written,
 * so reads never miss an entry that is between the cache and the store.
 *
 * One batch is written at a time. A flush started by the size limit runs in the background; a
 * failed batch makes the buffer fail every later call, because the writes it held are lost and
 * the store can only be restored from its changelog.
 */
export class WriteBuffer<E> {
  private dirty: SortedTree<E> = new SortedTree<string, E>();
  private flushing: SortedTree<E> | null = null;
  private inFlight: Promise<void> | null = null;
  private failure: StoreError | null = null;
  /** Count of writes accepted, and the count covered by batches written so far. */
  private acceptedSeq = 0;
  private durableSeq = 0;
  private changes = 0;

  constructor(private readonly options: WriteBufferOptions<E>) {}

  /** Dirty entries not yet handed to a batch. */
  get size(): number {
    return this.dirty.size;
  }

  /**
   * A number that changes whenever the inner store changes under this buffer (a batch written,
   * or {@link markInnerChanged}): a read from the inner store started in an older epoch may be
   * stale and must not be cached.
   */
  get epoch(): number {
    return this.changes;
  }

  /** For writes that bypass the buffer (restore). */
  markInnerChanged(): void {
    this.changes++;
  }

  put(sortKey: string, entry: E): void {
    this.throwIfFailed();
    this.dirty.set(sortKey, entry);
    this.acceptedSeq++;
    if (this.dirty.size > this.options.maxDirtyEntries && this.inFlight === null) {
      // Background flush: its failure is kept and thrown by the next call.
      this.startBatch().catch(() => {});
    }
  }

  /** The buffered entry for `sortKey`, dirty or being flushed, or undefined. */
  lookup(sortKey: string): E | undefined {
    return this.dirty.get(sortKey) ?? this.flushing?.get(sortKey);
  }

  /**
   * The buffered entries with `low <= sortKey < high` (null bounds open), in sort-key order; a
   * dirty entry hides a flushing one of the same key. A copy: later writes do not change it.
   */
  snapshot(low: string | null, high: string | null): E[] {
    const dirty = collect(this.dirty, low, high);
    if (this.flushing === null || this.flushing.size === 0) return dirty.map(([, e]) => e);
    const flushing = collect(this.flushing, low, high);
    const merged: E[] = [];
    let i = 0;
    let j = 0;
    while (i < dirty.length || j < flushing.length) {
      const d = dirty[i];
      const f = flushing[j];
      if (f === undefined || (d !== undefined && d[0] <= f[0])) {
        if (f !== undefined && d !== undefined && d[0] === f[0]) j++;
        merged.push(d![1]);
        i++;
      } else {
        merged.push(f[1]);
        j++;
      }
    }
    return merged;
  }

  /** Writes every entry accepted before this call to the inner store (more may go along). */
  async flush(): Promise<void> {
    const target = this.acceptedSeq;
    while (this.durableSeq < target) {
      this.throwIfFailed();
      if (this.inFlight !== null) {
        await this.inFlight.catch(() => {});
      } else {
        await this.startBatch();
      }
    }
    this.throwIfFailed();
  }

  /** Drops every buffered entry (a close without flush: the writes were never committed). */
  discard(): void {
    this.dirty = new SortedTree<string, E>();
  }

  private startBatch(): Promise<void> {
    const batch = this.dirty;
    const batchSeq = this.acceptedSeq;
    this.dirty = new SortedTree<string, E>();
    this.flushing = batch;
    const run = (async () => {
      try {
        const sortKeys = batch.keysArray();
        const entries = batch.valuesArray();
        if (entries.length > 0) {
          await this.options.writeBatch(entries);
          this.changes++;
          this.options.onFlushed?.(sortKeys, entries);
        }
        this.durableSeq = batchSeq;
      } catch (cause) {
        this.failure =
          cause instanceof StoreError
            ? cause
            : new StoreError(`store "${this.options.storeName}": flush of ${batch.size} entries failed`, { cause });
        throw this.failure;
      } finally {
        this.flushing = null;
        this.inFlight = null;
      }
    })();
    this.inFlight = run;
    return run;
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}

function collect<E>(tree: SortedTree<E>, low: string | null, high: string | null): [string, E][] {
  const out: [string, E][] = [];
  for (const pair of tree.entries(low ?? undefined)) {
    if (high !== null && pair[0] >= high) break;
    out.push([pair[0], pair[1]]);
  }
  return out;
}

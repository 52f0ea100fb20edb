import type { ChangelogRecord, StateStoreContext } from '../state-store.js';
import type { WindowBytesEntry, WindowBytesStore, WindowedBytes } from '../window-store.js';
import type { Segment, SegmentStoreFactory } from './segments.js';
import { Segments } from './segments.js';
import { StoreLifecycle } from './store-lifecycle.js';
import { WindowRetention } from './window-retention.js';
import { MAX_WINDOW_START, checkWindowKey, isWindowKeyOf, keyOf, windowKey, windowStartOf } from './window-key-schema.js';

/** How a segmented window store is laid out. */
export interface SegmentedWindowOptions {
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  readonly persistent: boolean;
  readonly segmentFactory: SegmentStoreFactory;
}

/**
 * The innermost window store: windows in time segments, each segment a key-value bytes store of
 * window keys (`[key][windowStart]`, see `window-key-schema.ts`). Writes to expired windows are
 * ignored; reads never return them; segments whose windows have all expired are dropped on
 * write and on flush.
 */
export class SegmentedWindowBytesStore implements WindowBytesStore {
  readonly loggingEnabled = false;
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  readonly persistent: boolean;
  private readonly lifecycle: StoreLifecycle;
  private readonly retention: WindowRetention;
  private readonly segments: Segments;

  constructor(
    readonly name: string,
    options: SegmentedWindowOptions,
  ) {
    this.retentionMs = options.retentionMs;
    this.segmentIntervalMs = options.segmentIntervalMs;
    this.persistent = options.persistent;
    this.lifecycle = new StoreLifecycle(name);
    this.retention = new WindowRetention(options.retentionMs);
    this.segments = new Segments(name, options.segmentIntervalMs, options.persistent, options.segmentFactory);
  }

  async init(context: StateStoreContext): Promise<void> {
    await this.lifecycle.runInit(async () => {
      this.retention.bind(context);
      await this.segments.init(context);
      await this.segments.dropBefore(this.retention.minLiveTime());
    });
  }

  isOpen(): boolean {
    return this.lifecycle.isOpen();
  }

  /** Open segments, oldest first (for tests and metrics). */
  segmentNames(): string[] {
    return this.segments.all().map((s) => s.name);
  }

  async get(key: Buffer, windowStart: number): Promise<Buffer | undefined> {
    this.lifecycle.assertOpen('get');
    if (!this.retention.isLive(windowStart)) return undefined;
    const segment = this.segments.get(this.segments.segmentId(windowStart));
    return segment?.store.get(windowKey(key, windowStart));
  }

  async write(entries: readonly WindowBytesEntry[]): Promise<void> {
    this.lifecycle.assertOpen('write');
    await this.writeLive(entries.map((e) => [windowKey(e.key, e.windowStart), e.windowStart, e.value] as const));
  }

  async restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    this.lifecycle.assertOpen('restore');
    const rows = records.map((r) => {
      checkWindowKey(this.name, r.key);
      const windowStart = windowStartOf(r.key);
      this.retention.observeRestored(windowStart);
      return [r.key, windowStart, r.value] as const;
    });
    await this.writeLive(rows);
  }

  async *fetchRange(key: Buffer, timeFrom: number, timeToAsked: number): AsyncGenerator<WindowedBytes> {
    this.lifecycle.assertOpen('fetchRange');
    const from = Math.max(timeFrom, this.retention.minLiveTime(), 0);
    const timeTo = Math.min(timeToAsked, MAX_WINDOW_START);
    if (from > timeTo) return;
    const segments = this.acquire(from, timeTo);
    try {
      for (const segment of segments) {
        const low = Math.max(from, segment.id * this.segmentIntervalMs);
        const high = Math.min(timeTo, (segment.id + 1) * this.segmentIntervalMs - 1);
        for await (const [k, value] of segment.store.range(windowKey(key, low), windowKey(key, high + 1))) {
          if (!isWindowKeyOf(k, key)) continue;
          const windowStart = windowStartOf(k);
          // Stream time may have moved while reading; never hand out an expired window.
          if (this.retention.isLive(windowStart)) yield { key, windowStart, value };
        }
      }
    } finally {
      await this.release(segments);
    }
  }

  /**
   * Segment by segment, oldest first; within a segment the entries (stored by key) are sorted by
   * window start, so one segment's matching windows are held in memory at a time.
   */
  async *fetchAll(timeFrom: number, timeToAsked: number): AsyncGenerator<WindowedBytes> {
    this.lifecycle.assertOpen('fetchAll');
    const from = Math.max(timeFrom, this.retention.minLiveTime(), 0);
    const timeTo = Math.min(timeToAsked, MAX_WINDOW_START);
    if (from > timeTo) return;
    const segments = this.acquire(from, timeTo);
    try {
      for (const segment of segments) {
        const found: WindowedBytes[] = [];
        for await (const [k, value] of segment.store.range(null, null)) {
          const windowStart = windowStartOf(k);
          if (windowStart >= from && windowStart <= timeTo) found.push({ key: keyOf(k), windowStart, value });
        }
        found.sort(compareWindowed);
        for (const entry of found) if (this.retention.isLive(entry.windowStart)) yield entry;
      }
    } finally {
      await this.release(segments);
    }
  }

  approximateNumEntries(): number {
    return this.segments.all().reduce((sum, s) => sum + s.store.approximateNumEntries(), 0);
  }

  async flush(): Promise<void> {
    this.lifecycle.assertOpen('flush');
    await this.segments.dropBefore(this.retention.minLiveTime());
    await Promise.all(this.segments.all().map((s) => s.store.flush()));
  }

  async close(): Promise<void> {
    await this.lifecycle.runClose(() => this.segments.closeAll());
  }

  /**
   * The segments overlapping `[from, to]`, held until {@link release} so that a drop during the
   * read waits for it. Taken in one synchronous step with the listing: none can be dropped between.
   */
  private acquire(from: number, to: number): Segment[] {
    const segments = this.segments.overlapping(from, to);
    for (const segment of segments) this.segments.acquire(segment);
    return segments;
  }

  private async release(segments: readonly Segment[]): Promise<void> {
    for (const segment of segments) await this.segments.release(segment);
  }

  private async writeLive(rows: readonly (readonly [Buffer, number, Buffer | null])[]): Promise<void> {
    const minLive = this.retention.minLiveTime();
    await this.segments.dropBefore(minLive);
    const bySegment = new Map<number, [Buffer, Buffer | null][]>();
    for (const [k, windowStart, value] of rows) {
      if (windowStart < minLive) continue;
      const id = this.segments.segmentId(windowStart);
      let batch = bySegment.get(id);
      if (!batch) bySegment.set(id, (batch = []));
      batch.push([k, value]);
    }
    await Promise.all(
      [...bySegment].map(async ([id, batch]) => {
        // Deletes alone need no new segment: there is nothing to delete in one that is missing.
        if (this.segments.get(id) === undefined && batch.every(([, value]) => value === null)) return;
        const segment = await this.segments.getOrCreate(id);
        await segment.store.write(batch);
      }),
    );
  }
}

/** By window start, then key bytes: the order of `fetchAll`. */
export function compareWindowed(a: { key: Buffer; windowStart: number }, b: { key: Buffer; windowStart: number }): number {
  return a.windowStart - b.windowStart || Buffer.compare(a.key, b.key);
}

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IllegalStateError } from '../../errors.js';
import type { KeyValueBytesStore } from '../key-value-store.js';
import type { StateStoreContext } from '../state-store.js';

/** Makes the bytes store of one segment (RocksDB or in-memory), named `<store>.<segmentStart>`. */
export type SegmentStoreFactory = (segmentName: string) => KeyValueBytesStore;

/** One time segment: `[id·interval, (id+1)·interval)` of window starts, in its own bytes store. */
export interface Segment {
  readonly id: number;
  readonly name: string;
  readonly store: KeyValueBytesStore;
}

interface SegmentState extends Segment {
  readonly dir: string;
  readers: number;
  dropped: boolean;
}

/**
 * The time segments of one window store. Each segment is its own bytes store (for RocksDB, its
 * own instance in `<stateDir>/<store>.<segmentStart>/`), so dropping an expired segment is a
 * close and a folder removal — no per-key work. A segment being read is dropped when its last
 * reader finishes.
 */
export class Segments {
  private readonly segments = new Map<number, SegmentState>();
  private readonly opening = new Map<number, Promise<SegmentState>>();
  private context: StateStoreContext | null = null;

  constructor(
    private readonly storeName: string,
    readonly intervalMs: number,
    private readonly persistent: boolean,
    private readonly factory: SegmentStoreFactory,
  ) {}

  segmentId(windowStart: number): number {
    return Math.floor(windowStart / this.intervalMs);
  }

  /** Opens the segments a persistent store left in its state dir. */
  async init(context: StateStoreContext): Promise<void> {
    this.context = context;
    if (!this.persistent) return;
    const prefix = `${this.storeName}.`;
    const entries = await readdir(context.stateDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
      const start = Number(entry.name.slice(prefix.length));
      if (Number.isSafeInteger(start) && start % this.intervalMs === 0) {
        await this.getOrCreate(start / this.intervalMs);
      }
    }
  }

  get(id: number): Segment | undefined {
    return this.segments.get(id);
  }

  async getOrCreate(id: number): Promise<Segment> {
    const existing = this.segments.get(id);
    if (existing) return existing;
    let opening = this.opening.get(id);
    if (!opening) {
      opening = this.open(id).finally(() => this.opening.delete(id));
      this.opening.set(id, opening);
    }
    return opening;
  }

  /** Open segments overlapping `[timeFrom, timeTo]`, oldest first. */
  overlapping(timeFrom: number, timeTo: number): Segment[] {
    const low = this.segmentId(Math.max(0, timeFrom));
    const high = this.segmentId(timeTo);
    return this.all().filter((s) => s.id >= low && s.id <= high);
  }

  /** All open segments, oldest first. */
  all(): Segment[] {
    return [...this.segments.values()].sort((a, b) => a.id - b.id);
  }

  /** Marks a segment in use until {@link release}, so a drop waits for the reader. */
  acquire(segment: Segment): void {
    (segment as SegmentState).readers++;
  }

  async release(segment: Segment): Promise<void> {
    const state = segment as SegmentState;
    state.readers--;
    if (state.readers === 0 && state.dropped) await this.destroy(state);
  }

  /** Drops every segment whose windows all start before `minLiveTime`. */
  async dropBefore(minLiveTime: number): Promise<void> {
    const minLiveId = this.segmentId(minLiveTime);
    for (const segment of [...this.segments.values()]) {
      if (segment.id >= minLiveId) continue;
      this.segments.delete(segment.id);
      segment.dropped = true;
      if (segment.readers === 0) await this.destroy(segment);
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.segments.values()];
    this.segments.clear();
    await Promise.all(all.map((s) => s.store.close()));
  }

  private async open(id: number): Promise<SegmentState> {
    const context = this.context;
    if (context === null) throw new IllegalStateError(`window store "${this.storeName}": segments used before init`);
    const name = `${this.storeName}.${id * this.intervalMs}`;
    const dir = join(context.stateDir, name);
    const store = this.factory(name);
    await store.init({
      applicationId: context.applicationId,
      taskId: context.taskId,
      partition: context.partition,
      stateDir: dir,
      changelogTopic: null,
      changelog: context.changelog,
      metrics: null,
      currentStreamTimeMs: () => context.currentStreamTimeMs(),
      ...(context.rocksDbMemory ? { rocksDbMemory: context.rocksDbMemory } : {}),
    });
    const segment: SegmentState = { id, name, dir, store, readers: 0, dropped: false };
    this.segments.set(id, segment);
    return segment;
  }

  private async destroy(segment: SegmentState): Promise<void> {
    await segment.store.close();
    if (this.persistent) await rm(segment.dir, { recursive: true, force: true });
  }
}

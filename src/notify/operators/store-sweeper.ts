/**
 * Bounded expiry for key-value stores whose entries carry their own time (dedupe sightings,
 * fatigue buckets, ledger entries, delivery tracking). The hot path pays nothing: no secondary
 * time index is written per record and no extra changelog record is produced. Instead a
 * wall-clock punctuator walks the store in key order, `maxScan` entries per run, deleting what
 * has expired, and wraps around at the end.
 *
 * Why this is enough: expiry only has to bound the store's size, never decide correctness (each
 * operator still checks an entry's age when it reads it). With a scan of 2,000 entries per
 * second, a task holding 10M keys is swept once every ~1.4 h — far inside a 24 h retention, so
 * the store never holds much more than one retention's worth of keys. A full pass costs one
 * sequential range read, the cheapest access RocksDB offers (≈ 150k keys/s, DESIGN §7).
 */
import type { ProcessorContext } from '../../streams/processor/processor.js';
import type { KeyValueStore } from '../../streams/state/key-value-store.js';

/**
 * The smallest slice: the entry count is an estimate (RocksDB's, without what still sits in the
 * write cache), so a store that looks empty is still walked, a little at a time.
 */
export const MIN_SLICE = 100;

/** How a sweeper decides and how much it scans per run. */
export interface StoreSweeperOptions<V> {
  /** Entries looked at per run at most; at least 1. */
  readonly maxScan: number;
  /**
   * With `intervalMs` (the time between runs): how long one pass over the whole store should
   * take. A run then scans `entries × intervalMs / passMs` entries (at least
   * {@link MIN_SLICE}, at most `maxScan`), so a small store is not re-read every few seconds.
   * Without it, `maxScan`.
   */
  readonly passMs?: number | undefined;
  readonly intervalMs?: number | undefined;
  /** True when the entry can be deleted at time `now` (the time the punctuator was called with). */
  isExpired(key: string, value: V, now: number): boolean;
}

/** What one run did, for tests and metrics. */
export interface SweepResult {
  readonly scanned: number;
  readonly deleted: number;
  /** True when the run reached the end of the store and the next run starts from the beginning. */
  readonly wrapped: boolean;
}

/** Walks one string-keyed store in slices; see the file comment. Not safe for concurrent runs. */
export class StoreSweeper<V> {
  /** The first key of the next slice; null starts from the beginning. */
  private cursor: string | null = null;

  constructor(
    private readonly store: KeyValueStore<string, V>,
    private readonly options: StoreSweeperOptions<V>,
  ) {}

  /** Entries to look at in this run. */
  private sliceSize(): number {
    const { maxScan, passMs, intervalMs } = this.options;
    const max = Math.max(1, maxScan);
    if (passMs === undefined || intervalMs === undefined) return max;
    return Math.min(max, Math.max(MIN_SLICE, Math.ceil((this.store.approximateNumEntries() * intervalMs) / passMs)));
  }

  /** Scans the next slice and deletes its expired entries. */
  async sweep(now: number): Promise<SweepResult> {
    const max = this.sliceSize();
    const expired: string[] = [];
    let scanned = 0;
    let last: string | null = null;
    for await (const { key, value } of this.store.range(this.cursor, null)) {
      scanned++;
      last = key;
      if (this.options.isExpired(key, value, now)) expired.push(key);
      if (scanned >= max) break;
    }
    for (const key of expired) this.store.delete(key);
    const wrapped = scanned < max;
    // NUL sorts first among UTF-8 continuations: key + NUL is the smallest key after `key`.
    this.cursor = wrapped || last === null ? null : `${last}\u0000`;
    return { scanned, deleted: expired.length, wrapped };
  }
}

/** How often and how much the operators' sweepers run (`housekeeping` in the configuration). */
export interface SweepSchedule {
  readonly sweepIntervalMs: number;
  readonly sweepMaxScan: number;
  /** See {@link StoreSweeperOptions.passMs}; without it every run scans `sweepMaxScan`. */
  readonly sweepPassMs?: number;
}

/** Sweeps `store` on a wall-clock punctuator of `context`, as `schedule` says. */
export function scheduleSweep<V>(
  context: Pick<ProcessorContext<never, never>, 'schedule'>,
  store: KeyValueStore<string, V>,
  schedule: SweepSchedule,
  isExpired: StoreSweeperOptions<V>['isExpired'],
): void {
  const sweeper = new StoreSweeper(store, { maxScan: schedule.sweepMaxScan, intervalMs: schedule.sweepIntervalMs, passMs: schedule.sweepPassMs, isExpired });
  context.schedule(schedule.sweepIntervalMs, 'WALL_CLOCK_TIME', (now) => sweeper.sweep(now).then(() => undefined));
}

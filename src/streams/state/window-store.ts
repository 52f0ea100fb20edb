import type { StateStore } from './state-store.js';

/** One window's value for a key. */
export interface WindowedValue<V> {
  readonly windowStart: number;
  readonly value: V;
}

/** One window's value with its key, as `fetchAll` yields it. */
export interface WindowedKeyValue<K, V> extends WindowedValue<V> {
  readonly key: K;
}

/**
 * A typed windowed store: values per key per window start time, kept for `retentionMs` of stream
 * time. Data is kept in time segments; a whole segment is dropped once older than the retention,
 * so expiry costs no per-key work. Writes and reads outside retention are ignored (put) or
 * return nothing (fetch).
 */
export interface WindowStore<K, V> extends StateStore {
  readonly retentionMs: number;
  put(key: K, value: V, windowStart: number): void;
  /** The value of one window, if any. */
  fetch(key: K, windowStart: number): Promise<V | undefined>;
  /** Windows of one key with `timeFrom <= windowStart <= timeTo`, oldest first. */
  fetchRange(key: K, timeFrom: number, timeTo: number): Promise<WindowedValue<V>[]>;
  /** Every key's windows with `timeFrom <= windowStart <= timeTo`, in time order. */
  fetchAll(timeFrom: number, timeTo: number): AsyncIterable<WindowedKeyValue<K, V>>;
}

/** One window write at the byte level; a null value deletes the window. */
export interface WindowBytesEntry {
  readonly key: Buffer;
  readonly windowStart: number;
  readonly value: Buffer | null;
}

/** One stored window at the byte level. */
export interface WindowedBytes {
  readonly key: Buffer;
  readonly windowStart: number;
  readonly value: Buffer;
}

/**
 * A byte-level windowed store: the innermost layer (time segments of RocksDB or in-memory
 * stores) and every decorator between it and the typed {@link WindowStore}. Windows older than
 * the retention (behind the task's stream time) are never returned and writes to them are
 * ignored. Window starts are non-negative integers (milliseconds).
 */
export interface WindowBytesStore extends StateStore {
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  get(key: Buffer, windowStart: number): Promise<Buffer | undefined>;
  /** Writes a batch (atomically within each segment). */
  write(entries: readonly WindowBytesEntry[]): Promise<void>;
  /** Windows of one key with `timeFrom <= windowStart <= timeTo`, oldest first. */
  fetchRange(key: Buffer, timeFrom: number, timeTo: number): AsyncIterable<WindowedBytes>;
  /** Every key's windows with `timeFrom <= windowStart <= timeTo`, by window start, then key bytes. */
  fetchAll(timeFrom: number, timeTo: number): AsyncIterable<WindowedBytes>;
  /** A cheap estimate, for metrics. */
  approximateNumEntries(): number;
}

import type { StateStore } from './state-store.js';

/** One window's value for a key. */
export interface WindowedValue<V> {
  readonly windowStart: number;
  readonly value: V;
}

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

import type { KeyValueBytesStore } from './key-value-store.js';
import type { WindowBytesStore } from './window-store.js';

/**
 * Makes the innermost byte-level store of a key-value store, one per task. `Stores` has RocksDB
 * and in-memory suppliers; any other implementation of {@link KeyValueBytesStore} can be plugged
 * in the same way.
 */
export interface KeyValueBytesStoreSupplier {
  readonly name: string;
  /** A new, uninitialised store on each call. */
  get(): KeyValueBytesStore;
}

/** Makes the innermost byte-level store of a window store, one per task. */
export interface WindowBytesStoreSupplier {
  readonly name: string;
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  /** A new, uninitialised store on each call. */
  get(): WindowBytesStore;
}

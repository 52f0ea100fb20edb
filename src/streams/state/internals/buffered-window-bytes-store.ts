import type { WindowBytesStore } from '../window-store.js';

/**
 * A window bytes store that takes writes synchronously and makes them durable on `flush` (the
 * window caching layer). Every read sees every write made before it.
 */
export interface BufferedWindowBytesStore extends WindowBytesStore {
  /** A null value deletes the window. A write to an expired window is ignored. */
  put(key: Buffer, windowStart: number, value: Buffer | null): void;
}

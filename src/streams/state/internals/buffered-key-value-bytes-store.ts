import type { KeyValueBytesStore, NotCached } from '../key-value-store.js';

/**
 * A bytes store that takes writes synchronously and makes them durable on `flush` — what the
 * typed store's synchronous `put`/`delete` need from the layer under it (the caching layer).
 * Every read sees every write made before it, flushed or not.
 */
export interface BufferedKeyValueBytesStore extends KeyValueBytesStore {
  getIfCached(key: Buffer): Buffer | undefined | NotCached;
  /** Takes `key` and `value` over: the caller must not change them afterwards. */
  put(key: Buffer, value: Buffer): void;
  delete(key: Buffer): void;
  /** Stores `value` only if absent; resolves to the value that was there. */
  putIfAbsent(key: Buffer, value: Buffer): Promise<Buffer | undefined>;
}

import { StoreError } from '../../errors.js';

/**
 * The byte layout of a window's key, in segments and in the changelog: `[key][windowStart as
 * 8-byte big-endian unsigned]`. Key first, so one key's windows are contiguous and in time order
 * (a fetch of one key is one short range scan), as in Kafka Streams.
 *
 * Keys may be prefixes of each other ("ab" and "abc"), so a range over one key's window keys can
 * also meet other keys' entries; {@link isWindowKeyOf} tells them apart by length.
 */
export const TIMESTAMP_BYTES = 8;

const TWO_POW_32 = 2 ** 32;

/** The largest window start a query bound is clamped to (so `timeTo + 1` stays exact). */
export const MAX_WINDOW_START = Number.MAX_SAFE_INTEGER - 1;

/** Throws unless `windowStart` is a non-negative integer (the byte layout sorts those only). */
export function checkWindowStart(storeName: string, windowStart: number): void {
  if (!Number.isSafeInteger(windowStart) || windowStart < 0) {
    throw new StoreError(`store "${storeName}": window start must be a non-negative integer, got ${windowStart}`);
  }
}

/** `[key][windowStart 8B big-endian]`; `windowStart` must be a non-negative safe integer. */
export function windowKey(key: Buffer, windowStart: number): Buffer {
  const out = Buffer.allocUnsafe(key.length + TIMESTAMP_BYTES);
  key.copy(out, 0);
  out.writeUInt32BE(Math.floor(windowStart / TWO_POW_32), key.length);
  out.writeUInt32BE(windowStart % TWO_POW_32, key.length + 4);
  return out;
}

/** The window start in a window key. */
export function windowStartOf(windowKeyBytes: Buffer): number {
  const at = windowKeyBytes.length - TIMESTAMP_BYTES;
  return windowKeyBytes.readUInt32BE(at) * TWO_POW_32 + windowKeyBytes.readUInt32BE(at + 4);
}

/** The record key in a window key (a view, not a copy). */
export function keyOf(windowKeyBytes: Buffer): Buffer {
  return windowKeyBytes.subarray(0, windowKeyBytes.length - TIMESTAMP_BYTES);
}

/**
 * True when `windowKeyBytes` — found in a range between two window keys of `key` — belongs to
 * `key` itself: every entry in such a range starts with `key`, so the length decides.
 */
export function isWindowKeyOf(windowKeyBytes: Buffer, key: Buffer): boolean {
  return windowKeyBytes.length === key.length + TIMESTAMP_BYTES;
}

/** Throws `StoreError` when a changelog key is too short to be a window key. */
export function checkWindowKey(storeName: string, windowKeyBytes: Buffer): void {
  if (windowKeyBytes.length < TIMESTAMP_BYTES) {
    throw new StoreError(`store "${storeName}": changelog key of ${windowKeyBytes.length} bytes is not a window key`);
  }
}

/**
 * Byte-key helpers shared by the stores. Keys order by unsigned byte comparison everywhere; a
 * latin1 string of a key has one UTF-16 unit per byte, so JavaScript string order is that same
 * byte order, and such strings make cheap Map and B-tree keys.
 */

/** The key as a string that sorts exactly like the bytes (one char per byte). */
export function keyString(key: Buffer): string {
  return key.toString('latin1');
}

/** Inverse of {@link keyString}. */
export function keyFromString(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/**
 * The smallest key greater than every key that starts with `prefix`, or null when there is none
 * (an empty prefix, or one of only 0xff bytes): the exclusive upper bound of a prefix scan.
 */
export function prefixUpperBound(prefix: Buffer): Buffer | null {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i] as number;
    if (byte !== 0xff) {
      const bound = Buffer.allocUnsafe(i + 1);
      prefix.copy(bound, 0, 0, i);
      bound[i] = byte + 1;
      return bound;
    }
  }
  return null;
}

/** True when `key` lies in `[from, to)`; null bounds are open. */
export function inRange(key: Buffer, from: Buffer | null, to: Buffer | null): boolean {
  return (from === null || Buffer.compare(key, from) >= 0) && (to === null || Buffer.compare(key, to) < 0);
}

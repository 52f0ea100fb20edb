import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BloomFilter } from './bloom-filter.js';

/**
 * The on-disk form of a store's key filter. A file is only ever present when it covers every key
 * in the store: the store deletes it (and syncs the folder) before its first write after a save,
 * and saves a new one at rest. So a crash between a write and the next save leaves no file, and
 * the store rebuilds the filter by scanning its keys rather than trusting a stale one.
 *
 * Layout (32-byte header, then the bit array in host byte order):
 * `"NSKF"`, version u32 BE, numBits u32 BE, numHashes u32 BE, host-order marker u32,
 * reserved u32, insertedCount f64 BE.
 */
const MAGIC = 0x4e534b46; // "NSKF"
const VERSION = 1;
const HEADER_BYTES = 32;
const HOST_ORDER_MARKER = 0x01020304;

/** A filter read back from disk with the count of keys added to it over its life. */
export interface LoadedKeyFilter {
  readonly filter: BloomFilter;
  readonly insertedCount: number;
}

/**
 * Reads the file, or returns null when it is missing, unreadable, of another version or host
 * byte order, or sized for other dimensions than `expected` — every doubt means "rebuild".
 */
export async function readKeyFilterFile(
  path: string,
  expected: { numBits: number; numHashes: number },
): Promise<LoadedKeyFilter | null> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    return null;
  }
  if (data.length < HEADER_BYTES) return null;
  if (data.readUInt32BE(0) !== MAGIC || data.readUInt32BE(4) !== VERSION) return null;
  const numBits = data.readUInt32BE(8);
  const numHashes = data.readUInt32BE(12);
  if (!hostOrderMatches(data)) return null;
  if (numBits !== expected.numBits || numHashes !== expected.numHashes) return null;
  if (data.length !== HEADER_BYTES + numBits / 8) return null;
  const insertedCount = data.readDoubleBE(24);
  if (!Number.isFinite(insertedCount) || insertedCount < 0) return null;
  // Copy into an aligned array: the read buffer may sit at any offset of a shared pool.
  const words = new Uint32Array(numBits / 32);
  Buffer.from(words.buffer).set(data.subarray(HEADER_BYTES));
  return { filter: BloomFilter.fromWords(numBits, numHashes, words), insertedCount };
}

/** True when the file was written on a machine of this byte order (the bits are stored raw). */
function hostOrderMatches(data: Buffer): boolean {
  const marker = new Uint32Array(1);
  Buffer.from(marker.buffer).set(data.subarray(16, 20));
  return marker[0] === HOST_ORDER_MARKER;
}

/** Writes the file atomically (temp file, then rename). */
export async function writeKeyFilterFile(path: string, filter: BloomFilter, insertedCount: number): Promise<void> {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(VERSION, 4);
  header.writeUInt32BE(filter.numBits, 8);
  header.writeUInt32BE(filter.numHashes, 12);
  Buffer.from(new Uint32Array([HOST_ORDER_MARKER]).buffer).copy(header, 16);
  header.writeDoubleBE(insertedCount, 24);
  const words = filter.wordsView;
  const body = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  const tmp = `${path}.tmp`;
  // Header and bits written from where they are: a copy of a large filter (12 MB at 10M keys)
  // per save, in every task at once, showed up as hundreds of MB of transient Buffers.
  const file = await open(tmp, 'w');
  try {
    // writeFile goes on from the current position and retries partial writes.
    await file.writeFile(header);
    await file.writeFile(body);
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}

/**
 * Removes the file and syncs its folder, so the removal is on disk before the store writes keys
 * the saved filter does not hold.
 */
export async function removeKeyFilterFile(path: string): Promise<void> {
  await rm(path, { force: true });
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

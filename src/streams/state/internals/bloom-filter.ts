/**
 * A Bloom filter over byte keys: `mightContain` is false only for keys never added (no false
 * negatives), true for a small share of them (the false-positive rate). Keys cannot be removed;
 * a deleted key just stays "maybe present", which is safe.
 *
 * Bit positions come from double hashing (h1 + i·h2) of two MurmurHash3 (x86, 32-bit) hashes,
 * the scheme of Kirsch and Mitzenmacher, which keeps the rate of k independent hashes.
 */
export class BloomFilter {
  private constructor(
    /** Number of bits, a multiple of 32. */
    readonly numBits: number,
    readonly numHashes: number,
    private readonly words: Uint32Array,
  ) {}

  /** Sized for `expectedKeys` insertions at `falsePositiveRate`. */
  static create(expectedKeys: number, falsePositiveRate: number): BloomFilter {
    const { numBits, numHashes } = BloomFilter.dimensions(expectedKeys, falsePositiveRate);
    return new BloomFilter(numBits, numHashes, new Uint32Array(numBits / 32));
  }

  /** The optimal size for `n` keys at rate `p`: m = −n·ln p / (ln 2)², k = m/n · ln 2. */
  static dimensions(expectedKeys: number, falsePositiveRate: number): { numBits: number; numHashes: number } {
    const n = Math.max(1, Math.ceil(expectedKeys));
    const p = Math.min(0.5, Math.max(1e-9, falsePositiveRate));
    const bits = Math.ceil((-n * Math.log(p)) / (Math.LN2 * Math.LN2));
    const numBits = Math.max(64, Math.ceil(bits / 32) * 32);
    const numHashes = Math.max(1, Math.min(30, Math.round((numBits / n) * Math.LN2)));
    return { numBits, numHashes };
  }

  /** Rebuilds a filter from {@link words} saved earlier; the caller checks the dimensions. */
  static fromWords(numBits: number, numHashes: number, words: Uint32Array): BloomFilter {
    if (words.length * 32 !== numBits) throw new RangeError(`expected ${numBits / 32} words, got ${words.length}`);
    return new BloomFilter(numBits, numHashes, words);
  }

  /** The bit array, for persisting (not a copy). */
  get wordsView(): Uint32Array {
    return this.words;
  }

  add(key: Buffer): void {
    const h1 = murmur3(key, 0);
    const h2 = murmur3(key, h1) | 1;
    for (let i = 0; i < this.numHashes; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % this.numBits;
      this.words[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  mightContain(key: Buffer): boolean {
    const h1 = murmur3(key, 0);
    const h2 = murmur3(key, h1) | 1;
    for (let i = 0; i < this.numHashes; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % this.numBits;
      if ((this.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** MurmurHash3 x86 32-bit over the bytes of `key`. */
export function murmur3(key: Buffer, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = key.length;
  const blocks = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = (key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)) >>> 0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= key[blocks + 2]! << 16;
    if (tail >= 2) k ^= key[blocks + 1]! << 8;
    k ^= key[blocks]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

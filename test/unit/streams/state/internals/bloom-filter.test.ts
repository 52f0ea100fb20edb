import { describe, expect, it } from 'vitest';
import { BloomFilter, murmur3 } from '../../../../../src/streams/state/internals/bloom-filter.js';

describe('BloomFilter', () => {
  it('hashes with MurmurHash3 x86 32 (reference vectors)', () => {
    expect(murmur3(Buffer.from(''), 0)).toBe(0);
    expect(murmur3(Buffer.from(''), 1)).toBe(0x514e28b7);
    expect(murmur3(Buffer.from('test'), 0)).toBe(0xba6bd213);
    expect(murmur3(Buffer.from('abc'), 0)).toBe(0xb3dd93fa);
    expect(murmur3(Buffer.from('Hello, world!'), 0x9747b28c)).toBe(0x24884cba);
  });

  it('never misses an added key and stays near its false-positive rate', () => {
    const filter = BloomFilter.create(20_000, 0.01);
    for (let i = 0; i < 20_000; i++) filter.add(Buffer.from(`id-${i}`));
    for (let i = 0; i < 20_000; i++) expect(filter.mightContain(Buffer.from(`id-${i}`))).toBe(true);
    let positives = 0;
    for (let i = 0; i < 20_000; i++) if (filter.mightContain(Buffer.from(`other-${i}`))) positives++;
    expect(positives / 20_000).toBeLessThan(0.02);
  });

  it('sizes itself from expected keys and rate', () => {
    const { numBits, numHashes } = BloomFilter.dimensions(1_000_000, 0.01);
    expect(numBits).toBeGreaterThan(9_500_000);
    expect(numBits).toBeLessThan(9_700_000);
    expect(numHashes).toBe(7);
  });
});

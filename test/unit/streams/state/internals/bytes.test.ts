import { describe, expect, it } from 'vitest';
import { keyFromString, keyString, prefixUpperBound } from '../../../../../src/streams/state/internals/bytes.js';

describe('byte keys', () => {
  it('turns a prefix into the exclusive upper bound of its scan', () => {
    expect(prefixUpperBound(Buffer.from([1, 2, 3]))).toEqual(Buffer.from([1, 2, 4]));
    expect(prefixUpperBound(Buffer.from([1, 0xff, 0xff]))).toEqual(Buffer.from([2]));
    expect(prefixUpperBound(Buffer.from([0xff]))).toBeNull();
    expect(prefixUpperBound(Buffer.alloc(0))).toBeNull();
  });

  it('keeps byte order in key strings, and round-trips them', () => {
    const keys = [Buffer.from([0]), Buffer.from([0x7f]), Buffer.from([0x80]), Buffer.from([0xff, 0])];
    const strings = keys.map(keyString);
    expect([...strings].sort()).toEqual(strings);
    expect(strings.map(keyFromString)).toEqual(keys);
  });
});

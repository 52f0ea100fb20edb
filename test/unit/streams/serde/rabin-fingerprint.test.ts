import { describe, expect, it } from 'vitest';
import {
  CRC64_AVRO_EMPTY,
  fingerprintToBytes,
  fingerprintToHex,
  rabinFingerprint64,
} from '../../../../src/streams/serde/rabin-fingerprint.js';

// Expected values are the signed longs that Avro's Java implementation computes, as listed in
// the Avro project's shared test data (share/test/data/schema-tests.txt).
const PRIMITIVES: ReadonlyArray<readonly [string, bigint]> = [
  ['"null"', 7195948357588979594n],
  ['"boolean"', -6970731678124411036n],
  ['"int"', 8247732601305521295n],
  ['"long"', -3434872931120570953n],
  ['"float"', 5583340709985441680n],
  ['"double"', -8181574048448539266n],
  ['"bytes"', 5746618253357095269n],
  ['"string"', -8142146995180207161n],
];

describe('rabinFingerprint64 (CRC-64-AVRO)', () => {
  it('gives the specification constant EMPTY for no input', () => {
    expect(CRC64_AVRO_EMPTY).toBe(0xc15d213aa4d7a795n);
    expect(rabinFingerprint64('')).toBe(CRC64_AVRO_EMPTY);
    expect(rabinFingerprint64(new Uint8Array(0))).toBe(CRC64_AVRO_EMPTY);
  });

  it.each(PRIMITIVES)('fingerprints the canonical form %s as Avro Java does', (canonical, expected) => {
    expect(BigInt.asIntN(64, rabinFingerprint64(canonical))).toBe(expected);
  });

  it('reads strings as UTF-8, the same as their bytes', () => {
    expect(rabinFingerprint64('"int"')).toBe(rabinFingerprint64(Buffer.from('"int"', 'utf8')));
    expect(rabinFingerprint64('é')).toBe(rabinFingerprint64(Buffer.from([0xc3, 0xa9])));
  });

  it('writes fingerprints as 8 little-endian bytes and as hex', () => {
    const fp = rabinFingerprint64('"int"');
    const bytes = fingerprintToBytes(fp);
    expect(bytes.length).toBe(8);
    expect(bytes.readBigUInt64LE(0)).toBe(fp);
    expect(fingerprintToHex(fp)).toBe(fp.toString(16).padStart(16, '0'));
    // A signed (Java-style) value writes the same bytes as its unsigned twin.
    expect(fingerprintToBytes(BigInt.asIntN(64, fp)).equals(bytes)).toBe(true);
  });
});

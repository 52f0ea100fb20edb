/**
 * CRC-64-AVRO, the "Rabin" fingerprint of the Avro specification: the 64-bit fingerprint that
 * Avro single-object encoding puts in front of every value. avsc only offers md5/sha256, so the
 * engine carries its own. Fingerprints are computed once per schema at startup, so BigInt
 * arithmetic is clear enough and fast enough here; the hot path compares the 8 bytes instead.
 */

/** The fingerprint of empty input, fixed by the Avro specification (0xc15d213aa4d7a795). */
export const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n;

// One entry per low byte of the running value, as in the specification's reference code.
const TABLE: BigUint64Array = (() => {
  const table = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) {
      // -(fp & 1n) is all ones when the low bit is set, so the polynomial is xored in then.
      fp = (fp >> 1n) ^ (CRC64_AVRO_EMPTY & -(fp & 1n));
    }
    table[i] = fp;
  }
  return table;
})();

/**
 * The CRC-64-AVRO fingerprint of `data` (a string is taken as UTF-8), as an unsigned 64-bit
 * value. Java's Avro reports the same bits as a signed long: `BigInt.asIntN(64, fp)`.
 */
export function rabinFingerprint64(data: Uint8Array | string): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = CRC64_AVRO_EMPTY;
  for (const byte of bytes) {
    fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] as bigint);
  }
  return fp;
}

/** The 8-byte little-endian form of a fingerprint, as it appears in single-object encoding. */
export function fingerprintToBytes(fingerprint: bigint): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigUInt64LE(BigInt.asUintN(64, fingerprint), 0);
  return bytes;
}

/** A fingerprint as 16 lower-case hex digits (most significant first), for messages and logs. */
export function fingerprintToHex(fingerprint: bigint): string {
  return BigInt.asUintN(64, fingerprint).toString(16).padStart(16, '0');
}

/**
 * The two ways an Avro value is framed on the wire (DESIGN §3). Avro single-object encoding:
 * 0xC3 0x01, then the writer schema's CRC-64-AVRO fingerprint as 8 little-endian bytes, then
 * the body. Confluent framing: magic byte 0, then the registry's schema id as a 4-byte
 * big-endian integer, then the body. The first byte tells them apart.
 */
import { DeserializationError } from '../errors.js';

/** How an Avro value is framed; see the module comment. */
export type AvroFraming = 'single-object' | 'confluent';

/** Bytes before the body in single-object encoding (marker + fingerprint). */
export const SINGLE_OBJECT_HEADER_LENGTH = 10;
/** Bytes before the body in Confluent framing (magic + schema id). */
export const CONFLUENT_HEADER_LENGTH = 5;

const SINGLE_OBJECT_MARKER_0 = 0xc3;
const SINGLE_OBJECT_MARKER_1 = 0x01;
const CONFLUENT_MAGIC = 0x00;

/** The single-object header for a schema's 8-byte little-endian fingerprint. */
export function singleObjectHeader(fingerprintBytes: Buffer): Buffer {
  const header = Buffer.allocUnsafe(SINGLE_OBJECT_HEADER_LENGTH);
  header[0] = SINGLE_OBJECT_MARKER_0;
  header[1] = SINGLE_OBJECT_MARKER_1;
  fingerprintBytes.copy(header, 2, 0, 8);
  return header;
}

/** The Confluent header for a registry schema id. */
export function confluentHeader(schemaId: number): Buffer {
  const header = Buffer.allocUnsafe(CONFLUENT_HEADER_LENGTH);
  header[0] = CONFLUENT_MAGIC;
  header.writeUInt32BE(schemaId, 1);
  return header;
}

/**
 * Which framing `data` uses, checking that its header is complete.
 * @throws DeserializationError saying what was expected and what the bytes were.
 */
export function detectFraming(topic: string, data: Buffer): AvroFraming {
  const first = data[0];
  if (first === SINGLE_OBJECT_MARKER_0) {
    if (data.length >= 2 && data[1] !== SINGLE_OBJECT_MARKER_1) {
      throw new DeserializationError(
        `topic ${topic}: expected Avro single-object marker C3 01, saw ${describeBytes(data, 2)}`,
      );
    }
    if (data.length < SINGLE_OBJECT_HEADER_LENGTH) {
      throw new DeserializationError(
        `topic ${topic}: truncated Avro single-object header: expected ${SINGLE_OBJECT_HEADER_LENGTH} bytes, saw ${data.length} (${describeBytes(data, 16)})`,
      );
    }
    return 'single-object';
  }
  if (first === CONFLUENT_MAGIC) {
    if (data.length < CONFLUENT_HEADER_LENGTH) {
      throw new DeserializationError(
        `topic ${topic}: truncated Confluent header: expected ${CONFLUENT_HEADER_LENGTH} bytes, saw ${data.length} (${describeBytes(data, 16)})`,
      );
    }
    return 'confluent';
  }
  if (first === undefined) {
    throw new DeserializationError(`topic ${topic}: expected an Avro record, saw an empty payload`);
  }
  throw new DeserializationError(
    `topic ${topic}: expected an Avro record starting C3 01 (single-object) or 00 (Confluent), saw ${describeBytes(data, 8)}`,
  );
}

/** Up to `max` leading bytes as spaced hex, with "…" when there are more. For messages only. */
export function describeBytes(data: Buffer, max: number): string {
  const shown = data.subarray(0, max).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
  return data.length > max ? `${shown} … (${data.length} bytes)` : shown === '' ? '(no bytes)' : shown;
}

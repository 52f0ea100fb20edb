import { DeserializationError, SerializationError } from '../errors.js';
import type { Serde } from './serde.js';

/**
 * Signed 64-bit integers as 8 big-endian bytes, the layout of Kafka's LongSerializer, so counts
 * written here read the same from Java tools. Values are `bigint` because a JS number cannot
 * hold every long. A `null` payload (tombstone) maps to `null` both ways.
 */
export const int64Serde: Serde<bigint> = {
  serialize(topic: string, value: bigint): Buffer {
    if ((value as bigint | null) === null) return null as unknown as Buffer;
    if (typeof value !== 'bigint' || BigInt.asIntN(64, value) !== value) {
      throw new SerializationError(`topic ${topic}: expected a bigint in the signed 64-bit range, saw ${String(value)}`);
    }
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeBigInt64BE(value, 0);
    return bytes;
  },
  deserialize(topic: string, data: Buffer): bigint {
    if ((data as Buffer | null) === null) return null as unknown as bigint;
    if (data.length !== 8) {
      throw new DeserializationError(`topic ${topic}: expected 8 bytes for a 64-bit integer, saw ${data.length}`);
    }
    return data.readBigInt64BE(0);
  },
};

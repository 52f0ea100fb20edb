import { DeserializationError, SerializationError } from '../errors.js';
import type { Serde } from './serde.js';

/**
 * JSON as UTF-8 text. The type parameter is the caller's promise about the shape: nothing is
 * validated beyond "is JSON", so use it for internal or loosely-typed topics and Avro for
 * contracts. A `null` payload (tombstone) maps to `null` both ways.
 */
export function jsonSerde<T>(): Serde<T> {
  return {
    serialize(topic: string, value: T): Buffer {
      if (value === null) return null as unknown as Buffer;
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        // Cycles and bigint values land here.
        throw new SerializationError(`topic ${topic}: value is not JSON-serializable: ${String(cause)}`, { cause });
      }
      if (text === undefined) {
        throw new SerializationError(`topic ${topic}: expected a JSON value, saw ${typeof value}`);
      }
      return Buffer.from(text, 'utf8');
    },
    deserialize(topic: string, data: Buffer): T {
      if ((data as Buffer | null) === null) return null as T;
      try {
        return JSON.parse(data.toString('utf8')) as T;
      } catch (cause) {
        const preview = data.subarray(0, 32).toString('utf8');
        throw new DeserializationError(
          `topic ${topic}: expected JSON, saw ${data.length} bytes starting ${JSON.stringify(preview)}`,
          { cause },
        );
      }
    },
  };
}

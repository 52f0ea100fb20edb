import type { Serde } from './serde.js';

/**
 * Raw bytes, passed through as they are (no copy): what a dead-letter sink or a byte-level
 * store uses. The caller must not mutate a buffer after handing it over.
 */
export const bufferSerde: Serde<Buffer> = {
  serialize(_topic: string, value: Buffer): Buffer {
    return value;
  },
  deserialize(_topic: string, data: Buffer): Buffer {
    return data;
  },
};

import type { Serde } from './serde.js';

/**
 * UTF-8 strings, the engine's key serde (DESIGN §3: keys are UTF-8 strings). Like Kafka's
 * StringDeserializer it does not validate: invalid UTF-8 decodes with replacement characters.
 * A `null` payload (tombstone) maps to `null` both ways.
 */
export const stringSerde: Serde<string> = {
  serialize(_topic: string, value: string): Buffer {
    if ((value as string | null) === null) return null as unknown as Buffer;
    return Buffer.from(value, 'utf8');
  },
  deserialize(_topic: string, data: Buffer): string {
    if ((data as Buffer | null) === null) return null as unknown as string;
    return data.toString('utf8');
  },
};

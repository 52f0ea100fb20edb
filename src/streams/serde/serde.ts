import type { Headers } from '../processor/record.js';

/**
 * Turns values into bytes and back. `topic` lets a serde pick a schema per topic; `headers` let
 * it read or add framing hints. Throw `SerializationError` / `DeserializationError` on bad input.
 * A `null` payload is a tombstone and maps to `null`.
 */
export interface Serde<T> {
  serialize(topic: string, value: T, headers?: Headers): Buffer;
  deserialize(topic: string, data: Buffer, headers?: Headers): T;
  /**
   * Optional. Makes ready what `deserialize` will need for these payloads (e.g. writer schemas
   * fetched from a schema registry), so decoding stays synchronous. Answers `undefined` when
   * nothing is missing: a runtime awaits it at most once per batch, and only when it must.
   */
  prefetch?(topic: string, payloads: Iterable<Buffer | null | undefined>): Promise<void> | undefined;
}

import { DeserializationError } from '../errors.js';

/**
 * Why a Confluent schema id could not be used: not fetched yet (a registry is configured, so
 * `await serde.prefetch(topic, payloads)` and decode again), no registry configured, or the
 * registry has no such id (the record cannot be read and goes to the deserialization handler).
 */
export type UnknownSchemaIdReason = 'not-fetched' | 'no-registry' | 'not-in-registry';

/** A Confluent-framed record names a schema id whose writer schema is not available. */
export class UnknownSchemaIdError extends DeserializationError {
  constructor(
    readonly topic: string,
    readonly schemaId: number,
    readonly reason: UnknownSchemaIdReason,
  ) {
    super(`topic ${topic}: Confluent-framed record names schema id ${schemaId}, ${REASONS[reason]}`);
  }

  /** True when fetching the id from the registry may let the record decode. */
  get fetchable(): boolean {
    return this.reason === 'not-fetched';
  }
}

const REASONS: Readonly<Record<UnknownSchemaIdReason, string>> = {
  'not-fetched': 'which is not cached yet; await serde.prefetch(topic, payloads) before deserializing the batch',
  'no-registry': 'but this serde has no schema registry to look it up; build the AvroSerde with a registry client',
  'not-in-registry': 'which the schema registry does not have (deleted subject, or another registry wrote it)',
};

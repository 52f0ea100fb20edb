import { DeserializationError } from '../errors.js';

/**
 * A Confluent-framed record names a schema id whose writer schema is not cached. With a
 * registry configured, the runtime can `await serde.prefetch(topic, payloads)` and decode
 * again; without one the record cannot be read and goes to the deserialization handler.
 */
export class UnknownSchemaIdError extends DeserializationError {
  constructor(
    readonly topic: string,
    readonly schemaId: number,
    /** True when a registry is configured, so fetching the id may let the record decode. */
    readonly fetchable: boolean,
  ) {
    super(
      fetchable
        ? `topic ${topic}: Confluent-framed record names schema id ${schemaId}, which is not cached yet; await serde.prefetch(topic, payloads) before deserializing the batch`
        : `topic ${topic}: Confluent-framed record names schema id ${schemaId}, but this serde has no schema registry to look it up; build the AvroSerde with a registry client`,
    );
  }
}

/**
 * Serdes: how keys and values become bytes and back. Plain ones (UTF-8 strings, JSON, raw
 * bytes, 64-bit integers) and Avro with avsc: a schema catalog loaded from `.avsc` files,
 * single-object encoding with CRC-64-AVRO fingerprints, Confluent schema-registry framing, and
 * Avro schema resolution so readers can run ahead of writers.
 */
export type { Serde } from './serde.js';
export { stringSerde } from './string-serde.js';
export { bufferSerde } from './buffer-serde.js';
export { int64Serde } from './int64-serde.js';
export { jsonSerde } from './json-serde.js';
export { AvroSerde } from './avro-serde.js';
export type { AvroSerdeOptions } from './avro-serde.js';
export { AvroSchemaCatalog } from './avro-schema-catalog.js';
export type { AvroSchemaCatalogOptions, AvroSchemaEntry, AvroTypeOptions } from './avro-schema-catalog.js';
export type { AvroFraming } from './avro-framing.js';
export { UnknownSchemaIdError } from './unknown-schema-id-error.js';
export type { UnknownSchemaIdReason } from './unknown-schema-id-error.js';
export { parsingCanonicalForm } from './canonical-form.js';
export { CRC64_AVRO_EMPTY, fingerprintToBytes, fingerprintToHex, rabinFingerprint64 } from './rabin-fingerprint.js';

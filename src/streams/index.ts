/**
 * notify-streams' stream engine: a Kafka Streams-style processor library on librdkafka.
 * It knows Kafka, topologies, tasks, stores, serdes and time; nothing of notifications.
 *
 * Start with `Topology` (what to run), `KafkaStreams` (run it on a cluster) and
 * `TopologyTestDriver` (run it in a test).
 */
export { Record } from './processor/index.js';
export type { Headers, RecordMetadata, Processor, ProcessorSupplier, ProcessorContext, PunctuationType, Punctuator, Cancellable } from './processor/index.js';
export { Topology } from './topology/index.js';
export type { SourceOptions, SinkOptions, Partitioner, SubTopology } from './topology/index.js';
export { Stores, NOT_CACHED, readThen } from './state/index.js';
export type { StateStore, KeyValueStore, KeyValue, NotCached, WindowStore, WindowedValue, WindowedKeyValue, StoreBuilder } from './state/index.js';
export { stringSerde, jsonSerde, bufferSerde, int64Serde, AvroSerde, AvroSchemaCatalog } from './serde/index.js';
export type { Serde } from './serde/index.js';
export { KafkaStreams, WorkerStreams, changelogTopicName, continueOnError, failOnError, DEAD_LETTER_HEADERS } from './runtime/index.js';
export type { ExceptionHandler, FailedRecord, HandlerResponse, StreamsState, StreamsWorkerContext, StreamsWorkerModule, WorkerStreamsOptions } from './runtime/index.js';
export { KafkaAdmin } from './kafka/index.js';
export type { TopicSpec } from './kafka/index.js';
export { TopologyTestDriver } from './testing/index.js';
export type { TopologyTestDriverOptions } from './testing/index.js';
export { resolveStreamsConfig } from './config.js';
export type { StreamsConfig, ProcessingGuarantee, StreamsLogger } from './config.js';
export type { MemoryConfig } from './memory-config.js';
export type { RocksDbOptions, RocksDbConfigSetter } from './state/index.js';
export {
  StreamsError,
  TopologyError,
  StreamsConfigError,
  IllegalStateError,
  DeserializationError,
  SerializationError,
  ProcessingError,
  ProductionError,
  StoreArgumentError,
  StoreError,
  TaskMigratedError,
  TaskCorruptedError,
  KafkaError,
  isInfrastructureFailure,
} from './errors.js';
export type { StreamsErrorCode } from './errors.js';

/**
 * The runtime: runs a topology on a Kafka cluster (stream threads, tasks, restore, commit) and
 * the exception handlers that decide what happens to a failed record.
 */
export { KafkaStreams } from './kafka-streams.js';
export type { KafkaStreamsOptions, StreamsState } from './kafka-streams.js';
export { WorkerStreams } from './worker-streams.js';
export type { StreamsWorkerContext, StreamsWorkerModule, WorkerService, WorkerStreamsOptions } from './worker-streams.js';
export { changelogTopicName } from './state-manager.js';
export { continueOnError, failOnError, deadLetterHeaders, DEAD_LETTER_HEADERS } from './exception-handlers.js';
export type { ExceptionHandler, FailedRecord, FailureStage, HandlerResponse, RawRecord } from './exception-handlers.js';

import type { Registry } from 'prom-client';
import { StreamsConfigError } from './errors.js';
import { resolveMemoryConfig, type MemoryConfig, type ResolvedMemoryConfig } from './memory-config.js';
import type { ExceptionHandler } from './runtime/exception-handlers.js';
import { continueOnError, failOnError } from './runtime/exception-handlers.js';

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once_v2';

/** Minimal structured logger; pino fits it. */
export interface StreamsLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: StreamsLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What the runtime is told. Only `applicationId` and `bootstrapServers` are required. */
export interface StreamsConfig {
  /** Consumer group id, transactional id prefix and changelog topic prefix. */
  readonly applicationId: string;
  readonly bootstrapServers: string;
  readonly processingGuarantee?: ProcessingGuarantee;
  /** How often offsets are committed. Default 1000 ms (at-least-once) or 100 ms (exactly-once). */
  readonly commitIntervalMs?: number;
  /** Root of local state (RocksDB, checkpoints). Default `./.state`. */
  readonly stateDir?: string;
  /** Records asked of the consumer per poll. Default 2000. */
  readonly maxPollRecords?: number;
  /**
   * A topic-partition is paused once this many of its records wait unprocessed, and resumed at
   * half. Pausing drops what the client had prefetched for the partition, so a lower value lets
   * a high-weight topic through sooner under a backlog, at the cost of refetching (measured:
   * 1000 cut passthrough throughput to a quarter). Default 4000.
   */
  readonly bufferedRecordsPerPartition?: number;
  /**
   * Records processed per turn of the poll loop, shared among the tasks that have work, before
   * the loop consumes again, runs wall-clock punctuators and commits. Short turns keep the
   * latency of a high-weight topic low while another holds a backlog; longer turns batch more
   * state reads per task and loop less. Default 3000: a turn of the notification topology then
   * takes ~0.2 s; against 1000 it measured 11% more requests/s and a critical request's p99
   * behind a bulk backlog 481 ms instead of 345 ms (bench/notify/RESULTS.md).
   */
  readonly recordsPerTurn?: number;
  /**
   * Where `continue` handlers send failed records, with Kafka Streams' `__streams.errors.*`
   * headers (KIP-1034). The topic must exist. Setting it makes every handler default to
   * `continue`: a record that cannot be read, processed or produced is dead-lettered and the
   * task goes on. Without it every handler defaults to `fail`.
   */
  readonly deadLetterTopic?: string | null;
  /**
   * Largest dead-letter record, key, value and headers together. A failed record larger than
   * this is dead-lettered without its value (then without its key and headers), with a header
   * saying how many bytes were left out. Default 900,000: under the producer's
   * `message.max.bytes` (1,000,000) and the broker's default topic limit.
   */
  readonly deadLetterMaxBytes?: number;
  readonly deserializationHandler?: ExceptionHandler | 'fail' | 'continue';
  readonly processingHandler?: ExceptionHandler | 'fail' | 'continue';
  readonly productionHandler?: ExceptionHandler | 'fail' | 'continue';
  /** Replication factor of changelog topics the runtime creates. Default 1. */
  readonly replicationFactor?: number;
  /** How often checkpoint files are written under at-least-once. Default 10 s. */
  readonly checkpointIntervalMs?: number;
  readonly sessionTimeoutMs?: number;
  /**
   * Readiness: the application counts as not ready once no broker has answered for this long
   * (it asks every 2 s), or its commits have failed for this long. Default 10 s.
   */
  readonly kafkaUnreachableAfterMs?: number;
  /** Under exactly-once, how long a crashed member's open transaction blocks readers. Default 10 s. */
  readonly transactionTimeoutMs?: number;
  /** Passed to librdkafka as is, for every client (SASL, SSL, client.id…). */
  readonly clientConfig?: Readonly<Record<string, string | number | boolean>>;
  readonly consumerConfig?: Readonly<Record<string, string | number | boolean>>;
  readonly producerConfig?: Readonly<Record<string, string | number | boolean>>;
  /**
   * One total for the native memory the engine sizes: RocksDB memtables and block caches of
   * every store, and the Kafka clients' queues of every stream thread (see {@link MemoryConfig}).
   * `consumerConfig` / `producerConfig` still win over the sizes it chooses for the clients.
   */
  readonly memory?: MemoryConfig;
  readonly metrics?: Registry | null;
  readonly logger?: StreamsLogger;
}

/** See {@link StreamsConfig.deadLetterMaxBytes}. */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 900_000;

export interface ResolvedStreamsConfig extends Required<Omit<StreamsConfig, 'deserializationHandler' | 'processingHandler' | 'productionHandler' | 'memory'>> {
  readonly memory: ResolvedMemoryConfig;
  readonly deserializationHandler: ExceptionHandler;
  readonly processingHandler: ExceptionHandler;
  readonly productionHandler: ExceptionHandler;
}

function handler(key: string, h: StreamsConfig['processingHandler']): ExceptionHandler {
  if (h === undefined || h === 'fail') return failOnError;
  if (h === 'continue') return continueOnError;
  if (typeof h === 'function') return h;
  throw new StreamsConfigError(key, `expected 'fail', 'continue' or a function, got ${JSON.stringify(h)}`);
}

function positiveInt(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new StreamsConfigError(key, `expected a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Fills defaults and checks every value; a bad one throws `StreamsConfigError` naming the key.
 * `threads` is the number of stream threads that share the memory total's Kafka client part.
 */
export function resolveStreamsConfig(c: StreamsConfig, threads = 1): ResolvedStreamsConfig {
  if (!c.applicationId || !/^[a-zA-Z0-9._-]+$/.test(c.applicationId)) {
    throw new StreamsConfigError('applicationId', 'required; letters, digits, ".", "_" and "-" only (it prefixes topic names)');
  }
  if (!c.bootstrapServers) throw new StreamsConfigError('bootstrapServers', 'required, e.g. 127.0.0.1:9092');
  const guarantee = c.processingGuarantee ?? 'at_least_once';
  if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once_v2') {
    throw new StreamsConfigError('processingGuarantee', `expected at_least_once or exactly_once_v2, got ${JSON.stringify(guarantee)}`);
  }
  return {
    applicationId: c.applicationId,
    bootstrapServers: c.bootstrapServers,
    processingGuarantee: guarantee,
    commitIntervalMs: positiveInt('commitIntervalMs', c.commitIntervalMs, guarantee === 'exactly_once_v2' ? 100 : 1000),
    stateDir: c.stateDir ?? './.state',
    maxPollRecords: positiveInt('maxPollRecords', c.maxPollRecords, 2000),
    bufferedRecordsPerPartition: positiveInt('bufferedRecordsPerPartition', c.bufferedRecordsPerPartition, 4000),
    recordsPerTurn: positiveInt('recordsPerTurn', c.recordsPerTurn, 3000),
    deadLetterTopic: c.deadLetterTopic ?? null,
    deadLetterMaxBytes: positiveInt('deadLetterMaxBytes', c.deadLetterMaxBytes, DEFAULT_DEAD_LETTER_MAX_BYTES),
    deserializationHandler: handler('deserializationHandler', c.deserializationHandler ?? (c.deadLetterTopic ? 'continue' : 'fail')),
    processingHandler: handler('processingHandler', c.processingHandler ?? (c.deadLetterTopic ? 'continue' : 'fail')),
    productionHandler: handler('productionHandler', c.productionHandler ?? (c.deadLetterTopic ? 'continue' : 'fail')),
    replicationFactor: positiveInt('replicationFactor', c.replicationFactor, 1),
    checkpointIntervalMs: positiveInt('checkpointIntervalMs', c.checkpointIntervalMs, 10_000),
    sessionTimeoutMs: positiveInt('sessionTimeoutMs', c.sessionTimeoutMs, 10_000),
    kafkaUnreachableAfterMs: positiveInt('kafkaUnreachableAfterMs', c.kafkaUnreachableAfterMs, 10_000),
    transactionTimeoutMs: positiveInt('transactionTimeoutMs', c.transactionTimeoutMs, 10_000),
    clientConfig: c.clientConfig ?? {},
    consumerConfig: c.consumerConfig ?? {},
    producerConfig: c.producerConfig ?? {},
    memory: resolveMemoryConfig(c.memory, threads),
    metrics: c.metrics ?? null,
    logger: c.logger ?? silentLogger,
  };
}

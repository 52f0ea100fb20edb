/**
 * Engine errors. One root class with a machine-readable `code`; subclasses say what the runtime
 * does next. Match on `instanceof` or `code`, never on message text.
 */
export type StreamsErrorCode =
  | 'TOPOLOGY_INVALID'
  | 'CONFIG_INVALID'
  | 'ILLEGAL_STATE'
  | 'SERIALIZATION'
  | 'DESERIALIZATION'
  | 'PROCESSING'
  | 'PRODUCTION'
  | 'STORE'
  | 'TASK_MIGRATED'
  | 'TASK_CORRUPTED'
  | 'KAFKA';

export class StreamsError extends Error {
  readonly code: StreamsErrorCode;
  /** True when retrying the same operation may succeed (e.g. a broker briefly unreachable). */
  readonly retriable: boolean;

  constructor(code: StreamsErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** The topology is wrong (unknown node, store or parent; cycle; no source). Fix the topology. */
export class TopologyError extends StreamsError {
  constructor(message: string) {
    super('TOPOLOGY_INVALID', message);
  }
}

/** A configuration value is missing or invalid; `key` names it. Startup stops. */
export class StreamsConfigError extends StreamsError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super('CONFIG_INVALID', `${key}: ${message}`);
  }
}

/** A lifecycle moved somewhere it may not (a bug, or use after close). */
export class IllegalStateError extends StreamsError {
  constructor(message: string) {
    super('ILLEGAL_STATE', message);
  }
}

/** Bytes could not be turned into a value. The deserialization handler decides: fail or dead-letter. */
export class DeserializationError extends StreamsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('DESERIALIZATION', message, options);
  }
}

/** A value could not be turned into bytes. The production handler decides: fail or dead-letter. */
export class SerializationError extends StreamsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SERIALIZATION', message, options);
  }
}

/** User processor code threw. The processing handler decides: fail or dead-letter. */
export class ProcessingError extends StreamsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('PROCESSING', message, options);
  }
}

/**
 * A record could not be produced because of what it is, not because of the broker: larger than
 * the producer or the topic accepts, or refused by the broker as invalid. The production
 * handler decides: fail, or dead-letter the input record and go on.
 */
export class ProductionError extends StreamsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('PRODUCTION', message, options);
  }
}

/**
 * A processor handed a store something no store can hold: an empty key, or a null value to
 * `put`. A fault of the record (or the code) at hand, not of the store: the processing handler
 * decides, as for any other processing failure.
 */
export class StoreArgumentError extends StreamsError {
  constructor(message: string) {
    super('PROCESSING', message);
  }
}

/** A state store failed to read or write. The task is closed; its state is restored on restart. */
export class StoreError extends StreamsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('STORE', message, options);
  }
}

/** Another member owns the task now (fenced producer, lost partition). Close it dirty and rejoin. */
export class TaskMigratedError extends StreamsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TASK_MIGRATED', message, options);
  }
}

/** Local state cannot be trusted (e.g. changelog offset out of range). Wipe it and restore. */
export class TaskCorruptedError extends StreamsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TASK_CORRUPTED', message, options);
  }
}

/**
 * True for failures of the machinery rather than of one record: a store, the broker, a bug,
 * a task that moved. They never reach a record's exception handler.
 */
export function isInfrastructureFailure(err: unknown): boolean {
  if (!(err instanceof StreamsError)) return false;
  switch (err.code) {
    case 'STORE':
    case 'KAFKA':
    case 'ILLEGAL_STATE':
    case 'TASK_MIGRATED':
    case 'TASK_CORRUPTED':
    case 'TOPOLOGY_INVALID':
    case 'CONFIG_INVALID':
      return true;
    default:
      return false;
  }
}

/** The Kafka client reported an error; `retriable` says whether the client will recover. */
export class KafkaError extends StreamsError {
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super('KAFKA', message, options);
  }
}

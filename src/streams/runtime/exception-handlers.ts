import type { Headers } from '../processor/record.js';

/** What the runtime does with a record that failed: stop the task, or dead-letter it and go on. */
export type HandlerResponse = 'fail' | 'continue';

/** Where in the data path a record failed; written to the dead-letter headers. */
export type FailureStage = 'deserialize' | 'process' | 'serialize' | 'produce';

/** The raw input record as consumed. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

export interface FailedRecord {
  readonly stage: FailureStage;
  readonly error: Error;
  /** The input record whose processing failed (null when a punctuator failed). */
  readonly record: RawRecord | null;
  /** The processor or sink node where it failed. */
  readonly node: string;
}

/**
 * Decides per failure. Infrastructure failures (broker, disk) never reach a handler: they stop
 * the task. Only record-level failures do.
 */
export type ExceptionHandler = (failure: FailedRecord) => HandlerResponse;

export const failOnError: ExceptionHandler = () => 'fail';
export const continueOnError: ExceptionHandler = () => 'continue';

/**
 * Header names of a dead-letter record. The first six are Kafka Streams' own (KIP-1034), so
 * tools written for a Kafka Streams dead-letter topic read ours; the others add what we know
 * besides.
 */
export const DEAD_LETTER_HEADERS = {
  /** The error's class name. */
  errorClass: '__streams.errors.exception',
  /** The error's message. */
  error: '__streams.errors.message',
  /** The error's stack trace (cut to a few kilobytes). */
  stackTrace: '__streams.errors.stacktrace',
  /** Where the input record was read: topic, partition, offset. */
  topic: '__streams.errors.topic',
  partition: '__streams.errors.partition',
  offset: '__streams.errors.offset',
  /** Where it failed: deserialize, process, serialize or produce; and in which node. */
  stage: '__streams.errors.stage',
  node: '__streams.errors.processor.node.id',
  /** The task that dead-lettered it, e.g. `0_3`. */
  taskId: '__streams.errors.task.id',
  /** Set when the record's value (or key and headers too) did not fit: the bytes left out. */
  omitted: '__streams.errors.payload.omitted.bytes',
  /** For a record the broker refused after it was produced: the topic it was meant for. */
  outputTopic: '__streams.errors.output.topic',
} as const;

const MAX_MESSAGE_CHARS = 2_000;
const MAX_STACK_CHARS = 8_000;

/** The dead-letter headers of a failure: the input record's own headers plus the failure's. */
export function deadLetterHeaders(failure: FailedRecord, taskId?: string): Headers {
  const r = failure.record;
  const h: { [name: string]: Buffer } = { ...(r?.headers ?? {}) };
  h[DEAD_LETTER_HEADERS.errorClass] = Buffer.from(failure.error.name);
  h[DEAD_LETTER_HEADERS.error] = Buffer.from(failure.error.message.slice(0, MAX_MESSAGE_CHARS));
  h[DEAD_LETTER_HEADERS.stackTrace] = Buffer.from((failure.error.stack ?? '').slice(0, MAX_STACK_CHARS));
  h[DEAD_LETTER_HEADERS.stage] = Buffer.from(failure.stage);
  h[DEAD_LETTER_HEADERS.node] = Buffer.from(failure.node);
  if (taskId !== undefined) h[DEAD_LETTER_HEADERS.taskId] = Buffer.from(taskId);
  if (r) {
    h[DEAD_LETTER_HEADERS.topic] = Buffer.from(r.topic);
    h[DEAD_LETTER_HEADERS.partition] = Buffer.from(String(r.partition));
    h[DEAD_LETTER_HEADERS.offset] = Buffer.from(String(r.offset));
  }
  return h;
}

/** A record for the dead-letter topic. */
export interface DeadLetterRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

function headersBytes(headers: Headers): number {
  let n = 0;
  for (const name in headers) n += name.length + headers[name]!.length + 8;
  return n;
}

/**
 * The dead-letter record of a failure, made to fit in `maxBytes` (key, value and headers
 * together): a record too large for its output is often too large for the dead-letter topic
 * too. What does not fit is left out — first the value, then the original headers and the key —
 * and `__streams.errors.payload.omitted.bytes` says how many bytes; the topic, partition and
 * offset headers still point at the original, which its input topic keeps for its retention.
 */
export function deadLetterRecord(failure: FailedRecord, maxBytes: number, taskId?: string): DeadLetterRecord {
  const r = failure.record;
  const key = r?.key ?? null;
  const value = r?.value ?? null;
  const headers = deadLetterHeaders(failure, taskId);
  const keyBytes = key?.length ?? 0;
  const valueBytes = value?.length ?? 0;
  if (keyBytes + valueBytes + headersBytes(headers) <= maxBytes) return { key, value, headers };
  const withoutValue = { ...headers, [DEAD_LETTER_HEADERS.omitted]: Buffer.from(String(valueBytes)) };
  if (keyBytes + headersBytes(withoutValue) <= maxBytes) return { key, value: null, headers: withoutValue };
  // Only the failure's own headers, which are bounded: the key and the input's headers go too.
  const own = deadLetterHeaders({ ...failure, record: r ? { ...r, headers: {} } : null }, taskId);
  const dropped = keyBytes + valueBytes + headersBytes(headers) - headersBytes(own);
  return { key: null, value: null, headers: { ...own, [DEAD_LETTER_HEADERS.omitted]: Buffer.from(String(dropped)) } };
}

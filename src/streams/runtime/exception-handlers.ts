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

/** Header names of a dead-letter record, so consumers of the dead-letter topic can rely on them. */
export const DEAD_LETTER_HEADERS = {
  error: 'dlq.error',
  errorClass: 'dlq.error.class',
  stage: 'dlq.stage',
  node: 'dlq.node',
  topic: 'dlq.topic',
  partition: 'dlq.partition',
  offset: 'dlq.offset',
} as const;

/** Builds the headers of a dead-letter record: the original headers plus the failure. */
export function deadLetterHeaders(failure: FailedRecord): Headers {
  const r = failure.record;
  const h: { [name: string]: Buffer } = { ...(r?.headers ?? {}) };
  h[DEAD_LETTER_HEADERS.error] = Buffer.from(failure.error.message.slice(0, 2000));
  h[DEAD_LETTER_HEADERS.errorClass] = Buffer.from(failure.error.name);
  h[DEAD_LETTER_HEADERS.stage] = Buffer.from(failure.stage);
  h[DEAD_LETTER_HEADERS.node] = Buffer.from(failure.node);
  if (r) {
    h[DEAD_LETTER_HEADERS.topic] = Buffer.from(r.topic);
    h[DEAD_LETTER_HEADERS.partition] = Buffer.from(String(r.partition));
    h[DEAD_LETTER_HEADERS.offset] = Buffer.from(String(r.offset));
  }
  return h;
}

import { KafkaError } from '../errors.js';

interface LibrdKafkaErrorLike {
  message?: string;
  code?: number;
  isRetriable?: boolean;
  isFatal?: boolean;
}

/** Wraps a librdkafka error in a `KafkaError` whose `retriable` the client decided. */
export function toKafkaError(what: string, err: unknown): KafkaError {
  const e = (err ?? {}) as LibrdKafkaErrorLike;
  return new KafkaError(`${what}: ${e.message ?? String(err)}${e.code !== undefined ? ` (code ${e.code})` : ''}`, {
    cause: err,
    retriable: e.isRetriable === true && e.isFatal !== true,
  });
}

/** Turns a node-style librdkafka call into a promise. */
export function call<T = void>(what: string, fn: (cb: (err: unknown, result?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, result) => (err ? reject(toKafkaError(what, err)) : resolve(result as T)));
  });
}

/**
 * Messages between {@link WorkerStreams} (the main process) and a stream-thread worker process
 * (`streams-worker.ts`). Everything here crosses the IPC channel, so it is plain data.
 */
import type { StreamsConfig } from '../config.js';
import type { StreamsState } from './kafka-streams.js';

/** What a worker is started with (its first message). */
export interface WorkerData {
  /** URL of the module whose `createTopology` builds the topology in the worker. */
  readonly module: string;
  readonly args: unknown;
  /** The engine configuration without the parts that cannot cross threads. */
  readonly config: StreamsConfig;
  readonly threadIndex: number;
  readonly threadCount: number;
}

/** An error as data: what a log line or `failure()` needs of it. */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
}

export type FromWorker =
  | { readonly type: 'started' }
  | { readonly type: 'start-failed'; readonly error: ErrorData }
  | { readonly type: 'status'; readonly state: StreamsState; readonly ready: boolean; readonly tasks: readonly string[]; readonly failure: ErrorData | null }
  | { readonly type: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly fields: object; readonly msg?: string | undefined }
  | { readonly type: 'call'; readonly id: number; readonly service: string; readonly payload: unknown }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: unknown }
  | { readonly type: 'closed' };

export type ToWorker =
  | { readonly type: 'init'; readonly data: WorkerData }
  | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: ErrorData }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'close' };

export function errorData(err: unknown): ErrorData {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

/** An Error again on the other side, with the original name and stack. */
export function fromErrorData(data: ErrorData): Error {
  const err = new Error(data.message);
  err.name = data.name;
  if (data.stack !== undefined) err.stack = data.stack;
  return err;
}

/** Log fields with their Error values turned into data (pino prints `err` as type, message, stack). */
export function cloneableFields(fields: object): object {
  const out: { [key: string]: unknown } = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}

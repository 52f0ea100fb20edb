import type { Record, RecordMetadata } from './record.js';
import type { StateStore } from '../state/state-store.js';

/**
 * A node of a topology. The runtime calls `init` once per task before any record, `process` for
 * every record in offset order, and `close` when the task closes.
 *
 * `process` may return a promise (for a store read that missed the cache); the task awaits it
 * before the next record of the same task, so per-key order holds. Returning `void` keeps the
 * hot path free of promise allocation: only await when a store read really needs it.
 */
export interface Processor<KIn, VIn, KOut = KIn, VOut = VIn> {
  init?(context: ProcessorContext<KOut, VOut>): void | Promise<void>;
  process(record: Record<KIn, VIn>): void | Promise<void>;
  /**
   * Optional: called with a whole polled batch before any of it is processed, so the processor
   * can warm its stores with one multi-get instead of one read per record.
   */
  prefetch?(records: readonly Record<KIn, VIn>[]): Promise<void>;
  /**
   * Optional: called at the start of every commit (and before a clean close). A processor that
   * buffers work — e.g. a batch of outgoing calls — finishes it here and may forward results,
   * so the commit covers everything its consumed offsets stand for.
   */
  flush?(): void | Promise<void>;
  /**
   * Optional: called after a commit went through, when everything the task did up to it —
   * outputs, store changes, consumed offsets — is durable. For work that must not happen before
   * its record of intent is durable (a call to the outside world that cannot be taken back):
   * write the intent to a store and ask for a commit (`context.commit()`); act here. What this
   * forwards or writes goes into the next commit.
   */
  afterCommit?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Builds one processor instance per task: tasks never share processor state. */
export type ProcessorSupplier<KIn, VIn, KOut = KIn, VOut = VIn> = () => Processor<KIn, VIn, KOut, VOut>;

/** Which clock a punctuator runs on. */
export type PunctuationType = 'STREAM_TIME' | 'WALL_CLOCK_TIME';

/** Called with the time (ms) of the clock it was scheduled on. May return a promise. */
export type Punctuator = (timestamp: number) => void | Promise<void>;

export interface Cancellable {
  cancel(): void;
}

/**
 * What a processor sees of its task. Valid from `init` until `close`.
 */
export interface ProcessorContext<KOut, VOut> {
  readonly applicationId: string;
  /** `<subtopology>_<partition>`, e.g. `0_3`. */
  readonly taskId: string;
  /** The input partition this task owns. */
  readonly partition: number;

  /** Sends a record to every child, or only to the named child. */
  forward<K extends KOut, V extends VOut>(record: Record<K, V>, childName?: string): void;

  /**
   * Runs `punctuator` every `intervalMs` on the given clock. Stream time advances only with
   * input records (the largest timestamp seen by the task); wall-clock time advances by itself
   * and is checked after each processed batch and on idle polls.
   */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;

  /** A store connected to this processor in the topology; throws `TopologyError` otherwise. */
  getStateStore<S extends StateStore>(name: string): S;

  /** Topic, partition and offset of the record being processed; `null` in a punctuator. */
  recordMetadata(): RecordMetadata | null;

  /** The task's stream time: the largest record timestamp seen so far (or -1). */
  currentStreamTimeMs(): number;

  /** The runtime's wall clock (the test driver's mock clock under test). */
  currentSystemTimeMs(): number;

  /** Asks the runtime to commit soon, at the next safe point. */
  commit(): void;
}

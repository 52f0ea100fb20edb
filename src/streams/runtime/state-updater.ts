import { IllegalStateError } from '../errors.js';
import type { StateStore } from '../state/state-store.js';
import type { ChangelogReader } from './changelog-reader.js';

/** A task whose stores are open and must catch up with their changelogs before it runs. */
export interface RestoringTask {
  readonly id: string;
  /** One entry per logged store: its changelog partition and the offset its local state has. */
  readonly changelogs: readonly { readonly store: StateStore; readonly topic: string; readonly partition: number; readonly fromOffset: number }[];
}

/** A task whose stores are all complete: it may be initialized and start processing. */
export interface RestoredTask {
  readonly id: string;
  readonly restoredRecords: number;
  /** From `add` to completion. */
  readonly ms: number;
}

/**
 * Restores the stores of new tasks beside processing, in the manner of Kafka Streams'
 * `StateUpdater`: the stream thread adds tasks as they are assigned and calls `restoreSlice`
 * between processing turns. Each slice reads the changelogs of all restoring tasks at once (one
 * restore consumer, see {@link ChangelogReader}) for at most a bounded time, so the thread's
 * running tasks keep processing, punctuating and committing, and its group consumer keeps being
 * polled, whatever the size of the state being restored.
 *
 * The updater owns no stores: the thread opens them before `add` and closes them after `remove`.
 */
export class StateUpdater {
  private readonly tasks = new Map<string, { readonly addedMs: number }>();

  constructor(
    private readonly reader: ChangelogReader,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Starts restoring a task's stores. Throws if the task is already restoring. */
  add(task: RestoringTask): void {
    if (this.tasks.has(task.id)) throw new IllegalStateError(`task ${task.id} is already restoring`);
    try {
      for (const c of task.changelogs) this.reader.register({ owner: task.id, ...c });
    } catch (err) {
      this.reader.unregister(task.id);
      throw err;
    }
    this.tasks.set(task.id, { addedMs: this.clock() });
  }

  has(taskId: string): boolean {
    return this.tasks.has(taskId);
  }

  /** True while some task is restoring (the thread should keep calling `restoreSlice`). */
  hasWork(): boolean {
    return this.tasks.size > 0;
  }

  /**
   * Stops restoring a task (closed or revoked mid-restore): its partitions leave the restore
   * consumer. Returns the changelog offset each of its stores reached (a valid checkpoint), or
   * null when the task was not restoring.
   */
  remove(taskId: string): Map<string, number> | null {
    if (!this.tasks.delete(taskId)) return null;
    return this.reader.unregister(taskId);
  }

  /**
   * Restores for about `budgetMs` (less when nothing more can be read now) and returns the tasks
   * that completed; they are no longer the updater's. Nothing is left in flight on return.
   */
  async restoreSlice(budgetMs: number): Promise<RestoredTask[]> {
    if (this.tasks.size === 0) return [];
    const now = this.clock();
    if (this.reader.hasWork()) await this.reader.restore(now + budgetMs);
    const done: RestoredTask[] = [];
    for (const [id, t] of this.tasks) {
      if (!this.reader.isCompleted(id)) continue;
      done.push({ id, restoredRecords: this.reader.restoredRecords(id), ms: this.clock() - t.addedMs });
    }
    for (const d of done) this.remove(d.id);
    return done;
  }

  /** Closes the restore consumer. Restoring tasks are dropped; their stores stay the thread's. */
  async close(): Promise<void> {
    this.tasks.clear();
    await this.reader.close();
  }
}

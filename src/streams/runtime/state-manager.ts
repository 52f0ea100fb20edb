import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { TopologyError } from '../errors.js';
import type { StoreMemoryBudget } from '../state/internals/store-memory-budget.js';
import type { ChangelogSink, StateStore } from '../state/state-store.js';
import type { SubTopology, Topology } from '../topology/topology.js';

/** The changelog topic of a store, named as Kafka Streams names it. */
export function changelogTopicName(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

export interface StateManagerOptions {
  readonly applicationId: string;
  readonly topology: Topology;
  readonly subTopology: SubTopology;
  readonly partition: number;
  readonly taskId: string;
  /** Root of all local state; this task's stores live in `<root>/<applicationId>/<taskId>/`. */
  readonly stateDir: string;
  readonly changelog: ChangelogSink;
  readonly metrics: Registry | null;
  readonly streamTime: () => number;
  /** The memory budget the task's stores take their share from (`StreamsConfig.memory`). */
  readonly memory?: StoreMemoryBudget;
}

const CHECKPOINT_FILE = '.checkpoint';

/**
 * Owns the stores of one task: builds and opens them, and keeps the checkpoint file that says up
 * to which changelog offset each store's local state is known to be complete.
 */
export class StateManager {
  readonly stores = new Map<string, StateStore>();
  readonly taskDir: string;

  constructor(private readonly options: StateManagerOptions) {
    this.taskDir = join(options.stateDir, options.applicationId, options.taskId);
  }

  /** Changelog topic per logged store of this task. */
  changelogTopics(): Map<string, string> {
    const result = new Map<string, string>();
    for (const store of this.stores.values()) {
      if (store.loggingEnabled) result.set(store.name, changelogTopicName(this.options.applicationId, store.name));
    }
    return result;
  }

  async open(): Promise<void> {
    const { topology, subTopology, applicationId, partition, taskId } = this.options;
    await mkdir(this.taskDir, { recursive: true });
    for (const name of subTopology.storeNames) {
      const builder = topology.storeBuilder(name);
      if (!builder) throw new TopologyError(`store "${name}" has no builder`);
      const store = builder.build();
      const storeDir = join(this.taskDir, name);
      await mkdir(storeDir, { recursive: true });
      await store.init({
        applicationId,
        taskId,
        partition,
        stateDir: storeDir,
        changelogTopic: builder.loggingEnabled ? changelogTopicName(applicationId, name) : null,
        changelog: this.options.changelog,
        metrics: this.options.metrics,
        currentStreamTimeMs: this.options.streamTime,
        rocksDbMemory: this.options.memory?.rocksDb,
        recordCacheBytes: this.options.memory?.recordCacheBytesPerStore(),
      });
      this.stores.set(name, store);
    }
  }

  /** Offsets (next to read) per store from the checkpoint file; empty when there is none. */
  async readCheckpoint(): Promise<Map<string, number>> {
    try {
      const text = await readFile(join(this.taskDir, CHECKPOINT_FILE), 'utf8');
      const parsed = JSON.parse(text) as Record<string, number>;
      return new Map(Object.entries(parsed).filter(([, v]) => Number.isInteger(v) && v >= 0));
    } catch {
      return new Map();
    }
  }

  /** Atomically replaces the checkpoint file (write to a temp file, then rename). */
  async writeCheckpoint(offsets: ReadonlyMap<string, number>): Promise<void> {
    const tmp = join(this.taskDir, `${CHECKPOINT_FILE}.tmp`);
    await writeFile(tmp, JSON.stringify(Object.fromEntries(offsets)));
    await rename(tmp, join(this.taskDir, CHECKPOINT_FILE));
  }

  /**
   * Under exactly-once the local state may hold writes of a transaction that never committed;
   * without a checkpoint the next start wipes it and restores from the changelog.
   */
  async deleteCheckpoint(): Promise<void> {
    await rm(join(this.taskDir, CHECKPOINT_FILE), { force: true });
  }

  async flush(): Promise<void> {
    for (const store of this.stores.values()) await store.flush();
  }

  async close(): Promise<void> {
    for (const store of this.stores.values()) {
      if (store.isOpen()) await store.close();
    }
    this.stores.clear();
  }

  /** Removes this task's local state, so the next open restores everything from changelogs. */
  async wipe(): Promise<void> {
    await this.close();
    await rm(this.taskDir, { recursive: true, force: true });
  }
}

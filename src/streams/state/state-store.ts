import type { Registry } from 'prom-client';
import type { RocksDbMemory } from './rocksdb-config.js';

/**
 * The lifecycle every store shares. The runtime owns it: it opens stores, restores them from
 * their changelogs, flushes them on commit and closes them with the task.
 */
export interface StateStore {
  readonly name: string;
  /** True when the state survives a process restart on local disk (RocksDB). */
  readonly persistent: boolean;
  /** True when the store writes a changelog topic and can be restored from it. */
  readonly loggingEnabled: boolean;
  init(context: StateStoreContext): Promise<void>;
  /** Applies changelog records during restore: bypasses caching and logging. */
  restoreBatch(records: readonly ChangelogRecord[]): Promise<void>;
  /** Writes cached entries through to the inner layers and the changelog. Called on commit. */
  flush(): Promise<void>;
  close(): Promise<void>;
  isOpen(): boolean;
}

/** One record of a changelog topic, as read during restore. `value` null is a tombstone. */
export interface ChangelogRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
  readonly timestamp: number;
}

/** Where the runtime sends a store's changelog writes. */
export interface ChangelogSink {
  /** Queues one changelog record (value null = tombstone) to the store's changelog partition. */
  send(topic: string, partition: number, key: Buffer, value: Buffer | null, timestamp: number): void;
}

/** What a store is given by its task on `init`. */
export interface StateStoreContext {
  readonly applicationId: string;
  readonly taskId: string;
  /** The task's input partition, which is also the store's changelog partition. */
  readonly partition: number;
  /** A folder owned by this store for this task (RocksDB files, filter snapshots). */
  readonly stateDir: string;
  /** `<applicationId>-<store>-changelog`, or null when logging is disabled. */
  readonly changelogTopic: string | null;
  readonly changelog: ChangelogSink;
  /** Where store metrics are registered; null disables store metrics. */
  readonly metrics: Registry | null;
  /** Stream time of the owning task, used by window stores to drop expired segments. */
  currentStreamTimeMs(): number;
  /**
   * The runtime's RocksDB memory budget (`StreamsConfig.memory`): a RocksDB store takes its share
   * when it opens and gives it back when it closes. Absent: the binding's defaults.
   */
  readonly rocksDbMemory?: RocksDbMemory;
  /**
   * The most the store's read cache may hold, in estimated bytes (keys, values and a fixed
   * per-entry overhead), from the runtime's memory budget; absent: bounded by entries only.
   */
  readonly recordCacheBytes?: number;
}

import type { RestoreConsumer, ChangelogMessage } from '../kafka/restore-consumer.js';
import type { TopicPartition, TopicPartitionOffset } from '../kafka/consumer.js';
import type { ChangelogRecord, StateStore } from '../state/state-store.js';
import { IllegalStateError, KafkaError } from '../errors.js';

/**
 * REGISTERED (end offset not yet known) → RESTORING (assigned to the restore consumer) →
 * COMPLETED; REGISTERED → COMPLETED directly when the store is already at the end.
 */
export type ChangelogState = 'REGISTERED' | 'RESTORING' | 'COMPLETED';

const ALLOWED: Readonly<Record<ChangelogState, readonly ChangelogState[]>> = {
  REGISTERED: ['RESTORING', 'COMPLETED'],
  RESTORING: ['COMPLETED'],
  COMPLETED: [],
};

/** One store's changelog partition to bring `store` up to date with. */
export interface ChangelogRegistration {
  /** Who the store belongs to (a task id): completion and removal are asked per owner. */
  readonly owner: string;
  readonly store: StateStore;
  readonly topic: string;
  readonly partition: number;
  /** First offset not yet in the store (its checkpoint; 0 for an empty store). */
  readonly fromOffset: number;
}

export interface ChangelogReaderOptions {
  /** Records taken from the restore consumer per call (default 10,000). */
  readonly maxPollRecords?: number;
  /** How long a call waits for the first record when none is fetched yet (default 20 ms). */
  readonly pollTimeoutMs?: number;
  /** Told each applied batch's size per store (restore progress metrics). */
  readonly onRestored?: (storeName: string, records: number) => void;
  readonly clock?: () => number;
}

class ChangelogPartition {
  state: ChangelogState = 'REGISTERED';
  /** Next offset to apply: everything before it is in the store. */
  position: number;
  /** End offset captured when the partition was assigned (-1 until then). */
  end = -1;
  restored = 0;

  constructor(readonly registration: ChangelogRegistration) {
    this.position = registration.fromOffset;
  }

  get key(): string {
    return `${this.registration.topic}:${this.registration.partition}`;
  }

  transition(to: ChangelogState): void {
    if (!ALLOWED[this.state].includes(to)) {
      throw new IllegalStateError(`changelog ${this.key} of store "${this.registration.store.name}": illegal restore transition ${this.state} → ${to}`);
    }
    this.state = to;
  }
}

/**
 * Reads changelogs into stores through one restore consumer that has all restoring changelog
 * partitions assigned at once, in the manner of Kafka Streams' `StoreChangelogReader`:
 *
 * - end offsets of newly registered partitions are fetched in one batched request; a store
 *   already at its end (empty changelog, or checkpoint at the end) completes with no read;
 * - the others are assigned together and read in bounded slices (`restore(deadline)`), each
 *   polled batch applied per store as one bulk write (`restoreBatch`), the next poll already
 *   under way while the writes run;
 * - a partition completes when its position reaches the end offset captured at assignment.
 *   Transaction markers occupy offsets but are never delivered, so the position comes from the
 *   consumer (`partition.eof` and `position()`), not only from the last record seen.
 *
 * Nothing is in flight between two `restore` calls, so registering and unregistering (a task
 * closed mid-restore) are safe at any time outside one.
 */
export class ChangelogReader {
  private readonly partitions = new Map<string, ChangelogPartition>();
  private readonly maxPollRecords: number;
  private readonly pollTimeoutMs: number;
  private readonly clock: () => number;
  private connected = false;

  constructor(
    private readonly consumer: RestoreConsumer,
    private readonly options: ChangelogReaderOptions = {},
  ) {
    this.maxPollRecords = options.maxPollRecords ?? 10_000;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 20;
    this.clock = options.clock ?? Date.now;
  }

  /** Adds a changelog partition to restore. Throws if the partition is already registered. */
  register(registration: ChangelogRegistration): void {
    const p = new ChangelogPartition(registration);
    if (this.partitions.has(p.key)) throw new IllegalStateError(`changelog ${p.key} is already being restored (store "${registration.store.name}")`);
    this.partitions.set(p.key, p);
  }

  /**
   * Forgets the owner's partitions (completed or not) and takes them from the restore consumer.
   * Returns the position reached per store: the checkpoint its local state now matches.
   */
  unregister(owner: string): Map<string, number> {
    const positions = new Map<string, number>();
    const unassign: TopicPartition[] = [];
    for (const [key, p] of this.partitions) {
      if (p.registration.owner !== owner) continue;
      positions.set(p.registration.store.name, p.position);
      if (p.state === 'RESTORING') unassign.push(p.registration);
      this.partitions.delete(key);
    }
    this.consumer.unassign(unassign);
    return positions;
  }

  /** True while some registered partition is not complete. */
  hasWork(): boolean {
    for (const p of this.partitions.values()) if (p.state !== 'COMPLETED') return true;
    return false;
  }

  /** True when every partition of the owner is complete (also when it registered none). */
  isCompleted(owner: string): boolean {
    for (const p of this.partitions.values()) if (p.registration.owner === owner && p.state !== 'COMPLETED') return false;
    return true;
  }

  /** Records applied so far to the owner's stores. */
  restoredRecords(owner: string): number {
    let n = 0;
    for (const p of this.partitions.values()) if (p.registration.owner === owner) n += p.restored;
    return n;
  }

  /**
   * Restores until `deadlineMs` (clock time) or until nothing is left that can be read right
   * now; returns with no read or write in flight.
   */
  async restore(deadlineMs: number): Promise<void> {
    if (!this.connected) {
      await this.consumer.connect();
      this.connected = true;
    }
    await this.assignRegistered();
    if (!this.anyRestoring()) return;
    let next: Promise<{ records: readonly ChangelogMessage[]; ends: readonly TopicPartitionOffset[] }> | null = this.consumer.consume(this.maxPollRecords, this.pollTimeoutMs);
    try {
      while (next !== null) {
        const batch = await next;
        next = null;
        const writes = this.apply(batch.records);
        // Read on while the stores write (RocksDB writes run on libuv's thread pool).
        if (batch.records.length > 0 && this.clock() < deadlineMs) next = this.consumer.consume(this.maxPollRecords, this.pollTimeoutMs);
        await writes;
        // `ends` were reported after the records of this batch: they are all applied now.
        for (const e of batch.ends) this.advance(e.topic, e.partition, e.offset);
        this.completeReached(next === null);
      }
    } finally {
      // A failed write leaves a poll running: let it settle before anyone touches the assignment.
      if (next !== null) await (next as Promise<unknown>).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.partitions.clear();
    if (!this.connected) return;
    this.connected = false;
    await this.consumer.close();
  }

  /** Fetches the end offsets of new partitions (one request) and assigns those with data to read. */
  private async assignRegistered(): Promise<void> {
    const fresh = [...this.partitions.values()].filter((p) => p.state === 'REGISTERED');
    if (fresh.length === 0) return;
    const ends = await this.consumer.endOffsets(fresh.map((p) => p.registration));
    const endOf = new Map(ends.map((e) => [`${e.topic}:${e.partition}`, e.offset]));
    const assign: TopicPartitionOffset[] = [];
    for (const p of fresh) {
      const end = endOf.get(p.key);
      if (end === undefined || end < 0) throw new KafkaError(`changelog ${p.key} of store "${p.registration.store.name}": the broker gave no end offset; check that topic ${p.registration.topic} exists`);
      p.end = end;
      // A checkpoint past the end (a changelog deleted and recreated) restores nothing, as before.
      if (p.position >= end) {
        p.transition('COMPLETED');
      } else {
        p.transition('RESTORING');
        assign.push({ topic: p.registration.topic, partition: p.registration.partition, offset: p.position });
      }
    }
    this.consumer.assign(assign);
  }

  private anyRestoring(): boolean {
    for (const p of this.partitions.values()) if (p.state === 'RESTORING') return true;
    return false;
  }

  /** Starts one bulk write per store for the records of its partition; resolves when all are done. */
  private apply(records: readonly ChangelogMessage[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const batches = new Map<ChangelogPartition, ChangelogRecord[]>();
    let current: ChangelogPartition | undefined;
    let currentBatch: ChangelogRecord[] | undefined;
    let topic = '';
    let partition = -1;
    for (const r of records) {
      if (r.partition !== partition || r.topic !== topic) {
        topic = r.topic;
        partition = r.partition;
        current = this.partitions.get(`${topic}:${partition}`);
        // Records of a partition no longer restoring (unregistered, or complete) are dropped.
        if (current?.state !== 'RESTORING') current = undefined;
        currentBatch = current ? batches.get(current) : undefined;
        if (current && !currentBatch) batches.set(current, (currentBatch = []));
      }
      if (!current || r.offset >= current.end) continue;
      current.position = r.offset + 1;
      // A changelog record without a key cannot belong to any store entry.
      if (r.key !== null) currentBatch!.push(r as ChangelogRecord);
    }
    const writes: Promise<void>[] = [];
    for (const [p, batch] of batches) {
      if (batch.length === 0) continue;
      p.restored += batch.length;
      this.options.onRestored?.(p.registration.store.name, batch.length);
      writes.push(p.registration.store.restoreBatch(batch));
    }
    return Promise.all(writes).then(() => undefined);
  }

  /** The consumer reached `offset` of a partition (its end, past any transaction marker). */
  private advance(topic: string, partition: number, offset: number): void {
    const p = this.partitions.get(`${topic}:${partition}`);
    if (p?.state === 'RESTORING' && offset > p.position) p.position = offset;
  }

  /**
   * Completes the partitions whose position reached their end and unassigns them. With no poll
   * in flight the consumer's own positions are asked too: they step over transaction markers.
   */
  private completeReached(askConsumer: boolean): void {
    const restoring = [...this.partitions.values()].filter((p) => p.state === 'RESTORING');
    if (askConsumer) {
      for (const pos of this.consumer.positions(restoring.map((p) => p.registration))) this.advance(pos.topic, pos.partition, pos.offset);
    }
    const done = restoring.filter((p) => p.position >= p.end);
    for (const p of done) p.transition('COMPLETED');
    this.consumer.unassign(done.map((p) => p.registration));
  }
}

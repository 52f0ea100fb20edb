import { randomUUID } from 'node:crypto';
import type { ResolvedStreamsConfig } from '../config.js';
import { StreamsError } from '../errors.js';
import type { KafkaAdmin } from '../kafka/admin.js';
import { clientMemorySettings } from '../kafka/client-memory.js';
import { GroupConsumer, type TopicPartition, type TopicPartitionOffset } from '../kafka/consumer.js';
import { STREAM_PRODUCER_DEFAULTS, StreamProducer, type RefusedRecord } from '../kafka/producer.js';
import { isAbortableTransactionError, isBrokerAwayError, isGroupRebalanceError } from '../kafka/promisify.js';
import type { SubTopology, Topology } from '../topology/topology.js';
import { KafkaRestoreConsumer } from '../kafka/restore-consumer.js';
import { ChangelogReader } from './changelog-reader.js';
import { DEAD_LETTER_HEADERS, deadLetterRecord, type FailedRecord, type RawRecord } from './exception-handlers.js';
import type { RecordCollector } from './record-collector.js';
import { StateManager } from './state-manager.js';
import { StateUpdater } from './state-updater.js';
import { StreamTask } from './stream-task.js';
import type { StreamsMetrics } from './task-metrics.js';

/** How long a commit waits for the producer's acknowledgements before it counts Kafka as away. */
const FLUSH_TIMEOUT_MS = 10_000;
/** The longest pause between two tries of a commit, a revive or a new producer while Kafka is away. */
const MAX_RETRY_PAUSE_MS = 5_000;

/** CREATED → STARTING → RUNNING → PENDING_SHUTDOWN → DEAD; ERROR when it failed. */
export type ThreadState = 'CREATED' | 'STARTING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'DEAD' | 'ERROR';

/** A consume in flight; `done` turns true when `result` settles. */
interface PendingConsume {
  done: boolean;
  readonly result: Promise<RawRecord[]>;
}

interface OwnedTask {
  readonly sub: SubTopology;
  readonly task: StreamTask;
  readonly state: StateManager;
  /** The partitions this task reads: its sub-topology's source topics at its partition. */
  readonly partitions: TopicPartition[];
  /** True once its stores caught up with their changelogs and the task was initialized. */
  restored: boolean;
}

/**
 * Longest a restore slice keeps the loop (ms), so that running tasks still process, punctuate
 * and commit on time while large stores restore; capped by the commit interval.
 */
const RESTORE_SLICE_MS = 100;

/**
 * One stream thread: a group consumer, a producer and the tasks of the partitions assigned to it.
 *
 * Co-partitioning under the cooperative protocol: the group assigns only each sub-topology's
 * first source topic (its "leader"); the thread then assigns itself the same partition of the
 * sub-topology's other source topics. A task's partitions therefore always move together, which
 * the cooperative-sticky assignor alone would not guarantee.
 */
export class StreamThread {
  private threadState: ThreadState = 'CREATED';
  private readonly consumer: GroupConsumer;
  /**
   * Reads the source topics of lower weight (bulk lanes) through a queue of their own, so that
   * what the client prefetched of them never waits in front of a high-weight topic's records.
   * Assigned by hand, following the group's assignment of the sub-topology's leader topic.
   */
  private readonly lowWeight: GroupConsumer | null;
  private readonly lowWeightTopics = new Set<string>();
  private producer: StreamProducer;
  /** Whether the producer sends one record per batch (after a refused batch; see newProducer). */
  private isolating = false;
  /** True during the commit that takes what `afterCommit` did (see commit, step 4). */
  private settling = false;
  /** Refusals recovered from since the last successful commit. */
  private refusalRecoveries = 0;
  /** Whether the group gave this thread an assignment (possibly empty) it still holds. */
  private hasAssignment = false;
  /** When commits started failing because Kafka was away; null while it answers. */
  private brokerAwaySince: number | null = null;
  private retryPauseMs = 0;
  private nextCommitAttemptMs = 0;
  /** Restores the stores of new tasks in slices between processing turns. */
  private readonly updater: StateUpdater;
  private readonly tasks = new Map<string, OwnedTask>();
  private readonly subByLeader = new Map<string, SubTopology>();
  private readonly taskByTopicPartition = new Map<string, OwnedTask>();
  private readonly paused = new Set<string>();
  /** Next offset to hand to a task per `topic:partition`, for the lag metric. */
  private readonly fetchedUpTo = new Map<string, number>();
  private lastLagUpdateMs = 0;
  private lastCommitMs = Date.now();
  private lastCheckpointMs = Date.now();
  private commitRequested = false;
  /** At-least-once offsets a commit could not write while the group rebalanced; sent with the next one. */
  private readonly uncommitted = new Map<string, TopicPartitionOffset>();
  /** Exactly-once: a transaction was aborted under the tasks; they restart from the last commit. */
  private reviveRequested = false;
  private inTransaction = false;
  private loop: Promise<void> | null = null;
  private failure: Error | null = null;
  private readonly collector: RecordCollector;
  private readonly partitionCounts = new Map<string, number>();
  /** What this thread's Kafka clients may hold (its part of `StreamsConfig.memory`). */
  private readonly clientMemory: ReturnType<typeof clientMemorySettings>;

  constructor(
    private readonly topology: Topology,
    subTopologies: readonly SubTopology[],
    private readonly config: ResolvedStreamsConfig,
    private readonly admin: KafkaAdmin,
    private readonly metrics: StreamsMetrics | null,
    readonly name: string,
  ) {
    this.clientMemory = clientMemorySettings(config.memory.kafkaClientBytesPerThread);
    const eos = config.processingGuarantee === 'exactly_once_v2';
    const base = { 'bootstrap.servers': config.bootstrapServers, 'client.id': `${config.applicationId}-${name}`, ...config.clientConfig };
    const consumerConfig = {
      ...base,
      'group.id': config.applicationId,
      'partition.assignment.strategy': 'cooperative-sticky',
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'session.timeout.ms': config.sessionTimeoutMs,
      'heartbeat.interval.ms': Math.max(500, Math.floor(config.sessionTimeoutMs / 5)),
      'isolation.level': eos ? 'read_committed' : 'read_uncommitted',
      'auto.offset.reset': 'earliest',
      'fetch.wait.max.ms': 50,
      ...this.clientMemory.consumer,
      ...config.consumerConfig,
    };
    this.consumer = new GroupConsumer(consumerConfig);
    for (const sub of subTopologies) {
      const weights = new Map<string, number>();
      for (const node of sub.nodes) if (node.kind === 'source') for (const t of node.topics) weights.set(t, node.weight);
      const top = Math.max(...weights.values());
      for (const [topic, weight] of weights) if (weight < top && topic !== sub.sourceTopics[0]) this.lowWeightTopics.add(topic);
    }
    this.lowWeight = this.lowWeightTopics.size > 0 ? new GroupConsumer({ ...consumerConfig, 'client.id': `${config.applicationId}-${name}-low-weight` }) : null;
    this.producer = this.newProducer();
    this.updater = new StateUpdater(
      new ChangelogReader(new KafkaRestoreConsumer({ ...this.clientMemory.restoreConsumer, ...base }), { onRestored: (store, n) => this.metrics?.restored.labels(store).inc(n) }),
    );
    for (const sub of subTopologies) this.subByLeader.set(sub.sourceTopics[0]!, sub);
    this.collector = {
      send: (topic, partition, key, value, timestamp, headers) => this.producer.send(topic, partition, key, value, timestamp, headers),
      partitionsFor: (topic) => this.partitionCounts.get(topic) ?? 1,
    };
  }

  /**
   * A producer for this thread; under exactly-once each one gets a transactional id of its own.
   * An `isolating` producer sends every record in a batch of its own: the broker refuses whole
   * batches, so after a refusal the records since the last commit are produced again this way
   * to learn which of them the broker refuses (see {@link recoverFromRefusal}).
   */
  private newProducer(isolating = false): StreamProducer {
    const config = this.config;
    this.isolating = isolating;
    return new StreamProducer({
      'bootstrap.servers': config.bootstrapServers,
      'client.id': `${config.applicationId}-${this.name}`,
      ...config.clientConfig,
      ...STREAM_PRODUCER_DEFAULTS,
      ...this.clientMemory.producer,
      ...(config.processingGuarantee === 'exactly_once_v2'
        ? { 'transactional.id': `${config.applicationId}-${this.name}-${randomUUID()}`, 'transaction.timeout.ms': config.transactionTimeoutMs }
        : {}),
      ...config.producerConfig,
      ...(isolating ? { 'batch.num.messages': 1, 'linger.ms': 0 } : {}),
    });
  }

  /**
   * Closes the producer and starts another (records still queued in the old one are dropped).
   * A transactional producer needs the broker to start: while Kafka is away this keeps trying.
   */
  private async replaceProducer(isolating: boolean): Promise<void> {
    await this.producer.close();
    for (;;) {
      this.producer = this.newProducer(isolating);
      try {
        await this.producer.connect();
        return;
      } catch (err) {
        if (!isBrokerAwayError(err) || this.threadState !== 'RUNNING') throw err;
        this.brokerAway(err);
        await this.producer.close().catch(() => undefined);
        await sleep(this.retryPauseMs);
      }
    }
  }

  /**
   * The broker refused records since the last commit (the transaction, under exactly-once, is
   * already aborted). The tasks go back to the last commit and process the same records again:
   * - when the refused records came in batches (several refused at once), with an isolating
   *   producer, so that only the records at fault are refused the next time;
   * - when each refused record is known, with a normal producer that refuses exactly those up
   *   front, so each goes to its task's production handler with the input record at hand.
   * A refusal that keeps coming back (the records are not produced the same way twice) fails
   * the thread rather than loop.
   */
  private async recoverFromRefusal(refused: readonly RefusedRecord[]): Promise<void> {
    if (++this.refusalRecoveries > 3) throw refused[0]!.error;
    const known = this.isolating || refused.length === 1;
    this.config.logger.warn(
      { thread: this.name, refused: refused.length, known, errors: [...new Set(refused.map((r) => `${r.topic}: ${r.error.message}`))] },
      known ? 'records refused by the broker; processing again from the last commit, refusing them up front' : 'a batch refused by the broker; processing again from the last commit, one record per batch',
    );
    await this.replaceProducer(!known);
    if (known) this.producer.refuseAgain(refused);
    this.reviveRequested = true;
  }

  get state(): ThreadState {
    return this.threadState;
  }

  /** Tasks that are assigned and restored. */
  runningTaskIds(): string[] {
    return [...this.tasks.entries()].filter(([, t]) => t.restored).map(([id]) => id);
  }

  /**
   * True when the thread holds an assignment from the group, no rebalance waits to be applied,
   * every assigned task finished restoring and commits go through (readiness). False before the
   * first assignment: a thread that has not joined yet has nothing running.
   */
  allTasksRunning(): boolean {
    return (
      this.threadState === 'RUNNING' &&
      this.hasAssignment &&
      !this.consumer.hasPendingRebalance() &&
      !this.reviveRequested &&
      this.brokerAwaySince === null &&
      [...this.tasks.values()].every((t) => t.restored)
    );
  }

  async start(): Promise<void> {
    this.threadState = 'STARTING';
    const sinkTopics = this.topology.sinkTopics();
    for (const [t, n] of await this.admin.partitionCounts(sinkTopics)) this.partitionCounts.set(t, n);
    await this.producer.connect();
    await this.consumer.connect();
    await this.lowWeight?.connect();
    this.consumer.subscribe([...this.subByLeader.keys()]);
    this.threadState = 'RUNNING';
    this.loop = this.run().catch(async (err: unknown) => {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.threadState = 'ERROR';
      this.config.logger.error({ err: this.failure, thread: this.name }, 'stream thread failed; it stops and its partitions move to other members');
      // Leave the group now: a member that stays would keep its partitions from everyone.
      await this.release(false).catch((closeErr: unknown) => this.config.logger.warn({ err: closeErr, thread: this.name }, 'failed stream thread did not close cleanly'));
    });
  }

  /** Resolves when the thread has stopped; rejects with the failure if it died. */
  async join(): Promise<void> {
    await this.loop;
    if (this.failure) throw this.failure;
  }

  failureCause(): Error | null {
    return this.failure;
  }

  /** Stops fetching, commits, closes tasks cleanly (checkpoints) and leaves the group. */
  async shutdown(): Promise<void> {
    if (this.threadState === 'RUNNING' || this.threadState === 'STARTING') this.threadState = 'PENDING_SHUTDOWN';
    await this.loop;
    if (this.failure) return; // released when it failed
    let clean = false;
    try {
      clean = (await this.commitSettled()) || !this.producer.isTransactional;
    } finally {
      // Even when the last commit throws, the clients close and the member leaves the group.
      await this.release(clean);
      this.threadState = 'DEAD';
    }
  }

  /** Closes the tasks (with checkpoints when `clean`) and the clients, which leaves the group. */
  private async release(clean: boolean): Promise<void> {
    try {
      for (const id of [...this.tasks.keys()]) await this.closeTask(id, clean);
      if (this.inTransaction) await this.producer.abortTransaction().catch(() => undefined);
    } finally {
      await this.lowWeight?.close();
      await this.consumer.close();
      await this.producer.close();
      await this.updater.close();
    }
  }

  /**
   * The poll loop. A `consume` is always in flight: librdkafka fills it on its own threads
   * while the JS thread runs the topology in bounded turns, and the loop waits for it only when
   * no buffered record is left to process.
   *
   * Invariant kept from a plain poll loop: the assignment changes (incremental assign and
   * unassign, task creation, close and restore) only while no consume is in flight. A consume
   * that was in flight when a rebalance was announced is awaited first and its records are
   * buffered; those of revoked partitions are then dropped with their task, uncommitted, for
   * the new owner to re-read.
   */
  private async run(): Promise<void> {
    const cfg = this.config;
    let main: PendingConsume | null = null;
    let low: PendingConsume | null = null;
    try {
      while (this.threadState === 'RUNNING') {
        if (main === null || this.consumer.hasPendingRebalance() || this.reviveRequested) {
          // Assignments change only with no consume in flight on either consumer.
          if (main !== null) this.buffer(await main.result);
          if (low !== null) this.buffer(await low.result);
          main = low = null;
          if (this.reviveRequested) await this.reviveTasks();
          await this.applyRebalances();
          if (this.reviveRequested) await this.reviveTasks(); // a commit before a revocation failed
          if (this.reviveRequested) {
            // Kafka is away: the tasks cannot go back to the last commit yet, nor process.
            await sleep(this.retryPauseMs);
            continue;
          }
          await this.restoreNewTasks();
        }
        main ??= this.startConsume(this.consumer);
        if (this.lowWeight) low ??= this.startConsume(this.lowWeight);
        // Restoring tasks catch up a slice at a time; the others keep processing in between.
        if (this.updater.hasWork() && Date.now() >= this.nextCommitAttemptMs) {
          try {
            await this.restoreSlice();
          } catch (err) {
            // Kafka away: the restore goes on from where it got once the broker answers.
            if (!isBrokerAwayError(err)) throw err;
            this.brokerAway(err);
          }
        }
        // Take a consume's records when they are there, or wait for the first of them when
        // there is nothing else to do; with records still buffered, process those meanwhile.
        if (!main.done && !low?.done && !this.hasBufferedRecords() && !this.updater.hasWork()) {
          await Promise.race([main.result, low?.result].filter((p) => p !== undefined));
        }
        if (low?.done) {
          this.buffer(await low.result);
          low = null;
        }
        if (main.done) {
          this.buffer(await main.result);
          main = null;
          if (this.consumer.hasPendingRebalance()) continue;
          main = this.startConsume(this.consumer);
        }
        const now = Date.now();
        // While Kafka is away nothing is processed: what cannot be committed is not produced.
        if (this.brokerAwaySince === null) {
          await this.processTasks();
          for (const owned of this.tasks.values()) {
            if (!owned.restored) continue;
            await this.ensureTransaction();
            await owned.task.punctuateWallClock(now);
          }
        }
        this.updatePauses();
        if (this.metrics && now - this.lastLagUpdateMs >= 1000) this.updateLag(now);
        if ((this.commitRequested || now - this.lastCommitMs >= cfg.commitIntervalMs) && now >= this.nextCommitAttemptMs) await this.commit();
      }
    } finally {
      // Their records were never processed, so never committed: dropping them loses nothing.
      if (main !== null) await main.result.catch(() => undefined);
      if (low !== null) await low.result.catch(() => undefined);
    }
  }

  /** Starts a consume whose completion the loop can check without waiting for it. */
  private startConsume(consumer: GroupConsumer): PendingConsume {
    const pending: PendingConsume = {
      done: false,
      result: consumer.consume(this.config.maxPollRecords).finally(() => {
        pending.done = true;
      }),
    };
    // Rejections surface where the loop awaits `result`; this only keeps them from being
    // reported as unhandled in between.
    pending.result.catch(() => undefined);
    return pending;
  }

  /** The consumer that reads a topic: the group consumer, or the low-weight one. */
  private consumerOf(topic: string): GroupConsumer {
    return this.lowWeight && this.lowWeightTopics.has(topic) ? this.lowWeight : this.consumer;
  }

  /**
   * Runs every task over its buffered records. Tasks run side by side: each processes its own
   * records in offset order, but while one awaits a store read (RocksDB works on libuv's thread
   * pool) another deserializes or processes. Tasks share nothing but the producer, and
   * Kafka orders records only within a partition, so their interleaving changes no guarantee.
   */
  private async processTasks(): Promise<void> {
    // A bounded turn shared by the tasks with work, so a backlog in one task or topic never
    // keeps the loop from consuming (new critical records), punctuating (due messages) or
    // committing for long.
    const busy = [...this.tasks.values()].filter((owned) => owned.restored && owned.task.bufferedCount() > 0);
    if (busy.length === 0) return;
    await this.ensureTransaction();
    const share = Math.max(50, Math.ceil(this.config.recordsPerTurn / busy.length));
    const work = busy.map((owned) => owned.task.process(share));
    // Wait for all before failing, so no task is still running when the thread stops.
    const results = await Promise.allSettled(work);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    for (const owned of this.tasks.values()) if (owned.task.takeCommitRequest()) this.commitRequested = true;
  }

  /** Records a task could process now (none while Kafka is away: processing waits then). */
  private hasBufferedRecords(): boolean {
    if (this.brokerAwaySince !== null) return false;
    for (const owned of this.tasks.values()) if (owned.restored && owned.task.bufferedCount() > 0) return true;
    return false;
  }

  /** Lag per source partition: end offset (as of the last fetch) minus the next record to process. */
  private updateLag(now: number): void {
    this.lastLagUpdateMs = now;
    for (const owned of this.tasks.values()) {
      for (const tp of owned.partitions) {
        const key = `${tp.topic}:${tp.partition}`;
        const end = this.consumerOf(tp.topic).cachedEndOffset(tp.topic, tp.partition);
        const fetched = this.fetchedUpTo.get(key);
        if (end === undefined || fetched === undefined) continue;
        const lag = Math.max(0, end - fetched) + owned.task.bufferedCount(tp.topic);
        this.metrics!.consumerLag.labels(tp.topic, String(tp.partition)).set(lag);
      }
    }
  }

  /** Hands consumed records to their tasks, one partition's run at a time. */
  private buffer(records: readonly RawRecord[]): void {
    let owned: OwnedTask | undefined;
    let topic = '';
    let partition = -1;
    let key = '';
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.partition !== partition || r.topic !== topic) {
        topic = r.topic;
        partition = r.partition;
        key = `${topic}:${partition}`;
        owned = this.taskByTopicPartition.get(key);
      }
      // Records of a partition revoked a moment ago are dropped; its new owner re-reads them.
      if (owned) owned.task.addRecord(r);
      // For the lag metric: the last record of each run of one partition.
      const next = records[i + 1];
      if (this.metrics && (next === undefined || next.partition !== partition || next.topic !== topic)) this.fetchedUpTo.set(key, r.offset + 1);
    }
  }

  private async ensureTransaction(): Promise<void> {
    if (this.producer.isTransactional && !this.inTransaction) {
      await this.producer.beginTransaction();
      this.inTransaction = true;
    }
  }

  /**
   * The commit, in order:
   * 1. flush every task's stores (their changelog records go to the producer);
   * 2a. at-least-once: flush the producer (outputs and changelogs acknowledged), then commit
   *     the consumed offsets;
   * 2b. exactly-once: add the consumed offsets to the transaction and commit it (outputs,
   *     changelogs and offsets become visible together);
   * 3. at-least-once, every checkpoint interval: write checkpoint files;
   * 4. processors' `afterCommit` (sends whose intents the commit made durable).
   */
  private async commit(): Promise<boolean> {
    const started = Date.now();
    const running = [...this.tasks.values()].filter((owned) => owned.restored);
    if (running.length > 0) await this.ensureTransaction();
    // Step 1 runs for all tasks at once: each task's steps stay in order, and the stores of
    // different tasks are separate RocksDB instances whose writes run on libuv's thread pool.
    await Promise.all(running.map((owned) => owned.task.flush()));
    for (const owned of running) {
      const partition = owned.task.partition;
      for (const [topic, offset] of owned.task.takeConsumedOffsets()) this.uncommitted.set(`${topic}:${partition}`, { topic, partition, offset });
    }
    const offsets = [...this.uncommitted.values()];
    try {
      const committed = this.producer.isTransactional ? await this.commitTransaction(offsets) : await this.commitAtLeastOnce(offsets);
      if (!committed) return false;
    } catch (err) {
      if (!isBrokerAwayError(err)) throw err;
      this.brokerAway(err);
      return false;
    }
    this.brokerBack();
    if (!this.producer.isTransactional && started - this.lastCheckpointMs >= this.config.checkpointIntervalMs) {
      this.lastCheckpointMs = started;
      // A checkpoint only shortens the next restore: one that fails now is written next time.
      await Promise.all(running.map((owned) => this.writeCheckpoint(owned))).catch((err: unknown) =>
        this.config.logger.warn({ thread: this.name, err }, 'checkpoint not written; trying again at the next one'),
      );
    }
    this.refusalRecoveries = 0;
    // The records that were refused in batches are past: back to batching.
    if (this.isolating) await this.replaceProducer(false);
    this.commitRequested = false;
    this.lastCommitMs = Date.now();
    this.metrics?.commits.inc();
    this.metrics?.commitLatency.observe((Date.now() - started) / 1000);
    // 4. What waited for its intent to be durable runs now. A processor that asks for a
    // commit there (its outcomes of calls to the outside world) gets it at once, before any
    // further processing: the shorter the time between an outside call and the commit of its
    // outcome, the fewer outcomes a failed commit leaves unknown.
    let settle = false;
    for (const owned of running) {
      if (!owned.task.hasAfterCommit || !this.tasks.has(owned.task.id)) continue;
      await this.ensureTransaction();
      await owned.task.afterCommit();
      if (owned.task.takeCommitRequest()) settle = true;
    }
    if (settle && !this.settling) {
      this.settling = true;
      try {
        return await this.commit();
      } finally {
        this.settling = false;
      }
    }
    return true;
  }

  /**
   * A commit before tasks close (revocation, shutdown): what processors did after it
   * (`afterCommit`: outcomes of sends, the deletion of their intents) is committed by a second
   * one, so every task's outputs and store changes are committed together before any closes.
   */
  private async commitSettled(): Promise<boolean> {
    if (!(await this.commit())) return false;
    return this.inTransaction ? this.commit() : true;
  }

  /**
   * 2b. Exactly-once: the consumed offsets join the transaction, which commits outputs,
   * changelogs and offsets together. False when the transaction had to be aborted (the tasks
   * then restart from the last commit); throws a broker-away error with the transaction still
   * open, to be committed once the broker is back.
   */
  private async commitTransaction(offsets: readonly TopicPartitionOffset[]): Promise<boolean> {
    if (!this.inTransaction) return true;
    try {
      if (offsets.length > 0) await this.producer.sendOffsetsToTransaction(offsets, this.consumer);
      await this.producer.commitTransaction();
      this.inTransaction = false;
      this.uncommitted.clear();
      return true;
    } catch (err) {
      if (isBrokerAwayError(err) && !isAbortableTransactionError(err)) throw err;
      this.inTransaction = false;
      // The offsets belong to a generation the group left behind, records were refused (one
      // refused record fails the whole transaction), the coordinator aborted the transaction
      // after its timeout, or the producer was fenced: abort what can be aborted, and with it
      // every output and store change since the last commit; the tasks restart from there
      // with a new producer (see reviveTasks).
      const aborted = await this.producer.abortTransaction().then(
        () => true,
        () => false,
      );
      const refused = await this.producer.settleRefused();
      if (refused.length > 0) {
        await this.recoverFromRefusal(refused);
        return false;
      }
      this.config.logger.warn({ thread: this.name, err, aborted }, 'commit failed; transaction dropped, tasks restart from the last commit with a new producer');
      // After an abort with records in flight the producer's sequence numbers may be off
      // (the broker answers OUT_OF_ORDER_SEQUENCE); a new producer starts clean.
      await this.replaceProducer(false);
      this.reviveRequested = true;
      return false;
    }
  }

  /**
   * 2a. At-least-once: outputs and changelogs acknowledged first, then the consumed offsets.
   * False when the offsets could not be committed now (a rebalance; they go with the next
   * commit) or refused records send the tasks back to the last commit.
   */
  private async commitAtLeastOnce(offsets: readonly TopicPartitionOffset[]): Promise<boolean> {
    await this.producer.flush(FLUSH_TIMEOUT_MS);
    const refused = this.producer.takeRefused();
    if (refused.length > 0) {
      // Known one by one: dead-letter them and commit. Refused in batches: the records since
      // the last commit are processed again (at-least-once allows the repeats) one per batch.
      if (this.isolating || refused.length === 1) await this.deadLetterRefused(refused);
      else {
        await this.recoverFromRefusal(refused);
        return false;
      }
    }
    try {
      await this.consumer.commit(offsets);
      this.uncommitted.clear();
      return true;
    } catch (err) {
      if (!isGroupRebalanceError(err)) throw err;
      // Outputs are flushed; only the offsets wait for the member to rejoin. A partition
      // that moves meanwhile is re-read by its new owner from the last commit (at-least-once).
      this.config.logger.warn({ thread: this.name, err }, 'offsets not committed while the group rebalanced; retrying at the next commit');
      this.lastCommitMs = Date.now();
      return false;
    }
  }

  /** Runs `call` until it does not fail for Kafka being away (an assignment must not half happen). */
  private async whileKafkaAway<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const result = await call();
        return result;
      } catch (err) {
        if (!isBrokerAwayError(err) || this.threadState !== 'RUNNING') throw err;
        this.brokerAway(err);
        await sleep(this.retryPauseMs);
      }
    }
  }

  /**
   * The broker (or the group coordinator) is away. Processing stops — nothing more is produced
   * that could not be committed — and the commit is tried again with a growing pause, up to
   * {@link MAX_RETRY_PAUSE_MS}; consuming goes on, so the member rejoins as soon as it can.
   */
  private brokerAway(err: unknown): void {
    const now = Date.now();
    if (this.brokerAwaySince === null) {
      this.brokerAwaySince = now;
      this.config.logger.warn({ thread: this.name, err }, 'Kafka is not reachable; processing paused until a commit goes through');
    }
    this.retryPauseMs = Math.min(MAX_RETRY_PAUSE_MS, Math.max(250, this.retryPauseMs * 2));
    this.nextCommitAttemptMs = now + this.retryPauseMs;
  }

  private brokerBack(): void {
    if (this.brokerAwaySince !== null) {
      this.config.logger.info({ thread: this.name, awayMs: Date.now() - this.brokerAwaySince }, 'Kafka reachable again; processing resumes');
    }
    this.brokerAwaySince = null;
    this.retryPauseMs = 0;
    this.nextCommitAttemptMs = 0;
  }

  /** Whether the last commit failed because Kafka was away (processing waits meanwhile). */
  get kafkaUnreachableSince(): number | null {
    return this.brokerAwaySince;
  }


  /**
   * At-least-once: records the broker refused after they were sent (too large for the topic's
   * own limit, invalid) go to the production handler. Their input records are committed with
   * the rest, so `continue` dead-letters the refused output record itself, with the topic it was
   * meant for; `fail` stops the thread as any failed flush does.
   */
  private async deadLetterRefused(refused: readonly RefusedRecord[]): Promise<void> {
    const dlq = this.config.deadLetterTopic;
    for (const r of refused) {
      const failure: FailedRecord = {
        stage: 'produce',
        error: r.error,
        record: { topic: r.topic, partition: r.partition, offset: -1, timestamp: Date.now(), key: r.key, value: r.value, headers: {} },
        node: r.topic,
      };
      if (this.config.productionHandler(failure) === 'fail') throw r.error;
      this.metrics?.dropped.labels(this.name, 'produce').inc();
      this.config.logger.warn({ thread: this.name, topic: r.topic, error: r.error.message }, 'record refused by the broker; dead-lettered');
      if (dlq === null || r.topic === dlq) continue;
      const dead = deadLetterRecord(failure, this.config.deadLetterMaxBytes);
      this.producer.send(dlq, undefined, dead.key, dead.value, failure.record!.timestamp, { ...dead.headers, [DEAD_LETTER_HEADERS.outputTopic]: Buffer.from(r.topic) });
    }
    await this.producer.flush();
    // A dead letter the broker refuses too is dropped, not retried: it was logged above.
    for (const r of this.producer.takeRefused()) this.config.logger.error({ thread: this.name, topic: r.topic, error: r.error.message }, 'dead-letter record refused by the broker; dropped');
  }

  /**
   * After an aborted transaction (exactly-once): the stores hold changes the transaction took
   * back, and the consumer positions are past records whose outputs were dropped. Every task is
   * closed without a checkpoint (its stores are rebuilt from the changelog) and made again for
   * the same partitions, which are read again from the group's committed offsets.
   */
  private async reviveTasks(): Promise<void> {
    const revived = [...this.tasks.values()].map((owned) => ({ sub: owned.sub, partition: owned.task.partition, partitions: owned.partitions }));
    const partitions = revived.flatMap((r) => r.partitions);
    let committed: TopicPartitionOffset[] = [];
    try {
      if (partitions.length > 0) committed = await this.consumer.committed(partitions);
    } catch (err) {
      if (!isBrokerAwayError(err)) throw err;
      this.brokerAway(err); // tried again on the next turn; the tasks stay as they are meanwhile
      return;
    }
    this.reviveRequested = false;
    // Offsets not yet committed belong to the work being dropped; reprocessing derives them again.
    this.uncommitted.clear();
    for (const id of [...this.tasks.keys()]) await this.closeTask(id, false);
    for (const r of revived) this.createTask(r.sub, r.partition);
    if (partitions.length === 0) return;
    for (const c of committed) {
      // No committed offset (-1001): from the beginning (-2), as auto.offset.reset says.
      await this.consumerOf(c.topic).seek({ topic: c.topic, partition: c.partition, offset: c.offset >= 0 ? c.offset : -2 });
    }
    this.config.logger.info({ thread: this.name, tasks: revived.map((r) => `${r.sub.id}_${r.partition}`) }, 'tasks restarted from the last commit');
  }


  private async writeCheckpoint(owned: OwnedTask): Promise<void> {
    const stores = [...owned.state.changelogTopics()];
    const ends = await Promise.all(stores.map(([, topic]) => this.producer.endOffset(topic, owned.task.partition)));
    await owned.state.writeCheckpoint(new Map(stores.map(([store], i) => [store, ends[i]!])));
  }

  private async applyRebalances(): Promise<void> {
    for (const event of this.consumer.takeRebalances()) {
      if (event.kind === 'assigned') {
        this.hasAssignment = true;
        const all: TopicPartition[] = [];
        for (const tp of event.partitions) {
          const sub = this.subByLeader.get(tp.topic);
          if (!sub) continue;
          const owned = this.createTask(sub, tp.partition);
          all.push(...owned.partitions);
        }
        // Followers are assigned with the leader; their positions come from committed offsets.
        // Low-weight followers go to their own consumer, which is outside the group and so
        // needs those positions spelled out.
        this.consumer.incrementalAssign(all.filter((tp) => this.consumerOf(tp.topic) === this.consumer));
        const low = all.filter((tp) => this.consumerOf(tp.topic) !== this.consumer);
        if (low.length > 0) {
          const committed = await this.whileKafkaAway(() => this.consumer.committed(low));
          // No committed offset (-1001): start where auto.offset.reset says, the beginning (-2).
          this.lowWeight!.incrementalAssign(committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset >= 0 ? c.offset : -2 })));
        }
        this.config.logger.info({ thread: this.name, partitions: all.map((p) => `${p.topic}-${p.partition}`) }, 'partitions assigned');
      } else {
        // Under at-least-once a task closes cleanly even if the offsets could not be committed
        // (its stores match their changelogs); under exactly-once only if the commit went through.
        // Lost: the member was dropped from the group and rejoins for a new assignment.
        if (event.kind === 'lost') this.hasAssignment = false;
        const clean = event.kind === 'revoked' && ((await this.commitSettled()) || !this.producer.isTransactional);
        const all: TopicPartition[] = [];
        for (const tp of event.partitions) {
          const sub = this.subByLeader.get(tp.topic);
          if (!sub) continue;
          const id = `${sub.id}_${tp.partition}`;
          const owned = this.tasks.get(id);
          if (!owned) continue;
          all.push(...owned.partitions);
          await this.closeTask(id, clean);
        }
        this.consumer.incrementalUnassign(all.filter((tp) => this.consumerOf(tp.topic) === this.consumer));
        const low = all.filter((tp) => this.consumerOf(tp.topic) !== this.consumer);
        if (low.length > 0) this.lowWeight!.incrementalUnassign(low);
        this.config.logger.info({ thread: this.name, partitions: all.map((p) => `${p.topic}-${p.partition}`), lost: !clean }, 'partitions revoked');
        if (!clean && this.inTransaction) await this.dropTransaction();
      }
    }
  }

  /**
   * Exactly-once, tasks closed without a commit (partitions lost, or revoked while the commit
   * failed): the open transaction holds their outputs, which their new owner produces again.
   * It must never commit. Abort it (the coordinator aborts it anyway once it times out, should
   * the broker be away), start a new producer, and send the remaining tasks back to the last
   * commit, since their work since then was in the same transaction.
   */
  private async dropTransaction(): Promise<void> {
    this.inTransaction = false;
    await this.producer.abortTransaction().catch((err: unknown) => this.config.logger.warn({ thread: this.name, err }, 'transaction of closed tasks not aborted; it expires on the broker'));
    await this.replaceProducer(false);
    if (this.tasks.size > 0) this.reviveRequested = true;
  }

  private createTask(sub: SubTopology, partition: number): OwnedTask {
    const id = `${sub.id}_${partition}`;
    const existing = this.tasks.get(id);
    if (existing) return existing;
    // The store context asks for the task's stream time; the task is built after its stores.
    const ref: { task?: StreamTask } = {};
    const state = new StateManager({
      applicationId: this.config.applicationId,
      topology: this.topology,
      subTopology: sub,
      partition,
      taskId: id,
      stateDir: this.config.stateDir,
      changelog: { send: (topic, p, key, value, ts) => this.producer.send(topic, p, key, value, ts, undefined) },
      metrics: this.config.metrics,
      streamTime: () => ref.task?.streamTimeMs() ?? -1,
      memory: this.config.memory.stores,
    });
    const task = new StreamTask({
      applicationId: this.config.applicationId,
      subTopology: sub,
      topology: this.topology,
      partition,
      stores: state.stores,
      collector: this.collector,
      wallClock: Date.now,
      deserializationHandler: this.config.deserializationHandler,
      processingHandler: this.config.processingHandler,
      productionHandler: this.config.productionHandler,
      deadLetterTopic: this.config.deadLetterTopic,
      deadLetterMaxBytes: this.config.deadLetterMaxBytes,
      metrics: this.metrics?.forTask(id) ?? null,
      onPrefetchFailure: (err) => this.config.logger.warn({ task: id, err }, 'batched state read failed; the batch goes on reading record by record'),
      onDeadLetter: (f) => this.config.logger.warn({ task: id, stage: f.stage, node: f.node, topic: f.record?.topic, partition: f.record?.partition, offset: f.record?.offset, error: f.error.message }, 'record dead-lettered'),
      requestCommit: () => {
        this.commitRequested = true;
      },
    });
    ref.task = task;
    const owned: OwnedTask = { sub, task, state, partitions: sub.sourceTopics.map((topic) => ({ topic, partition })), restored: false };
    this.tasks.set(id, owned);
    for (const tp of owned.partitions) this.taskByTopicPartition.set(`${tp.topic}:${tp.partition}`, owned);
    return owned;
  }

  /**
   * Opens the stores of new tasks (all at once) and hands them to the state updater, which
   * restores them beside processing; `restoreSlice` starts them when they are complete.
   */
  private async restoreNewTasks(): Promise<void> {
    const fresh = [...this.tasks].filter(([id, owned]) => !owned.restored && !this.updater.has(id));
    await Promise.all(
      fresh.map(async ([id, owned]) => {
        const checkpoint = await owned.state.readCheckpoint();
        const logged = owned.sub.storeNames.some((n) => this.topology.storeBuilder(n)?.loggingEnabled);
        // No checkpoint: the local state may be ahead of or behind the changelog; start over.
        if (checkpoint.size === 0 && logged) await owned.state.wipe();
        await owned.state.open();
        const changelogs = [...owned.state.changelogTopics()].map(([storeName, topic]) => ({
          store: owned.state.stores.get(storeName)!,
          topic,
          partition: owned.task.partition,
          fromOffset: checkpoint.get(storeName) ?? 0,
        }));
        this.updater.add({ id, changelogs });
      }),
    );
  }

  /** One slice of restoration; tasks whose stores all caught up start running. */
  private async restoreSlice(): Promise<void> {
    const done = await this.updater.restoreSlice(Math.min(RESTORE_SLICE_MS, this.config.commitIntervalMs));
    for (const r of done) {
      const owned = this.tasks.get(r.id)!;
      // Under exactly-once, state written after this point may belong to a transaction that
      // aborts; without a checkpoint a crash makes the next start restore from scratch.
      if (this.config.processingGuarantee === 'exactly_once_v2') await owned.state.deleteCheckpoint();
      await owned.task.initialize();
      owned.restored = true;
      this.config.logger.info({ thread: this.name, task: r.id, restoredRecords: r.restoredRecords, ms: r.ms }, 'task restored and running');
    }
  }

  /**
   * Closes a task that was still restoring: it never processed, so nothing is committed for it.
   * A clean close checkpoints the changelog offsets its stores reached (committed records only,
   * so also under exactly-once), and restoring it here again continues from there.
   */
  private async closeRestoringTask(id: string, owned: OwnedTask, clean: boolean): Promise<void> {
    const reached = this.updater.remove(id);
    try {
      if (clean && reached && reached.size > 0) await owned.state.writeCheckpoint(reached);
    } finally {
      await owned.state.close();
    }
  }

  private async closeTask(id: string, clean: boolean): Promise<void> {
    const owned = this.tasks.get(id);
    if (!owned) return;
    this.tasks.delete(id);
    for (const tp of owned.partitions) {
      this.uncommitted.delete(`${tp.topic}:${tp.partition}`);
      this.taskByTopicPartition.delete(`${tp.topic}:${tp.partition}`);
      this.paused.delete(`${tp.topic}:${tp.partition}`);
      this.fetchedUpTo.delete(`${tp.topic}:${tp.partition}`);
      this.metrics?.consumerLag.remove(tp.topic, String(tp.partition));
    }
    if (this.updater.has(id)) return this.closeRestoringTask(id, owned, clean);
    try {
      if (clean && owned.restored) {
        // Under exactly-once whatever the stores still hold goes into a transaction, never
        // outside one (a transactional producer refuses that).
        await this.ensureTransaction();
        await owned.task.close();
        await owned.state.flush();
        if (this.inTransaction) {
          await this.producer.commitTransaction();
          this.inTransaction = false;
        } else await this.producer.flush();
        await this.writeCheckpoint(owned);
      } else {
        await owned.task.close();
      }
    } catch (err) {
      if (!(err instanceof StreamsError)) throw err;
      this.config.logger.warn({ task: id, err }, 'task closed uncleanly; its state will be restored from the changelog');
    } finally {
      await owned.state.close();
    }
  }

  /** Pauses partitions whose buffer is full, so a backlog in one never delays the others. */
  private updatePauses(): void {
    const limit = this.config.bufferedRecordsPerPartition;
    const toPause: TopicPartition[] = [];
    const toResume: TopicPartition[] = [];
    for (const owned of this.tasks.values()) {
      for (const tp of owned.partitions) {
        const key = `${tp.topic}:${tp.partition}`;
        const buffered = owned.task.bufferedCount(tp.topic);
        const full = !owned.restored || buffered >= limit;
        // Resume only at half, so a partition does not flap between paused and fetching.
        const drained = owned.restored && buffered <= limit / 2;
        if (full && !this.paused.has(key)) {
          this.paused.add(key);
          toPause.push(tp);
        } else if (drained && this.paused.has(key)) {
          this.paused.delete(key);
          toResume.push(tp);
        }
      }
    }
    for (const consumer of this.lowWeight ? [this.consumer, this.lowWeight] : [this.consumer]) {
      consumer.pause(toPause.filter((tp) => this.consumerOf(tp.topic) === consumer));
      consumer.resume(toResume.filter((tp) => this.consumerOf(tp.topic) === consumer));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

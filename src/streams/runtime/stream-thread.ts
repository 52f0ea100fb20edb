import { randomUUID } from 'node:crypto';
import type { ResolvedStreamsConfig } from '../config.js';
import { StreamsError } from '../errors.js';
import type { KafkaAdmin } from '../kafka/admin.js';
import { clientMemorySettings } from '../kafka/client-memory.js';
import { GroupConsumer, type TopicPartition, type TopicPartitionOffset } from '../kafka/consumer.js';
import { STREAM_PRODUCER_DEFAULTS, StreamProducer } from '../kafka/producer.js';
import { isGroupRebalanceError } from '../kafka/promisify.js';
import type { SubTopology, Topology } from '../topology/topology.js';
import { ChangelogReader } from './changelog-reader.js';
import type { RawRecord } from './exception-handlers.js';
import type { RecordCollector } from './record-collector.js';
import { StateManager } from './state-manager.js';
import { StreamTask } from './stream-task.js';
import type { StreamsMetrics } from './task-metrics.js';

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
  restored: boolean;
}

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
  private readonly restorer: ChangelogReader;
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
    this.restorer = new ChangelogReader({ ...this.clientMemory.restoreConsumer, ...base });
    for (const sub of subTopologies) this.subByLeader.set(sub.sourceTopics[0]!, sub);
    this.collector = {
      send: (topic, partition, key, value, timestamp, headers) => this.producer.send(topic, partition, key, value, timestamp, headers),
      partitionsFor: (topic) => this.partitionCounts.get(topic) ?? 1,
    };
  }

  /** A producer for this thread; under exactly-once each one gets a transactional id of its own. */
  private newProducer(): StreamProducer {
    const config = this.config;
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
    });
  }

  get state(): ThreadState {
    return this.threadState;
  }

  /** Tasks that are assigned and restored. */
  runningTaskIds(): string[] {
    return [...this.tasks.entries()].filter(([, t]) => t.restored).map(([id]) => id);
  }

  /** True when every assigned task finished restoring (readiness). */
  allTasksRunning(): boolean {
    return this.threadState === 'RUNNING' && [...this.tasks.values()].every((t) => t.restored);
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
      clean = (await this.commit()) || !this.producer.isTransactional;
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
      await this.restorer.close();
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
          await this.restoreNewTasks();
        }
        main ??= this.startConsume(this.consumer);
        if (this.lowWeight) low ??= this.startConsume(this.lowWeight);
        // Take a consume's records when they are there, or wait for the first of them when
        // there is nothing else to do; with records still buffered, process those meanwhile.
        if (!main.done && !low?.done && !this.hasBufferedRecords()) {
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
        await this.processTasks();
        const now = Date.now();
        for (const owned of this.tasks.values()) {
          if (!owned.restored) continue;
          await this.ensureTransaction();
          await owned.task.punctuateWallClock(now);
        }
        this.updatePauses();
        if (this.metrics && now - this.lastLagUpdateMs >= 1000) this.updateLag(now);
        if (this.commitRequested || now - this.lastCommitMs >= cfg.commitIntervalMs) await this.commit();
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

  private hasBufferedRecords(): boolean {
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
   * 3. at-least-once, every checkpoint interval: write checkpoint files.
   */
  private async commit(): Promise<boolean> {
    const started = Date.now();
    const offsets: TopicPartitionOffset[] = [];
    const running = [...this.tasks.values()].filter((owned) => owned.restored);
    if (running.length > 0) await this.ensureTransaction();
    // Step 1 runs for all tasks at once: each task's steps stay in order, and the stores of
    // different tasks are separate RocksDB instances whose writes run on libuv's thread pool.
    await Promise.all(running.map((owned) => owned.task.flush()));
    for (const owned of running) {
      for (const [topic, offset] of owned.task.takeConsumedOffsets()) offsets.push({ topic, partition: owned.task.partition, offset });
    }
    if (this.producer.isTransactional) {
      if (this.inTransaction) {
        try {
          if (offsets.length > 0) await this.producer.sendOffsetsToTransaction(offsets, this.consumer);
          await this.producer.commitTransaction();
        } catch (err) {
          if (!isGroupRebalanceError(err)) throw err;
          // The offsets belong to a generation the group left behind, so the transaction
          // cannot commit: abort it, and with it every output and store change since the last
          // commit; the tasks restart from there (see reviveTasks).
          this.config.logger.warn({ thread: this.name, err }, 'commit failed while the group rebalanced; transaction aborted, tasks restart from the last commit');
          await this.producer.abortTransaction();
          // After an abort with records in flight the producer's sequence numbers may be off
          // (the broker answers OUT_OF_ORDER_SEQUENCE); a new producer starts clean.
          await this.producer.close();
          this.producer = this.newProducer();
          await this.producer.connect();
          this.reviveRequested = true;
          return false;
        } finally {
          this.inTransaction = false;
        }
      }
    } else {
      await this.producer.flush();
      for (const o of offsets) this.uncommitted.set(`${o.topic}:${o.partition}`, o);
      try {
        this.consumer.commitSync([...this.uncommitted.values()]);
        this.uncommitted.clear();
      } catch (err) {
        if (!isGroupRebalanceError(err)) throw err;
        // Outputs are flushed; only the offsets wait for the member to rejoin. A partition
        // that moves meanwhile is re-read by its new owner from the last commit (at-least-once).
        this.config.logger.warn({ thread: this.name, err }, 'offsets not committed while the group rebalanced; retrying at the next commit');
        this.lastCommitMs = Date.now();
        return false;
      }
      if (started - this.lastCheckpointMs >= this.config.checkpointIntervalMs) {
        this.lastCheckpointMs = started;
        await Promise.all(running.map((owned) => this.writeCheckpoint(owned)));
      }
    }
    this.commitRequested = false;
    this.lastCommitMs = Date.now();
    this.metrics?.commits.inc();
    this.metrics?.commitLatency.observe((Date.now() - started) / 1000);
    return true;
  }

  /**
   * After an aborted transaction (exactly-once): the stores hold changes the transaction took
   * back, and the consumer positions are past records whose outputs were dropped. Every task is
   * closed without a checkpoint (its stores are rebuilt from the changelog) and made again for
   * the same partitions, which are read again from the group's committed offsets.
   */
  private async reviveTasks(): Promise<void> {
    this.reviveRequested = false;
    const revived = [...this.tasks.values()].map((owned) => ({ sub: owned.sub, partition: owned.task.partition, partitions: owned.partitions }));
    for (const id of [...this.tasks.keys()]) await this.closeTask(id, false);
    for (const r of revived) this.createTask(r.sub, r.partition);
    const partitions = revived.flatMap((r) => r.partitions);
    if (partitions.length === 0) return;
    for (const c of await this.consumer.committed(partitions)) {
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
          const committed = await this.consumer.committed(low);
          // No committed offset (-1001): start where auto.offset.reset says, the beginning (-2).
          this.lowWeight!.incrementalAssign(committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset >= 0 ? c.offset : -2 })));
        }
        this.config.logger.info({ thread: this.name, partitions: all.map((p) => `${p.topic}-${p.partition}`) }, 'partitions assigned');
      } else {
        // Under at-least-once a task closes cleanly even if the offsets could not be committed
        // (its stores match their changelogs); under exactly-once only if the commit went through.
        const clean = event.kind === 'revoked' && ((await this.commit()) || !this.producer.isTransactional);
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
      }
    }
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
      metrics: this.metrics?.forTask(id) ?? null,
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

  /** Opens and restores the stores of new tasks, then starts them. */
  private async restoreNewTasks(): Promise<void> {
    for (const [id, owned] of this.tasks) {
      if (owned.restored) continue;
      const started = Date.now();
      const checkpoint = await owned.state.readCheckpoint();
      const logged = owned.sub.storeNames.some((n) => this.topology.storeBuilder(n)?.loggingEnabled);
      // No checkpoint: the local state may be ahead of or behind the changelog; start over.
      if (checkpoint.size === 0 && logged) await owned.state.wipe();
      await owned.state.open();
      let restored = 0;
      for (const [storeName, topic] of owned.state.changelogTopics()) {
        const store = owned.state.stores.get(storeName)!;
        const from = checkpoint.get(storeName) ?? 0;
        const result = await this.restorer.restore(store, topic, owned.task.partition, from, (n) => this.metrics?.restored.labels(storeName).inc(n));
        restored += result.restored;
      }
      // Under exactly-once, state written after this point may belong to a transaction that
      // aborts; without a checkpoint a crash makes the next start restore from scratch.
      if (this.config.processingGuarantee === 'exactly_once_v2') await owned.state.deleteCheckpoint();
      await owned.task.initialize();
      owned.restored = true;
      this.config.logger.info({ thread: this.name, task: id, restoredRecords: restored, ms: Date.now() - started }, 'task restored and running');
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
    try {
      if (clean && owned.restored) {
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

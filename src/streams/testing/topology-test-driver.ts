import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError } from '../errors.js';
import { Record, type Headers } from '../processor/record.js';
import type { Serde } from '../serde/serde.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import type { StateStore } from '../state/state-store.js';
import type { WindowStore } from '../state/window-store.js';
import type { Topology } from '../topology/topology.js';
import { type ExceptionHandler, type RawRecord, continueOnError, failOnError } from '../runtime/exception-handlers.js';
import type { RecordCollector } from '../runtime/record-collector.js';
import { DEFAULT_DEAD_LETTER_MAX_BYTES } from '../config.js';
import { StateManager } from '../runtime/state-manager.js';
import { StreamTask } from '../runtime/stream-task.js';

export interface TopologyTestDriverOptions {
  readonly applicationId?: string;
  /** Start of the mock wall clock (epoch ms). Defaults to 0. */
  readonly initialWallClockTimeMs?: number;
  /**
   * Where `continue` handlers send failed records. Setting it makes every handler `continue`
   * unless given, as in the runtime.
   */
  readonly deadLetterTopic?: string;
  readonly deserializationHandler?: ExceptionHandler;
  readonly processingHandler?: ExceptionHandler;
  readonly productionHandler?: ExceptionHandler;
  /** Folder for persistent stores; a temporary one (removed on close) by default. */
  readonly stateDir?: string;
}

/** A record as written to an output topic, in bytes. */
export interface ProducedRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

/**
 * Runs a topology in-process, with no broker: one task per sub-topology on partition 0, stores
 * opened in a temporary folder, a mock wall clock. Records written to a topic that the topology
 * also reads (lanes, repartition topics) are fed back in, as a broker would, until quiet.
 * The main tool for testing processors.
 */
export class TopologyTestDriver {
  private readonly tasks: StreamTask[] = [];
  private readonly stateManagers: StateManager[] = [];
  private readonly taskByTopic = new Map<string, StreamTask>();
  private readonly outputs = new Map<string, ProducedRecord[]>();
  private readonly readPositions = new Map<string, number>();
  private readonly offsets = new Map<string, number>();
  private readonly pending: RawRecord[] = [];
  private wallClockMs: number;
  private readonly ownedStateDir: string | null;
  private ready: Promise<void>;
  private closed = false;

  constructor(
    private readonly topology: Topology,
    options: TopologyTestDriverOptions = {},
  ) {
    this.wallClockMs = options.initialWallClockTimeMs ?? 0;
    this.ownedStateDir = options.stateDir ? null : mkdtempSync(join(tmpdir(), 'topology-test-driver-'));
    const stateDir = options.stateDir ?? this.ownedStateDir!;
    const applicationId = options.applicationId ?? 'test-driver';
    const deadLetterTopic = options.deadLetterTopic ?? null;
    const collector: RecordCollector = {
      send: (topic, _partition, key, value, timestamp, headers) => this.capture(topic, key, value, timestamp, headers ?? {}),
      partitionsFor: () => 1,
    };
    const changelog = { send: (topic: string, _p: number, key: Buffer, value: Buffer | null, timestamp: number) => this.capture(topic, key, value, timestamp, {}) };

    for (const sub of topology.describe()) {
      // The store context asks for the task's stream time; the task is built after its stores.
    const ref: { task?: StreamTask } = {};
      const taskId = `${sub.id}_0`;
      const stateManager = new StateManager({
        applicationId,
        topology,
        subTopology: sub,
        partition: 0,
        taskId,
        stateDir,
        changelog,
        metrics: null,
        streamTime: () => ref.task?.streamTimeMs() ?? -1,
      });
      this.stateManagers.push(stateManager);
      const task = new StreamTask({
        applicationId,
        subTopology: sub,
        topology,
        partition: 0,
        stores: stateManager.stores,
        collector,
        wallClock: () => this.wallClockMs,
        deserializationHandler: options.deserializationHandler ?? (deadLetterTopic ? continueOnError : failOnError),
        processingHandler: options.processingHandler ?? (deadLetterTopic ? continueOnError : failOnError),
        productionHandler: options.productionHandler ?? (deadLetterTopic ? continueOnError : failOnError),
        deadLetterTopic,
        deadLetterMaxBytes: DEFAULT_DEAD_LETTER_MAX_BYTES,
        metrics: null,
      });
      ref.task = task;
      this.tasks.push(task);
      for (const t of sub.sourceTopics) this.taskByTopic.set(t, task);
    }
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    for (let i = 0; i < this.tasks.length; i++) {
      await this.stateManagers[i]!.open();
      await this.tasks[i]!.initialize();
    }
  }

  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestInputTopic<K, V> {
    if (!this.taskByTopic.has(topic)) throw new TopologyError(`topic "${topic}" is not read by the topology`);
    return new TestInputTopic(this, topic, keySerde, valueSerde);
  }

  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(this, topic, keySerde, valueSerde);
  }

  /** Pipes raw bytes, e.g. to test undecodable input. */
  async pipeRaw(topic: string, key: Buffer | null, value: Buffer | null, timestamp = this.wallClockMs, headers: Headers = {}): Promise<void> {
    await this.ready;
    this.pending.push(this.raw(topic, key, value, timestamp, headers));
    await this.pump();
  }

  /**
   * Moves the mock wall clock forward, runs the wall-clock punctuators that came due, and
   * commits, as the runtime does once its commit interval has passed.
   */
  async advanceWallClockTime(ms: number): Promise<void> {
    await this.ready;
    this.wallClockMs += ms;
    for (const task of this.tasks) await task.punctuateWallClock(this.wallClockMs);
    await this.pump();
    await this.commit();
  }

  wallClockTimeMs(): number {
    return this.wallClockMs;
  }

  getStateStore<S extends StateStore>(name: string): S {
    for (const sm of this.stateManagers) {
      const s = sm.stores.get(name);
      if (s) return s as S;
    }
    throw new TopologyError(`no store named "${name}" (is the driver started? await a pipe or ready() first)`);
  }

  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    return this.getStateStore<KeyValueStore<K, V>>(name);
  }

  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    return this.getStateStore<WindowStore<K, V>>(name);
  }

  /** Resolves once every task is initialized. */
  async readyForUse(): Promise<void> {
    await this.ready;
  }

  /** Every record written to `topic` so far, including already-read ones. */
  producedRecords(topic: string): readonly ProducedRecord[] {
    return this.outputs.get(topic) ?? [];
  }

  /**
   * Commits as the runtime does: flushes processors and stores (writing their changelogs), then
   * runs the processors' `afterCommit`. The driver also commits on its own whenever a processor
   * asks for it (`context.commit()`), once the records piped so far are processed.
   */
  async commit(): Promise<void> {
    await this.ready;
    for (const task of this.tasks) await task.flush();
    for (const task of this.tasks) await task.afterCommit();
    await this.pump();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready;
    for (const task of this.tasks) await task.flush();
    for (const task of this.tasks) await task.afterCommit();
    await this.pump();
    for (const task of this.tasks) {
      await task.flush();
      await task.close();
    }
    for (const sm of this.stateManagers) await sm.close();
    if (this.ownedStateDir) rmSync(this.ownedStateDir, { recursive: true, force: true });
  }

  /** @internal used by TestInputTopic */
  async pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number | undefined, headers: Headers): Promise<void> {
    await this.ready;
    this.pending.push(this.raw(topic, key, value, timestamp ?? this.wallClockMs, headers));
    await this.pump();
  }

  /** @internal used by TestOutputTopic: records not read yet, marking them read. */
  take(topic: string): ProducedRecord[] {
    const all = this.outputs.get(topic) ?? [];
    const from = this.readPositions.get(topic) ?? 0;
    this.readPositions.set(topic, all.length);
    return all.slice(from);
  }

  /** @internal */
  unreadCount(topic: string): number {
    return (this.outputs.get(topic)?.length ?? 0) - (this.readPositions.get(topic) ?? 0);
  }

  private raw(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers): RawRecord {
    const offset = this.offsets.get(topic) ?? 0;
    this.offsets.set(topic, offset + 1);
    return { topic, partition: 0, offset, timestamp, key, value, headers };
  }

  private capture(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers): void {
    const list = this.outputs.get(topic) ?? [];
    list.push({ topic, key, value, timestamp, headers });
    this.outputs.set(topic, list);
    // A topic the topology reads from is fed back in, as the broker would deliver it.
    if (this.taskByTopic.has(topic)) this.pending.push(this.raw(topic, key, value, timestamp, headers));
  }

  private async pump(): Promise<void> {
    for (;;) {
      while (this.pending.length > 0) {
        const raw = this.pending.shift()!;
        const task = this.taskByTopic.get(raw.topic)!;
        task.addRecords([raw]);
        while ((await task.process(1000)) > 0) {
          /* drain the task's buffer */
        }
      }
      // Punctuators and flushes ask too; the flag is read (and cleared) on every task.
      const requested = this.tasks.map((t) => t.takeCommitRequest()).some(Boolean);
      if (!requested) return;
      for (const task of this.tasks) await task.flush();
      for (const task of this.tasks) await task.afterCommit();
    }
  }
}

/** Typed input to one topic of a `TopologyTestDriver`. */
export class TestInputTopic<K, V> {
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  /** Pipes one record; `timestamp` defaults to the driver's wall clock. */
  async pipeInput(key: K | null, value: V | null, timestamp?: number, headers: Headers = {}): Promise<void> {
    const k = key === null ? null : this.keySerde.serialize(this.topic, key, headers);
    const v = value === null ? null : this.valueSerde.serialize(this.topic, value, headers);
    await this.driver.pipe(this.topic, k, v, timestamp, headers);
  }

  async pipeRecordList(records: readonly { key: K | null; value: V | null; timestamp?: number; headers?: Headers }[]): Promise<void> {
    for (const r of records) await this.pipeInput(r.key, r.value, r.timestamp, r.headers ?? {});
  }
}

/** Typed reader of one output topic of a `TopologyTestDriver`; each record is read once. */
export class TestOutputTopic<K, V> {
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  readRecordsToList(): Record<K | null, V | null>[] {
    return this.driver.take(this.topic).map(
      (r) =>
        new Record(
          r.key === null ? null : this.keySerde.deserialize(this.topic, r.key, r.headers),
          r.value === null ? null : this.valueSerde.deserialize(this.topic, r.value, r.headers),
          r.timestamp,
          r.headers,
        ),
    );
  }

  readKeyValuesToList(): { key: K | null; value: V | null }[] {
    return this.readRecordsToList().map((r) => ({ key: r.key, value: r.value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  isEmpty(): boolean {
    return this.driver.unreadCount(this.topic) === 0;
  }

  getQueueSize(): number {
    return this.driver.unreadCount(this.topic);
  }
}

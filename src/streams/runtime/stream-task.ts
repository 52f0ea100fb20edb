import { IllegalStateError, isInfrastructureFailure, ProcessingError, ProductionError, SerializationError, StreamsError, TopologyError } from '../errors.js';
import type { Cancellable, Processor, ProcessorContext, PunctuationType, Punctuator } from '../processor/processor.js';
import { Record, type RecordMetadata } from '../processor/record.js';
import type { StateStore } from '../state/state-store.js';
import type { ProcessorNode, SinkNode, SourceNode, SubTopology, Topology } from '../topology/topology.js';
import type { ExceptionHandler, FailedRecord, FailureStage, RawRecord } from './exception-handlers.js';
import { deadLetterRecord } from './exception-handlers.js';
import { PartitionGroup } from './partition-group.js';
import { PunctuationSchedule } from './punctuation-schedule.js';
import type { RecordCollector } from './record-collector.js';
import type { TaskMetrics } from './task-metrics.js';

/** CREATED → RUNNING → CLOSED. Stores are restored by the owner before `initialize()`. */
export type TaskState = 'CREATED' | 'RUNNING' | 'CLOSED';

export interface StreamTaskOptions {
  readonly applicationId: string;
  readonly subTopology: SubTopology;
  readonly topology: Topology;
  readonly partition: number;
  /** Opened and restored stores of this task, by name. */
  readonly stores: ReadonlyMap<string, StateStore>;
  readonly collector: RecordCollector;
  readonly wallClock: () => number;
  readonly deserializationHandler: ExceptionHandler;
  readonly processingHandler: ExceptionHandler;
  readonly productionHandler: ExceptionHandler;
  /** Where `continue` sends the failed record; null drops it after logging. */
  readonly deadLetterTopic: string | null;
  /** Largest dead-letter record (key, value, headers) to produce; what does not fit is left out. */
  readonly deadLetterMaxBytes: number;
  readonly metrics: TaskMetrics | null;
  readonly onDeadLetter?: (failure: FailedRecord) => void;
  /** A batched prefetch failed and the batch goes on without it (logged by the owner). */
  readonly onPrefetchFailure?: (error: Error) => void;
  readonly requestCommit?: () => void;
}

/** The run-time form of one processor node: its instance, context and children. */
class NodeRuntime {
  /**
   * What `process` forwarded and not yet delivered: records, and the child each was forwarded
   * to (undefined: all). Two parallel arrays rather than a pair per record, which a record
   * passing through six nodes would allocate six times.
   */
  readonly forwarded: Record<unknown, unknown>[] = [];
  readonly forwardedTo: (string | undefined)[] = [];
  children: NodeRuntime[] = [];
  constructor(
    readonly name: string,
    readonly processor: Processor<unknown, unknown, unknown, unknown> | null,
    readonly sink: SinkNode | null,
  ) {}
}

function isPromise(x: unknown): x is Promise<void> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/**
 * One sub-topology on one partition: owns the processor instances, the task's stores, its input
 * buffer and its stream time.
 *
 * Forwarding is deferred: a record forwarded in `process` is handed to the children once the
 * parent's `process` has returned (or its promise resolved), depth first and in forward order.
 * That keeps `forward` synchronous while letting any processor await a store read.
 */
export class StreamTask {
  readonly id: string;
  private state: TaskState = 'CREATED';
  private readonly nodes = new Map<string, NodeRuntime>();
  private readonly sourcesByTopic = new Map<string, { source: SourceNode; runtime: NodeRuntime }>();
  private readonly group: PartitionGroup;
  private readonly streamPunctuations = new PunctuationSchedule('STREAM_TIME');
  private readonly wallPunctuations = new PunctuationSchedule('WALL_CLOCK_TIME');
  private streamTime = -1;
  private current: RawRecord | null = null;
  private currentMeta: RecordMetadata | null = null;
  /** Next offset to commit per source topic (last processed + 1). */
  private readonly consumed = new Map<string, number>();
  private commitRequested = false;
  /** Whether a child of a source prefetches state, or a source serde prefetches schemas. */
  private readonly recordPrefetch: boolean;
  private readonly schemaPrefetch: boolean;
  private readonly afterCommitNodes: NodeRuntime[];

  constructor(private readonly options: StreamTaskOptions) {
    const { subTopology, topology, partition } = options;
    this.id = `${subTopology.id}_${partition}`;
    const weights = new Map<string, number>();
    for (const node of subTopology.nodes) {
      const rt =
        node.kind === 'processor'
          ? new NodeRuntime(node.name, node.supplier(), null)
          : new NodeRuntime(node.name, null, node.kind === 'sink' ? node : null);
      this.nodes.set(node.name, rt);
      if (node.kind === 'source') {
        for (const t of node.topics) {
          this.sourcesByTopic.set(t, { source: node, runtime: rt });
          weights.set(t, node.weight);
        }
      }
    }
    for (const rt of this.nodes.values()) {
      rt.children = topology.childrenOf(rt.name).map((c) => this.nodes.get(c.name)!);
    }
    this.group = new PartitionGroup(weights);
    this.afterCommitNodes = [...this.nodes.values()].filter((rt) => rt.processor?.afterCommit !== undefined);
    this.recordPrefetch = [...this.sourcesByTopic.values()].some(({ runtime }) => runtime.children.some((c) => c.processor?.prefetch !== undefined));
    this.schemaPrefetch = [...this.sourcesByTopic.values()].some(({ source }) => source.keySerde.prefetch !== undefined || source.valueSerde.prefetch !== undefined);
  }

  get taskState(): TaskState {
    return this.state;
  }

  get partition(): number {
    return this.options.partition;
  }

  get subTopologyId(): number {
    return this.options.subTopology.id;
  }

  sourceTopics(): readonly string[] {
    return this.options.subTopology.sourceTopics;
  }

  /** Calls every processor's `init`. Stores must be open and restored. */
  async initialize(): Promise<void> {
    this.transition('CREATED', 'RUNNING');
    for (const node of this.options.subTopology.nodes) {
      if (node.kind !== 'processor') continue;
      const rt = this.nodes.get(node.name)!;
      const result = rt.processor!.init?.(this.contextFor(node, rt));
      if (isPromise(result)) await result;
    }
  }

  /** Buffers consumed records; they are processed by `process`. */
  addRecords(records: readonly RawRecord[]): void {
    for (const r of records) this.group.add(r);
  }

  addRecord(record: RawRecord): void {
    this.group.add(record);
  }

  bufferedCount(topic?: string): number {
    return topic === undefined ? this.group.size() : this.group.sizeOf(topic);
  }

  /**
   * Processes up to `max` buffered records: deserializes them, lets processors prefetch their
   * state for the batch, then runs each record through the graph in order.
   * Returns the number of input records consumed (including dead-lettered ones).
   */
  async process(max: number): Promise<number> {
    this.assertState('RUNNING');
    const raws: RawRecord[] = [];
    for (let i = 0; i < max; i++) {
      const raw = this.group.next();
      if (!raw) break;
      raws.push(raw);
    }
    if (raws.length === 0) return 0;
    if (this.schemaPrefetch) await this.prefetchSchemas(raws);
    // Parallel arrays, not an object per record: the hot path allocates only the Record itself.
    const n = raws.length;
    const records = new Array<Record<unknown, unknown> | null>(n);
    const sources = new Array<NodeRuntime | null>(n);
    for (let i = 0; i < n; i++) {
      const raw = raws[i]!;
      const entry = this.sourcesByTopic.get(raw.topic);
      if (!entry) throw new IllegalStateError(`task ${this.id} got a record of topic "${raw.topic}" it does not read`);
      records[i] = this.deserialize(raw, entry);
      sources[i] = entry.runtime;
    }
    if (this.recordPrefetch) {
      try {
        await this.prefetch(records, sources);
      } catch (err) {
        if (isInfrastructureFailure(err)) throw err;
        // One record spoiled the batched read (a key no store can hold, a processor bug). The
        // read only warms state: without it each record reads for itself, and only the record
        // at fault fails, through its handler.
        this.options.onPrefetchFailure?.(err instanceof Error ? err : new Error(String(err)));
      }
    }

    const started = this.options.metrics ? performance.now() : 0;
    const streamPunctuations = this.streamPunctuations;
    for (let i = 0; i < n; i++) {
      const raw = raws[i]!;
      const record = records[i];
      if (record) {
        const source = sources[i]!;
        this.current = raw;
        this.currentMeta = null;
        if (raw.timestamp > this.streamTime) this.streamTime = raw.timestamp;
        try {
          source.forwarded.push(record);
          source.forwardedTo.push(undefined);
          // Synchronous processors return nothing here: no promise per record.
          const pending = this.drain(source);
          if (pending) await pending;
        } catch (err) {
          this.discardForwarded();
          this.handleFailure('process', err, raw, source.name);
        }
        this.current = null;
        this.currentMeta = null;
        if (!streamPunctuations.isEmpty()) {
          const due = streamPunctuations.due(this.streamTime);
          if (due.length > 0) await this.runPunctuations(due, this.streamTime);
        }
      }
      this.consumed.set(raw.topic, raw.offset + 1);
    }
    this.options.metrics?.recordProcessed(n, performance.now() - started);
    return n;
  }

  /** Runs wall-clock punctuators that are due. */
  async punctuateWallClock(nowMs: number): Promise<boolean> {
    if (this.state !== 'RUNNING' || this.wallPunctuations.isEmpty()) return false;
    const due = this.wallPunctuations.due(nowMs);
    if (due.length === 0) return false;
    await this.runPunctuations(due, nowMs);
    return true;
  }

  /** Offsets to commit (next offset to read) per source topic, since the last call. */
  takeConsumedOffsets(): Map<string, number> {
    const copy = new Map(this.consumed);
    this.consumed.clear();
    return copy;
  }

  /** Whether a processor asked for a commit since the last call. */
  takeCommitRequest(): boolean {
    const r = this.commitRequested;
    this.commitRequested = false;
    return r;
  }

  streamTimeMs(): number {
    return this.streamTime;
  }

  stores(): ReadonlyMap<string, StateStore> {
    return this.options.stores;
  }

  /**
   * The task's part of a commit: 1. flush processors that buffer work (their forwards are
   * delivered), 2. flush every store's cached entries through to disk and to its changelog.
   */
  async flush(): Promise<void> {
    if (this.state === 'RUNNING') {
      for (const node of this.options.subTopology.nodes) {
        const rt = this.nodes.get(node.name)!;
        if (rt.processor?.flush) await this.runHook(rt, () => rt.processor!.flush!());
      }
    }
    for (const store of this.options.stores.values()) await store.flush();
  }

  /** Whether a processor of this task acts after commits (see `Processor.afterCommit`). */
  get hasAfterCommit(): boolean {
    return this.afterCommitNodes.length > 0;
  }

  /** Runs the processors' `afterCommit` once a commit went through. */
  async afterCommit(): Promise<void> {
    if (this.state !== 'RUNNING') return;
    for (const rt of this.afterCommitNodes) await this.runHook(rt, () => rt.processor!.afterCommit!());
  }

  /**
   * Runs a processor's hook outside `process` (flush, afterCommit): its forwards are delivered,
   * and a failure goes to the processing handler like any other.
   */
  private async runHook(rt: NodeRuntime, hook: () => void | Promise<void>): Promise<void> {
    try {
      const result = hook();
      if (isPromise(result)) await result;
      const pending = this.drain(rt);
      if (pending) await pending;
    } catch (err) {
      this.discardForwarded();
      this.handleFailure('process', err, null, rt.name);
    }
  }

  /** Closes processors; stores are closed by their owner. Buffered records are dropped. */
  async close(): Promise<void> {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.group.clear();
    for (const rt of this.nodes.values()) {
      const r = rt.processor?.close?.();
      if (isPromise(r)) await r;
    }
  }

  // --- internals -------------------------------------------------------------------------

  /** The record, or null when it failed and its handler said `continue`. */
  private deserialize(raw: RawRecord, entry: { source: SourceNode }): Record<unknown, unknown> | null {
    const { source } = entry;
    try {
      const key = raw.key === null ? null : source.keySerde.deserialize(raw.topic, raw.key, raw.headers);
      const value = raw.value === null ? null : source.valueSerde.deserialize(raw.topic, raw.value, raw.headers);
      return new Record(key, value, raw.timestamp, raw.headers);
    } catch (err) {
      this.handleFailure('deserialize', err, raw, source.name);
      return null;
    }
  }

  /** Lets serdes fetch what they lack (e.g. unknown schema ids) once per batch, not per record. */
  private async prefetchSchemas(raws: readonly RawRecord[]): Promise<void> {
    for (const [topic, { source }] of this.sourcesByTopic) {
      for (const serde of [source.keySerde, source.valueSerde]) {
        if (!serde.prefetch) continue;
        const pending = serde.prefetch(topic, raws.filter((r) => r.topic === topic).map((r) => (serde === source.keySerde ? r.key : r.value)));
        if (pending) await pending;
      }
    }
  }

  private async prefetch(records: readonly (Record<unknown, unknown> | null)[], sources: readonly (NodeRuntime | null)[]): Promise<void> {
    const bySource = new Map<NodeRuntime, Record<unknown, unknown>[]>();
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const source = sources[i];
      if (!record || !source) continue;
      const list = bySource.get(source);
      if (list) list.push(record);
      else bySource.set(source, [record]);
    }
    const work: Promise<void>[] = [];
    for (const [source, list] of bySource) {
      for (const child of source.children) {
        if (child.processor?.prefetch) work.push(child.processor.prefetch(list));
      }
    }
    if (work.length === 0) return;
    // All settle before a failure is reported, so no read of this batch is still in flight
    // when the records are processed without it.
    const results = await Promise.allSettled(work);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  /** Hands everything `node` forwarded to its children, depth first. Sync unless a child awaits. */
  private drain(node: NodeRuntime): void | Promise<void> {
    const forwarded = node.forwarded;
    if (forwarded.length === 0) return;
    if (forwarded.length === 1) {
      // The usual case (one record in, one out): no array copy.
      const record = forwarded[0]!;
      const childName = node.forwardedTo[0];
      forwarded.length = 0;
      node.forwardedTo.length = 0;
      return this.deliver(node, record, childName);
    }
    const records = forwarded.splice(0, forwarded.length);
    const to = node.forwardedTo.splice(0, node.forwardedTo.length);
    for (let i = 0; i < records.length; i++) {
      const pending = this.deliver(node, records[i]!, to[i]);
      if (pending) return pending.then(() => this.drainRest(node, records, to, i + 1));
    }
  }

  private async drainRest(node: NodeRuntime, records: Record<unknown, unknown>[], to: (string | undefined)[], from: number): Promise<void> {
    for (let i = from; i < records.length; i++) {
      const pending = this.deliver(node, records[i]!, to[i]);
      if (pending) await pending;
    }
  }

  private deliver(node: NodeRuntime, record: Record<unknown, unknown>, childName: string | undefined): void | Promise<void> {
    const children = node.children;
    if (childName !== undefined) {
      for (let i = 0; i < children.length; i++) {
        if (children[i]!.name === childName) return this.run(children[i]!, record);
      }
      throw new TopologyError(`node "${node.name}" forwarded to "${childName}", which is not one of its children`);
    }
    for (let i = 0; i < children.length; i++) {
      const pending = this.run(children[i]!, record);
      if (pending) {
        return pending.then(async () => {
          for (let j = i + 1; j < children.length; j++) {
            const p = this.run(children[j]!, record);
            if (p) await p;
          }
        });
      }
    }
  }

  private run(node: NodeRuntime, record: Record<unknown, unknown>): void | Promise<void> {
    if (node.sink) {
      this.produce(node.sink, record);
      return;
    }
    const result = node.processor!.process(record);
    if (isPromise(result)) return result.then(() => this.drain(node));
    return this.drain(node);
  }

  private produce(sink: SinkNode, record: Record<unknown, unknown>): void {
    let key: Buffer | null;
    let value: Buffer | null;
    try {
      key = record.key === null || record.key === undefined ? null : sink.keySerde.serialize(sink.topic, record.key, record.headers);
      value = record.value === null || record.value === undefined ? null : sink.valueSerde.serialize(sink.topic, record.value, record.headers);
    } catch (err) {
      const error = err instanceof SerializationError ? err : new SerializationError(`sink "${sink.name}" could not serialize a record for topic "${sink.topic}"`, { cause: err });
      this.handleFailure('serialize', error, this.current, sink.name);
      return;
    }
    const partition = sink.partitioner ? sink.partitioner(sink.topic, record.key, record.value, this.options.collector.partitionsFor(sink.topic)) : undefined;
    try {
      this.options.collector.send(sink.topic, partition, key, value, record.timestamp, record.headers);
    } catch (err) {
      // The record itself cannot be produced (too large, invalid); a broker that is away or a
      // producer that failed is not the record's fault and stops the task.
      if (!(err instanceof ProductionError)) throw err;
      this.handleFailure('produce', err, this.current, sink.name);
    }
  }

  private async runPunctuations(
    due: readonly { node: string; punctuator: Punctuator }[],
    timestamp: number,
  ): Promise<void> {
    for (const p of due) {
      const node = this.nodes.get(p.node)!;
      try {
        const result = p.punctuator(timestamp);
        if (isPromise(result)) await result;
        const pending = this.drain(node);
        if (pending) await pending;
      } catch (err) {
        this.discardForwarded();
        this.handleFailure('process', err, null, node.name);
      }
    }
  }

  /** After a failure, records forwarded by the failed record must not leak into the next one. */
  private discardForwarded(): void {
    for (const rt of this.nodes.values()) {
      rt.forwarded.length = 0;
      rt.forwardedTo.length = 0;
    }
  }

  /** Routes a record-level failure through its handler: rethrow, or dead-letter and go on. */
  private handleFailure(stage: FailureStage, err: unknown, raw: RawRecord | null, node: string): void {
    if (isInfrastructureFailure(err)) throw err; // infrastructure failures never reach a handler
    const error = err instanceof Error ? err : new ProcessingError(String(err));
    const failure: FailedRecord = { stage, error, record: raw, node };
    const handler =
      stage === 'deserialize'
        ? this.options.deserializationHandler
        : stage === 'process'
          ? this.options.processingHandler
          : this.options.productionHandler;
    const response = handler(failure);
    if (response === 'fail') {
      if (err instanceof StreamsError) throw err;
      throw new ProcessingError(`task ${this.id}: ${stage} failed at node "${node}": ${error.message}`, { cause: err });
    }
    this.options.metrics?.recordDropped(stage);
    this.options.onDeadLetter?.(failure);
    if (raw && this.options.deadLetterTopic) {
      const dead = deadLetterRecord(failure, this.options.deadLetterMaxBytes, this.id);
      this.options.collector.send(this.options.deadLetterTopic, undefined, dead.key, dead.value, raw.timestamp, dead.headers);
    }
  }

  private contextFor(node: ProcessorNode, rt: NodeRuntime): ProcessorContext<unknown, unknown> {
    const connected = new Set(node.stores);
    const stores = this.options.stores;
    return {
      applicationId: this.options.applicationId,
      taskId: this.id,
      partition: this.options.partition,
      forward: (record: Record<unknown, unknown>, childName?: string) => {
        rt.forwarded.push(record);
        rt.forwardedTo.push(childName);
      },
      schedule: (intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable =>
        type === 'STREAM_TIME'
          ? this.streamPunctuations.add(node.name, intervalMs, punctuator, this.streamTime)
          : this.wallPunctuations.add(node.name, intervalMs, punctuator, this.options.wallClock()),
      getStateStore: <S extends StateStore>(name: string): S => {
        const store = stores.get(name);
        if (!store || !connected.has(name)) {
          throw new TopologyError(`processor "${node.name}" asked for store "${name}", which is not connected to it`);
        }
        return store as S;
      },
      // Built on demand: most processors never ask, so no object per record.
      recordMetadata: () => {
        const raw = this.current;
        if (raw === null) return null;
        return (this.currentMeta ??= { topic: raw.topic, partition: raw.partition, offset: raw.offset });
      },
      currentStreamTimeMs: () => this.streamTime,
      currentSystemTimeMs: () => this.options.wallClock(),
      commit: () => {
        this.commitRequested = true;
        this.options.requestCommit?.();
      },
    };
  }

  private transition(from: TaskState, to: TaskState): void {
    if (this.state !== from) throw new IllegalStateError(`task ${this.id} cannot move from ${this.state} to ${to}`);
    this.state = to;
  }

  private assertState(expected: TaskState): void {
    if (this.state !== expected) throw new IllegalStateError(`task ${this.id} is ${this.state}, expected ${expected}`);
  }
}

import { Registry } from 'prom-client';
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from '../config.js';
import { TopologyError, IllegalStateError } from '../errors.js';
import { KafkaAdmin, type TopicSpec } from '../kafka/admin.js';
import type { SubTopology, Topology } from '../topology/topology.js';
import { changelogTopicName } from './state-manager.js';
import { StreamThread } from './stream-thread.js';
import { StreamsMetrics } from './task-metrics.js';

/**
 * Kafka Streams' states: CREATED → STARTING → REBALANCING ⇄ RUNNING → PENDING_SHUTDOWN →
 * NOT_RUNNING; ERROR once a thread died. REBALANCING: started, but some thread has no
 * assignment yet, a rebalance to apply, tasks restoring, or commits failing while Kafka is away.
 */
export type StreamsState = 'CREATED' | 'STARTING' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR';

/** How often the application asks a broker whether it answers (readiness). */
const KAFKA_PROBE_INTERVAL_MS = 2_000;

export interface KafkaStreamsOptions {
  /** Stream threads in this process, each with its own consumer in the group. Default 1. */
  readonly threads?: number;
  /** Index of the first thread's name (`thread-<i>`), so that threads in workers get distinct client ids. Default 0. */
  readonly firstThreadIndex?: number;
}

/**
 * The runtime: runs a topology against a Kafka cluster as a member of the consumer group named
 * by `applicationId`. Start as many processes as there are partitions to share; tasks move
 * between them on rebalance and restore their stores from changelogs.
 */
export class KafkaStreams {
  private streamsState: StreamsState = 'CREATED';
  private lastKafkaAnswerMs = 0;
  private probe: NodeJS.Timeout | null = null;
  private readonly config: ResolvedStreamsConfig;
  private readonly threads: StreamThread[] = [];
  private readonly admin: KafkaAdmin;
  private readonly subTopologies: SubTopology[];
  readonly metrics: StreamsMetrics | null;

  constructor(
    private readonly topology: Topology,
    config: StreamsConfig,
    private readonly options: KafkaStreamsOptions = {},
  ) {
    this.config = resolveStreamsConfig(config, options.threads ?? 1);
    this.subTopologies = topology.describe();
    this.admin = new KafkaAdmin({ 'bootstrap.servers': this.config.bootstrapServers, ...this.config.clientConfig });
    this.metrics = this.config.metrics ? new StreamsMetrics(this.config.metrics) : null;
  }

  get state(): StreamsState {
    if (this.streamsState !== 'RUNNING') return this.streamsState;
    if (this.threads.some((t) => t.state === 'ERROR')) return 'ERROR';
    return this.threads.every((t) => t.allTasksRunning()) ? 'RUNNING' : 'REBALANCING';
  }

  /**
   * RUNNING — every thread holds an assignment and runs all its tasks — and Kafka answered
   * within `kafkaUnreachableAfterMs`. Backs `/readyz`.
   */
  isReady(): boolean {
    return this.state === 'RUNNING' && this.kafkaReachable();
  }

  /** False once no broker has answered the probe, or commits have failed, for the configured bound. */
  kafkaReachable(): boolean {
    const now = Date.now();
    const bound = this.config.kafkaUnreachableAfterMs;
    if (now - this.lastKafkaAnswerMs > bound) return false;
    return this.threads.every((t) => t.kafkaUnreachableSince === null || now - t.kafkaUnreachableSince <= bound);
  }

  /** Asks a broker for metadata every few seconds; each answer renews readiness. */
  private startKafkaProbe(topic: string): void {
    this.lastKafkaAnswerMs = Date.now();
    let inFlight = false;
    this.probe = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      this.admin
        .ping(topic, KAFKA_PROBE_INTERVAL_MS)
        .then(
          () => (this.lastKafkaAnswerMs = Date.now()),
          () => undefined,
        )
        .finally(() => (inFlight = false));
    }, KAFKA_PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  runningTaskIds(): string[] {
    return this.threads.flatMap((t) => t.runningTaskIds());
  }

  /** The first failure of any thread, if one died. */
  failure(): Error | null {
    for (const t of this.threads) if (t.failureCause()) return t.failureCause();
    return null;
  }

  /**
   * Checks the source topics (they must exist, and the sources of one sub-topology must have the
   * same partition count), creates missing changelog topics, then starts the threads.
   */
  async start(): Promise<void> {
    if (this.streamsState !== 'CREATED') throw new IllegalStateError(`start() called in state ${this.streamsState}`);
    this.streamsState = 'STARTING';
    const sourceTopics = this.subTopologies.flatMap((s) => s.sourceTopics);
    const dlq = this.config.deadLetterTopic;
    const counts = await this.admin.partitionCounts([...sourceTopics, ...this.topology.sinkTopics(), ...(dlq ? [dlq] : [])]);
    if (dlq && !counts.has(dlq)) {
      throw new TopologyError(`dead-letter topic ${dlq} does not exist; create it first (failed records go there)`);
    }
    const changelogs: TopicSpec[] = [];
    for (const sub of this.subTopologies) {
      const missing = sub.sourceTopics.filter((t) => !counts.has(t));
      if (missing.length > 0) {
        throw new TopologyError(`source topic(s) ${missing.join(', ')} do not exist; create them first (e.g. the CLI's "topics create")`);
      }
      const partitions = new Set(sub.sourceTopics.map((t) => counts.get(t)!));
      if (partitions.size > 1) {
        throw new TopologyError(
          `sub-topology ${sub.id} reads ${sub.sourceTopics.map((t) => `${t} (${counts.get(t)} partitions)`).join(', ')}; ` +
            'topics read together must have the same partition count',
        );
      }
      const n = counts.get(sub.sourceTopics[0]!)!;
      for (const store of sub.storeNames) {
        const builder = this.topology.storeBuilder(store)!;
        if (!builder.loggingEnabled) continue;
        changelogs.push({
          name: changelogTopicName(this.config.applicationId, store),
          partitions: n,
          replicationFactor: this.config.replicationFactor,
          config: { 'cleanup.policy': 'compact', ...builder.changelogConfig },
        });
      }
    }
    // Every store of every task this process could own (in-memory ones too): the memory budget's divisor.
    this.config.memory.stores.expectStores(this.subTopologies.reduce((sum, sub) => sum + sub.storeNames.length * counts.get(sub.sourceTopics[0]!)!, 0));
    await this.admin.createTopics(changelogs);
    const missingSinks = this.topology.sinkTopics().filter((t) => !counts.has(t));
    if (missingSinks.length > 0) {
      throw new TopologyError(`sink topic(s) ${missingSinks.join(', ')} do not exist; create them first`);
    }
    const n = this.options.threads ?? 1;
    const first = this.options.firstThreadIndex ?? 0;
    for (let i = first; i < first + n; i++) {
      this.threads.push(new StreamThread(this.topology, this.subTopologies, this.config, this.admin, this.metrics, `thread-${i}`));
    }
    for (const t of this.threads) await t.start();
    this.startKafkaProbe(sourceTopics[0]!);
    this.streamsState = 'RUNNING';
  }

  /** Stops fetching, commits, closes tasks with checkpoints and leaves the group. */
  async close(): Promise<void> {
    if (this.streamsState === 'NOT_RUNNING' || this.streamsState === 'CREATED') {
      this.streamsState = 'NOT_RUNNING';
      await this.admin.close();
      return;
    }
    this.streamsState = 'PENDING_SHUTDOWN';
    if (this.probe) clearInterval(this.probe);
    await Promise.all(this.threads.map((t) => t.shutdown()));
    await this.admin.close();
    this.streamsState = this.failure() ? 'ERROR' : 'NOT_RUNNING';
  }

  /** A registry to expose when the caller gave none. */
  static newRegistry(): Registry {
    return new Registry();
  }
}

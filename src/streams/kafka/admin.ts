import KafkaJs from '@confluentinc/kafka-javascript';
import { KafkaError } from '../errors.js';
import { call } from './promisify.js';

const { AdminClient, Producer, CODES } = KafkaJs;

/** A topic the runtime or a tool wants to exist. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * The few admin operations the engine and its tools need: create topics idempotently and read
 * partition counts. `clientConfig` is passed to librdkafka as is (bootstrap, SASL, SSL).
 */
export class KafkaAdmin {
  private readonly admin: ReturnType<typeof AdminClient.create>;
  private readonly metadataClient: InstanceType<typeof Producer>;
  private connected: Promise<void> | null = null;

  constructor(private readonly clientConfig: Record<string, unknown>) {
    this.admin = AdminClient.create({ ...clientConfig } as never);
    this.metadataClient = new Producer({ ...clientConfig } as never);
  }

  private connect(): Promise<void> {
    this.connected ??= call<unknown>('connecting the metadata client', (cb) => this.metadataClient.connect({ timeout: 10_000 }, cb)).then(() => undefined);
    return this.connected;
  }

  /** Creates the topics that do not exist; existing ones are left as they are. */
  async createTopics(topics: readonly TopicSpec[], timeoutMs = 30_000): Promise<{ created: string[]; existing: string[] }> {
    const created: string[] = [];
    const existing: string[] = [];
    for (const t of topics) {
      try {
        await call('creating topic ' + t.name, (cb) =>
          this.admin.createTopic(
            { topic: t.name, num_partitions: t.partitions, replication_factor: t.replicationFactor, config: { ...(t.config ?? {}) } },
            timeoutMs,
            cb,
          ),
        );
        created.push(t.name);
      } catch (err) {
        if (err instanceof KafkaError && (err.cause as { code?: number })?.code === CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS) existing.push(t.name);
        else throw err;
      }
    }
    if (created.length > 0) await this.awaitTopics(created, timeoutMs);
    return { created, existing };
  }

  /** Partition count per topic; topics that do not exist are absent from the result. */
  async partitionCounts(topics: readonly string[], timeoutMs = 10_000): Promise<Map<string, number>> {
    await this.connect();
    const result = new Map<string, number>();
    const md = await call<{ topics: { name: string; partitions: unknown[] }[] }>('reading metadata', (cb) =>
      this.metadataClient.getMetadata({ timeout: timeoutMs }, cb as never),
    );
    const wanted = new Set(topics);
    for (const t of md.topics) if (wanted.has(t.name) && t.partitions.length > 0) result.set(t.name, t.partitions.length);
    return result;
  }

  /** Resolves when a broker answers a metadata request for `topic` within the timeout. */
  async ping(topic: string, timeoutMs = 2_000): Promise<void> {
    await this.connect();
    await call('asking the broker for metadata', (cb) => this.metadataClient.getMetadata({ topic, timeout: timeoutMs }, cb as never));
  }

  async listTopics(timeoutMs = 10_000): Promise<string[]> {
    return call<string[]>('listing topics', (cb) => this.admin.listTopics({ timeout: timeoutMs }, cb));
  }

  async deleteTopic(name: string, timeoutMs = 30_000): Promise<void> {
    await call('deleting topic ' + name, (cb) => this.admin.deleteTopic(name, timeoutMs, cb));
  }

  /** Waits until freshly created topics show up in metadata with their partitions. */
  private async awaitTopics(names: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const counts = await this.partitionCounts(names);
      if (names.every((n) => counts.has(n))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new KafkaError(`topics ${names.join(', ')} were created but did not appear in metadata within ${timeoutMs} ms`, { retriable: true });
  }

  async close(): Promise<void> {
    this.admin.disconnect();
    if (this.connected) {
      await this.connected.catch(() => undefined);
      // A client that never connected has nothing to disconnect (and would throw).
      if (this.metadataClient.isConnected()) {
        await new Promise<void>((resolve) => this.metadataClient.disconnect(5000, () => resolve()));
      }
    }
  }
}

import KafkaJs from '@confluentinc/kafka-javascript';
import type { NativeMessage, TopicPartition, TopicPartitionOffset } from './consumer.js';
import { call, toKafkaError } from './promisify.js';

const { KafkaConsumer, CODES } = KafkaJs;
/** Methods that exist at run time but are missing from the typings. */
type NativeConsumer = InstanceType<typeof KafkaConsumer> & {
  incrementalAssign(partitions: unknown[]): void;
  incrementalUnassign(partitions: unknown[]): void;
  setDefaultIsTimeoutOnlyForFirstMessage(value: boolean): void;
  offsetsForTimes(partitions: unknown[], timeoutMs: number, cb: (err: unknown, result?: TopicPartitionOffset[]) => void): void;
};

/** One changelog record as the restore consumer hands it out. `key` null: the record has none. */
export interface ChangelogMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
}

/** What one `consume` returned: records, and the partitions whose end it reached meanwhile. */
export interface RestoreBatch {
  readonly records: readonly ChangelogMessage[];
  /** Partitions the consumer reached the end of, with that end offset (`partition.eof`). */
  readonly ends: readonly TopicPartitionOffset[];
}

/**
 * The client the state updater reads changelogs with: assigned by hand (no group, nothing
 * committed), reading committed data only. An interface so that tests can hand in a fake.
 */
export interface RestoreConsumer {
  connect(): Promise<void>;
  /**
   * End offsets of the partitions, in one request per broker: the last stable offset under
   * `read_committed` (records of a transaction still open lie beyond it and are not restored).
   */
  endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /** Adds the partitions to the assignment, each read from its offset. */
  assign(partitions: readonly TopicPartitionOffset[]): void;
  /** Removes the partitions from the assignment; records of theirs already fetched are dropped. */
  unassign(partitions: readonly TopicPartition[]): void;
  /** Up to `max` records of the assigned partitions; waits at most `timeoutMs` for the first. */
  consume(max: number, timeoutMs: number): Promise<RestoreBatch>;
  /**
   * Next offset to read per partition, past transaction markers (-1001 when not yet known).
   * Covers what `consume` has handed out so far.
   */
  positions(partitions: readonly TopicPartition[]): TopicPartitionOffset[];
  close(): Promise<void>;
}

/**
 * The librdkafka restore consumer of a stream thread. `clientConfig` carries bootstrap servers,
 * client id and security settings.
 */
export class KafkaRestoreConsumer implements RestoreConsumer {
  private readonly consumer: NativeConsumer;
  private readonly ends: TopicPartitionOffset[] = [];
  private connected = false;

  constructor(clientConfig: Record<string, unknown>) {
    this.consumer = new KafkaConsumer(
      {
        // Restore is bulk reading: large fetches, many records queued ahead of the JS thread —
        // unless the caller sizes them (the stream thread does, from its part of the memory).
        'fetch.max.bytes': 52_428_800,
        'max.partition.fetch.bytes': 10_485_760,
        'fetch.wait.max.ms': 100,
        ...clientConfig,
        // Required by the client; the consumer never joins the group nor commits.
        'group.id': `${String(clientConfig['client.id'] ?? 'streams')}-restore`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'enable.partition.eof': true,
        'isolation.level': 'read_committed',
      } as never,
      { 'auto.offset.reset': 'earliest' } as never,
    ) as NativeConsumer;
    // Emitted synchronously while a consume's callback is prepared: collected for its result.
    this.consumer.on('partition.eof', (e: TopicPartitionOffset) => this.ends.push({ topic: e.topic, partition: e.partition, offset: e.offset }));
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await call('connecting the restore consumer', (cb) => this.consumer.connect({ timeout: 15_000 }, cb as never));
    // Take what is fetched once the first record is there, rather than waiting for `max`.
    this.consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    this.connected = true;
  }

  endOffsets(partitions: readonly TopicPartition[], timeoutMs = 10_000): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return Promise.resolve([]);
    // Timestamp -1 asks for the latest offset (ListOffsets), for all partitions in one call.
    const query = partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: -1 }));
    return call<TopicPartitionOffset[]>('reading changelog end offsets', (cb) => this.consumer.offsetsForTimes(query, timeoutMs, cb)).then((result) =>
      result.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset })),
    );
  }

  assign(partitions: readonly TopicPartitionOffset[]): void {
    if (partitions.length > 0) this.consumer.incrementalAssign(partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
  }

  unassign(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.incrementalUnassign(partitions.map((p) => ({ topic: p.topic, partition: p.partition })));
  }

  consume(max: number, timeoutMs: number): Promise<RestoreBatch> {
    this.consumer.setDefaultConsumeTimeout(timeoutMs);
    return new Promise((resolve, reject) => {
      this.consumer.consume(max, (err, messages) => {
        const ends = this.ends.splice(0, this.ends.length);
        if (err) {
          const code = (err as { code?: number }).code;
          if (code === CODES.ERRORS.ERR__TIMED_OUT || code === CODES.ERRORS.ERR__PARTITION_EOF) return resolve({ records: [], ends });
          return reject(toKafkaError('reading a changelog', err));
        }
        const records = messages as unknown as NativeMessage[];
        // Normalised in place: the binding already made one object per message.
        for (const m of records) {
          if (m.key === undefined) m.key = null;
          else if (typeof m.key === 'string') m.key = Buffer.from(m.key);
          if (m.timestamp === undefined) m.timestamp = 0;
        }
        resolve({ records: records as ChangelogMessage[], ends });
      });
    });
  }

  positions(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    if (partitions.length === 0) return [];
    try {
      return (this.consumer.position(partitions.map((p) => ({ topic: p.topic, partition: p.partition })) as never) as TopicPartitionOffset[]).map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset ?? -1001,
      }));
    } catch (err) {
      throw toKafkaError('reading restore positions', err);
    }
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

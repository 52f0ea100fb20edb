import KafkaJs from '@confluentinc/kafka-javascript';
import type { StateStore, ChangelogRecord } from '../state/state-store.js';
import { call, toKafkaError } from '../kafka/promisify.js';

const { KafkaConsumer } = KafkaJs;

export interface RestoreResult {
  readonly store: string;
  readonly restored: number;
  /** Next changelog offset after the restored data (the checkpoint to write). */
  readonly nextOffset: number;
}

/**
 * Reads changelog partitions into stores before their task processes anything. Uses its own
 * consumer, assigned by hand (no group), reading committed data only, so records of aborted
 * transactions never enter a store.
 */
export class ChangelogReader {
  private readonly consumer: InstanceType<typeof KafkaConsumer>;
  private connected = false;
  private readonly eof = new Set<string>();

  constructor(clientConfig: Record<string, unknown>) {
    this.consumer = new KafkaConsumer(
      {
        // 50 MB fetches unless the caller sizes them (the stream thread does, from its memory part).
        'fetch.max.bytes': 52_428_800,
        ...clientConfig,
        'group.id': `${String(clientConfig['client.id'] ?? 'streams')}-restore`,
        'enable.auto.commit': false,
        'enable.partition.eof': true,
        'isolation.level': 'read_committed',
      } as never,
      { 'auto.offset.reset': 'earliest' } as never,
    );
    this.consumer.on('partition.eof', (e: { topic: string; partition: number }) => this.eof.add(`${e.topic}:${e.partition}`));
  }

  private async connect(): Promise<void> {
    if (this.connected) return;
    await call('connecting the restore consumer', (cb) => this.consumer.connect({ timeout: 15_000 }, cb as never));
    this.consumer.setDefaultConsumeTimeout(100);
    this.connected = true;
  }

  /** End offset of a changelog partition: where restore stops. */
  async endOffset(topic: string, partition: number): Promise<number> {
    await this.connect();
    const w = await call<{ highOffset: number }>('reading changelog end offset', (cb) =>
      this.consumer.queryWatermarkOffsets(topic, partition, 10_000, cb as never),
    );
    return w.highOffset;
  }

  /**
   * Applies `topic`/`partition` from `fromOffset` up to its current end to `store`, in batches.
   * `onProgress` is told each batch's size (restore progress metrics).
   */
  async restore(store: StateStore, topic: string, partition: number, fromOffset: number, onProgress: (n: number) => void): Promise<RestoreResult> {
    const end = await this.endOffset(topic, partition);
    if (fromOffset >= end) return { store: store.name, restored: 0, nextOffset: Math.max(fromOffset, end) };
    const key = `${topic}:${partition}`;
    this.eof.delete(key);
    this.consumer.assign([{ topic, partition, offset: fromOffset }]);
    let restored = 0;
    let next = fromOffset;
    try {
      while (next < end && !this.eof.has(key)) {
        const messages = await new Promise<{ offset: number; key?: Buffer | string | null; value: Buffer | null; timestamp?: number }[]>((resolve, reject) =>
          this.consumer.consume(5000, (err, msgs) => (err ? reject(toKafkaError('restoring ' + topic, err)) : resolve(msgs as never))),
        );
        if (messages.length === 0) continue;
        const batch: ChangelogRecord[] = [];
        for (const m of messages) {
          if (m.offset >= end) break;
          if (m.key === null || m.key === undefined) continue;
          batch.push({ key: typeof m.key === 'string' ? Buffer.from(m.key) : m.key, value: m.value, timestamp: m.timestamp ?? 0 });
          next = m.offset + 1;
        }
        if (batch.length > 0) {
          await store.restoreBatch(batch);
          restored += batch.length;
          onProgress(batch.length);
        }
      }
    } finally {
      this.consumer.unassign();
    }
    // Transaction markers occupy offsets too: the end is where the next record will go.
    return { store: store.name, restored, nextOffset: end };
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

import KafkaJs from '@confluentinc/kafka-javascript';
import type { Headers } from '../processor/record.js';
import type { KafkaError } from '../errors.js';
import { call, toKafkaError } from './promisify.js';
import type { GroupConsumer, TopicPartitionOffset } from './consumer.js';

const { Producer, CODES } = KafkaJs;
type NativeProducer = InstanceType<typeof Producer>;

/** The settings every stream thread's producer starts from (benchmarks measure raw produce with them too). */
export const STREAM_PRODUCER_DEFAULTS = {
  // Java clients' key hashing, so that our outputs land on the partitions producers chose.
  partitioner: 'murmur2_random',
  'linger.ms': 5,
  'batch.num.messages': 10_000,
  'queue.buffering.max.messages': 500_000,
  // No compression, as the Java producer defaults: with the broker near (same host or rack),
  // CPU is scarcer than bandwidth — lz4 cost the notification topology 5–10% of its throughput
  // (client compression, broker decompression to validate). Set it in `producerConfig` for a
  // broker across a slow or paid link.
  'compression.type': 'none',
  'enable.idempotence': true,
} as const;

/**
 * The producer of a stream thread. No per-record delivery reports (they cost 4× the throughput):
 * `delivery.report.only.error` surfaces failures, which fail the next `flush`; under
 * exactly-once the transaction's commit reports them.
 */
export class StreamProducer {
  private readonly producer: NativeProducer;
  private deliveryError: KafkaError | null = null;
  private transactional: boolean;

  constructor(config: Record<string, unknown>) {
    this.transactional = typeof config['transactional.id'] === 'string';
    this.producer = new Producer({
      'delivery.report.only.error': true,
      dr_cb: true,
      ...config,
    } as never);
    this.producer.on('delivery-report', (err: unknown) => {
      // Purged records belong to a transaction this producer aborted: dropping them is the point.
      const code = (err as { code?: number } | null)?.code;
      if (code === CODES.ERRORS.ERR__PURGE_QUEUE || code === CODES.ERRORS.ERR__PURGE_INFLIGHT) return;
      if (err && !this.deliveryError) this.deliveryError = toKafkaError('a record could not be delivered', err);
    });
    this.producer.on('event.error', (err: unknown) => {
      const e = err as { isFatal?: boolean };
      if (e.isFatal && !this.deliveryError) this.deliveryError = toKafkaError('the producer failed', err);
    });
  }

  get isTransactional(): boolean {
    return this.transactional;
  }

  async connect(): Promise<void> {
    await call('connecting the producer', (cb) => this.producer.connect({ timeout: 15_000 }, cb as never));
    // Delivery reports (errors only) are served by a background poll.
    this.producer.setPollInterval(50);
    if (this.transactional) await call('initializing transactions', (cb) => this.producer.initTransactions(30_000, cb));
  }

  send(topic: string, partition: number | undefined, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers | undefined): void {
    let hs: { [k: string]: Buffer }[] | undefined;
    if (headers) {
      for (const name in headers) (hs ??= []).push({ [name]: headers[name]! });
    }
    for (;;) {
      try {
        this.producer.produce(topic, partition ?? null, value, key ?? undefined, timestamp, undefined, hs);
        return;
      } catch (err) {
        // Queue full: serve delivery reports and retry; anything else is a real failure.
        if ((err as { code?: number }).code === KafkaJs.CODES.ERRORS.ERR__QUEUE_FULL) {
          this.producer.poll();
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        throw toKafkaError(`producing to ${topic}`, err);
      }
    }
  }

  /** Waits until everything produced so far is acknowledged; throws the first delivery error. */
  async flush(timeoutMs = 60_000): Promise<void> {
    await call('flushing the producer', (cb) => this.producer.flush(timeoutMs, cb));
    this.throwDeliveryError();
  }

  throwDeliveryError(): void {
    if (this.deliveryError) {
      const e = this.deliveryError;
      this.deliveryError = null;
      throw e;
    }
  }

  beginTransaction(): Promise<void> {
    return call('beginning a transaction', (cb) => this.producer.beginTransaction(cb));
  }

  sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], consumer: GroupConsumer): Promise<void> {
    return call('sending offsets to the transaction', (cb) =>
      this.producer.sendOffsetsToTransaction(offsets as never, consumer.native, 30_000, cb),
    );
  }

  async commitTransaction(): Promise<void> {
    await call('committing the transaction', (cb) => this.producer.commitTransaction(60_000, cb));
    this.throwDeliveryError();
  }

  abortTransaction(): Promise<void> {
    return call('aborting the transaction', (cb) => this.producer.abortTransaction(30_000, cb));
  }

  /** High watermark (offset after the last record) of a partition, asked of the broker. */
  endOffset(topic: string, partition: number, timeoutMs = 10_000): Promise<number> {
    return call<{ highOffset: number }>('reading end offsets', (cb) =>
      this.producer.queryWatermarkOffsets(topic, partition, timeoutMs, cb as never),
    ).then((w) => w.highOffset);
  }

  async close(): Promise<void> {
    if (!this.producer.isConnected()) return;
    await new Promise<void>((resolve) => this.producer.disconnect(10_000, () => resolve()));
  }
}

import KafkaJs from '@confluentinc/kafka-javascript';
import type { Headers } from '../processor/record.js';
import { ProductionError, type KafkaError } from '../errors.js';
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
 * librdkafka codes that refuse one record for what it is (too large, invalid, against a topic's
 * policy), not the broker or the producer as a whole.
 */
const RECORD_REFUSED = new Set<number>([
  CODES.ERRORS.ERR_MSG_SIZE_TOO_LARGE,
  CODES.ERRORS.ERR_RECORD_LIST_TOO_LARGE,
  CODES.ERRORS.ERR_INVALID_RECORD,
  CODES.ERRORS.ERR_INVALID_TIMESTAMP,
  CODES.ERRORS.ERR_POLICY_VIOLATION,
  CODES.ERRORS.ERR__INVALID_ARG,
]);

/** A record the broker refused after `send` had accepted it. */
export interface RefusedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly error: ProductionError;
}

/** Identifies a refused record when it is produced again (after an aborted transaction). */
function fingerprint(topic: string, key: Buffer | null, value: Buffer | null): string {
  return `${topic}\u0000${key?.toString('base64') ?? ''}\u0000${value?.length ?? -1}:${value?.subarray(0, 64).toString('base64') ?? ''}`;
}

/**
 * The producer of a stream thread. No per-record delivery reports (they cost 4× the throughput):
 * `delivery.report.only.error` surfaces failures, which fail the next `flush`; under
 * exactly-once the transaction's commit reports them.
 */
export class StreamProducer {
  private readonly producer: NativeProducer;
  private deliveryError: KafkaError | null = null;
  private transactional: boolean;
  private refused: RefusedRecord[] = [];
  /** Between a begun transaction and its commit or abort. */
  private transactionOpen = false;
  /** Records refused in an aborted transaction, refused up front when the tasks produce them again. */
  private readonly knownRefused = new Map<string, ProductionError>();

  constructor(config: Record<string, unknown>) {
    this.transactional = typeof config['transactional.id'] === 'string';
    this.producer = new Producer({
      'delivery.report.only.error': true,
      // Reports carry the record's value; only failed records are reported, so it costs nothing
      // on the way that matters.
      dr_msg_cb: true,
      ...config,
    } as never);
    this.producer.on('delivery-report', (err: unknown, report: { topic?: string; partition?: number; key?: Buffer | string | null; value?: Buffer | null } | undefined) => {
      // Purged records belong to a transaction this producer aborted: dropping them is the point.
      const code = (err as { code?: number } | null)?.code;
      if (!err || code === CODES.ERRORS.ERR__PURGE_QUEUE || code === CODES.ERRORS.ERR__PURGE_INFLIGHT) return;
      if (code !== undefined && RECORD_REFUSED.has(code) && report?.topic !== undefined) {
        const key = report.key === undefined || report.key === null ? null : Buffer.isBuffer(report.key) ? report.key : Buffer.from(report.key);
        const error = new ProductionError(`the broker refused a record for ${report.topic}: ${(err as { message?: string }).message ?? String(err)} (code ${code})`, { cause: err });
        this.refused.push({ topic: report.topic, partition: report.partition ?? -1, key, value: report.value ?? null, error });
        return;
      }
      if (!this.deliveryError) this.deliveryError = toKafkaError('a record could not be delivered', err);
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

  /**
   * Queues a record. Throws `ProductionError` when the record itself cannot be produced (larger
   * than `message.max.bytes`, or refused by the broker before in an aborted transaction), and
   * `KafkaError` when the producer cannot take records at all.
   */
  send(topic: string, partition: number | undefined, key: Buffer | null, value: Buffer | null, timestamp: number, headers: Headers | undefined): void {
    if (this.knownRefused.size > 0) {
      const id = fingerprint(topic, key, value);
      const refused = this.knownRefused.get(id);
      if (refused) {
        this.knownRefused.delete(id);
        throw refused;
      }
    }
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
        const code = (err as { code?: number }).code;
        // The transaction already failed (a record of it was refused, or it timed out): its
        // commit fails and it is aborted, and everything in it produced again. A record
        // added now would be dropped with it anyway.
        if (code === CODES.ERRORS.ERR__STATE && this.transactionOpen) return;
        if (code !== undefined && RECORD_REFUSED.has(code)) {
          throw new ProductionError(`producing to ${topic}: ${(err as { message?: string }).message ?? String(err)} (code ${code}; key, value and headers ${recordBytes(key, value, hs)} bytes)`, { cause: err });
        }
        throw toKafkaError(`producing to ${topic}`, err);
      }
    }
  }

  /** Waits until everything produced so far is acknowledged; throws the first delivery error. */
  async flush(timeoutMs = 60_000): Promise<void> {
    await call('flushing the producer', (cb) => this.producer.flush(timeoutMs, cb));
    await this.deliveryReportsDispatched();
    this.throwDeliveryError();
  }

  /**
   * The flush has served every delivery report, but the binding hands them to JS through an
   * async handle of its own that libuv runs after the flush's completion in the same loop
   * iteration: one macrotask later they have all arrived. Without it a refusal could surface
   * only after its input's offset was committed.
   */
  private deliveryReportsDispatched(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Records the broker refused since the last call (record-level failures, not the producer's). */
  takeRefused(): RefusedRecord[] {
    const r = this.refused;
    if (r.length > 0) this.refused = [];
    return r;
  }

  /** After a failed transaction commit: the refused records, once their reports have arrived. */
  async settleRefused(): Promise<RefusedRecord[]> {
    this.producer.poll();
    await this.deliveryReportsDispatched();
    return this.takeRefused();
  }

  /**
   * Remembers records refused in a transaction about to be aborted: when the tasks produce them
   * again from the last commit, `send` refuses them at once, so the task's production handler
   * decides for the input record instead of the transaction failing over and over.
   */
  refuseAgain(records: readonly RefusedRecord[]): void {
    for (const r of records) this.knownRefused.set(fingerprint(r.topic, r.key, r.value), r.error);
  }

  throwDeliveryError(): void {
    if (this.deliveryError) {
      const e = this.deliveryError;
      this.deliveryError = null;
      throw e;
    }
  }

  async beginTransaction(): Promise<void> {
    await call('beginning a transaction', (cb) => this.producer.beginTransaction(cb));
    this.transactionOpen = true;
  }

  sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], consumer: GroupConsumer): Promise<void> {
    return call('sending offsets to the transaction', (cb) =>
      this.producer.sendOffsetsToTransaction(offsets as never, consumer.native, 30_000, cb),
    );
  }

  async commitTransaction(): Promise<void> {
    await call('committing the transaction', (cb) => this.producer.commitTransaction(60_000, cb));
    this.transactionOpen = false;
    await this.deliveryReportsDispatched();
    this.throwDeliveryError();
  }

  async abortTransaction(): Promise<void> {
    await call('aborting the transaction', (cb) => this.producer.abortTransaction(30_000, cb));
    this.transactionOpen = false;
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

function recordBytes(key: Buffer | null, value: Buffer | null, headers: { [k: string]: Buffer }[] | undefined): number {
  let n = (key?.length ?? 0) + (value?.length ?? 0);
  for (const h of headers ?? []) for (const name in h) n += name.length + h[name]!.length;
  return n;
}

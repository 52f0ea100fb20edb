/**
 * A producer for records that must be durable before anyone is told they were accepted (the
 * HTTP intake, `produce`): idempotent, acks=all, and every `send` resolves only on the
 * broker's delivery report. Keys hash with murmur2 like the Java client, so records land on the
 * partition any Kafka producer would choose.
 *
 * When the cluster cannot be reached, `send` rejects with {@link KafkaUnavailableError} —
 * immediately if the producer never connected, or after `deliveryTimeoutMs` otherwise. A
 * record whose delivery timed out is, in rare cases, written anyway (librdkafka cannot always
 * tell); callers retry with the same messageId and deduplication makes that harmless.
 */
import KafkaJs from '@confluentinc/kafka-javascript';

const { Producer } = KafkaJs;
type NativeProducer = InstanceType<typeof Producer>;

/** The cluster did not take the record; nothing was acknowledged. */
export class KafkaUnavailableError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaUnavailableError';
  }
}

export interface DurableProducerOptions {
  readonly bootstrapServers: string;
  /** librdkafka settings passed as they are (SASL, SSL). */
  readonly clientConfig?: Readonly<Record<string, string | number | boolean>>;
  /** How long a record may wait for acknowledgement before `send` rejects. Default 10 s. */
  readonly deliveryTimeoutMs?: number;
  /** How long `connect` waits for the cluster's metadata. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Passed as `client.id`. */
  readonly clientId?: string;
}

export interface Delivered {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

interface Pending {
  resolve(d: Delivered): void;
  reject(e: Error): void;
}

export class DurableProducer {
  private producer: NativeProducer | null = null;
  private connecting: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: DurableProducerOptions) {}

  /** True once connected; false before, after a failed connect, and after close. */
  get connected(): boolean {
    return this.producer !== null && !this.closed;
  }

  /**
   * Connects, or joins the attempt in progress. Rejects with {@link KafkaUnavailableError} when
   * the cluster does not answer; a later call tries again with a fresh client.
   */
  connect(): Promise<void> {
    if (this.producer) return Promise.resolve();
    this.connecting ??= this.tryConnect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async tryConnect(): Promise<void> {
    const producer = new Producer({
      'bootstrap.servers': this.options.bootstrapServers,
      'client.id': this.options.clientId ?? 'notify-streams-intake',
      'enable.idempotence': true,
      acks: 'all',
      partitioner: 'murmur2_random',
      'linger.ms': 2,
      'message.timeout.ms': this.options.deliveryTimeoutMs ?? 10_000,
      dr_cb: true,
      ...this.options.clientConfig,
    } as never);
    producer.on('delivery-report', (err: unknown, report: { opaque?: unknown; topic: string; partition: number; offset: number }) => {
      const id = report?.opaque as number;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (err) p.reject(new KafkaUnavailableError(`the record was not acknowledged: ${(err as Error).message ?? String(err)}`, { cause: err }));
      else p.resolve({ topic: report.topic, partition: report.partition, offset: report.offset });
    });
    // Errors are reported through delivery reports and connect; without a listener librdkafka's
    // transport errors would be thrown as unhandled events.
    producer.on('event.error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) =>
        producer.connect({ timeout: this.options.connectTimeoutMs ?? 10_000 }, (err) => (err ? reject(err) : resolve())),
      );
    } catch (cause) {
      await disconnect(producer, 1000);
      throw new KafkaUnavailableError(`cannot reach Kafka at ${this.options.bootstrapServers}`, { cause });
    }
    producer.setPollInterval(10);
    if (this.closed) {
      await disconnect(producer, 1000);
      throw new KafkaUnavailableError('the producer was closed');
    }
    this.producer = producer;
  }

  /** Produces one record and resolves when the broker acknowledged it (acks=all). */
  async send(topic: string, key: string, value: Buffer, headers?: Record<string, string>): Promise<Delivered> {
    if (this.closed) throw new KafkaUnavailableError('the producer is closed');
    await this.connect();
    const producer = this.producer!;
    const id = this.nextId++;
    const hs = headers ? Object.entries(headers).map(([k, v]) => ({ [k]: Buffer.from(v) })) : undefined;
    return new Promise<Delivered>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        producer.produce(topic, null, value, key, Date.now(), id, hs);
      } catch (err) {
        this.pending.delete(id);
        reject(new KafkaUnavailableError(`producing to ${topic} failed: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  /** Waits for outstanding records (bounded), then disconnects. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const producer = this.producer;
    if (!producer) return;
    await new Promise<void>((resolve) => producer.flush(timeoutMs, () => resolve()));
    await disconnect(producer, timeoutMs);
    for (const p of this.pending.values()) p.reject(new KafkaUnavailableError('the producer closed before the record was acknowledged'));
    this.pending.clear();
  }
}

/** Disconnects; a client that never finished connecting throws here, and has nothing to release. */
async function disconnect(producer: NativeProducer, timeoutMs: number): Promise<void> {
  try {
    await new Promise<void>((resolve) => producer.disconnect(timeoutMs, () => resolve()));
  } catch {
    // not connected
  }
}

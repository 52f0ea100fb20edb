/**
 * Shared pieces of the engine benchmark: the benchmark's records, a latency histogram, timing
 * windows (wall clock + process CPU), and the raw client measurements (consume-only and
 * produce-only with the node-rdkafka-style API, no engine in between).
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AvroSchemaCatalog, AvroSerde } from '../../src/streams/index.js';
import { STREAM_PRODUCER_DEFAULTS } from '../../src/streams/kafka/producer.js';

export const BOOTSTRAP = process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:9092';
export const PARTITIONS = 4;
export const DISTINCT_KEYS = 100_000;
/** Records per consume call, the engine's default `maxPollRecords`. */
export const CONSUME_BATCH = 2_000;

export interface BenchRequest {
  messageId: string;
  userId: string;
  businessUnit: string;
  scenario: string;
  category: 'VERIFICATION' | 'NOTIFICATION' | 'MARKETING';
  channel: 'SMS' | 'PUSH' | 'WECHAT' | 'EMAIL' | 'WEBHOOK';
  phone: string | null;
  templateId: string;
  templateParams: { [k: string]: string };
  locale: string;
  createdAt: number;
  tags: { [k: string]: string };
}

export const catalog = AvroSchemaCatalog.fromFiles([fileURLToPath(new URL('./bench-record.avsc', import.meta.url))]);
export const newRequestSerde = (): AvroSerde<BenchRequest> => new AvroSerde<BenchRequest>({ catalog, type: 'bench.v1.BenchRequest' });

/** Key of record i: 100,000 distinct users, visited in a scattered order. */
export function keyOf(i: number): string {
  return `user-${String((i * 7919) % DISTINCT_KEYS).padStart(6, '0')}`;
}

export interface EncodedRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** N encoded records (single-object Avro framing), built once and produced as often as needed. */
export function buildRecords(n: number): EncodedRecord[] {
  const serde = newRequestSerde();
  const categories = ['VERIFICATION', 'NOTIFICATION', 'MARKETING'] as const;
  const channels = ['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK'] as const;
  const out = new Array<EncodedRecord>(n);
  const base = Date.now();
  for (let i = 0; i < n; i++) {
    const userId = keyOf(i);
    const value: BenchRequest = {
      messageId: randomUUID(),
      userId,
      businessUnit: `bu-${i % 17}`,
      scenario: 'order-shipped',
      category: categories[i % 3]!,
      channel: channels[i % 5]!,
      phone: i % 5 === 0 ? `+86138${String(i % 100_000_000).padStart(8, '0')}` : null,
      templateId: `tpl-order-shipped-${i % 50}`,
      templateParams: { orderId: `O${1_000_000 + i}`, amount: `${(i % 997) + 0.99}`, eta: '2026-11-23' },
      locale: 'zh-CN',
      createdAt: base + i,
      tags: { env: i % 100 === 0 ? 'gray' : 'prod', source: 'bench' },
    };
    // The serde writes into a reused slab: copy so each record keeps its own bytes.
    out[i] = { key: Buffer.from(userId), value: Buffer.from(serde.serialize('bench', value)) };
  }
  return out;
}

/** A histogram of latencies in 0.1 ms buckets up to 60 s. */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(600_000);
  private count = 0;

  record(ms: number): void {
    const i = Math.min(this.buckets.length - 1, Math.max(0, Math.floor(ms * 10)));
    this.buckets[i]!++;
    this.count++;
  }

  recordMany(ms: number, n: number): void {
    const i = Math.min(this.buckets.length - 1, Math.max(0, Math.floor(ms * 10)));
    this.buckets[i]! += n;
    this.count += n;
  }

  /** The q-quantile in ms (upper edge of its bucket); NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return (i + 1) / 10;
    }
    return NaN;
  }
}

/** Wall clock and process CPU (all threads: JS, libuv, librdkafka, RocksDB) between two points. */
export class Window {
  private wall0 = 0;
  private cpu0: NodeJS.CpuUsage | null = null;
  wallMs = 0;
  cpuS = 0;

  get started(): boolean {
    return this.cpu0 !== null;
  }

  private mono0 = 0n;

  start(): void {
    this.mono0 = process.hrtime.bigint();
    this.wall0 = performance.now();
    this.cpu0 = process.cpuUsage();
  }

  stop(): void {
    this.wallMs = performance.now() - this.wall0;
    const d = process.cpuUsage(this.cpu0 ?? undefined);
    this.cpuS = (d.user + d.system) / 1e6;
    // For cutting a --cpu-prof profile down to the timed window (same monotonic clock, in µs).
    if (process.env.BENCH_WINDOWS) process.stderr.write(`window ${this.mono0 / 1000n} ${process.hrtime.bigint() / 1000n}\n`);
  }
}

export interface Measurement {
  readonly records: number;
  readonly wallMs: number;
  readonly cpuS: number;
  /** p99 latency in ms, NaN where it does not apply. */
  readonly p99Ms: number;
}

export function measurement(records: number, w: Window, p99Ms = NaN): Measurement {
  return { records, wallMs: w.wallMs, cpuS: w.cpuS, p99Ms };
}

const producerConfig = { 'bootstrap.servers': BOOTSTRAP, ...STREAM_PRODUCER_DEFAULTS };

/**
 * Produce-only: every record with `produce()`, no delivery report per message (dr_cb off), timed
 * from the first `produce()` to the end of `flush()` — i.e. until the broker acknowledged all.
 */
export async function produceAll(topic: string, records: readonly EncodedRecord[], warmUp = true): Promise<Measurement> {
  const producer = new KafkaJs.Producer({ ...producerConfig, dr_cb: false } as never);
  await new Promise<void>((res, rej) => producer.connect({}, (err) => (err ? rej(err) : res())));
  producer.setPollInterval(50);
  if (warmUp) {
    // Connect to the partition leaders first so connection setup is not timed.
    producer.produce(topic, 0, Buffer.from('warm-up'), 'warm-up');
    await new Promise<void>((res, rej) => producer.flush(30_000, (err) => (err ? rej(err) : res())));
  }
  const w = new Window();
  w.start();
  for (const r of records) {
    for (;;) {
      try {
        producer.produce(topic, null, r.value, r.key);
        break;
      } catch (err) {
        if ((err as { code?: number }).code !== KafkaJs.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        await new Promise((res) => setTimeout(res, 1));
      }
    }
  }
  await new Promise<void>((res, rej) => producer.flush(60_000, (err) => (err ? rej(err) : res())));
  w.stop();
  await new Promise<void>((res) => producer.disconnect(() => res()));
  return measurement(records.length, w);
}

/**
 * Consume-only: a fresh group reads `topic` from the beginning with `consume(CONSUME_BATCH)` in
 * a loop, touching nothing, with the consumer settings the engine uses (batch filling aside). Timed from the first
 * non-empty batch to the batch that completes `expected` records (group join is not timed).
 */
export async function consumeAll(topic: string, expected: number, timeoutOnlyForFirstMessage = true): Promise<Measurement> {
  const consumer = new KafkaJs.KafkaConsumer(
    {
      'bootstrap.servers': BOOTSTRAP,
      'group.id': `bench-raw-${randomUUID().slice(0, 8)}`,
      'partition.assignment.strategy': 'cooperative-sticky',
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'fetch.wait.max.ms': 50,
    } as never,
    { 'auto.offset.reset': 'earliest' } as never,
  );
  await new Promise<void>((res, rej) => consumer.connect({}, (err) => (err ? rej(err) : res())));
  consumer.setDefaultConsumeTimeout(50);
  // true as the engine's consumer: wait for the first record only, then take what is fetched;
  // false (the client's default): wait until a batch holds CONSUME_BATCH records.
  (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(timeoutOnlyForFirstMessage);
  consumer.subscribe([topic]);
  const w = new Window();
  let seen = 0;
  while (seen < expected) {
    const n = await new Promise<number>((res, rej) =>
      consumer.consume(CONSUME_BATCH, (err, messages) => {
        if (err && (err as { code?: number }).code !== KafkaJs.CODES.ERRORS.ERR__TIMED_OUT) return rej(err);
        res(messages?.length ?? 0);
      }),
    );
    if (n > 0 && !w.started) w.start();
    seen += n;
  }
  w.stop();
  await new Promise<void>((res) => consumer.disconnect(() => res()));
  return measurement(seen, w);
}

/**
 * Test helpers for the real local broker (127.0.0.1:9092, started by `make kafka-up`): unique
 * topic names, a producer of raw records and a reader that collects a topic until a condition.
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { randomUUID } from 'node:crypto';
import { KafkaAdmin } from '../../src/streams/kafka/admin.js';

export const BOOTSTRAP = process.env.KAFKA_BOOTSTRAP ?? '127.0.0.1:9092';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTopics(topics: readonly { name: string; partitions: number; config?: Record<string, string> }[]): Promise<void> {
  const admin = new KafkaAdmin({ 'bootstrap.servers': BOOTSTRAP });
  try {
    await admin.createTopics(topics.map((t) => ({ ...t, replicationFactor: 1 })));
  } finally {
    await admin.close();
  }
}

/**
 * Deletes every topic whose name starts with one of `prefixes`. Benchmarks create fresh topics
 * per run; left behind, a few hundred runs hold tens of thousands of partitions, whose open
 * segment files slow the broker and finally exhaust its file descriptors.
 */
export async function deleteTopicsStartingWith(prefixes: readonly string[]): Promise<number> {
  const admin = new KafkaAdmin({ 'bootstrap.servers': BOOTSTRAP });
  try {
    const doomed = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    await Promise.all(doomed.map((t) => admin.deleteTopic(t)));
    return doomed.length;
  } finally {
    await admin.close();
  }
}

export interface TestRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  timestamp?: number;
  headers?: Record<string, string | Buffer>;
}

/** Produces records and waits until all are acknowledged. Keys hash like Java clients'. */
export async function produce(topic: string, records: readonly TestRecord[], config: Record<string, string | number> = {}): Promise<void> {
  const producer = new KafkaJs.Producer({ 'bootstrap.servers': BOOTSTRAP, partitioner: 'murmur2_random', 'linger.ms': 5, dr_cb: true, 'delivery.report.only.error': true, ...config } as never);
  await new Promise<void>((res, rej) => producer.connect({}, (err) => (err ? rej(err) : res())));
  let failed: unknown = null;
  producer.on('delivery-report', (err) => {
    if (err) failed = err;
  });
  producer.setPollInterval(20);
  for (const r of records) {
    const value = r.value === null ? null : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    const headers = r.headers ? Object.entries(r.headers).map(([k, v]) => ({ [k]: v })) : undefined;
    for (;;) {
      try {
        producer.produce(topic, r.partition ?? null, value, r.key ?? undefined, r.timestamp ?? Date.now(), undefined, headers);
        break;
      } catch (err) {
        // A large batch can outrun the client's send queue on a slow machine: let it drain.
        if ((err as { code?: number }).code !== KafkaJs.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        await new Promise((res) => setTimeout(res, 5));
      }
    }
  }
  await new Promise<void>((res, rej) => producer.flush(30_000, (err) => (err ? rej(err) : res())));
  await new Promise<void>((res) => producer.disconnect(() => res()));
  if (failed) throw failed;
}

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  timestamp: number;
  headers: Record<string, Buffer>;
}

/**
 * Reads `topic` from the beginning (committed data only) until `done(records)` holds or the
 * timeout passes; returns what it read either way.
 */
export async function readTopic(topic: string, done: (records: ReadRecord[]) => boolean, timeoutMs = 30_000): Promise<ReadRecord[]> {
  const consumer = new KafkaJs.KafkaConsumer(
    { 'bootstrap.servers': BOOTSTRAP, 'group.id': uniqueName('reader'), 'enable.auto.commit': false, 'isolation.level': 'read_committed' } as never,
    { 'auto.offset.reset': 'earliest' } as never,
  );
  await new Promise<void>((res, rej) => consumer.connect({}, (err) => (err ? rej(err) : res())));
  consumer.setDefaultConsumeTimeout(100);
  consumer.subscribe([topic]);
  const out: ReadRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (!done(out) && Date.now() < deadline) {
      const msgs = await new Promise<KafkaJs.Message[]>((res, rej) => consumer.consume(5000, (err, m) => (err ? rej(err) : res(m))));
      for (const m of msgs) {
        const headers: Record<string, Buffer> = {};
        for (const h of m.headers ?? []) for (const [k, v] of Object.entries(h)) headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(v);
        out.push({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          key: m.key === null || m.key === undefined ? null : m.key.toString(),
          value: m.value,
          timestamp: m.timestamp ?? 0,
          headers,
        });
      }
    }
  } finally {
    await new Promise<void>((res) => consumer.disconnect(() => res()));
  }
  return out;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Produces `count` records to one partition as fast as the client allows (large batches, no
 * per-record delivery reports), for tests and benchmarks that need a big topic before they start.
 */
export async function produceBulk(topic: string, partition: number, count: number, record: (i: number) => { key: string; value: string }): Promise<void> {
  const producer = new KafkaJs.Producer({
    'bootstrap.servers': BOOTSTRAP,
    'linger.ms': 50,
    'batch.num.messages': 100_000,
    'batch.size': 4_000_000,
    'queue.buffering.max.messages': 1_000_000,
    'queue.buffering.max.kbytes': 1_048_576,
    dr_cb: true,
    'delivery.report.only.error': true,
  } as never);
  await new Promise<void>((res, rej) => producer.connect({}, (err) => (err ? rej(err) : res())));
  let failed: unknown = null;
  producer.on('delivery-report', (err) => {
    if (err) failed = err;
  });
  producer.setPollInterval(20);
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const { key, value } = record(i);
    for (;;) {
      try {
        producer.produce(topic, partition, Buffer.from(value), Buffer.from(key), now);
        break;
      } catch (err) {
        if ((err as { code?: number }).code !== KafkaJs.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        await new Promise((res) => setTimeout(res, 5));
      }
    }
  }
  await new Promise<void>((res, rej) => producer.flush(120_000, (err) => (err ? rej(err) : res())));
  await new Promise<void>((res) => producer.disconnect(() => res()));
  if (failed) throw failed;
}

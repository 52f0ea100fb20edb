/**
 * The trace of one message (F13): every feedback event of a messageId, in order, read from the
 * feedback topic itself so that any pod (or the CLI) can answer without local state.
 *
 * Feedback is keyed by messageId and produced with Java-compatible murmur2 hashing, so all
 * events of one message sit in one partition, in the order they were produced. The reader
 * computes that partition, reads it from its low watermark to the high watermark captured at
 * the start, compares keys as bytes and decodes only the matches.
 *
 * Limits: the cost is one scan of one partition — proportional to the partition's retained
 * size (e.g. 100 M feedback events a day over 12 partitions ≈ 8 M records per partition-day,
 * roughly a minute to scan). `sinceMs` starts the scan at that time (offsetsForTimes) instead;
 * `timeoutMs` bounds it, and a timed-out scan reports `complete: false`. Events older than the
 * topic's retention are gone.
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { randomUUID } from 'node:crypto';
import { KafkaAdmin } from '../../streams/index.js';
import type { DeliveryFeedback } from '../../notify/index.js';
import { TERMINAL_STATUSES } from '../../notify/index.js';
import { appCodecs } from '../codecs.js';
import { partitionForKey } from '../kafka/murmur2.js';

export interface TraceEvent extends DeliveryFeedback {
  /** Where the event sits, for whoever wants to look at the raw record. */
  readonly partition: number;
  readonly offset: number;
}

export interface MessageTrace {
  readonly messageId: string;
  readonly topic: string;
  readonly partition: number;
  readonly events: TraceEvent[];
  /** The terminal status of the message (see TERMINAL_STATUSES), null while it is pending. */
  readonly terminal: string | null;
  /** False when the scan stopped at `timeoutMs` before the end of the partition. */
  readonly complete: boolean;
  readonly scannedRecords: number;
}

export interface TraceOptions {
  readonly sinceMs?: number;
  readonly timeoutMs?: number;
}

export interface FeedbackTraceOptions {
  readonly bootstrapServers: string;
  readonly clientConfig?: Readonly<Record<string, string | number | boolean>>;
  readonly topic: string;
}

type Consumer = InstanceType<typeof KafkaJs.KafkaConsumer>;

function cb<T>(fn: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err instanceof Error ? err : new Error(String((err as { message?: string }).message ?? err))) : resolve(value as T))));
}

export class FeedbackTrace {
  private partitions: number | undefined;

  constructor(private readonly options: FeedbackTraceOptions) {}

  private async partitionCount(): Promise<number> {
    if (this.partitions !== undefined) return this.partitions;
    const admin = new KafkaAdmin({ 'bootstrap.servers': this.options.bootstrapServers, ...this.options.clientConfig });
    try {
      const counts = await admin.partitionCounts([this.options.topic]);
      const n = counts.get(this.options.topic);
      if (n === undefined) throw new Error(`topic ${this.options.topic} does not exist; run "notify-streams topics create"`);
      this.partitions = n;
      return n;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /** Reads every feedback event of `messageId`. Throws when Kafka cannot be reached. */
  async trace(messageId: string, options: TraceOptions = {}): Promise<MessageTrace> {
    const topic = this.options.topic;
    const partition = partitionForKey(messageId, await this.partitionCount());
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const consumer: Consumer = new KafkaJs.KafkaConsumer(
      {
        'bootstrap.servers': this.options.bootstrapServers,
        'group.id': `notify-streams-trace-${randomUUID()}`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'fetch.max.bytes': 16 * 1024 * 1024,
        // Only what was committed: events of an aborted transaction never happened.
        'isolation.level': 'read_committed',
        ...this.options.clientConfig,
      } as never,
      { 'auto.offset.reset': 'earliest' } as never,
    );
    const events: TraceEvent[] = [];
    let scanned = 0;
    let complete = false;
    await cb((done) => consumer.connect({ timeout: 10_000 }, done));
    try {
      const { lowOffset, highOffset } = await cb<{ lowOffset: number; highOffset: number }>((done) =>
        consumer.queryWatermarkOffsets(topic, partition, 10_000, done as never),
      );
      let start = lowOffset;
      if (options.sinceMs !== undefined) {
        const found = await cb<{ offset: number }[]>((done) => consumer.offsetsForTimes([{ topic, partition, offset: options.sinceMs! }], 10_000, done as never));
        const at = found[0]?.offset ?? -1;
        start = at < 0 ? highOffset : Math.max(lowOffset, at);
      }
      if (start >= highOffset) {
        complete = true;
      } else {
        consumer.assign([{ topic, partition, offset: start }]);
        consumer.setDefaultConsumeTimeout(200);
        const wanted = Buffer.from(messageId, 'utf8');
        const serde = appCodecs().feedback;
        // The scan is done when the consumer's position reaches the end captured at the start.
        // Not the last record's offset: under exactly_once_v2 the partition ends in transaction
        // markers, which take offsets but are never delivered (and aborted records are skipped).
        let next = start;
        while (next < highOffset && Date.now() < deadline) {
          const batch = await cb<KafkaJs.Message[]>((done) => consumer.consume(5000, done as never));
          for (const m of batch) {
            next = Math.max(next, m.offset + 1);
            if (m.offset >= highOffset) continue;
            scanned++;
            if (!m.value || !m.key || !wanted.equals(Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key))) continue;
            events.push({ ...serde.deserialize(topic, m.value), partition: m.partition, offset: m.offset });
          }
          const position = consumer.position([{ topic, partition }])[0]?.offset;
          if (typeof position === 'number' && position >= 0) next = Math.max(next, position);
        }
        complete = next >= highOffset;
      }
    } finally {
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    }
    events.sort((a, b) => a.offset - b.offset);
    const terminal = events.find((e) => (e.subject ?? 'REQUEST') === 'REQUEST' && TERMINAL_STATUSES.has(e.status));
    return { messageId, topic, partition, events, terminal: terminal?.status ?? null, complete, scannedRecords: scanned };
  }
}

/** One line per event, for people: time, status, channel/provider, attempt, reason. */
export function formatTrace(trace: MessageTrace): string {
  const lines = [`message ${trace.messageId} (${trace.topic} partition ${trace.partition}, ${trace.scannedRecords} records scanned)`];
  if (trace.events.length === 0) lines.push('  no feedback events');
  for (const e of trace.events) {
    const parts = [
      new Date(e.eventTime).toISOString(),
      e.status.padEnd(12),
      [e.channel, e.provider].filter(Boolean).join('/') || '-',
    ];
    if (e.subject && e.subject !== 'REQUEST') parts.push(`subject=${e.subject}`);
    if (e.attempt) parts.push(`attempt=${e.attempt}`);
    if (e.reason) parts.push(`reason=${e.reason}`);
    if (e.scheduledFor) parts.push(`scheduledFor=${new Date(e.scheduledFor).toISOString()}`);
    if (e.billableUnits) parts.push(`units=${e.billableUnits}`);
    if (e.cost) parts.push(`cost=${e.cost}`);
    if (e.providerMessageId) parts.push(`providerMessageId=${e.providerMessageId}`);
    lines.push('  ' + parts.join('  '));
  }
  if (!trace.complete) lines.push('  (scan stopped at the time limit; older or newer events may be missing)');
  lines.push(trace.terminal ? `  terminal: ${trace.terminal}` : '  terminal: none yet (pending)');
  return lines.join('\n');
}

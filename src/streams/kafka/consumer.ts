import KafkaJs from '@confluentinc/kafka-javascript';
import type { Headers } from '../processor/record.js';
import type { RawRecord } from '../runtime/exception-handlers.js';
import { call, toKafkaError } from './promisify.js';

const { KafkaConsumer, CODES } = KafkaJs;
/** Methods that exist at run time but are missing from the typings. */
type NativeConsumer = InstanceType<typeof KafkaConsumer> & {
  assignmentLost(): boolean;
  incrementalAssign(partitions: unknown[]): void;
  incrementalUnassign(partitions: unknown[]): void;
  setDefaultIsTimeoutOnlyForFirstMessage(value: boolean): void;
  commitCb(offsets: unknown[], cb: (err: unknown) => void): void;
};

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

/** A rebalance as the group coordinator announced it (cooperative: only the delta). */
export interface RebalanceEvent {
  readonly kind: 'assigned' | 'revoked' | 'lost';
  readonly partitions: readonly TopicPartition[];
}

/** A message as the binding hands it out of `consume`. */
export interface NativeMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
  key?: Buffer | string | null;
  value: Buffer | null;
  headers?: { [key: string]: string | Buffer }[];
}

function toHeaders(list: NativeMessage['headers']): Headers {
  if (!list || list.length === 0) return EMPTY_HEADERS;
  const h: { [name: string]: Buffer } = {};
  for (const entry of list) {
    for (const name in entry) {
      const v = entry[name]!;
      h[name] = typeof v === 'string' ? Buffer.from(v) : v;
    }
  }
  return h;
}

const EMPTY_HEADERS: Headers = Object.freeze({});

/**
 * Makes a message from the binding a `RawRecord` in place: the binding already allocated one
 * object per message, so the hot path does not allocate a second. Only fields whose form
 * differs are rewritten (absent key → null, absent timestamp → now, header list → map).
 */
export function toRawRecord(m: NativeMessage): RawRecord {
  const { key, headers } = m;
  const r = m as unknown as { timestamp: number; key: Buffer | null; headers: Headers };
  if (m.timestamp === undefined) r.timestamp = Date.now();
  if (key === undefined) r.key = null;
  else if (typeof key === 'string') r.key = Buffer.from(key);
  r.headers = toHeaders(headers);
  return r as unknown as RawRecord;
}

/**
 * The group consumer of a stream thread, in the node-rdkafka style that measured fastest
 * (`consume(n)` batches). Rebalances are queued as events; the owner applies them between
 * batches, after committing what it must (cooperative protocol: the revoked partitions stay
 * ours until the owner calls `unassign`).
 */
export class GroupConsumer {
  private readonly consumer: NativeConsumer;
  private readonly rebalances: RebalanceEvent[] = [];
  private fatal: Error | null = null;
  /** Set while closing: nothing is left to commit, so rebalances are applied on the spot. */
  private applyImmediately = false;

  constructor(
    config: Record<string, unknown>,
    private readonly onRebalance: () => void = () => {},
  ) {
    this.consumer = new KafkaConsumer(
      {
        ...config,
        rebalance_cb: (err: { code: number }, assignment: TopicPartition[]) => {
          const partitions = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
          if (this.applyImmediately) {
            // Leaving the group revokes everything; librdkafka waits for the unassign.
            try {
              if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) this.consumer.incrementalUnassign(assignment);
            } catch {
              // Already disconnecting: nothing left to hand back.
            }
            return;
          }
          if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) this.rebalances.push({ kind: 'assigned', partitions });
          else if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
            this.rebalances.push({ kind: this.consumer.assignmentLost() ? 'lost' : 'revoked', partitions });
          }
          this.onRebalance();
        },
      } as never,
      // The node-rdkafka-style consumer reads auto.offset.reset from the topic config.
      { 'auto.offset.reset': (config['auto.offset.reset'] as string | undefined) ?? 'earliest' } as never,
    ) as NativeConsumer;
    this.consumer.on('event.error', (err: unknown) => {
      const e = err as { isFatal?: boolean };
      if (e.isFatal) this.fatal = toKafkaError('the consumer failed', err);
    });
  }

  get native(): NativeConsumer {
    return this.consumer;
  }

  async connect(): Promise<void> {
    await call('connecting the consumer', (cb) => this.consumer.connect({ timeout: 15_000 }, cb as never));
    this.consumer.setDefaultConsumeTimeout(50);
    // Wait (up to the timeout) for the first record only, then take what is already fetched:
    // otherwise a batch waits to fill `max` records and a slow trickle (a record every
    // < 50 ms) would wait seconds in the client.
    this.consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
  }

  subscribe(topics: readonly string[]): void {
    this.consumer.subscribe([...topics]);
  }

  takeRebalances(): RebalanceEvent[] {
    return this.rebalances.splice(0, this.rebalances.length);
  }

  hasPendingRebalance(): boolean {
    return this.rebalances.length > 0;
  }

  /** Must be called for every assignment, even an empty one: the rebalance waits for it. */
  incrementalAssign(partitions: readonly TopicPartitionOffset[] | readonly TopicPartition[]): void {
    this.consumer.incrementalAssign(partitions as never);
  }

  /** Must be called for every revocation, even an empty one: the rebalance waits for it. */
  incrementalUnassign(partitions: readonly TopicPartition[]): void {
    this.consumer.incrementalUnassign(partitions as never);
  }

  /**
   * Up to `max` records; waits at most `timeoutMs` for the first one (0: only what is already
   * fetched, for when the caller has buffered work of its own).
   */
  consume(max: number, timeoutMs = 50): Promise<RawRecord[]> {
    if (this.fatal) return Promise.reject(this.fatal);
    this.consumer.setDefaultConsumeTimeout(timeoutMs);
    return new Promise((resolve, reject) => {
      this.consumer.consume(max, (err, messages) => {
        if (err) {
          const code = (err as { code?: number }).code;
          // A timeout or partition EOF is not a failure of the consume loop.
          if (code === CODES.ERRORS.ERR__TIMED_OUT || code === CODES.ERRORS.ERR__PARTITION_EOF) return resolve([]);
          return reject(toKafkaError('consuming', err));
        }
        const out = new Array<RawRecord>(messages.length);
        for (let i = 0; i < messages.length; i++) out[i] = toRawRecord(messages[i] as NativeMessage);
        resolve(out);
      });
    });
  }

  /** The partition's high watermark as of the last fetch response (no broker round trip). */
  cachedEndOffset(topic: string, partition: number): number | undefined {
    try {
      const w = this.consumer.getWatermarkOffsets(topic, partition);
      return w.highOffset >= 0 ? w.highOffset : undefined;
    } catch {
      return undefined;
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.pause(partitions as never);
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.consumer.resume(partitions as never);
  }

  /**
   * Commits offsets (next offset to read) and resolves with the broker's answer. The wait runs
   * on the client's own thread: with the coordinator away the event loop still serves probes.
   */
  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await call('committing offsets', (cb) => this.consumer.commitCb(offsets as never, cb as never));
  }

  /** Committed offsets of the group for these partitions (-1001 when none). */
  committed(partitions: readonly TopicPartition[], timeoutMs = 10_000): Promise<TopicPartitionOffset[]> {
    return call<TopicPartitionOffset[]>('reading committed offsets', (cb) =>
      this.consumer.committed(partitions as never, timeoutMs, cb as never),
    );
  }

  seek(tp: TopicPartitionOffset, timeoutMs = 5_000): Promise<void> {
    return call('seeking', (cb) => this.consumer.seek(tp as never, timeoutMs, cb as never));
  }

  async close(): Promise<void> {
    this.applyImmediately = true;
    this.rebalances.length = 0;
    if (!this.consumer.isConnected()) return;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

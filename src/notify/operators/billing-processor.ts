/**
 * billing (F11): tumbling windows (default 1 h, by feedback event time) per businessUnit ×
 * channel × provider, counting SENT and FAILED requests (subject REQUEST) with billable units and
 * cost, and DELIVERED / undelivered provider reports (subject DELIVERY_REPORT). A window is
 * emitted to notify.billing once stream time has passed its end plus the grace period, then
 * forgotten. Keys start with the window start (8 bytes, big-endian), so closing windows is one
 * range scan from the beginning of the store.
 *
 * Stream time only moves with feedback, so a partition that goes quiet would hold its last
 * windows forever. A wall-clock punctuator covers that: once no feedback has arrived for a grace
 * period, stream time is taken to move on with the wall clock. While feedback flows (including
 * a catch-up after downtime, when event times lag the wall clock) only stream time counts, so a
 * window is emitted once with everything in it. Feedback later than that (after the window was
 * emitted) opens the window again and it is emitted a second time with the late part: rows of
 * notify.billing for the same window add up. A task that starts with restored windows (after a
 * move or a restart) and gets no feedback has no stream time at all: once it has been idle for a
 * grace period, stream time is taken to be the wall clock (feedback event times are the pods'
 * wall-clock times), so those windows are emitted too.
 *
 * Replay-safe: each messageId × subject × status is counted once. The counted store keeps one
 * small entry per counted outcome (behind the engine's key filter, so a new one costs no disk
 * read, and one changelog record); a feedback record processed again (a replay after a crash or
 * a rebalance) or an identical outcome reported twice (at_least_once) finds its entry and is not
 * counted again. Entries are kept for `countedRetentionMs` (the ledger retention) and swept, so
 * an outcome repeated after its window was emitted is not counted into a new row either.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import { Record } from '../../streams/processor/record.js';
import { NOT_CACHED, readThen, type KeyValueStore } from '../../streams/state/key-value-store.js';
import { roundMicro } from '../domain/billing-prices.js';
import type { BillingWindow, Channel, DeliveryFeedback } from '../generated/schema-types.js';
import { scheduleSweep, type SweepSchedule } from './store-sweeper.js';

/** Running totals of one open window. */
export interface BillingAggregate {
  readonly businessUnit: string;
  readonly channel: Channel;
  readonly provider: string;
  readonly windowStart: number;
  readonly sent: number;
  readonly delivered: number;
  readonly failed: number;
  /** Absent in aggregates written before it existed. */
  readonly undelivered?: number;
  readonly billableUnits: number;
  readonly cost: number;
}

export interface BillingOptions extends SweepSchedule {
  readonly storeName: string;
  /** Store of the outcomes already counted (`messageId NUL subject NUL status` → wall-clock time counted). */
  readonly countedStoreName: string;
  /** How long a counted outcome is remembered. */
  readonly countedRetentionMs: number;
  readonly windowMs: number;
  /** Stream time to wait past a window's end for late feedback before closing it. */
  readonly graceMs: number;
  readonly currency: string;
  readonly sinkChild: string;
}

/** Provider name used when a failure happened before any provider was tried. */
export const NO_PROVIDER = 'none';

function windowKey(windowStart: number, businessUnit: string, channel: string, provider: string): Buffer {
  const rest = Buffer.from(`${businessUnit}\u0000${channel}\u0000${provider}`, 'utf8');
  const key = Buffer.allocUnsafe(8 + rest.length);
  key.writeBigUInt64BE(BigInt(windowStart), 0);
  rest.copy(key, 8);
  return key;
}

export class BillingProcessor implements Processor<string, DeliveryFeedback, string, BillingWindow> {
  private context!: ProcessorContext<string, BillingWindow>;
  private store!: KeyValueStore<Buffer, BillingAggregate>;
  private counted!: KeyValueStore<string, number>;
  /** Stream time and the wall-clock time it last moved, for closing windows of a quiet partition. */
  private lastStreamTime = -1;
  private lastStreamMoveMs = 0;
  /**
   * Windows counted since the last commit, by window: one store write per window and commit
   * instead of one per feedback record (most records of a commit fall into a few windows).
   */
  private readonly unflushed = new Map<string, { key: Buffer; value: BillingAggregate }>();

  constructor(private readonly options: BillingOptions) {}

  init(context: ProcessorContext<string, BillingWindow>): void {
    this.context = context;
    this.store = context.getStateStore(this.options.storeName);
    this.counted = context.getStateStore(this.options.countedStoreName);
    scheduleSweep(context, this.counted, this.options, (_key, at, now) => now - at >= this.options.countedRetentionMs);
    const interval = Math.max(1000, Math.min(60_000, Math.floor(this.options.windowMs / 4)));
    context.schedule(interval, 'STREAM_TIME', (streamTime) => this.closeWindows(streamTime));
    this.lastStreamMoveMs = context.currentSystemTimeMs();
    context.schedule(interval, 'WALL_CLOCK_TIME', (now) => this.closeIdle(now));
  }

  process(record: Record<string, DeliveryFeedback>): void | Promise<void> {
    const f = record.value;
    if (f == null || f.channel == null) return;
    const subject = f.subject ?? 'REQUEST';
    const counted = subject === 'REQUEST' ? f.status === 'SENT' || f.status === 'FAILED' : subject === 'DELIVERY_REPORT';
    if (!counted) return;
    const outcome = `${f.messageId}\u0000${subject}\u0000${f.status}`;
    const channel = f.channel;
    const at = this.counted.getIfCached(outcome);
    if (at === NOT_CACHED) return this.counted.get(outcome).then((read) => this.countOnce(f, channel, subject, outcome, read));
    return this.countOnce(f, channel, subject, outcome, at);
  }

  /** Counts the outcome unless it was counted already (`countedAt` set): a replay, or the same outcome reported again. */
  private countOnce(f: DeliveryFeedback, channel: Channel, subject: string, outcome: string, countedAt: number | undefined): void | Promise<void> {
    if (countedAt !== undefined) return;
    this.counted.put(outcome, this.context.currentSystemTimeMs());
    return this.count(f, channel, subject);
  }

  /** Adds one outcome to its window's totals (read from the store once per window and commit). */
  private count(f: DeliveryFeedback, channel: Channel, subject: string): void | Promise<void> {
    const provider = f.provider ?? NO_PROVIDER;
    const windowStart = f.eventTime - (f.eventTime % this.options.windowMs);
    const id = `${windowStart}\u0000${f.businessUnit}\u0000${channel}\u0000${provider}`;
    const open = this.unflushed.get(id);
    if (open !== undefined) {
      open.value = add(open.value, f, subject);
      return;
    }
    const key = windowKey(windowStart, f.businessUnit, channel, provider);
    return readThen(this.store, key, (current) => {
      const base = current ?? { businessUnit: f.businessUnit, channel, provider, windowStart, sent: 0, delivered: 0, failed: 0, undelivered: 0, billableUnits: 0, cost: 0 };
      this.unflushed.set(id, { key, value: add(base, f, subject) });
    });
  }

  /** Writes the totals counted since the last commit to the store (the runtime calls it at every commit). */
  flush(): void {
    for (const { key, value } of this.unflushed.values()) this.store.put(key, value);
    this.unflushed.clear();
  }

  /**
   * Closes windows as if stream time had moved on with the wall clock since it last moved, once
   * idle for a grace period; without any stream time yet (no feedback since the task started,
   * its windows restored), as if stream time were the wall clock.
   */
  closeIdle(now: number): Promise<void> | undefined {
    const streamTime = this.context.currentStreamTimeMs();
    if (streamTime !== this.lastStreamTime) {
      this.lastStreamTime = streamTime;
      this.lastStreamMoveMs = now;
      return undefined;
    }
    const idle = now - this.lastStreamMoveMs;
    if (idle < this.options.graceMs) return undefined;
    return this.closeWindows(streamTime < 0 ? now : streamTime + idle);
  }

  /** Emits and deletes every window whose end + grace is at or before stream time. */
  async closeWindows(streamTime: number): Promise<void> {
    const closeBefore = streamTime - this.options.graceMs - this.options.windowMs + 1;
    if (closeBefore <= 0) return;
    this.flush();
    const to = Buffer.allocUnsafe(8);
    to.writeBigUInt64BE(BigInt(closeBefore), 0);
    const closed: { key: Buffer; value: BillingAggregate }[] = [];
    for await (const entry of this.store.range(null, to)) closed.push(entry);
    const now = this.context.currentSystemTimeMs();
    for (const { key, value } of closed) {
      this.store.delete(key);
      const window: BillingWindow = { ...value, undelivered: value.undelivered ?? 0, windowEnd: value.windowStart + this.options.windowMs, currency: this.options.currency, emittedAt: now };
      this.context.forward(new Record(value.businessUnit, window, window.windowEnd), this.options.sinkChild);
    }
  }
}

/** `base` with one more feedback record counted. */
function add(base: BillingAggregate, f: DeliveryFeedback, subject: string): BillingAggregate {
  return {
    ...base,
    sent: base.sent + (subject === 'REQUEST' && f.status === 'SENT' ? 1 : 0),
    delivered: base.delivered + (f.status === 'DELIVERED' ? 1 : 0),
    failed: base.failed + (subject === 'REQUEST' && f.status === 'FAILED' ? 1 : 0),
    undelivered: (base.undelivered ?? 0) + (subject === 'DELIVERY_REPORT' && f.status === 'FAILED' ? 1 : 0),
    billableUnits: base.billableUnits + (f.billableUnits ?? 0),
    cost: roundMicro(base.cost + (f.cost ?? 0)),
  };
}

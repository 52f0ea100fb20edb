/**
 * billing (F11): tumbling windows (default 1 h, by feedback event time) per businessUnit ×
 * channel × provider, counting SENT, DELIVERED and FAILED with billable units and cost. A window
 * is emitted to notify.billing once stream time has passed its end plus the grace period, then
 * forgotten. Keys start with the window start (8 bytes, big-endian), so closing windows is one
 * range scan from the beginning of the store.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import { Record } from '../../streams/processor/record.js';
import type { KeyValueStore } from '../../streams/state/key-value-store.js';
import { roundMicro } from '../domain/billing-prices.js';
import type { BillingWindow, Channel, DeliveryFeedback } from '../generated/schema-types.js';

/** Running totals of one open window. */
export interface BillingAggregate {
  readonly businessUnit: string;
  readonly channel: Channel;
  readonly provider: string;
  readonly windowStart: number;
  readonly sent: number;
  readonly delivered: number;
  readonly failed: number;
  readonly billableUnits: number;
  readonly cost: number;
}

export interface BillingOptions {
  readonly storeName: string;
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

  constructor(private readonly options: BillingOptions) {}

  init(context: ProcessorContext<string, BillingWindow>): void {
    this.context = context;
    this.store = context.getStateStore(this.options.storeName);
    const interval = Math.max(1000, Math.min(60_000, Math.floor(this.options.windowMs / 4)));
    context.schedule(interval, 'STREAM_TIME', (streamTime) => this.closeWindows(streamTime));
  }

  process(record: Record<string, DeliveryFeedback>): void | Promise<void> {
    const f = record.value;
    if (f == null || f.channel == null || (f.subject ?? 'REQUEST') !== 'REQUEST') return;
    if (f.status !== 'SENT' && f.status !== 'DELIVERED' && f.status !== 'FAILED') return;
    const provider = f.provider ?? NO_PROVIDER;
    const windowStart = f.eventTime - (f.eventTime % this.options.windowMs);
    const key = windowKey(windowStart, f.businessUnit, f.channel, provider);
    const channel = f.channel;
    return this.store.get(key).then((current) => {
      const base: BillingAggregate = current ?? { businessUnit: f.businessUnit, channel, provider, windowStart, sent: 0, delivered: 0, failed: 0, billableUnits: 0, cost: 0 };
      this.store.put(key, {
        ...base,
        sent: base.sent + (f.status === 'SENT' ? 1 : 0),
        delivered: base.delivered + (f.status === 'DELIVERED' ? 1 : 0),
        failed: base.failed + (f.status === 'FAILED' ? 1 : 0),
        billableUnits: base.billableUnits + (f.billableUnits ?? 0),
        cost: roundMicro(base.cost + (f.cost ?? 0)),
      });
    });
  }

  /** Emits and deletes every window whose end + grace is at or before stream time. */
  async closeWindows(streamTime: number): Promise<void> {
    const closeBefore = streamTime - this.options.graceMs - this.options.windowMs + 1;
    if (closeBefore <= 0) return;
    const to = Buffer.allocUnsafe(8);
    to.writeBigUInt64BE(BigInt(closeBefore), 0);
    const closed: { key: Buffer; value: BillingAggregate }[] = [];
    for await (const entry of this.store.range(null, to)) closed.push(entry);
    const now = this.context.currentSystemTimeMs();
    for (const { key, value } of closed) {
      this.store.delete(key);
      const window: BillingWindow = { ...value, windowEnd: value.windowStart + this.options.windowMs, currency: this.options.currency, emittedAt: now };
      this.context.forward(new Record(value.businessUnit, window, window.windowEnd), this.options.sinkChild);
    }
  }
}

/**
 * delivery reports (F11): joins provider delivery reports (notify.delivery-reports, key
 * messageId) with the SENT feedback of the same message (notify.feedback, key messageId; the two
 * topics are co-partitioned) and reports each as one more feedback event with subject
 * DELIVERY_REPORT: DELIVERED, or FAILED when the provider could not deliver (reason
 * `unregistered` when the address is gone). SENT stays the request's one terminal status.
 *
 * The tracking store keeps, per messageId, what the report needs from the request (user,
 * business unit, channel…) from the moment its SENT is seen. A report that arrives before its
 * SENT (receipts can be faster than the commit that publishes SENT) is parked in the same store
 * and answered when the SENT shows up. A second report for the same message is ignored. Entries
 * expire after the ledger retention (swept, see {@link StoreSweeper}). Only channels configured
 * in `deliveryReports.channels` are tracked (SMS by default: SMPP receipts), since tracking costs
 * a state write and a changelog record per SENT message.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import { Record } from '../../streams/processor/record.js';
import type { KeyValueStore } from '../../streams/state/key-value-store.js';
import type { Category, Channel, DeliveryFeedback, DeliveryReport } from '../generated/schema-types.js';
import { scheduleSweep, type SweepSchedule } from './store-sweeper.js';

/** A SENT message, and whether a report was already turned into feedback. */
export interface TrackedSend {
  readonly k: 'S';
  readonly at: number;
  readonly userId: string;
  readonly businessUnit: string;
  readonly scenario: string;
  readonly category: Category | null;
  readonly channel: Channel | null;
  readonly provider: string | null;
  readonly providerMessageId: string | null;
  readonly reported?: boolean;
}

/** A report waiting for its SENT. */
export interface PendingReport {
  readonly k: 'R';
  readonly at: number;
  readonly report: DeliveryReport;
}

export type TrackingEntry = TrackedSend | PendingReport;

export interface DeliveryReportOptions extends SweepSchedule {
  readonly storeName: string;
  /** Topic names whose records are DeliveryReports; all others carry DeliveryFeedback. */
  readonly reportTopics: readonly string[];
  /** Channels whose SENT messages are tracked; reports about others stay parked until they expire. */
  readonly channels: readonly Channel[];
  /** How long a SENT message (or a parked report) is remembered. */
  readonly retentionMs: number;
  readonly feedbackChild: string;
}

type In = DeliveryFeedback | DeliveryReport;

export class DeliveryReportProcessor implements Processor<string, In, string, DeliveryFeedback> {
  private context!: ProcessorContext<string, DeliveryFeedback>;
  private store!: KeyValueStore<string, TrackingEntry>;
  private readonly reportTopics: ReadonlySet<string>;
  private readonly channels: ReadonlySet<Channel | null>;

  constructor(private readonly options: DeliveryReportOptions) {
    this.reportTopics = new Set(options.reportTopics);
    this.channels = new Set(options.channels);
  }

  init(context: ProcessorContext<string, DeliveryFeedback>): void {
    this.context = context;
    this.store = context.getStateStore(this.options.storeName);
    scheduleSweep(context, this.store, this.options, (_key, entry, now) => now - entry.at >= this.options.retentionMs);
  }

  async prefetch(records: readonly Record<string, In>[]): Promise<void> {
    const ids: string[] = [];
    for (const r of records) {
      const v = r.value;
      if (v == null) continue;
      const isFeedback = 'subject' in v;
      if (isFeedback && !this.isTrackedSend(v)) continue;
      ids.push(v.messageId);
    }
    if (ids.length > 0) await this.store.prefetch(ids);
  }

  process(record: Record<string, In>): void | Promise<void> {
    const value = record.value;
    if (value == null) return;
    const topic = this.context.recordMetadata()?.topic;
    if (topic !== undefined && this.reportTopics.has(topic)) return this.onReport(value as DeliveryReport);
    const feedback = value as DeliveryFeedback;
    if (!this.isTrackedSend(feedback)) return;
    return this.onSent(feedback);
  }

  private isTrackedSend(f: DeliveryFeedback): boolean {
    return (f.subject ?? 'REQUEST') === 'REQUEST' && f.status === 'SENT' && this.channels.has(f.channel ?? null);
  }

  private async onSent(f: DeliveryFeedback): Promise<void> {
    const entry = await this.store.get(f.messageId);
    if (entry?.k === 'S') return; // a replayed SENT
    const now = this.context.currentSystemTimeMs();
    const sent: TrackedSend = {
      k: 'S',
      at: now,
      userId: f.userId,
      businessUnit: f.businessUnit,
      scenario: f.scenario,
      category: f.category ?? null,
      channel: f.channel ?? null,
      provider: f.provider ?? null,
      providerMessageId: f.providerMessageId ?? null,
    };
    if (entry?.k === 'R') {
      this.report(sent, entry.report, f.messageId, now);
      this.store.put(f.messageId, { ...sent, reported: true });
      return;
    }
    this.store.put(f.messageId, sent);
  }

  private async onReport(report: DeliveryReport): Promise<void> {
    const entry = await this.store.get(report.messageId);
    const now = this.context.currentSystemTimeMs();
    if (entry === undefined) {
      this.store.put(report.messageId, { k: 'R', at: now, report });
      return;
    }
    if (entry.k === 'R' || entry.reported) return; // a second report for the same message
    this.report(entry, report, report.messageId, now);
    this.store.put(report.messageId, { ...entry, reported: true });
  }

  private report(sent: TrackedSend, report: DeliveryReport, messageId: string, now: number): void {
    const delivered = report.status === 'DELIVERED';
    const feedback: DeliveryFeedback = {
      messageId,
      userId: sent.userId,
      businessUnit: sent.businessUnit,
      scenario: sent.scenario,
      category: sent.category,
      channel: sent.channel,
      provider: report.provider || sent.provider,
      status: delivered ? 'DELIVERED' : 'FAILED',
      subject: 'DELIVERY_REPORT',
      reason: delivered ? null : report.unregistered ? 'unregistered' : (report.reason ?? 'undelivered'),
      attempt: 0,
      billableUnits: 0,
      cost: 0,
      scheduledFor: null,
      providerMessageId: report.providerMessageId ?? sent.providerMessageId,
      eventTime: report.reportedAt,
      emittedAt: now,
    };
    this.context.forward(new Record(messageId, feedback, report.reportedAt), this.options.feedbackChild);
  }
}

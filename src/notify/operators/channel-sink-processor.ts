/**
 * channel sink (F3, F10, F11): renders due lane records and sends them through the
 * {@link ChannelSender} in batches, never before the intent to send is durable.
 *
 * Records collect in an outbox, which is prepared when it reaches `maxBatch`, when its oldest
 * record has waited `flushIntervalMs` (checked on every record, and by a wall-clock punctuator,
 * so a lone record in a quiet period goes out too), and in `flush()`, which the runtime calls at
 * the start of every commit. Preparing consults the delivery ledger — a message already finished
 * (a replay) is skipped, one revoked on its way ends REVOKED — renders the rest, writes each
 * one's intent (its lane record, in chunks of up to {@link INTENTS_PER_ENTRY} per store entry) to
 * the send-intents store and asks for a commit. Only once that
 * commit went through, in `afterCommit`, is the batch sent; its outcomes go to the ledger and
 * the feedback stream and its intents are deleted, all in the next commit.
 *
 * So after a crash every message is known sent (ledger), known not sent (no intent: its lane
 * record is processed again), or uncertain: an intent without an outcome, at most the batches
 * in flight at the crash. (A commit that fails without a crash — a rebalance — leaves nothing
 * uncertain when the task starts again in the same process: it remembers recent outcomes.) The task that takes over finds them in the store at start and follows
 * the category's `onUncertainSend`: RESEND (feedback reason `uncertain:resent`) or ASSUME_SENT
 * (SENT with reason `uncertain:assumed-sent`, never sent twice). Every send carries the
 * messageId, for providers that deduplicate.
 *
 * Results: ACCEPTED → SENT with provider, billable units and cost; retryable → the category's
 * retry policy (RETRYING and re-held with backoff, or FAILED / EXPIRED); permanent → FAILED,
 * with reason `unregistered` when the provider says the address is gone for good (so the
 * member system can drop it).
 */
import type { SendResult } from '../../channels/index.js';
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import { Record } from '../../streams/processor/record.js';
import type { KeyValueStore } from '../../streams/state/key-value-store.js';
import type { ChannelSender, OutboundMessage } from '../channel-sender.js';
import type { BillingPrices } from '../domain/billing-prices.js';
import { decideRetry, type RetryPolicy } from '../domain/retry-policy.js';
import type { TemplateCatalog } from '../domain/template-catalog.js';
import type { Category, DeliveryFeedback, FeedbackStatus, Lane, LaneRecord, NotificationRequest } from '../generated/schema-types.js';
import { DelayQueue } from './delay-queue.js';
import { isFinal, ledgerEntry, type LedgerEntry } from './delivery-ledger.js';
import { feedbackFor, type FeedbackDetails } from './feedback.js';

export interface ChannelSinkOptions {
  readonly sender: ChannelSender;
  readonly templates: TemplateCatalog;
  readonly prices: BillingPrices;
  readonly retry: { readonly [C in Category]: RetryPolicy };
  readonly heldStore: string;
  readonly ledgerStore: string;
  /** messageId → the lane record being sent: written before the send, deleted with its outcome. */
  readonly intentStore: string;
  readonly feedbackChild: string;
  readonly maxBatch: number;
  /** Lanes whose sends ask for a commit at once rather than waiting for the regular one. */
  readonly urgentLanes: ReadonlySet<Lane>;
  readonly flushIntervalMs: number;
}

/** Intents per store entry: ~50 lane records of ~1 kB stay far below a record's size limit. */
const INTENTS_PER_ENTRY = 50;

/**
 * Outcomes of the sends this process made, by application and messageId, oldest first and
 * bounded. A task that starts again in this process after a commit failed (a rebalance aborts
 * the transaction holding the outcomes of sends already made) knows what became of them and
 * records that, instead of counting them uncertain. Only a send whose process is gone stays
 * uncertain.
 */
const recentOutcomes = new Map<string, SendResult>();
/** Far more than the sends between two commits; ~5 MB at most. */
const RECENT_OUTCOMES_MAX = 20_000;

function rememberOutcome(key: string, result: SendResult): void {
  recentOutcomes.delete(key);
  recentOutcomes.set(key, result);
  if (recentOutcomes.size > RECENT_OUTCOMES_MAX) recentOutcomes.delete(recentOutcomes.keys().next().value!);
}

export class ChannelSinkProcessor implements Processor<string, LaneRecord, string, DeliveryFeedback> {
  private context!: ProcessorContext<string, DeliveryFeedback>;
  private queue!: DelayQueue;
  private ledger!: KeyValueStore<string, LedgerEntry>;
  /** Chunks of intents, keyed by their first messageId. */
  private intents!: KeyValueStore<string, LaneRecord[]>;
  private outbox: LaneRecord[] = [];
  /** Wall-clock time the first record of the outbox came in. */
  private outboxSince = 0;
  /** Prepared sends whose intents the next commit makes durable; sent in `afterCommit`. */
  private prepared: { lane: LaneRecord; message: OutboundMessage }[] = [];
  /** Store keys of the prepared sends' intent chunks, deleted with their outcomes. */
  private preparedChunks: string[] = [];
  /** Intents found at start: sends a crash left uncertain, settled after the first commit. */
  private uncertain: LaneRecord[] = [];
  private uncertainChunks: string[] = [];

  constructor(private readonly options: ChannelSinkOptions) {}

  async init(context: ProcessorContext<string, DeliveryFeedback>): Promise<void> {
    this.context = context;
    this.queue = new DelayQueue(context.getStateStore(this.options.heldStore));
    this.ledger = context.getStateStore(this.options.ledgerStore);
    this.intents = context.getStateStore(this.options.intentStore);
    context.schedule(this.options.flushIntervalMs, 'WALL_CLOCK_TIME', () => this.flush());
    // Small by construction: the batches that were in flight when the last owner stopped.
    for await (const { key, value } of this.intents.all()) {
      this.uncertain.push(...value);
      this.uncertainChunks.push(key);
    }
    if (this.uncertain.length > 0) context.commit();
  }

  process(record: Record<string, LaneRecord>): void | Promise<void> {
    const now = this.context.currentSystemTimeMs();
    if (this.outbox.length === 0) this.outboxSince = now;
    this.outbox.push(record.value);
    if (this.outbox.length >= this.options.maxBatch || now - this.outboxSince >= this.options.flushIntervalMs) return this.flush();
  }

  /**
   * Prepares the outbox: ledger check, rendering, and an intent per message to send; asks for
   * the commit after which `afterCommit` sends them. Called by the runtime at the start of every
   * commit, by the punctuator and on a full outbox.
   */
  async flush(): Promise<void> {
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    const entries = await this.ledger.getMany(batch.map((l) => l.request.messageId));
    const seen = new Set(this.prepared.map((p) => p.lane.request.messageId));
    const fresh: LaneRecord[] = [];
    batch.forEach((lane, i) => {
      const request = lane.request;
      const entry = entries[i];
      const now = this.context.currentSystemTimeMs();
      if (seen.has(request.messageId) || (entry && isFinal(entry))) return; // replayed: already decided
      seen.add(request.messageId);
      if (entry?.state === 'REVOKE_PENDING') return this.finish(request, 'REVOKED', now, { reason: entry.reason ?? 'revoked', attempt: lane.attempt ?? 1 });
      const message = this.render(lane);
      if (typeof message === 'string') return this.finish(request, 'FAILED', now, { reason: message, attempt: lane.attempt ?? 1 });
      this.prepared.push({ lane, message });
      fresh.push(lane);
    });
    if (fresh.length === 0) return;
    // A chunk per store entry: one write and one changelog record for many sends.
    for (let i = 0; i < fresh.length; i += INTENTS_PER_ENTRY) {
      const chunk = fresh.slice(i, i + INTENTS_PER_ENTRY);
      const key = chunk[0]!.request.messageId;
      this.intents.put(key, chunk);
      this.preparedChunks.push(key);
    }
    // Critical sends (verification codes) ask for the commit at once; the others go out after
    // the next regular one (kafka.commitInterval), which keeps commits — and so the store and
    // changelog writes each one flushes — few under load.
    if (fresh.some((lane) => this.options.urgentLanes.has(lane.lane))) this.context.commit();
  }

  /** Sends what the commit just made durable, and settles sends a crash left uncertain. */
  async afterCommit(): Promise<void> {
    const sendable = this.prepared;
    this.prepared = [];
    // The intents go with the outcomes, in the same commit.
    for (const key of this.preparedChunks) this.intents.delete(key);
    this.preparedChunks = [];
    if (this.uncertain.length > 0) sendable.push(...(await this.settleUncertain()));
    if (sendable.length === 0) return;
    let results: SendResult[];
    try {
      results = await this.options.sender.send(sendable.map((s) => s.message));
    } catch (error) {
      const reason = `sender-error:${error instanceof Error ? error.message : String(error)}`;
      results = sendable.map((s) => ({ messageId: s.message.messageId, status: 'RETRYABLE_ERROR', provider: 'sender', reason }));
    }
    const now = this.context.currentSystemTimeMs();
    let urgent = false;
    sendable.forEach(({ lane }, i) => {
      const result = results[i];
      if (result) rememberOutcome(this.outcomeKey(lane), result);
      this.record(lane, result, now);
      if (this.options.urgentLanes.has(lane.lane)) urgent = true;
    });
    // The outcomes of critical sends are committed at once, before more records are processed:
    // the sooner they are durable, the fewer a failed commit can leave unknown.
    if (urgent) this.context.commit();
  }

  private outcomeKey(lane: LaneRecord): string {
    return `${this.context.applicationId}\u0000${lane.request.messageId}`;
  }

  /**
   * Intents without an outcome: their send may or may not have reached the provider. ASSUME_SENT
   * categories end SENT without a send; RESEND ones are returned to be sent again.
   */
  private async settleUncertain(): Promise<{ lane: LaneRecord; message: OutboundMessage }[]> {
    const lanes = this.uncertain;
    this.uncertain = [];
    for (const key of this.uncertainChunks) this.intents.delete(key);
    this.uncertainChunks = [];
    const entries = await this.ledger.getMany(lanes.map((l) => l.request.messageId));
    const resend: { lane: LaneRecord; message: OutboundMessage }[] = [];
    const now = this.context.currentSystemTimeMs();
    lanes.forEach((lane, i) => {
      const request = lane.request;
      if (isFinal(entries[i])) return; // its outcome made it after all
      const known = recentOutcomes.get(this.outcomeKey(lane));
      if (known) {
        // Sent from this process; only the commit of its outcome was lost.
        return this.record(lane, known, now);
      }
      const policy = this.options.retry[request.category].onUncertainSend ?? 'RESEND';
      if (policy === 'ASSUME_SENT') {
        return this.finish(request, 'SENT', now, { attempt: lane.attempt ?? 1, reason: 'uncertain:assumed-sent' });
      }
      const message = this.render(lane);
      if (typeof message === 'string') {
        return this.finish(request, 'FAILED', now, { attempt: lane.attempt ?? 1, reason: message });
      }
      this.emit(request, 'RETRYING', now, { attempt: lane.attempt ?? 1, reason: 'uncertain:resent' });
      resend.push({ lane, message });
    });
    return resend;
  }

  private record(lane: LaneRecord, result: SendResult | undefined, now: number): void {
    const request = lane.request;
    const attempt = lane.attempt ?? 1;
    if (result === undefined) return this.retryOrGiveUp(lane, 'sender', 'no-result', now);
    if (result.status === 'ACCEPTED') {
      const cost = this.options.prices.cost(request.channel, result.provider, result.billableUnits);
      return this.finish(request, 'SENT', now, {
        provider: result.provider,
        attempt,
        billableUnits: result.billableUnits,
        cost,
        providerMessageId: result.providerMessageId ?? null,
      });
    }
    if (result.status === 'PERMANENT_ERROR') {
      return this.finish(request, 'FAILED', now, { provider: result.provider, attempt, reason: result.unregistered ? 'unregistered' : result.reason });
    }
    this.retryOrGiveUp(lane, result.provider, result.reason, now);
  }

  private retryOrGiveUp(lane: LaneRecord, provider: string, reason: string, now: number): void {
    const request = lane.request;
    const attempt = lane.attempt ?? 1;
    const decision = decideRetry(this.options.retry[request.category], { attempt, now, createdAt: request.createdAt, expireAt: request.expireAt });
    if (decision.kind === 'give-up') {
      return this.finish(request, decision.status, now, { provider, attempt, reason: `${decision.reason}:${reason}` });
    }
    this.queue.hold({ ...lane, attempt: decision.attempt, dueAt: decision.dueAt, lastError: reason });
    this.emit(request, 'RETRYING', now, { provider, attempt, reason, scheduledFor: decision.dueAt });
  }

  private render(lane: LaneRecord): OutboundMessage | string {
    const r = lane.request;
    const content = this.options.templates.render(r.templateId, r.channel, r.locale ?? 'zh-CN', r.templateParams ?? {});
    if (!content.ok) return content.reason;
    const recipient = presentFields(r.recipient);
    const message: OutboundMessage = {
      messageId: r.messageId,
      channel: r.channel,
      category: r.category,
      recipient,
      body: content.body,
      templateParams: r.templateParams ?? {},
      tags: r.tags ?? {},
    };
    if (content.subject !== undefined) message.subject = content.subject;
    if (content.templateCode !== undefined) message.templateCode = content.templateCode;
    if (r.expireAt != null) message.expireAt = r.expireAt;
    if (r.priority != null) message.priority = r.priority;
    return message;
  }

  private finish(request: NotificationRequest, status: 'SENT' | 'FAILED' | 'EXPIRED' | 'REVOKED', now: number, details: FeedbackDetails): void {
    this.ledger.put(request.messageId, ledgerEntry(request, status, now, { attempt: details.attempt ?? 0, provider: details.provider ?? null, reason: details.reason ?? null }));
    this.emit(request, status, now, details);
  }

  private emit(request: NotificationRequest, status: FeedbackStatus, now: number, details: FeedbackDetails): void {
    const feedback = feedbackFor(request, status, now, now, details);
    this.context.forward(new Record(request.messageId, feedback, now), this.options.feedbackChild);
  }
}

/** A copy of `fields` without its null and undefined ones (providers see only what is set). */
function presentFields<T extends object>(fields: T): { [K in keyof T]: Exclude<T[K], null> } {
  const out: Partial<T> = {};
  for (const name in fields) if (fields[name] != null) out[name] = fields[name];
  return out as { [K in keyof T]: Exclude<T[K], null> };
}

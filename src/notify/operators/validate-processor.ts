/**
 * validate: the first intake operator. Checks what can be known from the request alone —
 * key, expiry, template and parameters, address for the channel, blocked words in the rendered
 * content (F14) — and the user's subscription state (F8: no state means subscribed). Passes an
 * {@link IntakeEnvelope} on, or ends the request with REJECTED / UNSUBSCRIBED / EXPIRED.
 *
 * Input limits come first (`domain/request-limits.ts`): a request with an empty or
 * oversized field, too many parameters, a bad record key or content over its channel's limit is
 * REJECTED with a reason naming the field, before any store is read — the batched prefetch skips
 * it too, so one bad request cannot fail a whole batch's store reads (an empty userId is an
 * empty store key). Such feedback carries the ids cut to `limits.idLength`; a request without a
 * usable messageId is reported under its input position (`unidentified:<topic>:<partition>:<offset>`)
 * because feedback is keyed by messageId and it has none. It is not dead-lettered: the producer
 * sees the rejection on notify.feedback with its businessUnit, like any other rejection, and
 * the request's bytes are still on the requests topic at that offset.
 *
 * Undecodable bytes never get here: the engine's deserialization handler sends them to the DLQ.
 *
 * Replay-safe: the checks are pure, the subscription store is only read, and the fallback id
 * of an unidentified request depends only on the record's position.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import type { Record } from '../../streams/processor/record.js';
import { readThen, type KeyValueStore } from '../../streams/state/key-value-store.js';
import { validateAddress } from '../domain/address-validator.js';
import type { BlockedWords } from '../domain/blocked-words.js';
import type { QuietHours } from '../domain/quiet-hours.js';
import { checkContentLimits, checkRecordKey, checkRequestLimits, reportableRequest, unidentifiedMessageId, type RequestLimits } from '../domain/request-limits.js';
import { isOptedOut } from '../domain/subscriptions.js';
import type { TemplateCatalog } from '../domain/template-catalog.js';
import type { DeliveryFeedback, NotificationRequest, SubscriptionState } from '../generated/schema-types.js';
import { feedbackFor } from './feedback.js';
import type { IntakeEnvelope } from './intake-envelope.js';

/** Store keys the intake operators will read for a request, warmed in one batch per store. */
export interface IntakePrefetch {
  readonly store: string;
  keysOf(request: NotificationRequest): readonly string[];
}

export interface ValidateOptions {
  readonly templates: TemplateCatalog;
  readonly blockedWords: BlockedWords;
  readonly quietHours: QuietHours;
  readonly limits: RequestLimits;
  readonly subscriptionStore: string;
  readonly feedbackChild: string;
  readonly nextChild: string;
  /** Stores of later intake operators to warm with one multi-get per polled batch. */
  readonly prefetch: readonly IntakePrefetch[];
}

type Out = IntakeEnvelope | DeliveryFeedback;

/** See the file comment. */
export class ValidateProcessor implements Processor<string, NotificationRequest, string, Out> {
  private context!: ProcessorContext<string, Out>;
  private subscriptions!: KeyValueStore<string, SubscriptionState>;

  constructor(private readonly options: ValidateOptions) {}

  init(context: ProcessorContext<string, Out>): void {
    this.context = context;
    this.subscriptions = context.getStateStore(this.options.subscriptionStore);
  }

  async prefetch(records: readonly Record<string, NotificationRequest>[]): Promise<void> {
    // Only requests that pass the shape checks have usable store keys (an empty userId would fail the batch's read).
    const requests = records.filter((r) => r.value != null && this.shapeProblem(r) === undefined).map((r) => r.value);
    if (requests.length === 0) return;
    const work: Promise<unknown>[] = [this.subscriptions.prefetch(requests.map((r) => r.recipient.userId))];
    for (const p of this.options.prefetch) {
      const store = this.context.getStateStore<KeyValueStore<string, unknown>>(p.store);
      work.push(store.prefetch(requests.flatMap((r) => p.keysOf(r))));
    }
    await Promise.all(work);
  }

  process(record: Record<string, NotificationRequest>): void | Promise<void> {
    const request = record.value;
    if (request == null) return; // a tombstone on the request topic carries nothing to send
    const now = this.context.currentSystemTimeMs();
    const shape = this.shapeProblem(record);
    if (shape) {
      this.rejectInvalid(record, shape.reason, now);
      return;
    }
    const problem = this.check(request, now);
    if (problem) {
      this.reject(record, problem.status, problem.reason, now);
      return;
    }
    return readThen(this.subscriptions, request.recipient.userId, (state) => {
      if (isOptedOut(state, request.channel, request.category)) {
        this.reject(record, 'UNSUBSCRIBED', `opted-out:${request.channel}:${request.category}`, now);
        return;
      }
      const requested = Math.max(request.sendAt ?? now, now);
      const plannedAt = this.options.quietHours.nextAllowed(requested, request.category, request.channel, request.recipient.timeZone);
      const envelope: IntakeEnvelope = {
        request,
        plannedAt,
        deferReason: plannedAt > requested ? `quiet-hours:${request.category}` : null,
      };
      this.context.forward(record.withValue(envelope), this.options.nextChild);
    });
  }

  /** The first input limit or key rule the record breaks (ids, sizes, maps, times, key). */
  private shapeProblem(record: Record<string, NotificationRequest>): { reason: string } | undefined {
    return checkRequestLimits(record.value, this.options.limits) ?? checkRecordKey(record.key, record.value);
  }

  /** Rules that need the request's fields to be within their limits (see {@link shapeProblem}). */
  private check(request: NotificationRequest, now: number): { status: 'REJECTED' | 'EXPIRED'; reason: string } | undefined {
    if (request.expireAt != null && request.expireAt <= now) return { status: 'EXPIRED', reason: 'expired-before-intake' };
    const address = validateAddress(request.channel, request.recipient);
    if (address) return { status: 'REJECTED', reason: address };
    const rendered = this.options.templates.render(request.templateId, request.channel, request.locale ?? 'zh-CN', request.templateParams ?? {});
    if (!rendered.ok) return { status: 'REJECTED', reason: rendered.reason };
    const content = checkContentLimits(request.channel, rendered, this.options.limits);
    if (content) return { status: 'REJECTED', reason: content.reason };
    const word = this.options.blockedWords.find(rendered.subject, rendered.body);
    if (word !== undefined) return { status: 'REJECTED', reason: `blocked-word:${word}` };
    return undefined;
  }

  /** REJECTED for a request over a limit, reported with bounded ids (see the file comment). */
  private rejectInvalid(record: Record<string, NotificationRequest>, reason: string, now: number): void {
    const meta = this.context.recordMetadata();
    const fallbackId = meta ? unidentifiedMessageId(meta.topic, meta.partition, meta.offset) : `unidentified:${record.timestamp}`;
    const request = reportableRequest(record.value, this.options.limits, fallbackId);
    const feedback = feedbackFor(request, 'REJECTED', record.timestamp, now, { reason });
    this.context.forward(record.withKey(request.messageId).withValue(feedback), this.options.feedbackChild);
  }

  private reject(record: Record<string, NotificationRequest>, status: 'REJECTED' | 'UNSUBSCRIBED' | 'EXPIRED', reason: string, now: number): void {
    const feedback = feedbackFor(record.value, status, record.timestamp, now, { reason });
    this.context.forward(record.withKey(record.value.messageId).withValue(feedback), this.options.feedbackChild);
  }
}

/**
 * priority router (F4, F5): picks the lane from category or explicit priority and hands the
 * request to that lane's topic as a `LaneRecord` due at the planned send time. A request due
 * later (sendAt in the future, or deferred past quiet hours) is reported SCHEDULED; ACCEPTED is
 * reported only when configured (it doubles the feedback volume).
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import type { Record } from '../../streams/processor/record.js';
import type { LaneRouter } from '../domain/lane-router.js';
import type { DeliveryFeedback, Lane, LaneRecord } from '../generated/schema-types.js';
import { feedbackFor } from './feedback.js';
import type { IntakeEnvelope } from './intake-envelope.js';

export interface PriorityRouterOptions {
  readonly lanes: LaneRouter;
  /** Child (sink) name per lane. */
  readonly laneChildren: { readonly [L in Lane]: string };
  readonly feedbackChild: string;
  readonly emitAccepted: boolean;
}

type Out = LaneRecord | DeliveryFeedback;

export class PriorityRouterProcessor implements Processor<string, IntakeEnvelope, string, Out> {
  private context!: ProcessorContext<string, Out>;

  constructor(private readonly options: PriorityRouterOptions) {}

  init(context: ProcessorContext<string, Out>): void {
    this.context = context;
  }

  process(record: Record<string, IntakeEnvelope>): void {
    const { request, plannedAt, deferReason } = record.value;
    const now = this.context.currentSystemTimeMs();
    const lane = this.options.lanes.laneFor(request.category, request.priority);
    const laneRecord: LaneRecord = { request, lane, dueAt: plannedAt, attempt: 1, routedAt: now, deferReason, lastError: null };
    if (this.options.emitAccepted) this.feedback(record, 'ACCEPTED', now, null);
    if (plannedAt > now) this.feedback(record, 'SCHEDULED', now, plannedAt, deferReason ?? 'send-at');
    this.context.forward(record.withValue(laneRecord), this.options.laneChildren[lane]);
  }

  private feedback(record: Record<string, IntakeEnvelope>, status: 'ACCEPTED' | 'SCHEDULED', now: number, scheduledFor: number | null, reason?: string): void {
    const request = record.value.request;
    const feedback = feedbackFor(request, status, record.timestamp, now, { scheduledFor, reason: reason ?? null });
    this.context.forward(record.withKey(request.messageId).withValue(feedback), this.options.feedbackChild);
  }
}

/**
 * Building feedback events (F11). Every operator reports through these helpers so each event
 * carries the same request fields; the terminal statuses are listed once, here.
 */
import type { DeliveryFeedback, FeedbackStatus, NotificationRequest } from '../generated/schema-types.js';

/** Statuses that end a request: exactly one of these per request reaches notify.feedback. */
export const TERMINAL_STATUSES: ReadonlySet<FeedbackStatus> = new Set<FeedbackStatus>([
  'REJECTED',
  'DUPLICATE',
  'SUPPRESSED',
  'UNSUBSCRIBED',
  'REVOKED',
  'SENT',
  'FAILED',
  'EXPIRED',
]);

/** Optional fields of one feedback event. */
export interface FeedbackDetails {
  readonly reason?: string | null;
  readonly provider?: string | null;
  readonly attempt?: number;
  readonly billableUnits?: number;
  readonly cost?: number;
  readonly scheduledFor?: number | null;
  readonly providerMessageId?: string | null;
  readonly subject?: DeliveryFeedback['subject'];
}

/** A feedback event about `request`; `eventTime` is when it happened, `now` when it is emitted. */
export function feedbackFor(
  request: NotificationRequest,
  status: FeedbackStatus,
  eventTime: number,
  now: number,
  details: FeedbackDetails = {},
): DeliveryFeedback {
  return {
    messageId: request.messageId,
    userId: request.recipient.userId,
    businessUnit: request.businessUnit,
    scenario: request.scenario,
    category: request.category,
    channel: request.channel,
    provider: details.provider ?? null,
    status,
    subject: details.subject ?? 'REQUEST',
    reason: details.reason ?? null,
    attempt: details.attempt ?? 0,
    billableUnits: details.billableUnits ?? 0,
    cost: details.cost ?? 0,
    scheduledFor: details.scheduledFor ?? null,
    providerMessageId: details.providerMessageId ?? null,
    eventTime,
    emittedAt: now,
  };
}

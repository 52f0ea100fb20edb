/**
 * What travels between the intake operators (validate → dedupe → fatigue → router) inside one
 * task. It never crosses Kafka, so it needs no serde; the router turns it into a `LaneRecord`.
 */
import type { NotificationRequest } from '../generated/schema-types.js';

export interface IntakeEnvelope {
  readonly request: NotificationRequest;
  /**
   * When the message is planned to go out: sendAt (or now), moved past quiet hours. Fatigue
   * counts against it and the router sets the lane record's dueAt to it.
   */
  readonly plannedAt: number;
  /** Why plannedAt is later than the requested time, e.g. `quiet-hours:MARKETING`. */
  readonly deferReason: string | null;
  /**
   * Set by dedupe on a replay (the same record processed again): the fatigue rule that
   * suppressed this request the first time, so fatigue reports the same outcome again.
   */
  readonly suppressedBy?: string;
}

/** The key a request is deduplicated by. */
export function dedupeKeyOf(request: NotificationRequest): string {
  return request.dedupeKey || request.messageId;
}

/**
 * Retry decisions per category (F10). Verification codes get quick retries only (a late code
 * is useless); notifications retry with backoff until their validity ends; marketing retries
 * within validity, else expires. The deadline is the earlier of the request's `expireAt` and
 * `createdAt + validity`.
 */

/** One category's policy (durations in milliseconds). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoff: number;
  readonly multiplier: number;
  readonly maxBackoff: number;
  readonly validity: number;
  /** Terminal status when the deadline passes before a send succeeds. */
  readonly onDeadline: 'FAILED' | 'EXPIRED';
  /** What a send left uncertain by a crash becomes: sent again, or counted as sent. */
  readonly onUncertainSend?: 'RESEND' | 'ASSUME_SENT';
}

/** What to do after a failed attempt. */
export type RetryDecision =
  | { readonly kind: 'retry'; readonly attempt: number; readonly dueAt: number }
  | { readonly kind: 'give-up'; readonly status: 'FAILED' | 'EXPIRED'; readonly reason: string };

/** Wait before attempt `attempt + 1`, after `attempt` failures: exponential, capped. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const raw = policy.initialBackoff * Math.pow(policy.multiplier, Math.max(0, attempt - 1));
  return Math.min(policy.maxBackoff, Math.round(raw));
}

/** The instant after which the message must not be sent. */
export function deadlineOf(policy: RetryPolicy, createdAt: number, expireAt: number | null | undefined): number {
  const validUntil = createdAt + policy.validity;
  return expireAt == null ? validUntil : Math.min(expireAt, validUntil);
}

/**
 * Decides after attempt number `attempt` (1-based) failed retryably at `now`: retry at
 * `now + backoff` if attempts remain and that is before the deadline, else give up.
 */
export function decideRetry(
  policy: RetryPolicy,
  failure: { readonly attempt: number; readonly now: number; readonly createdAt: number; readonly expireAt?: number | null | undefined },
): RetryDecision {
  if (failure.attempt >= policy.maxAttempts) {
    return { kind: 'give-up', status: 'FAILED', reason: `retries-exhausted:${failure.attempt}` };
  }
  const dueAt = failure.now + backoffMs(policy, failure.attempt);
  const deadline = deadlineOf(policy, failure.createdAt, failure.expireAt);
  if (dueAt >= deadline) {
    return { kind: 'give-up', status: policy.onDeadline, reason: 'deadline-passed' };
  }
  return { kind: 'retry', attempt: failure.attempt + 1, dueAt };
}

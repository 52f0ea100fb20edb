import { describe, expect, it } from 'vitest';
import { backoffMs, deadlineOf, decideRetry, type RetryPolicy } from '../../../../src/notify/domain/retry-policy.js';

const verification: RetryPolicy = { maxAttempts: 2, initialBackoff: 2000, multiplier: 2, maxBackoff: 10_000, validity: 30_000, onDeadline: 'FAILED' };
const marketing: RetryPolicy = { maxAttempts: 5, initialBackoff: 30_000, multiplier: 2, maxBackoff: 120_000, validity: 3_600_000, onDeadline: 'EXPIRED' };

describe('retry policy', () => {
  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(marketing, a))).toEqual([30_000, 60_000, 120_000, 120_000, 120_000]);
  });

  it('retries verification codes quickly, then fails', () => {
    expect(decideRetry(verification, { attempt: 1, now: 1000, createdAt: 0 })).toEqual({ kind: 'retry', attempt: 2, dueAt: 3000 });
    expect(decideRetry(verification, { attempt: 2, now: 4000, createdAt: 0 })).toEqual({ kind: 'give-up', status: 'FAILED', reason: 'retries-exhausted:2' });
  });

  it('gives up with the category status when the next attempt would miss the deadline', () => {
    expect(decideRetry(verification, { attempt: 1, now: 28_500, createdAt: 0 })).toMatchObject({ kind: 'give-up', status: 'FAILED', reason: 'deadline-passed' });
    expect(decideRetry(marketing, { attempt: 1, now: 1000, createdAt: 0, expireAt: 20_000 })).toMatchObject({ kind: 'give-up', status: 'EXPIRED' });
  });

  it('takes the earlier of expireAt and validity as the deadline', () => {
    expect(deadlineOf(marketing, 0, null)).toBe(3_600_000);
    expect(deadlineOf(marketing, 0, 5000)).toBe(5000);
    expect(deadlineOf(marketing, 0, 9_999_999)).toBe(3_600_000);
  });
});

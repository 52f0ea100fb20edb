import { describe, expect, it } from 'vitest';
import { bucketStart, compileFatigueRule, countInWindow, ruleApplies, scopeKey, windowFirstBucket } from '../../../../src/notify/domain/fatigue-rules.js';
import type { NotificationRequest } from '../../../../src/notify/generated/schema-types.js';

const H = 3_600_000;
const D = 24 * H;

describe('fatigue rules', () => {
  const daily = compileFatigueRule({ name: 'd', scope: 'user', window: D, cap: 2, categories: ['MARKETING'] });

  it('picks window/24 buckets (at least a minute) unless configured', () => {
    expect(daily.bucketMs).toBe(H);
    expect(daily.bucketsPerWindow).toBe(24);
    expect(compileFatigueRule({ name: 'x', scope: 'user', window: 10 * 60_000, cap: 1 }).bucketMs).toBe(60_000);
    expect(compileFatigueRule({ name: 'x', scope: 'user', window: D, cap: 1, bucket: 6 * H }).bucketsPerWindow).toBe(4);
  });

  it('aligns buckets and windows', () => {
    expect(bucketStart(10 * H + 59 * 60_000, H)).toBe(10 * H);
    expect(windowFirstBucket(daily, D + 10 * H)).toBe(11 * H);
  });

  it('counts only buckets inside the window ending at t (window boundary)', () => {
    const buckets: [number, number][] = [
      [10 * H, 1], // yesterday 10:00-11:00
      [D + 9 * H, 1], // today 09:00
      [D + 12 * H, 5], // later than t: not counted
    ];
    expect(countInWindow(daily, buckets, D + 9 * H + 59 * 60_000)).toBe(2); // yesterday's 10:xx still counts
    expect(countInWindow(daily, buckets, D + 10 * H)).toBe(1); // at 10:00 today it has left the window
  });

  it('builds scope keys per scope and filters by category', () => {
    const req = { recipient: { userId: 'u1' }, scenario: 's', businessUnit: 'b' } as NotificationRequest;
    expect(scopeKey(daily, req)).toBe('d');
    expect(scopeKey(compileFatigueRule({ name: 'x', scope: 'user+scenario', window: D, cap: 1 }), req)).toBe('x\u0000s');
    expect(scopeKey(compileFatigueRule({ name: 'y', scope: 'user+businessUnit', window: D, cap: 1 }), req)).toBe('y\u0000b');
    expect(ruleApplies(daily, 'MARKETING')).toBe(true);
    expect(ruleApplies(daily, 'VERIFICATION')).toBe(false);
  });
});

/**
 * Fatigue (frequency) control math (F6). A rule counts messages per scope in fixed buckets; a
 * request at time t is over the cap when the buckets of the window ending at t already hold
 * `cap` messages.
 *
 * The window is bucket-aligned: it is the bucket containing t plus the `window / bucket - 1`
 * buckets before it. A message at 10:59 yesterday therefore stops counting for a 1-day window
 * with 1-hour buckets at 10:00 today, up to one bucket early. That is the price of keeping
 * O(window / bucket) counters per scope instead of one timestamp per message.
 */
import type { Category, NotificationRequest } from '../generated/schema-types.js';

/** A fatigue rule as configured (durations in milliseconds). */
export interface FatigueRule {
  readonly name: string;
  readonly scope: 'user' | 'user+scenario' | 'user+businessUnit';
  readonly window: number;
  readonly cap: number;
  readonly categories?: readonly Category[] | undefined;
  readonly bucket?: number | undefined;
}

const MIN_BUCKET = 60_000;

/** A rule with its bucket size decided. */
export interface CompiledFatigueRule extends FatigueRule {
  readonly bucketMs: number;
  /** How many buckets, the current one included, make up the window. */
  readonly bucketsPerWindow: number;
  readonly categorySet: ReadonlySet<Category> | undefined;
}

/** Default bucket: window/24 (1 h for a day, 7 h for a week), at least one minute. */
export function compileFatigueRule(rule: FatigueRule): CompiledFatigueRule {
  const bucketMs = Math.max(MIN_BUCKET, rule.bucket ?? Math.floor(rule.window / 24));
  return {
    ...rule,
    bucketMs,
    bucketsPerWindow: Math.max(1, Math.ceil(rule.window / bucketMs)),
    categorySet: rule.categories ? new Set(rule.categories) : undefined,
  };
}

/** True when the rule counts and limits this request's category. */
export function ruleApplies(rule: CompiledFatigueRule, category: Category): boolean {
  return rule.categorySet === undefined || rule.categorySet.has(category);
}

/** Start of the bucket containing `t`. */
export function bucketStart(t: number, bucketMs: number): number {
  return t - (((t % bucketMs) + bucketMs) % bucketMs);
}

/** The first bucket start that still counts for a request at `t`. */
export function windowFirstBucket(rule: CompiledFatigueRule, t: number): number {
  return bucketStart(t, rule.bucketMs) - (rule.bucketsPerWindow - 1) * rule.bucketMs;
}

/**
 * The scope a request counts in for one rule, within its user's counts (all rules are scoped by
 * user, and the user's counts are stored under the user): the rule's name, joined with NUL to
 * the scenario or business unit when the rule is scoped by one. These keys repeat across users
 * (a few rules × scenarios), so the runtime keeps one copy of each.
 */
export function scopeKey(rule: CompiledFatigueRule, request: NotificationRequest): string {
  switch (rule.scope) {
    case 'user':
      return rule.name;
    case 'user+scenario':
      return `${rule.name}\u0000${request.scenario}`;
    case 'user+businessUnit':
      return `${rule.name}\u0000${request.businessUnit}`;
  }
}

/** Messages in the window ending at `t`; buckets are `[bucketStart, count]` pairs. */
export function countInWindow(rule: CompiledFatigueRule, buckets: readonly (readonly [number, number])[], t: number): number {
  const first = windowFirstBucket(rule, t);
  const last = bucketStart(t, rule.bucketMs);
  let sum = 0;
  for (const [start, count] of buckets) if (start >= first && start <= last) sum += count;
  return sum;
}

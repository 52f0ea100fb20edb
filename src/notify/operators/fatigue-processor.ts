/**
 * fatigue-window (F6): per rule and scope, counts messages in time buckets and suppresses a
 * request that would exceed a cap, reporting SUPPRESSED with the rule's name. Counting is
 * against the planned send time (after sendAt and quiet hours), so a message scheduled for
 * tomorrow uses tomorrow's allowance. A suppressed request does not count.
 *
 * One store entry per scope holds that scope's live buckets, so a request costs one read per
 * applicable rule, warmed for the whole polled batch by validate's prefetch.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import type { Record } from '../../streams/processor/record.js';
import type { KeyValueStore } from '../../streams/state/key-value-store.js';
import { bucketStart, countInWindow, ruleApplies, scopeKey, windowFirstBucket, type CompiledFatigueRule } from '../domain/fatigue-rules.js';
import type { DeliveryFeedback, NotificationRequest } from '../generated/schema-types.js';
import { feedbackFor } from './feedback.js';
import type { IntakeEnvelope } from './intake-envelope.js';
import { StoreSweeper } from './store-sweeper.js';

/** Live buckets of one scope: `[bucketStart, count]` pairs, oldest first. */
export type ScopeBuckets = [number, number][];

export interface FatigueOptions {
  readonly storeName: string;
  readonly rules: readonly CompiledFatigueRule[];
  readonly feedbackChild: string;
  readonly nextChild: string;
  /** Expiry of scopes whose every bucket fell out of its rule's window, see {@link StoreSweeper}. */
  readonly sweepIntervalMs: number;
  readonly sweepMaxScan: number;
}

type Out = IntakeEnvelope | DeliveryFeedback;

/** The store keys a request is counted under, for prefetching. */
export function fatigueKeysOf(rules: readonly CompiledFatigueRule[], request: NotificationRequest): string[] {
  return rules.filter((r) => ruleApplies(r, request.category)).map((r) => scopeKey(r, request));
}

export class FatigueProcessor implements Processor<string, IntakeEnvelope, string, Out> {
  private context!: ProcessorContext<string, Out>;
  private store!: KeyValueStore<string, ScopeBuckets>;

  constructor(private readonly options: FatigueOptions) {}

  init(context: ProcessorContext<string, Out>): void {
    this.context = context;
    this.store = context.getStateStore(this.options.storeName);
    const rules = new Map(this.options.rules.map((r) => [r.name, r]));
    const sweeper = new StoreSweeper(this.store, {
      maxScan: this.options.sweepMaxScan,
      isExpired: (key, buckets, now) => {
        const rule = rules.get(key.slice(0, key.indexOf('\u0000')));
        if (rule === undefined) return true; // a rule removed from the configuration
        const newest = buckets[buckets.length - 1];
        // Counting is against planned send times, which are never before now: a scope whose
        // newest bucket is out of the window at `now` can no longer cap anything.
        return newest === undefined || newest[0] < windowFirstBucket(rule, now);
      },
    });
    context.schedule(this.options.sweepIntervalMs, 'WALL_CLOCK_TIME', (now) => sweeper.sweep(now).then(() => undefined));
  }

  process(record: Record<string, IntakeEnvelope>): void | Promise<void> {
    const { request, plannedAt } = record.value;
    const rules = this.options.rules.filter((r) => ruleApplies(r, request.category));
    if (rules.length === 0) {
      this.context.forward(record, this.options.nextChild);
      return;
    }
    const keys = rules.map((r) => scopeKey(r, request));
    return this.store.getMany(keys).then((values) => {
      const now = this.context.currentSystemTimeMs();
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!;
        const buckets = (values[i] ?? []).map(([start, count]) => ({ start, count }));
        if (countInWindow(rule, buckets, plannedAt) >= rule.cap) {
          const feedback = feedbackFor(request, 'SUPPRESSED', record.timestamp, now, { reason: `fatigue:${rule.name}` });
          this.context.forward(record.withKey(request.messageId).withValue(feedback), this.options.feedbackChild);
          return;
        }
      }
      for (let i = 0; i < rules.length; i++) {
        this.store.put(keys[i]!, this.increment(rules[i]!, values[i] ?? [], plannedAt, now));
      }
      this.context.forward(record, this.options.nextChild);
    });
  }

  /** Adds one to the bucket of `plannedAt` and drops buckets no request from `now` on can see. */
  private increment(rule: CompiledFatigueRule, buckets: ScopeBuckets, plannedAt: number, now: number): ScopeBuckets {
    const oldest = windowFirstBucket(rule, Math.min(now, plannedAt));
    const start = bucketStart(plannedAt, rule.bucketMs);
    const next: ScopeBuckets = [];
    let added = false;
    for (const [s, c] of buckets) {
      if (s < oldest) continue;
      if (s === start) {
        next.push([s, c + 1]);
        added = true;
      } else next.push([s, c]);
    }
    if (!added) {
      next.push([start, 1]);
      next.sort((a, b) => a[0] - b[0]);
    }
    return next;
  }
}

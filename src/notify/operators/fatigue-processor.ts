/**
 * fatigue-window (F6): per rule and scope, counts messages in time buckets and suppresses a
 * request that would exceed a cap, reporting SUPPRESSED with the rule's name. Counting is
 * against the planned send time (after sendAt and quiet hours), so a message scheduled for
 * tomorrow uses tomorrow's allowance. A suppressed request does not count.
 *
 * One store entry per user holds the live buckets of every scope of that user (all rules are
 * scoped by user), so a request costs one read and one write — one changelog record — however
 * many rules apply; the read is warmed for the whole polled batch by validate's prefetch.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import type { Record } from '../../streams/processor/record.js';
import { readThen, type KeyValueStore } from '../../streams/state/key-value-store.js';
import { bucketStart, countInWindow, ruleApplies, scopeKey, windowFirstBucket, type CompiledFatigueRule } from '../domain/fatigue-rules.js';
import { CATEGORY_SYMBOLS, type Category, type DeliveryFeedback, type NotificationRequest } from '../generated/schema-types.js';
import { feedbackFor } from './feedback.js';
import type { IntakeEnvelope } from './intake-envelope.js';
import { scheduleSweep, type SweepSchedule } from './store-sweeper.js';

/** Live buckets of one scope: `[bucketStart, count]` pairs, oldest first. */
export type ScopeBuckets = [number, number][];

/** Every live scope of one user, by scope key (`rule [NUL scenario|businessUnit]`, see `scopeKey`). */
export type UserScopes = { [scopeKey: string]: ScopeBuckets };

export interface FatigueOptions extends SweepSchedule {
  readonly storeName: string;
  readonly rules: readonly CompiledFatigueRule[];
  readonly feedbackChild: string;
  readonly nextChild: string;
}

type Out = IntakeEnvelope | DeliveryFeedback;

/** The store keys a request is counted under, for prefetching: its user, when a rule applies. */
export function fatigueKeysOf(rules: readonly CompiledFatigueRule[], request: NotificationRequest): string[] {
  return rules.some((r) => ruleApplies(r, request.category)) ? [request.recipient.userId] : [];
}

export class FatigueProcessor implements Processor<string, IntakeEnvelope, string, Out> {
  private context!: ProcessorContext<string, Out>;
  private store!: KeyValueStore<string, UserScopes>;
  private readonly rulesByName: ReadonlyMap<string, CompiledFatigueRule>;
  /** The rules that count each category (none: the category is not limited). */
  private readonly rulesByCategory = new Map<Category, CompiledFatigueRule[]>();

  constructor(private readonly options: FatigueOptions) {
    this.rulesByName = new Map(options.rules.map((r) => [r.name, r]));
    for (const rule of options.rules) {
      for (const category of CATEGORY_SYMBOLS) {
        if (!ruleApplies(rule, category)) continue;
        const list = this.rulesByCategory.get(category);
        if (list) list.push(rule);
        else this.rulesByCategory.set(category, [rule]);
      }
    }
  }

  init(context: ProcessorContext<string, Out>): void {
    this.context = context;
    this.store = context.getStateStore(this.options.storeName);
    // A user expires once every scope fell out of its rule's window.
    scheduleSweep(context, this.store, this.options, (_user, scopes, now) => Object.keys(this.prune(scopes, now)).length === 0);
  }

  process(record: Record<string, IntakeEnvelope>): void | Promise<void> {
    const rules = this.rulesByCategory.get(record.value.request.category);
    if (rules === undefined) {
      this.context.forward(record, this.options.nextChild);
      return;
    }
    return readThen(this.store, record.value.request.recipient.userId, (stored) => this.count(record, rules, stored));
  }

  /** Suppresses the request if a rule's cap is reached, else counts it in every rule's scope. */
  private count(record: Record<string, IntakeEnvelope>, rules: readonly CompiledFatigueRule[], stored: UserScopes | undefined): void {
    const { request, plannedAt } = record.value;
    const now = this.context.currentSystemTimeMs();
    const keys = new Array<string>(rules.length);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const key = scopeKey(rule, request);
      keys[i] = key;
      const buckets = stored?.[key];
      if (buckets !== undefined && countInWindow(rule, buckets, plannedAt) >= rule.cap) {
        const feedback = feedbackFor(request, 'SUPPRESSED', record.timestamp, now, { reason: `fatigue:${rule.name}` });
        this.context.forward(record.withKey(request.messageId).withValue(feedback), this.options.feedbackChild);
        return;
      }
    }
    const next = stored === undefined ? {} : this.prune(stored, Math.min(now, plannedAt));
    for (let i = 0; i < rules.length; i++) next[keys[i]!] = increment(rules[i]!, next[keys[i]!], plannedAt);
    this.store.put(request.recipient.userId, next);
    this.context.forward(record, this.options.nextChild);
  }

  /** The scopes that still count for a request planned at or after `t` (copies; drops empty ones and removed rules). */
  private prune(scopes: UserScopes, t: number): UserScopes {
    const out: UserScopes = {};
    for (const key in scopes) {
      const nul = key.indexOf('\u0000');
      const rule = this.rulesByName.get(nul < 0 ? key : key.slice(0, nul));
      if (rule === undefined) continue;
      const oldest = windowFirstBucket(rule, t);
      const live = scopes[key]!.filter(([start]) => start >= oldest);
      if (live.length > 0) out[key] = live;
    }
    return out;
  }
}

/** Adds one to the bucket of `plannedAt` (a copy; `buckets` may be absent). */
function increment(rule: CompiledFatigueRule, buckets: ScopeBuckets | undefined, plannedAt: number): ScopeBuckets {
  const start = bucketStart(plannedAt, rule.bucketMs);
  if (buckets === undefined) return [[start, 1]];
  const next: ScopeBuckets = buckets.map(([s, c]) => [s, s === start ? c + 1 : c]);
  if (!next.some(([s]) => s === start)) {
    next.push([start, 1]);
    next.sort((a, b) => a[0] - b[0]);
  }
  return next;
}

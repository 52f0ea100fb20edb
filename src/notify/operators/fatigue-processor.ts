/**
 * fatigue-window (F6): per rule and scope, counts messages in time buckets and suppresses a
 * request that would exceed a cap, reporting SUPPRESSED with the rule's name. Counting is
 * against the planned send time (after sendAt and quiet hours), so a message scheduled for
 * tomorrow uses tomorrow's allowance. A suppressed request does not count.
 *
 * One store entry per user holds the live buckets of every scope of that user (all rules are
 * scoped by user), so a request costs one read and one write — one changelog record — however
 * many rules apply; the read is warmed for the whole polled batch by validate's prefetch.
 *
 * Replay-safe: processing the same request again (same record after a crash or a rebalance, or
 * the same messageId) gives the decision it got the first time and counts nothing twice.
 * - The entry also lists the messageIds counted in its buckets (each with the time until which
 *   one of its buckets can still be live), in the same value as the counts, so counts and list
 *   change together. A listed request is admitted again without being counted: also when the
 *   user's later requests have filled the window since.
 * - A suppressed request is not counted, so the user's entry is not written; the rule is written
 *   into the request's dedupe sighting instead (the entry dedupe has just written — the write
 *   cache merges the two into one changelog record). Dedupe hands it back on a replay (see
 *   `IntakeEnvelope.suppressedBy`) and the replay is SUPPRESSED by the same rule, even if its
 *   window has moved on since (a replay plans its send time anew).
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import type { Record } from '../../streams/processor/record.js';
import { readThen, type KeyValueStore } from '../../streams/state/key-value-store.js';
import { bucketStart, countInWindow, ruleApplies, scopeKey, windowFirstBucket, type CompiledFatigueRule } from '../domain/fatigue-rules.js';
import { CATEGORY_SYMBOLS, type Category, type DeliveryFeedback, type NotificationRequest } from '../generated/schema-types.js';
import type { SeenEntry } from './dedupe-processor.js';
import { sightingAt } from './dedupe-processor.js';
import { feedbackFor } from './feedback.js';
import { dedupeKeyOf, type IntakeEnvelope } from './intake-envelope.js';
import { scheduleSweep, type SweepSchedule } from './store-sweeper.js';

/** Live buckets of one scope: `[bucketStart, count]` pairs, oldest first. */
export type ScopeBuckets = [number, number][];

/** Every live scope of one user, by scope key (`rule [NUL scenario|businessUnit]`, see `scopeKey`). */
export type UserScopes = { [scopeKey: string]: ScopeBuckets };

/**
 * The messages counted in a user's buckets: messageId → a time until which one of the buckets it
 * was counted in may still be live (its planned time plus the longest span of its rules). An id
 * is forgotten once that time is before the pruning point, never while its buckets are kept.
 */
export type CountedMessages = { [messageId: string]: number };

/** One user's entry in the fatigue store. */
export interface UserFatigue {
  readonly s: UserScopes;
  readonly m: CountedMessages;
}

/** What the store may hold: entries written before the counted list existed are scopes only. */
export type StoredFatigue = UserFatigue | UserScopes;

/** A stored entry in the current shape (no rule has a scope named `s` whose value is an object). */
export function userFatigueOf(stored: StoredFatigue): UserFatigue {
  const s = stored.s;
  return s !== undefined && !Array.isArray(s) ? (stored as UserFatigue) : { s: stored as UserScopes, m: {} };
}

export interface FatigueOptions extends SweepSchedule {
  readonly storeName: string;
  /** The dedupe store: a suppression is written into the request's sighting (see the file comment). */
  readonly dedupeStoreName: string;
  readonly rules: readonly CompiledFatigueRule[];
  readonly feedbackChild: string;
  readonly nextChild: string;
  /**
   * Keep the counted messageIds so a replayed request is not counted twice (default true). Only
   * at-least-once replays records over state that kept their first run: under exactly-once a
   * replay follows an aborted transaction, which took the counts back with it.
   */
  readonly countedIds?: boolean;
}

type Out = IntakeEnvelope | DeliveryFeedback;

/** The store keys a request is counted under, for prefetching: its user, when a rule applies. */
export function fatigueKeysOf(rules: readonly CompiledFatigueRule[], request: NotificationRequest): string[] {
  return rules.some((r) => ruleApplies(r, request.category)) ? [request.recipient.userId] : [];
}

export class FatigueProcessor implements Processor<string, IntakeEnvelope, string, Out> {
  private context!: ProcessorContext<string, Out>;
  private store!: KeyValueStore<string, StoredFatigue>;
  private dedupe!: KeyValueStore<string, SeenEntry>;
  private readonly rulesByName: ReadonlyMap<string, CompiledFatigueRule>;
  /** The rules that count each category (none: the category is not limited). */
  private readonly rulesByCategory = new Map<Category, CompiledFatigueRule[]>();
  /** Per category, the longest window of its rules in whole buckets: how long a counted id is kept. */
  private readonly spanByCategory = new Map<Category, number>();

  constructor(private readonly options: FatigueOptions) {
    this.rulesByName = new Map(options.rules.map((r) => [r.name, r]));
    for (const rule of options.rules) {
      for (const category of CATEGORY_SYMBOLS) {
        if (!ruleApplies(rule, category)) continue;
        const list = this.rulesByCategory.get(category);
        if (list) list.push(rule);
        else this.rulesByCategory.set(category, [rule]);
        this.spanByCategory.set(category, Math.max(this.spanByCategory.get(category) ?? 0, rule.bucketsPerWindow * rule.bucketMs));
      }
    }
  }

  init(context: ProcessorContext<string, Out>): void {
    this.context = context;
    this.store = context.getStateStore(this.options.storeName);
    this.dedupe = context.getStateStore(this.options.dedupeStoreName);
    // A user expires once every scope fell out of its rule's window and no counted id is kept.
    scheduleSweep(context, this.store, this.options, (_user, stored, now) => {
      const live = this.prune(userFatigueOf(stored), now);
      return Object.keys(live.s).length === 0 && Object.keys(live.m).length === 0;
    });
  }

  process(record: Record<string, IntakeEnvelope>): void | Promise<void> {
    const rules = this.rulesByCategory.get(record.value.request.category);
    if (rules === undefined) {
      this.context.forward(record, this.options.nextChild);
      return;
    }
    const suppressedBy = record.value.suppressedBy;
    if (suppressedBy !== undefined) {
      this.suppress(record, suppressedBy);
      return;
    }
    return readThen(this.store, record.value.request.recipient.userId, (stored) => this.count(record, rules, stored));
  }

  /** Suppresses the request if a rule's cap is reached, else counts it in every rule's scope. */
  private count(record: Record<string, IntakeEnvelope>, rules: readonly CompiledFatigueRule[], stored: StoredFatigue | undefined): void {
    const { request, plannedAt } = record.value;
    const entry = stored === undefined ? undefined : userFatigueOf(stored);
    if (entry?.m[request.messageId] !== undefined) {
      // Counted already (a replay): admitted again, not counted again.
      this.context.forward(record, this.options.nextChild);
      return;
    }
    const now = this.context.currentSystemTimeMs();
    const keys = new Array<string>(rules.length);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const key = scopeKey(rule, request);
      keys[i] = key;
      const buckets = entry?.s[key];
      if (buckets !== undefined && countInWindow(rule, buckets, plannedAt) >= rule.cap) {
        // Remember the decision in the sighting dedupe has just written, for a replay.
        this.dedupe.put(dedupeKeyOf(request), { t: record.timestamp, at: sightingAt(this.context), f: rule.name });
        this.suppress(record, rule.name);
        return;
      }
    }
    const next = entry === undefined ? { s: {}, m: {} } : this.prune(entry, Math.min(now, plannedAt));
    for (let i = 0; i < rules.length; i++) next.s[keys[i]!] = increment(rules[i]!, next.s[keys[i]!], plannedAt);
    if (this.options.countedIds !== false) next.m[request.messageId] = plannedAt + this.spanByCategory.get(request.category)!;
    this.store.put(request.recipient.userId, next);
    this.context.forward(record, this.options.nextChild);
  }

  private suppress(record: Record<string, IntakeEnvelope>, rule: string): void {
    const request = record.value.request;
    const feedback = feedbackFor(request, 'SUPPRESSED', record.timestamp, this.context.currentSystemTimeMs(), { reason: `fatigue:${rule}` });
    this.context.forward(record.withKey(request.messageId).withValue(feedback), this.options.feedbackChild);
  }

  /**
   * What still counts for a request planned at or after `t` (copies): the live buckets of each
   * scope (empty scopes and removed rules dropped) and the ids that may sit in them. A bucket
   * kept at `t` started after `t` minus its rule's span, and so did its ids' planned times.
   */
  private prune(entry: UserFatigue, t: number): { s: UserScopes; m: CountedMessages } {
    const s: UserScopes = {};
    for (const key in entry.s) {
      const nul = key.indexOf('\u0000');
      const rule = this.rulesByName.get(nul < 0 ? key : key.slice(0, nul));
      if (rule === undefined) continue;
      const oldest = windowFirstBucket(rule, t);
      const live = entry.s[key]!.filter(([start]) => start >= oldest);
      if (live.length > 0) s[key] = live;
    }
    const m: CountedMessages = {};
    for (const id in entry.m) if (entry.m[id]! > t) m[id] = entry.m[id]!;
    return { s, m };
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

/**
 * Quiet hours: per-category windows of local time (e.g. no MARKETING 22:00–08:00) in the
 * recipient's time zone. A message due inside one is deferred to the window's end — never
 * dropped — so it goes out at the first allowed minute.
 */
import type { Category, Channel } from '../generated/schema-types.js';
import { fromLocal, toLocal } from './zoned-time.js';

/** One window as configured: `start`/`end` are `HH:MM`; `end <= start` wraps past midnight. */
export interface QuietHoursRule {
  readonly category: Category;
  readonly start: string;
  readonly end: string;
  /** Channels the rule applies to; all when omitted. */
  readonly channels?: readonly Channel[] | undefined;
}

interface CompiledRule {
  readonly startMinute: number;
  readonly endMinute: number;
  readonly channels: ReadonlySet<Channel> | undefined;
}

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The quiet-hours policy for all categories. */
export class QuietHours {
  private readonly byCategory = new Map<Category, CompiledRule[]>();

  constructor(
    rules: readonly QuietHoursRule[],
    /** Zone used when a recipient has none. */
    readonly defaultTimeZone: string,
  ) {
    for (const rule of rules) {
      const list = this.byCategory.get(rule.category) ?? [];
      list.push({
        startMinute: minuteOfDay(rule.start),
        endMinute: minuteOfDay(rule.end),
        channels: rule.channels ? new Set(rule.channels) : undefined,
      });
      this.byCategory.set(rule.category, list);
    }
  }

  /** True when some rule could ever defer this category (lets callers skip the zone math). */
  applies(category: Category): boolean {
    return this.byCategory.has(category);
  }

  /**
   * The first instant at or after `ms` outside every quiet window for this category and
   * channel, in `timeZone` (the default zone when absent or unknown to the runtime). Returns
   * `ms` itself when it is allowed.
   */
  nextAllowed(ms: number, category: Category, channel: Channel, timeZone?: string | null): number {
    const rules = this.byCategory.get(category);
    if (!rules) return ms;
    const zone = timeZone || this.defaultTimeZone;
    let at = ms;
    // Windows may chain (one ends as another starts); a few rounds settle any sane config.
    for (let round = 0; round < 4; round++) {
      const next = this.deferOnce(at, rules, channel, zone);
      if (next === at) return at;
      at = next;
    }
    return at;
  }

  private deferOnce(ms: number, rules: readonly CompiledRule[], channel: Channel, zone: string): number {
    let local;
    try {
      local = toLocal(ms, zone);
    } catch {
      // A zone the runtime does not know: fall back rather than reject a valid request.
      if (zone === this.defaultTimeZone) throw new Error(`unknown default time zone ${zone}`);
      return this.deferOnce(ms, rules, channel, this.defaultTimeZone);
    }
    const minute = local.hour * 60 + local.minute;
    for (const rule of rules) {
      if (rule.channels && !rule.channels.has(channel)) continue;
      const { startMinute: s, endMinute: e } = rule;
      const wraps = e <= s;
      const inside = wraps ? minute >= s || minute < e : minute >= s && minute < e;
      if (!inside) continue;
      // The window ends today if the end is still ahead on the local clock, else tomorrow.
      const dayOffset = wraps && minute >= s ? 1 : 0;
      const endDay = new Date(Date.UTC(local.year, local.month - 1, local.day + dayOffset));
      const end = fromLocal(endDay.getUTCFullYear(), endDay.getUTCMonth() + 1, endDay.getUTCDate(), Math.floor(e / 60), e % 60, zone);
      return Math.max(end, ms);
    }
    return ms;
  }
}

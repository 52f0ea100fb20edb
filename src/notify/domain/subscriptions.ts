/**
 * Subscription check (F8): a user who opted out of a channel and/or category gets
 * UNSUBSCRIBED. No state means subscribed — the member system may be unavailable, and the seed's
 * rule is to degrade to "subscribed".
 */
import type { Category, Channel, SubscriptionState } from '../generated/schema-types.js';

/** True when `state` opts the user out of this channel and category. */
export function isOptedOut(state: SubscriptionState | undefined, channel: Channel, category: Category): boolean {
  if (!state?.optOuts) return false;
  for (const o of state.optOuts) {
    if ((o.channel == null || o.channel === channel) && (o.category == null || o.category === category)) return true;
  }
  return false;
}

/**
 * Prices per billable unit (F11): per channel, with per-provider overrides. Costs are rounded to
 * micro-units once per message, so window totals are sums of the same numbers the feedback
 * events carry.
 */
import type { Channel } from '../generated/schema-types.js';

/** One channel's prices: the default and per-provider overrides. */
export interface ChannelPrice {
  readonly default: number;
  readonly providers: Readonly<Record<string, number>>;
}

/** Price list in one currency. */
export class BillingPrices {
  constructor(
    private readonly prices: Readonly<Record<Channel, ChannelPrice>>,
    readonly currency: string,
  ) {}

  unitPrice(channel: Channel, provider: string): number {
    const price = this.prices[channel];
    return price.providers[provider] ?? price.default;
  }

  /** Cost of `units` on this channel and provider, rounded to 6 decimals. */
  cost(channel: Channel, provider: string, units: number): number {
    return roundMicro(units * this.unitPrice(channel, provider));
  }
}

/** Rounds to 6 decimals (micro-units of the currency). */
export function roundMicro(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

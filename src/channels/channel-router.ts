/**
 * The channel sink's one entry point: routes each message of a batch to a pool (first matching
 * rule, else the channel's first pool), sends, and returns one result per message in input
 * order. Delivery reports of every provider fan in to the router's listeners.
 */
import { permanent } from './channel-error.js';
import type { RouteConfig } from './channels-config.js';
import type { CircuitState } from './guard/circuit-breaker.js';
import type { GuardedProvider } from './guard/guarded-provider.js';
import type { ProviderPool } from './provider-pool.js';
import type { ChannelProvider, DeliveryReport, DeliveryReportListener, OutboundMessage, SendResult } from './types.js';

/** Routes batches to pools; built by `createChannelRouter`. */
export class ChannelRouter {
  readonly #pools: ReadonlyMap<string, ProviderPool>;
  readonly #routes: readonly RouteConfig[];
  readonly #defaults = new Map<string, ProviderPool>();
  readonly #providers = new Map<string, GuardedProvider>();
  readonly #listeners = new Set<DeliveryReportListener>();
  #closed = false;

  constructor(pools: ReadonlyMap<string, ProviderPool>, routes: readonly RouteConfig[]) {
    this.#pools = pools;
    this.#routes = routes;
    for (const pool of pools.values()) {
      if (!this.#defaults.has(pool.channel)) this.#defaults.set(pool.channel, pool);
      for (const provider of pool.providers) {
        this.#providers.set(provider.name, provider);
        provider.onDeliveryReport((report) => this.#emit(report));
      }
    }
  }

  /** Pool names, in config order. */
  get poolNames(): string[] {
    return [...this.#pools.keys()];
  }

  /** The pool a message would go to, or undefined when its channel has none. */
  route(message: OutboundMessage): ProviderPool | undefined {
    for (const route of this.#routes) {
      if (matches(route, message)) return this.#pools.get(route.pool);
    }
    return this.#defaults.get(message.channel);
  }

  /**
   * Sends a batch; one result per message, same order. Never rejects for per-message failures;
   * a message whose channel has no pool gets PERMANENT_ERROR from provider `router`.
   */
  send(batch: readonly OutboundMessage[]): Promise<SendResult[]> {
    return Promise.all(
      batch.map((message) => {
        if (this.#closed) return permanent(message.messageId, 'router', 'channel router closed');
        const pool = this.route(message);
        if (!pool) return permanent(message.messageId, 'router', `no provider pool for channel ${message.channel}`);
        if (pool.channel !== message.channel) {
          return permanent(message.messageId, 'router', `pool ${pool.name} serves ${pool.channel}, not ${message.channel}`);
        }
        return pool.send(message);
      }),
    );
  }

  /** Subscribes to delivery reports from every provider; returns the unsubscribe function. */
  onDeliveryReport(listener: DeliveryReportListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The protocol provider with this name (e.g. a log provider to inspect), if any. */
  provider(name: string): ChannelProvider | undefined {
    return this.#providers.get(name)?.inner;
  }

  /** Circuit state per provider name. */
  circuitStates(): Record<string, CircuitState> {
    const states: Record<string, CircuitState> = {};
    for (const [name, provider] of this.#providers) states[name] = provider.circuitState;
    return states;
  }

  /** Closes every provider; sends after this get PERMANENT_ERROR "closed". */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#providers.values()].map((provider) => provider.close()));
    this.#listeners.clear();
  }

  #emit(report: DeliveryReport): void {
    for (const listener of this.#listeners) {
      try {
        listener(report);
      } catch {
        // A listener's bug must not stop the provider's receipt loop or other listeners.
      }
    }
  }
}

function matches(route: RouteConfig, message: OutboundMessage): boolean {
  const match = route.match;
  if (match.channel !== undefined && match.channel !== message.channel) return false;
  if (match.category !== undefined && match.category !== message.category) return false;
  if (match.pushPlatform !== undefined && match.pushPlatform !== message.recipient.pushPlatform) return false;
  if (match.tags) {
    for (const [key, value] of Object.entries(match.tags)) {
      if (message.tags[key] !== value) return false;
    }
  }
  return true;
}

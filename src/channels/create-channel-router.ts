/**
 * Builds a {@link ChannelRouter} from the channels config: parses it (defaults, key-naming
 * errors), resolves credentials, creates each provider, wraps it in its guards and metrics, and
 * groups them into pools. On any failure the providers already created are closed.
 */
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { ChannelMetrics } from './channel-metrics.js';
import { ChannelRouter } from './channel-router.js';
import { parseChannelsConfig } from './channels-config.js';
import { GuardedProvider } from './guard/guarded-provider.js';
import { createProvider } from './provider-factory.js';
import { ProviderPool } from './provider-pool.js';

/** Process-level inputs to {@link createChannelRouter}. */
export interface ChannelRouterOptions {
  /** Register per-provider metrics here (prom-client); omit for none. */
  metrics?: Registry;
  /** Metric name prefix, default `notify_channel_`. */
  metricPrefix?: string;
  /** Environment for `{ env: NAME }` secrets; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base directory for relative `{ file: path }` secrets and CA files; default the cwd. */
  baseDir?: string;
  /** Config key prefix used in error messages, default `channels`. */
  keyPrefix?: string;
  /** Sink for log providers with `print: true`; default stdout. */
  print?: (line: string) => void;
}

/**
 * Creates the router. Throws `ChannelError` with code `CONFIG_INVALID` (bad config, naming the
 * key) or `SECRET_UNAVAILABLE` (missing variable or file) before any traffic is sent.
 */
export async function createChannelRouter(config: unknown, options: ChannelRouterOptions = {}): Promise<ChannelRouter> {
  const keyPrefix = options.keyPrefix ?? 'channels';
  const parsed = parseChannelsConfig(config, keyPrefix);
  const metrics = new ChannelMetrics(options.metrics, options.metricPrefix);
  const secrets = { env: options.env ?? process.env, baseDir: resolve(options.baseDir ?? process.cwd()) };
  const created: GuardedProvider[] = [];
  const pools = new Map<string, ProviderPool>();
  try {
    for (const [poolName, pool] of Object.entries(parsed.pools)) {
      const guarded = pool.providers.map((providerConfig, index) => {
        const key = `${keyPrefix}.pools.${poolName}.providers[${index}]`;
        const inner = createProvider(providerConfig, pool.channel, key, { secrets, print: options.print });
        const provider = new GuardedProvider(
          inner,
          {
            ratePerSecond: providerConfig.rateLimit?.perSecond,
            burst: providerConfig.rateLimit?.burst,
            maxInFlight: providerConfig.maxInFlight,
            timeoutMs: providerConfig.timeoutMs,
            circuitBreaker: providerConfig.circuitBreaker,
          },
          metrics.forProvider(providerConfig.name, pool.channel),
        );
        created.push(provider);
        return provider;
      });
      pools.set(poolName, new ProviderPool(poolName, pool.channel, guarded));
    }
  } catch (error) {
    await Promise.allSettled(created.map((provider) => provider.close()));
    throw error;
  }
  return new ChannelRouter(pools, parsed.routes);
}

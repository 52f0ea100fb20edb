/**
 * Builds one protocol provider from its config, resolving its credentials. The only place that
 * knows every provider class, so adding a protocol means one schema, one class, one case here.
 */
import type { ProviderConfig } from './provider-config.js';
import { resolveSecret } from './secret.js';
import type { SecretSource } from './secret.js';
import type { Channel, ChannelProvider } from './types.js';
import { LogProvider } from './log/log-provider.js';
import { WebhookProvider } from './webhook/webhook-provider.js';
import { SmppProvider } from './smpp/smpp-provider.js';

/** What providers need from their surroundings. */
export interface ProviderContext {
  secrets: SecretSource;
  /** Where the log provider prints when `print: true` (default stdout). */
  print?: (line: string) => void;
}

/** Creates the provider; `key` is its config path for error messages. */
export function createProvider(config: ProviderConfig, channel: Channel, key: string, context: ProviderContext): ChannelProvider {
  const secret = (ref: Parameters<typeof resolveSecret>[0], field: string) =>
    resolveSecret(ref, `${key}.${field}`, context.secrets);
  switch (config.type) {
    case 'log':
      return new LogProvider(config, channel, context.print);
    case 'smpp':
      return new SmppProvider(config, channel, secret(config.password, 'password'));
    case 'webhook':
      return new WebhookProvider(config, channel, secret(config.secret, 'secret'));
    default:
      throw new Error(`provider type ${config.type} not built yet`);
  }
}

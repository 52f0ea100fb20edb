/**
 * Builds one protocol provider from its config, resolving its credentials. The only place that
 * knows every provider class, so adding a protocol means one schema, one class, one case here.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ChannelError } from './channel-error.js';
import type { ProviderConfig } from './provider-config.js';
import { resolveSecret } from './secret.js';
import type { SecretSource } from './secret.js';
import type { Channel, ChannelProvider } from './types.js';
import { LogProvider } from './log/log-provider.js';
import { WebhookProvider } from './webhook/webhook-provider.js';
import { SmppProvider } from './smpp/smpp-provider.js';
import { ApnsProvider } from './push/apns-provider.js';
import { ApnsTokenSigner } from './push/apns-token.js';
import { FcmProvider } from './push/fcm-provider.js';
import { parseServiceAccount, serviceAccountTokenFetcher } from './push/google-service-account-token.js';
import { HuaweiPushProvider } from './push/huawei-push-provider.js';
import { WechatTemplateProvider } from './wechat/wechat-template-provider.js';
import { AccessTokenCache } from './http/access-token-cache.js';
import { SmtpProvider } from './email/smtp-provider.js';

/** What providers need from their surroundings. */
export interface ProviderContext {
  secrets: SecretSource;
  /** Where the log provider prints when `print: true` (default stdout). */
  print?: (line: string) => void;
}

/** Reads a non-secret file named in config (e.g. a CA certificate), relative to the base dir. */
function readConfigFile(file: string, key: string, context: ProviderContext): string {
  const path = isAbsolute(file) ? file : resolve(context.secrets.baseDir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ChannelError('CONFIG_INVALID', `${key}: cannot read ${path}`, { cause: error });
  }
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
    case 'apns': {
      const signer = new ApnsTokenSigner({
        teamId: config.teamId,
        keyId: config.keyId,
        signingKey: secret(config.signingKey, 'signingKey'),
        refreshMinutes: config.tokenRefreshMinutes,
      });
      const ca = config.caFile === undefined ? undefined : readConfigFile(config.caFile, `${key}.caFile`, context);
      return new ApnsProvider(config, channel, signer, ca);
    }
    case 'fcm': {
      const account = parseServiceAccount(secret(config.serviceAccount, 'serviceAccount'), `${key}.serviceAccount`);
      const agent = FcmProvider.agent(config);
      const tokens = new AccessTokenCache(serviceAccountTokenFetcher(account, config.tokenUrl, agent), { refreshMarginMs: 5 * 60_000 });
      return new FcmProvider(config, channel, agent, tokens);
    }
    case 'huawei':
      return new HuaweiPushProvider(config, channel, secret(config.clientSecret, 'clientSecret'));
    case 'wechat':
      return new WechatTemplateProvider(config, channel, secret(config.appSecret, 'appSecret'));
    case 'smtp':
      return new SmtpProvider(config, channel, config.password === undefined ? undefined : secret(config.password, 'password'));
    case 'webhook':
      return new WebhookProvider(config, channel, secret(config.secret, 'secret'));
  }
}

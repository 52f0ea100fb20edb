/**
 * Channel providers behind one interface (DESIGN F3, F10, F15, F18): the router takes a batch
 * of rendered messages and returns one result per message; providers speak their real
 * protocols (SMPP, APNs HTTP/2, FCM HTTP v1, Huawei Push Kit, WeChat template messages, SMTP,
 * signed webhooks) behind rate limits, in-flight limits, timeouts, circuit breakers and ordered
 * failover, with Prometheus metrics per provider. Build it with `createChannelRouter(config)`.
 */
export type {
  Channel,
  Category,
  PushPlatform,
  Recipient,
  OutboundMessage,
  AcceptedResult,
  RetryableErrorResult,
  PermanentErrorResult,
  SendResult,
  DeliveryReport,
  DeliveryReportListener,
  ChannelProvider,
} from './types.js';
export { CHANNELS } from './types.js';
export { ChannelError } from './channel-error.js';
export type { ChannelErrorCode } from './channel-error.js';
export { ChannelRouter } from './channel-router.js';
export { createChannelRouter } from './create-channel-router.js';
export type { ChannelRouterOptions } from './create-channel-router.js';
export {
  ChannelsConfigSchema,
  PoolConfigSchema,
  RouteConfigSchema,
  parseChannelsConfig,
} from './channels-config.js';
export type { ChannelsConfig, ChannelsConfigInput, PoolConfig, RouteConfig } from './channels-config.js';
export { ProviderConfigSchema } from './provider-config.js';
export type { ProviderConfig } from './provider-config.js';
export { SecretRefSchema } from './secret.js';
export type { SecretRef } from './secret.js';
export { ProviderPool } from './provider-pool.js';
export type { CircuitState } from './guard/circuit-breaker.js';
export { LogProvider } from './log/log-provider.js';
export { billableUnits } from './billable-units.js';
export { countSmsSegments, splitSms, SMS_LIMITS } from './sms/sms-segments.js';
export type { SmsEncoding, SmsSegmentInfo } from './sms/sms-segments.js';
export { signWebhook, verifyWebhookSignature } from './webhook/webhook-signature.js';

/**
 * Zod schemas for one provider's config, as embedded in the topology YAML under a pool. Every
 * provider shares the guard keys (rate limit, in-flight, timeout, circuit breaker); the rest is
 * protocol-specific. Credentials are {@link SecretRef}s only. Endpoints default to the real
 * services and can be pointed at local peers for tests and staging.
 */
import { z } from 'zod';
import { SecretRefSchema } from './secret.js';
import type { Channel } from './types.js';

const name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, dot, dash or underscore (it is a metric label)');

/** Keys every provider takes; applied by `GuardedProvider`. */
const guardKeys = {
  name,
  /** Token bucket: `perSecond` sends, `burst` extra (default perSecond/10). Omit for no limit. */
  rateLimit: z
    .strictObject({ perSecond: z.number().positive(), burst: z.number().int().positive().optional() })
    .optional(),
  maxInFlight: z.number().int().positive().default(64),
  timeoutMs: z.number().int().positive().default(10_000),
  circuitBreaker: z
    .strictObject({
      failureThreshold: z.number().int().positive().default(5),
      openMs: z.number().int().positive().default(30_000),
      halfOpenProbes: z.number().int().positive().default(1),
    })
    .prefault({}),
};

const url = z.url({ protocol: /^https?$/ });
const platforms = (defaults: string[]) => z.array(z.string().min(1)).min(1).default(defaults);

/** Records what it would send; always ACCEPTED. For quick starts and topology tests. */
export const LogProviderConfigSchema = z.strictObject({
  type: z.literal('log'),
  ...guardKeys,
  /** Also print one JSON line per message to stdout. */
  print: z.boolean().default(false),
  /** How many recent messages to keep in memory for inspection. */
  keep: z.number().int().nonnegative().default(1000),
});

/** SMS over SMPP 3.4 as a transceiver. */
export const SmppProviderConfigSchema = z.strictObject({
  type: z.literal('smpp'),
  ...guardKeys,
  host: z.string().min(1),
  port: z.number().int().positive().default(2775),
  tls: z.boolean().default(false),
  systemId: z.string().min(1),
  password: SecretRefSchema,
  systemType: z.string().default(''),
  sourceAddr: z.string().min(1),
  sourceAddrTon: z.number().int().min(0).max(6).default(5),
  sourceAddrNpi: z.number().int().min(0).max(18).default(0),
  destAddrTon: z.number().int().min(0).max(6).default(1),
  destAddrNpi: z.number().int().min(0).max(18).default(1),
  /** Outstanding submit_sm PDUs without a response. */
  window: z.number().int().positive().default(50),
  enquireLinkMs: z.number().int().positive().default(30_000),
  /** Delay before re-binding after a lost connection (doubles up to 30 s while failing). */
  reconnectMs: z.number().int().positive().default(1_000),
  bindTimeoutMs: z.number().int().positive().default(5_000),
  /** Ask the SMSC for delivery receipts (deliver_sm). */
  deliveryReceipts: z.boolean().default(true),
  /** How many provider message ids to remember for mapping receipts back to messages. */
  receiptMemory: z.number().int().positive().default(200_000),
});

/** APNs over HTTP/2 with token (ES256 JWT) auth. */
export const ApnsProviderConfigSchema = z.strictObject({
  type: z.literal('apns'),
  ...guardKeys,
  url: url.default('https://api.push.apple.com'),
  teamId: z.string().min(1),
  keyId: z.string().min(1),
  /** The app's bundle id (apns-topic). */
  topic: z.string().min(1),
  /** The .p8 signing key (PKCS#8 PEM). */
  signingKey: SecretRefSchema,
  /** Apple rejects tokens older than an hour and throttles refreshes under 20 min. */
  tokenRefreshMinutes: z.number().min(20).max(59).default(50),
  pushType: z.enum(['alert', 'background']).default('alert'),
  /** Extra CA (PEM file) to trust, e.g. a staging or test peer's certificate. */
  caFile: z.string().optional(),
  platforms: platforms(['APNS']),
});

/** FCM HTTP v1 with a service-account OAuth2 token. */
export const FcmProviderConfigSchema = z.strictObject({
  type: z.literal('fcm'),
  ...guardKeys,
  projectId: z.string().min(1),
  /** The service-account JSON (client_email, private_key). */
  serviceAccount: SecretRefSchema,
  url: url.default('https://fcm.googleapis.com'),
  tokenUrl: url.default('https://oauth2.googleapis.com/token'),
  connections: z.number().int().positive().default(32),
  platforms: platforms(['FCM']),
});

/** Huawei Push Kit (HMS) server API v1 with client-credentials OAuth2. */
export const HuaweiPushProviderConfigSchema = z.strictObject({
  type: z.literal('huawei'),
  ...guardKeys,
  appId: z.string().min(1),
  /** OAuth client id; Huawei uses the app id. */
  clientId: z.string().min(1).optional(),
  clientSecret: SecretRefSchema,
  url: url.default('https://push-api.cloud.huawei.com'),
  tokenUrl: url.default('https://oauth-login.cloud.huawei.com/oauth2/v3/token'),
  connections: z.number().int().positive().default(32),
  platforms: platforms(['HUAWEI']),
});

/** WeChat official-account template messages. */
export const WechatProviderConfigSchema = z.strictObject({
  type: z.literal('wechat'),
  ...guardKeys,
  appId: z.string().min(1),
  appSecret: SecretRefSchema,
  url: url.default('https://api.weixin.qq.com'),
  connections: z.number().int().positive().default(32),
});

/** Email over SMTP with pooled connections (nodemailer). */
export const SmtpProviderConfigSchema = z.strictObject({
  type: z.literal('smtp'),
  ...guardKeys,
  host: z.string().min(1),
  port: z.number().int().positive().default(587),
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().optional(),
  password: SecretRefSchema.optional(),
  from: z.string().min(1),
  maxConnections: z.number().int().positive().default(5),
  maxMessages: z.number().int().positive().default(100),
  rejectUnauthorized: z.boolean().default(true),
});

/** Webhook POST signed with HMAC-SHA256 over `timestamp.body`. */
export const WebhookProviderConfigSchema = z.strictObject({
  type: z.literal('webhook'),
  ...guardKeys,
  secret: SecretRefSchema,
  /** Fixed target; by default each message's `recipient.webhookUrl`. */
  url: url.optional(),
  signatureHeader: z.string().default('X-Notify-Signature'),
  timestampHeader: z.string().default('X-Notify-Timestamp'),
  /** Keep-alive connections per origin. */
  connections: z.number().int().positive().default(64),
});

/** Any provider, chosen by `type`. */
export const ProviderConfigSchema = z.discriminatedUnion('type', [
  LogProviderConfigSchema,
  SmppProviderConfigSchema,
  ApnsProviderConfigSchema,
  FcmProviderConfigSchema,
  HuaweiPushProviderConfigSchema,
  WechatProviderConfigSchema,
  SmtpProviderConfigSchema,
  WebhookProviderConfigSchema,
]);

/** A provider config after defaults are applied. */
export type ProviderConfig = z.output<typeof ProviderConfigSchema>;
export type LogProviderConfig = z.output<typeof LogProviderConfigSchema>;
export type SmppProviderConfig = z.output<typeof SmppProviderConfigSchema>;
export type ApnsProviderConfig = z.output<typeof ApnsProviderConfigSchema>;
export type FcmProviderConfig = z.output<typeof FcmProviderConfigSchema>;
export type HuaweiPushProviderConfig = z.output<typeof HuaweiPushProviderConfigSchema>;
export type WechatProviderConfig = z.output<typeof WechatProviderConfigSchema>;
export type SmtpProviderConfig = z.output<typeof SmtpProviderConfigSchema>;
export type WebhookProviderConfig = z.output<typeof WebhookProviderConfigSchema>;

/** Which channel each provider type can serve (`log` serves any). */
export const PROVIDER_CHANNEL: Readonly<Record<ProviderConfig['type'], Channel | 'ANY'>> = {
  log: 'ANY',
  smpp: 'SMS',
  apns: 'PUSH',
  fcm: 'PUSH',
  huawei: 'PUSH',
  wechat: 'WECHAT',
  smtp: 'EMAIL',
  webhook: 'WEBHOOK',
};

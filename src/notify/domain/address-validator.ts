/**
 * Checks that a recipient carries a usable address for the requested channel (DESIGN §6: an
 * invalid address is REJECTED before it costs a provider call). The shapes are deliberately
 * syntactic: whether the address exists is the provider's answer.
 */
import type { Channel, Recipient } from '../generated/schema-types.js';

const E164 = /^\+[1-9]\d{6,14}$/;
// APNs tokens are 32 bytes today (64 hex digits); Apple has said they may grow, so allow more.
const APNS_TOKEN = /^(?:[0-9a-fA-F]{2}){32,100}$/;
// FCM registration tokens: ~150–250 characters of URL-safe base64 plus ':' separators.
const FCM_TOKEN = /^[A-Za-z0-9_:-]{100,4096}$/;
// Android vendor channels (Huawei, Xiaomi, OPPO, vivo, ...) use opaque ids of various lengths.
const VENDOR_TOKEN = /^[A-Za-z0-9+/=_:.-]{16,4096}$/;
// WeChat openIds are 28 characters of URL-safe base64 for one official account.
const WECHAT_OPEN_ID = /^[A-Za-z0-9_-]{28}$/;
// Pragmatic: one @, no spaces, a dotted domain. RFC 5322 in full accepts addresses no provider will.
const EMAIL = /^[^\s@]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** `undefined` when the recipient is fine for `channel`, else the feedback reason. */
export function validateAddress(channel: Channel, recipient: Recipient): string | undefined {
  switch (channel) {
    case 'SMS':
      if (!recipient.phone) return 'address:missing-phone';
      return E164.test(recipient.phone) ? undefined : 'address:invalid-e164';
    case 'PUSH':
      return validatePushToken(recipient.deviceToken ?? undefined, recipient.pushPlatform ?? undefined);
    case 'WECHAT':
      if (!recipient.openId) return 'address:missing-open-id';
      return WECHAT_OPEN_ID.test(recipient.openId) ? undefined : 'address:invalid-open-id';
    case 'EMAIL':
      if (!recipient.email) return 'address:missing-email';
      return EMAIL.test(recipient.email) ? undefined : 'address:invalid-email';
    case 'WEBHOOK':
      if (!recipient.webhookUrl) return 'address:missing-webhook-url';
      return isHttpUrl(recipient.webhookUrl) ? undefined : 'address:invalid-webhook-url';
  }
}

function validatePushToken(token: string | undefined, platform: string | undefined): string | undefined {
  if (!token) return 'address:missing-device-token';
  if (!platform) return 'address:missing-push-platform';
  switch (platform.toUpperCase()) {
    case 'APNS':
      return APNS_TOKEN.test(token) ? undefined : 'address:invalid-apns-token';
    case 'FCM':
      return FCM_TOKEN.test(token) ? undefined : 'address:invalid-fcm-token';
    default:
      return VENDOR_TOKEN.test(token) ? undefined : 'address:invalid-device-token';
  }
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
}

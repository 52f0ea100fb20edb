/**
 * Webhook signing: `signature = "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body))`, with
 * the Unix-seconds timestamp in its own header. Signing the timestamp with the body lets
 * receivers reject replays older than their tolerance. Receivers can use
 * {@link verifyWebhookSignature} as is.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Signs a webhook body; returns the signature header value. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * Checks a received webhook: the signature matches and the timestamp is within
 * `toleranceSeconds` of `nowSeconds`. Constant-time comparison.
 */
export function verifyWebhookSignature(
  secret: string,
  signature: string,
  timestampSeconds: number,
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isFinite(timestampSeconds) || Math.abs(now - timestampSeconds) > (options.toleranceSeconds ?? 300)) {
    return false;
  }
  const expected = Buffer.from(signWebhook(secret, timestampSeconds, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

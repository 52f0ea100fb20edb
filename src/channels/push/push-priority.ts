/**
 * Push urgency from category and priority override, shared by APNs, FCM and Huawei: codes and
 * explicit HIGH/CRITICAL go now; marketing and explicit LOW may be batched by the platform to
 * save battery.
 */
import type { OutboundMessage } from '../types.js';

/** Whether the platform should deliver immediately. */
export function isUrgent(message: OutboundMessage): boolean {
  const priority = message.priority?.toUpperCase();
  if (priority === 'CRITICAL' || priority === 'HIGH') return true;
  if (priority === 'LOW' || priority === 'BULK') return false;
  return message.category !== 'MARKETING';
}

/** Seconds until `expireAt`, at least 0; undefined without one. */
export function ttlSeconds(message: OutboundMessage, now = Date.now()): number | undefined {
  return message.expireAt === undefined ? undefined : Math.max(0, Math.floor((message.expireAt - now) / 1000));
}

/** Case-insensitive platform check; a message without a platform matches no push provider. */
export function platformMatches(platforms: readonly string[], message: OutboundMessage): boolean {
  const platform = message.recipient.pushPlatform?.toUpperCase();
  return platform !== undefined && platforms.some((p) => p.toUpperCase() === platform);
}

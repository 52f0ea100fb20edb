/**
 * Realistic mixed traffic for demos, load and tests (DESIGN §8): categories ≈ 2% verification,
 * 25% notification, 73% marketing; channels weighted like the seeds (push ≫ WeChat ≫ SMS) with
 * email and webhooks present; a few percent scheduled ahead, some of them revoked; duplicates
 * (a second messageId with the same dedupeKey, and producer retries resending the very same
 * record); invalid requests (bad addresses, unknown templates, blocked words) and undecodable
 * bytes that must end in the dead-letter topic. Deterministic for a given seed.
 */
import type { Category, Channel, NotificationRequest, Recipient, RevokeCommand } from '../../notify/index.js';

/** One thing to produce, in order. */
export type TrafficItem =
  | { readonly kind: 'request'; readonly request: NotificationRequest; readonly note: TrafficNote }
  | { readonly kind: 'revoke'; readonly command: RevokeCommand }
  | { readonly kind: 'garbage'; readonly key: string; readonly bytes: Buffer };

/** Why a request looks the way it does, for summaries and tests. */
export type TrafficNote = 'plain' | 'scheduled' | 'revoked' | 'duplicate-key' | 'producer-retry' | 'invalid';

export interface TrafficOptions {
  readonly count: number;
  readonly seed?: number;
  /** Distinct users (fewer means more fatigue suppression). Default 5000. */
  readonly users?: number;
  /**
   * `demo`: everything, scheduled up to hours ahead; `settling`: every request reaches a terminal
   * status within seconds (scheduled ≤ 8 s ahead, no producer retries resending one messageId),
   * so each messageId has exactly one terminal status — what restart tests count on.
   */
  readonly profile?: 'demo' | 'settling';
  /** Prefix of every messageId, so runs can be told apart. */
  readonly idPrefix?: string;
  /**
   * Prefix of every userId. Empty by default (the same users every run, as a load test wants);
   * the demo gives each run its own users, so a second run is not all fatigue-suppressed by the
   * first one's messages.
   */
  readonly userPrefix?: string;
  readonly now?: () => number;
}

type Rng = () => number;

function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rng: Rng, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = rng() * total;
  for (const [v, w] of weighted) {
    x -= w;
    if (x < 0) return v;
  }
  return weighted[weighted.length - 1]![0];
}

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function chars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
  return s;
}

/** A stable address book per user id. */
function recipientFor(userIndex: number, channel: Channel, userPrefix: string): Recipient {
  const rng = mulberry32(userIndex * 7919 + 17);
  const userId = `${userPrefix}u${String(userIndex).padStart(6, '0')}`;
  const base: Recipient = { userId, phone: null, deviceToken: null, pushPlatform: null, openId: null, email: null, webhookUrl: null, timeZone: null };
  switch (channel) {
    case 'SMS':
      return { ...base, phone: `+86138${String(10_000_000 + userIndex).slice(-8)}` };
    case 'PUSH': {
      const platform = pick(rng, [['APNS', 45], ['FCM', 30], ['HUAWEI', 25]] as const);
      const token = platform === 'APNS' ? chars(rng, HEX, 64) : platform === 'FCM' ? `${chars(rng, B64, 22)}:APA91${chars(rng, B64, 134)}` : chars(rng, B64, 48);
      return { ...base, deviceToken: token, pushPlatform: platform };
    }
    case 'WECHAT':
      return { ...base, openId: `o${chars(rng, B64, 27)}` };
    case 'EMAIL':
      return { ...base, email: `${userId}@example.com`, timeZone: 'Europe/Berlin' };
    case 'WEBHOOK':
      return { ...base, webhookUrl: `https://hooks.example.com/notify/${userId}` };
  }
}

interface Shape {
  businessUnit: string;
  scenario: string;
  templateId: string;
  params: (rng: Rng, i: number) => Record<string, string>;
  locale: string;
}

const PROMO_TEXTS = ['双十一大促，全场五折起', '限时秒杀：爆款直降', '会员日专享优惠券已到账', '新品首发，抢先体验'];

function shapeFor(category: Category, channel: Channel): Shape {
  if (category === 'VERIFICATION') {
    return { businessUnit: 'account', scenario: 'login-code', templateId: 'verification-code', locale: 'zh-CN', params: (rng) => ({ code: String(100000 + Math.floor(rng() * 900000)), minutes: '5' }) };
  }
  const english = channel === 'EMAIL' || channel === 'WEBHOOK';
  if (category === 'NOTIFICATION') {
    return { businessUnit: 'shop', scenario: 'order-shipped', templateId: 'order-shipped', locale: english ? 'en-US' : 'zh-CN', params: (_rng, i) => ({ orderId: `SO${20260000000 + i}` }) };
  }
  return {
    businessUnit: 'growth',
    scenario: 'flash-sale',
    templateId: 'promo',
    locale: 'zh-CN',
    params: (rng) => ({ title: '今日特惠', text: PROMO_TEXTS[Math.floor(rng() * PROMO_TEXTS.length)]! }),
  };
}

/** Verification codes go by SMS; marketing has no email/webhook templates, so it uses the big three. */
function channelFor(rng: Rng, category: Category): Channel {
  if (category === 'VERIFICATION') return 'SMS';
  if (category === 'MARKETING') return pick(rng, [['PUSH', 66], ['WECHAT', 30], ['SMS', 4]] as const);
  return pick(rng, [['PUSH', 50], ['WECHAT', 25], ['SMS', 10], ['EMAIL', 10], ['WEBHOOK', 5]] as const);
}

/** Generates the traffic; `count` is the number of request records (revokes and garbage are extra). */
export function generateTraffic(options: TrafficOptions): TrafficItem[] {
  const rng = mulberry32(options.seed ?? 42);
  const users = options.users ?? 5000;
  const profile = options.profile ?? 'demo';
  const now = options.now ?? Date.now;
  const prefix = options.idPrefix ?? `demo-${now().toString(36)}`;
  const userPrefix = options.userPrefix ?? '';
  const items: TrafficItem[] = [];
  let produced = 0;
  let seq = 0;
  const push = (request: NotificationRequest, note: TrafficNote): void => {
    items.push({ kind: 'request', request, note });
    produced++;
  };
  while (produced < options.count) {
    const i = seq++;
    const t = now();
    const category = pick(rng, [['VERIFICATION', 2], ['NOTIFICATION', 25], ['MARKETING', 73]] as const);
    const channel = channelFor(rng, category);
    const userIndex = Math.floor(rng() * users);
    const shape = shapeFor(category, channel);
    const request: NotificationRequest = {
      messageId: `${prefix}-${String(i).padStart(6, '0')}`,
      dedupeKey: null,
      businessUnit: shape.businessUnit,
      scenario: shape.scenario,
      category,
      channel,
      priority: null,
      recipient: recipientFor(userIndex, channel, userPrefix),
      templateId: shape.templateId,
      templateParams: shape.params(rng, i),
      locale: shape.locale,
      sendAt: null,
      expireAt: category === 'VERIFICATION' ? t + 5 * 60_000 : null,
      createdAt: t,
      tags: rng() < 0.05 ? { env: 'gray' } : {},
    };
    const roll = rng();
    if (roll < 0.03) {
      // Invalid: bad address, unknown template, or a blocked word in the content.
      const kind = Math.floor(rng() * 3);
      if (kind === 0) push({ ...request, channel: 'SMS', templateId: 'order-shipped', category: 'NOTIFICATION', recipient: { ...recipientFor(userIndex, 'SMS', userPrefix), phone: '13800138000' }, locale: 'zh-CN', templateParams: { orderId: 'SO1' } }, 'invalid');
      else if (kind === 1) push({ ...request, templateId: 'no-such-template' }, 'invalid');
      else push({ ...request, channel: 'PUSH', recipient: recipientFor(userIndex, 'PUSH', userPrefix), templateId: 'promo', category: 'MARKETING', locale: 'zh-CN', templateParams: { title: 'VIP', text: 'online casino bonus' } }, 'invalid');
    } else if (roll < 0.07) {
      // Scheduled ahead; about a quarter of them revoked before they are due.
      const ahead = profile === 'settling' ? 2_000 + Math.floor(rng() * 6_000) : pick(rng, [[5_000 + Math.floor(rng() * 25_000), 50], [60_000 * (5 + Math.floor(rng() * 55)), 30], [3_600_000 * (1 + Math.floor(rng() * 47)), 20]] as const);
      const scheduled = { ...request, category: 'NOTIFICATION' as const, businessUnit: 'shop', scenario: 'order-shipped', templateId: 'order-shipped', templateParams: { orderId: `SO${20260000000 + i}` }, locale: channel === 'EMAIL' || channel === 'WEBHOOK' ? 'en-US' : 'zh-CN', expireAt: null, sendAt: t + ahead };
      const revoke = rng() < 0.25;
      push(scheduled, revoke ? 'revoked' : 'scheduled');
      if (revoke) items.push({ kind: 'revoke', command: { messageId: scheduled.messageId, userId: scheduled.recipient.userId, businessUnit: scheduled.businessUnit, reason: 'order cancelled', issuedAt: t } });
    } else if (roll < 0.085 && produced + 2 <= options.count) {
      // A business system sending the same notice twice under two messageIds.
      const key = `order-${i}`;
      push({ ...request, dedupeKey: key }, 'plain');
      push({ ...request, messageId: `${request.messageId}-b`, dedupeKey: key }, 'duplicate-key');
    } else if (roll < 0.095 && profile === 'demo' && produced + 2 <= options.count) {
      // A producer retry: the very same record twice.
      push(request, 'plain');
      push(request, 'producer-retry');
    } else {
      push(request, 'plain');
    }
    if (rng() < 0.004) items.push({ kind: 'garbage', key: request.recipient.userId, bytes: Buffer.from('not avro at all') });
  }
  return items;
}

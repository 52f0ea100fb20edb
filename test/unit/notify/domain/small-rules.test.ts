import { describe, expect, it } from 'vitest';
import { BillingPrices, roundMicro } from '../../../../src/notify/domain/billing-prices.js';
import { LaneRouter } from '../../../../src/notify/domain/lane-router.js';
import { isOptedOut } from '../../../../src/notify/domain/subscriptions.js';

describe('billing prices', () => {
  const zero = { default: 0, providers: {} };
  const prices = new BillingPrices({ SMS: { default: 0.045, providers: { backup: 0.05 } }, PUSH: zero, WECHAT: zero, EMAIL: zero, WEBHOOK: zero }, 'CNY');
  it('uses the provider override, else the channel default, rounded to micro-units', () => {
    expect(prices.cost('SMS', 'primary', 3)).toBe(0.135);
    expect(prices.cost('SMS', 'backup', 3)).toBe(0.15);
    expect(prices.cost('PUSH', 'x', 10)).toBe(0);
    expect(roundMicro(0.1 + 0.2)).toBe(0.3);
  });
});

describe('lane router', () => {
  const router = new LaneRouter({
    critical: { categories: ['VERIFICATION'], priorities: ['CRITICAL', 'HIGH'] },
    normal: { categories: ['NOTIFICATION'], priorities: ['NORMAL'] },
    bulk: { categories: ['MARKETING'], priorities: ['LOW'] },
  });
  it('routes by category unless a priority overrides it', () => {
    expect(router.laneFor('VERIFICATION')).toBe('CRITICAL');
    expect(router.laneFor('MARKETING', null)).toBe('BULK');
    expect(router.laneFor('MARKETING', 'HIGH')).toBe('CRITICAL');
    expect(router.laneFor('VERIFICATION', 'LOW')).toBe('BULK');
  });
});

describe('subscriptions', () => {
  it('treats missing state as subscribed and matches null as any', () => {
    expect(isOptedOut(undefined, 'SMS', 'MARKETING')).toBe(false);
    const state = { userId: 'u', updatedAt: 0, optOuts: [{ channel: 'SMS' as const, category: 'MARKETING' as const }, { channel: null, category: 'NOTIFICATION' as const }] };
    expect(isOptedOut(state, 'SMS', 'MARKETING')).toBe(true);
    expect(isOptedOut(state, 'PUSH', 'MARKETING')).toBe(false);
    expect(isOptedOut(state, 'PUSH', 'NOTIFICATION')).toBe(true);
    expect(isOptedOut(state, 'SMS', 'VERIFICATION')).toBe(false);
  });
});

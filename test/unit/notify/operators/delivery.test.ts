import { afterEach, describe, expect, it } from 'vitest';
import { toDeliveryReport } from '../../../../src/notify/delivery-report.js';
import { Harness, request } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const noFatigue = (c: Harness['config']): void => {
  c.fatigue.rules = [];
};

const H = 3_600_000;

describe('unregistered addresses', () => {
  it('end FAILED with reason unregistered, never retried', async () => {
    h = new Harness(noFatigue);
    h.sender.behaviour = () => 'UNREGISTERED';
    const r = request({ channel: 'PUSH', recipient: { userId: 'u1', deviceToken: 'a'.repeat(64), pushPlatform: 'APNS' } });
    await h.send(r);
    await h.tick();
    await h.tick(60_000);
    const failed = h.readFeedback().filter((f) => f.messageId === r.messageId);
    expect(failed).toMatchObject([{ status: 'FAILED', reason: 'unregistered', provider: 'strict', subject: 'REQUEST' }]);
  });
});

describe('delivery reports', () => {
  it('turn into a DELIVERED event after SENT; SENT stays the one terminal status', async () => {
    h = new Harness(noFatigue);
    const r = request();
    await h.send(r);
    await h.tick();
    const sent = h.readFeedback().find((f) => f.status === 'SENT')!;
    await h.report(r.messageId, 'DELIVERED', { providerMessageId: 'p-1' });
    const events = h.readFeedback();
    expect(events).toMatchObject([
      { messageId: r.messageId, status: 'DELIVERED', subject: 'DELIVERY_REPORT', userId: 'u1', businessUnit: 'shop', scenario: 'order-shipped', channel: 'SMS', category: 'NOTIFICATION', providerMessageId: 'p-1', billableUnits: 0, cost: 0 },
    ]);
    expect(events[0]!.eventTime).toBeGreaterThanOrEqual(sent.eventTime);
  });

  it('report an undeliverable message as FAILED with the provider reason, or unregistered', async () => {
    h = new Harness(noFatigue);
    const a = request();
    const b = request({ recipient: { userId: 'u2', phone: '+8613800138001' } });
    await h.send(a);
    await h.send(b);
    await h.tick();
    h.readFeedback();
    await h.report(a.messageId, 'FAILED', { reason: 'UNDELIV' });
    await h.report(b.messageId, 'FAILED', { reason: 'gone', unregistered: true });
    expect(h.readFeedback()).toMatchObject([
      { messageId: a.messageId, status: 'FAILED', subject: 'DELIVERY_REPORT', reason: 'UNDELIV' },
      { messageId: b.messageId, status: 'FAILED', subject: 'DELIVERY_REPORT', reason: 'unregistered' },
    ]);
  });

  it('wait for their SENT when they arrive first, and a second report is ignored', async () => {
    h = new Harness(noFatigue);
    const r = request();
    await h.report(r.messageId, 'DELIVERED');
    expect(h.readFeedback()).toEqual([]);
    await h.send(r);
    await h.tick();
    expect(h.readFeedback().map((f) => `${f.subject}:${f.status}`)).toEqual(['REQUEST:SENT', 'DELIVERY_REPORT:DELIVERED']);
    await h.report(r.messageId, 'DELIVERED');
    await h.report(r.messageId, 'FAILED');
    expect(h.readFeedback()).toEqual([]);
  });

  it('are counted in billing: delivered, and undelivered apart from failed sends', async () => {
    h = new Harness(noFatigue);
    const a = request();
    const b = request({ recipient: { userId: 'u2', phone: '+8613800138001' } });
    await h.send(a);
    await h.send(b);
    await h.tick();
    await h.report(a.messageId, 'DELIVERED', { provider: 'sms-fake' });
    await h.report(b.messageId, 'FAILED', { provider: 'sms-fake', reason: 'UNDELIV' });
    await h.driver.advanceWallClockTime(H + 60_000);
    await h.send(request({ recipient: { userId: 'u9', phone: '+8613800138009' } }));
    await h.tick();
    const windows = h.billing.readValuesToList();
    expect(windows).toMatchObject([{ provider: 'sms-fake', sent: 2, delivered: 1, undelivered: 1, failed: 0, billableUnits: 4 }]);
  });
});

describe('billing on a quiet partition', () => {
  it('closes a window by the wall clock once no feedback came for a grace period', async () => {
    h = new Harness((c) => {
      noFatigue(c);
      c.billing.window = 2_000;
      c.billing.grace = 1_000;
    });
    await h.send(request());
    await h.tick();
    expect(h.billing.isEmpty()).toBe(true);
    for (let i = 0; i < 10; i++) await h.tick(1_000);
    expect(h.billing.readValuesToList()).toMatchObject([{ sent: 1, failed: 0 }]);
    for (let i = 0; i < 10; i++) await h.tick(1_000);
    expect(h.billing.isEmpty()).toBe(true); // emitted once
  });
});

describe('toDeliveryReport', () => {
  it('maps a router report with our messageId, and skips one without', () => {
    expect(toDeliveryReport({ messageId: 'm1', providerMessageId: 'p1', provider: 'smsc', status: 'FAILED', reason: 'UNDELIV', at: 5 })).toEqual({
      messageId: 'm1',
      provider: 'smsc',
      providerMessageId: 'p1',
      status: 'FAILED',
      reason: 'UNDELIV',
      unregistered: false,
      reportedAt: 5,
    });
    expect(toDeliveryReport({ providerMessageId: 'p2', provider: 'smsc', status: 'DELIVERED', at: 5 })).toBeUndefined();
  });
});

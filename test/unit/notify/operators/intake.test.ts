import { afterEach, describe, expect, it } from 'vitest';
import { Harness, NOON_SHANGHAI, request } from './harness.js';

const H = 3_600_000;
let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('validate', () => {
  it('passes a valid request through to the lane and on to the sink', async () => {
    h = new Harness();
    const r = request();
    await h.send(r);
    await h.tick();
    expect(h.statusesOf(r.messageId)).toEqual(['SENT']);
    expect(h.sender.sent[0]).toMatchObject({ messageId: r.messageId, body: '您的订单A1已发货。', templateCode: 'SMS_0101', channel: 'SMS' });
  });

  it('rejects with a reason naming the problem', async () => {
    h = new Harness((c) => {
      c.blockedWords = ['赌博'];
    });
    const cases = [
      [request({ templateParams: {} }), 'template:missing-param:orderId'],
      [request({ templateId: 'nope' }), 'template:unknown:nope'],
      [request({ recipient: { userId: 'u1', phone: '12345' } }), 'address:invalid-e164'],
      [request({ templateParams: { orderId: '线上赌博' } }), 'blocked-word:赌博'],
    ] as const;
    for (const [r] of cases) await h.send(r);
    const feedback = h.readFeedback();
    expect(feedback.map((f) => [f.status, f.reason])).toEqual(cases.map(([, reason]) => ['REJECTED', reason]));
    expect(h.sender.sent).toHaveLength(0);
  });

  it('rejects a request keyed by something other than its userId, and expires one already past expireAt', async () => {
    h = new Harness();
    const wrongKey = request();
    await h.requests.pipeInput('someone-else', wrongKey, h.now());
    const late = request({ expireAt: NOON_SHANGHAI - 1 });
    await h.send(late);
    expect(h.readFeedback().map((f) => [f.messageId, f.status, f.reason])).toEqual([
      [wrongKey.messageId, 'REJECTED', 'key:not-user-id'],
      [late.messageId, 'EXPIRED', 'expired-before-intake'],
    ]);
  });

  it('reports UNSUBSCRIBED from the subscriptions table; a tombstone subscribes again', async () => {
    h = new Harness();
    await h.subscriptions.pipeInput('u1', { userId: 'u1', optOuts: [{ channel: 'SMS', category: null }], updatedAt: 1 });
    const blocked = request();
    await h.send(blocked);
    expect(h.readFeedback().map((f) => [f.status, f.reason])).toEqual([['UNSUBSCRIBED', 'opted-out:SMS:NOTIFICATION']]);
    const push = request({ channel: 'PUSH', recipient: { userId: 'u1', deviceToken: 'a'.repeat(64), pushPlatform: 'APNS' } });
    await h.send(push);
    await h.subscriptions.pipeInput('u1', null);
    const again = request();
    await h.send(again);
    await h.tick();
    expect(h.sender.sentIds()).toEqual([push.messageId, again.messageId]);
  });
});

describe('dedupe', () => {
  it('reports a second request with the same dedupe key as DUPLICATE and sends once', async () => {
    h = new Harness();
    const first = request({ dedupeKey: 'order-A1-shipped' });
    const retry = request({ dedupeKey: 'order-A1-shipped' });
    await h.send(first);
    await h.send(retry);
    await h.tick();
    expect(h.statusesOf(retry.messageId)).toEqual(['DUPLICATE']);
    expect(h.sender.sentIds()).toEqual([first.messageId]);
  });

  it('treats the same messageId produced twice as a duplicate (default key)', async () => {
    h = new Harness();
    const r = request();
    await h.send(r);
    await h.send(r);
    await h.tick();
    // The second copy is reported DUPLICATE at intake; the first is sent once the sink flushes.
    expect(h.statusesOf(r.messageId)).toEqual(['DUPLICATE', 'SENT']);
    expect(h.sender.sent).toHaveLength(1);
  });

  it('lets a duplicate through once the retention has ended', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [];
    });
    const first = request({ dedupeKey: 'k' });
    await h.send(first, NOON_SHANGHAI);
    const inside = request({ dedupeKey: 'k' });
    await h.send(inside, NOON_SHANGHAI + 24 * H - 1);
    const after = request({ dedupeKey: 'k' });
    await h.send(after, NOON_SHANGHAI + 24 * H);
    await h.tick();
    expect(h.statusesOf(inside.messageId)).toEqual(['DUPLICATE']);
    expect(h.sender.sentIds()).toEqual([first.messageId, after.messageId]);
  });
});

describe('fatigue window', () => {
  it('suppresses over the cap with the rule name; suppressed ones do not count', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [{ name: 'user-daily', scope: 'user', window: 24 * H, cap: 2, categories: ['NOTIFICATION'] }];
    });
    const rs = [request(), request(), request(), request()];
    for (const r of rs) await h.send(r);
    const suppressed = h.readFeedback();
    expect(suppressed.map((f) => [f.messageId, f.status, f.reason])).toEqual([
      [rs[2]!.messageId, 'SUPPRESSED', 'fatigue:user-daily'],
      [rs[3]!.messageId, 'SUPPRESSED', 'fatigue:user-daily'],
    ]);
    // Another user and another category are not affected.
    await h.send(request({ recipient: { userId: 'u2', phone: '+8613800138001' } }));
    await h.send(request({ category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: '1', minutes: '5' } }));
    expect(h.readFeedback()).toEqual([]);
  });

  it('counts by scope: user+scenario and user+businessUnit', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [
        { name: 'per-scenario', scope: 'user+scenario', window: 24 * H, cap: 1 },
        { name: 'per-bu', scope: 'user+businessUnit', window: 24 * H, cap: 2 },
      ];
    });
    await h.send(request({ scenario: 'a' }));
    await h.send(request({ scenario: 'a' })); // per-scenario hit
    await h.send(request({ scenario: 'b' }));
    await h.send(request({ scenario: 'c' })); // per-bu hit (2 counted for shop)
    await h.send(request({ scenario: 'c', businessUnit: 'bank' }));
    expect(h.readFeedback().map((f) => f.reason)).toEqual(['fatigue:per-scenario', 'fatigue:per-bu']);
  });

  it('frees the allowance when the window has passed (bucket boundary) and counts at the planned send time', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [{ name: 'hourly', scope: 'user', window: H, cap: 1, bucket: 60_000 }];
      c.dedupe.retention = 1;
    });
    await h.send(request());
    await h.tick(H - 60_000); // still in the window (last bucket)
    const inside = request();
    await h.send(inside);
    await h.tick(60_000); // exactly one window later: the first bucket has left
    const after = request();
    await h.send(after);
    expect(h.statusesOf(inside.messageId)).toEqual(['SUPPRESSED']);
    expect(h.statusesOf(after.messageId)).not.toContain('SUPPRESSED');
    // A message planned two hours ahead counts in that hour, not in this one.
    const later = request({ sendAt: h.now() + 2 * H });
    await h.send(later);
    expect(h.statusesOf(later.messageId)).toEqual(['SCHEDULED']);
  });

  it('applies the verification anti-abuse cap of the default configuration', async () => {
    h = new Harness();
    const cap = h.config.fatigue.rules.find((r) => r.name === 'verification-anti-abuse')!.cap;
    for (let i = 0; i <= cap; i++) {
      await h.send(request({ category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: String(i), minutes: '5' } }));
    }
    expect(h.readFeedback().map((f) => f.reason)).toEqual(['fatigue:verification-anti-abuse']);
  });
});

describe('priority router', () => {
  it('routes by category, or by an explicit priority', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [];
    });
    const lanes = (topic: string) => h.driver.producedRecords(topic).length;
    await h.send(request({ category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: '1', minutes: '5' } }));
    await h.send(request({ category: 'MARKETING', templateId: 'promo', templateParams: { text: 'sale' } }));
    await h.send(request({ category: 'MARKETING', priority: 'CRITICAL', templateId: 'promo', templateParams: { text: 'urgent' } }));
    await h.send(request());
    const t = h.config.topics.lanes;
    expect([lanes(t.critical.name), lanes(t.normal.name), lanes(t.bulk.name)]).toEqual([2, 1, 1]);
  });

  it('defers MARKETING inside quiet hours to the window end and reports SCHEDULED', async () => {
    h = new Harness(undefined, Date.parse('2024-06-01T15:00:00Z')); // 23:00 in Shanghai
    const r = request({ category: 'MARKETING', templateId: 'promo', templateParams: { text: 'sale' } });
    await h.send(r);
    const [scheduled] = h.readFeedback();
    expect(scheduled).toMatchObject({ status: 'SCHEDULED', reason: 'quiet-hours:MARKETING', scheduledFor: Date.parse('2024-06-02T00:00:00Z') });
    await h.tick(8 * H); // 07:00 local: still held
    expect(h.sender.sent).toHaveLength(0);
    await h.tick(H);
    expect(h.statusesOf(r.messageId)).toEqual(['SCHEDULED', 'SENT']);
  });

  it('reports ACCEPTED only when configured', async () => {
    h = new Harness((c) => {
      c.feedback.emitAccepted = true;
    });
    const r = request();
    await h.send(r);
    await h.tick();
    expect(h.statusesOf(r.messageId)).toEqual(['ACCEPTED', 'SENT']);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { LaneRecord } from '../../../../src/notify/generated/schema-types.js';
import { STORE_NAMES } from '../../../../src/notify/operators/store-names.js';
import { TERMINAL_STATUSES } from '../../../../src/notify/operators/feedback.js';
import { Harness, NOON_SHANGHAI, request } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const noFatigue = (c: Harness['config']): void => {
  c.fatigue.rules = [];
};

describe('delay buffer', () => {
  it('holds a scheduled message and releases it no earlier than sendAt, within one punctuation', async () => {
    h = new Harness(noFatigue);
    const sendAt = NOON_SHANGHAI + 5_000;
    const r = request({ sendAt });
    await h.send(r);
    expect(h.statusesOf(r.messageId)).toEqual(['SCHEDULED']);
    await h.tick(4_900);
    expect(h.sender.sent).toHaveLength(0);
    await h.tick(200); // the release punctuator (200 ms) and the sink flush run
    await h.tick(20);
    expect(h.sender.sentIds()).toEqual([r.messageId]);
    const sent = h.readFeedback().find((f) => f.status === 'SENT');
    expect(sent!.eventTime).toBeGreaterThanOrEqual(sendAt);
    expect(sent!.eventTime - sendAt).toBeLessThan(1_000);
  });

  it('revokes a held message: REVOKED, never sent', async () => {
    h = new Harness(noFatigue);
    const r = request({ sendAt: NOON_SHANGHAI + 60_000 });
    await h.send(r);
    await h.revoke(r.messageId, 'u1', 'order-cancelled');
    await h.tick(120_000);
    expect(h.statusesOf(r.messageId)).toEqual(['SCHEDULED', 'REVOKED']);
    expect(h.readFeedback()).toEqual([]);
    expect(h.sender.sent).toHaveLength(0);
  });

  it('reports a revoke after the send as a rejected command, leaving SENT alone', async () => {
    h = new Harness(noFatigue);
    const r = request();
    await h.send(r);
    await h.tick();
    h.readFeedback();
    await h.revoke(r.messageId);
    expect(h.readFeedback()).toMatchObject([{ messageId: r.messageId, status: 'REJECTED', subject: 'REVOKE_COMMAND', reason: 'revoke-too-late:SENT' }]);
    expect(h.statusesOf(r.messageId)).toEqual(['SENT', 'REJECTED']);
    expect(h.sender.sent).toHaveLength(1);
  });

  it('revokes a message whose revoke arrived first, when it shows up', async () => {
    h = new Harness(noFatigue);
    const r = request();
    await h.revoke(r.messageId);
    await h.send(r);
    await h.tick();
    expect(h.statusesOf(r.messageId)).toEqual(['REVOKED']);
    expect(h.sender.sent).toHaveLength(0);
  });

  it('expires a message whose expireAt passes while it is held', async () => {
    h = new Harness(noFatigue);
    const r = request({ sendAt: NOON_SHANGHAI + 10_000, expireAt: NOON_SHANGHAI + 5_000 });
    await h.send(r);
    await h.tick(10_200);
    expect(h.statusesOf(r.messageId)).toEqual(['SCHEDULED', 'EXPIRED']);
    expect(h.sender.sent).toHaveLength(0);
  });

  it('does not send a replayed lane record twice', async () => {
    h = new Harness(noFatigue);
    const r = request();
    await h.send(r);
    await h.tick();
    const lane: LaneRecord = { request: r, lane: 'BULK', dueAt: NOON_SHANGHAI, attempt: 1, routedAt: NOON_SHANGHAI };
    await h.lanesBulk.pipeInput('u1', lane);
    await h.tick();
    expect(h.sender.sent).toHaveLength(1);
    expect(h.statusesOf(r.messageId)).toEqual(['SENT']);
  });

  it('keeps held messages in the store ordered by due time, and removes them on release', async () => {
    h = new Harness(noFatigue);
    await h.send(request({ sendAt: NOON_SHANGHAI + 9_000 }));
    await h.send(request({ sendAt: NOON_SHANGHAI + 3_000 }));
    const store = h.driver.getKeyValueStore<Buffer, Buffer>(STORE_NAMES.held);
    const due: number[] = [];
    for await (const { key } of store.range(Buffer.from([1]), Buffer.from([2]))) due.push(Number(key.readBigUInt64BE(1)));
    expect(due).toEqual([NOON_SHANGHAI + 3_000, NOON_SHANGHAI + 9_000]);
    await h.tick(10_000);
    await h.tick(20);
    let left = 0;
    for await (const _ of store.all()) left++;
    expect(left).toBe(0);
    expect(h.sender.sent).toHaveLength(2);
  });
});

describe('channel sink', () => {
  it('sends in batches and reports provider, attempt, billable units and cost', async () => {
    h = new Harness(noFatigue);
    for (let i = 0; i < 3; i++) await h.send(request({ recipient: { userId: `u${i}`, phone: '+8613800138000' } }));
    await h.tick();
    expect(h.sender.batches).toEqual([3]);
    const sent = h.readFeedback();
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatchObject({ status: 'SENT', provider: 'sms-fake', attempt: 1, billableUnits: 2, cost: 0.09 });
  });

  it('retries a notification with backoff (RETRYING) and then sends it', async () => {
    h = new Harness(noFatigue);
    h.sender.behaviour = (_m, n) => (n < 3 ? 'RETRYABLE_ERROR' : 'ACCEPTED');
    const r = request();
    await h.send(r);
    await h.tick(); // attempt 1 fails; retry after 5 s
    await h.tick(5_000);
    await h.tick(20); // attempt 2 fails; retry after 10 s
    await h.tick(10_000);
    await h.tick(20);
    expect(h.statusesOf(r.messageId)).toEqual(['RETRYING', 'RETRYING', 'SENT']);
  });

  it('gives verification codes quick retries only, then FAILED', async () => {
    h = new Harness(noFatigue);
    h.sender.behaviour = () => 'RETRYABLE_ERROR';
    const r = request({ category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: '1', minutes: '5' } });
    await h.send(r);
    for (let i = 0; i < 10; i++) await h.tick(2_000);
    expect(h.statusesOf(r.messageId)).toEqual(['RETRYING', 'FAILED']);
  });

  it('expires marketing whose retries would miss its validity', async () => {
    h = new Harness(noFatigue);
    h.sender.behaviour = () => 'RETRYABLE_ERROR';
    const r = request({ category: 'MARKETING', templateId: 'promo', templateParams: { text: 'sale' }, expireAt: NOON_SHANGHAI + 40_000 });
    await h.send(r);
    await h.tick(); // attempt 1 fails at +20 ms; the retry at +30 s is still before expireAt
    for (let i = 0; i < 10; i++) await h.tick(10_000);
    expect(h.statusesOf(r.messageId)).toEqual(['RETRYING', 'EXPIRED']);
  });

  it('fails a permanent error at once', async () => {
    h = new Harness(noFatigue);
    h.sender.behaviour = () => 'PERMANENT_ERROR';
    const r = request();
    await h.send(r);
    await h.tick();
    expect(h.readFeedback()).toMatchObject([{ status: 'FAILED', provider: 'strict', reason: 'bad-number', attempt: 1 }]);
  });
});

describe('every request ends in exactly one terminal status', () => {
  it('holds across a mix of valid, invalid, duplicate, suppressed, scheduled and revoked requests', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [{ name: 'cap', scope: 'user', window: 86_400_000, cap: 3 }];
    });
    const ids = new Set<string>();
    let revoked = '';
    for (let u = 0; u < 20; u++) {
      for (let i = 0; i < 5; i++) {
        const userId = `user-${u}`;
        const kind = (u * 5 + i) % 7;
        const r = request({
          recipient: { userId, phone: kind === 1 ? 'bad' : '+8613800138000' },
          dedupeKey: kind === 2 ? `${userId}-dup` : null,
          sendAt: kind === 3 ? NOON_SHANGHAI + 3_000 : null,
        });
        ids.add(r.messageId);
        await h.send(r);
        if (kind === 3 && !revoked) {
          revoked = r.messageId;
          await h.revoke(r.messageId, userId);
        }
      }
    }
    for (let i = 0; i < 30; i++) await h.tick(200);
    const terminal = new Map<string, number>();
    h.readFeedback();
    for (const id of ids) {
      const count = h.statusesOf(id).filter((s) => TERMINAL_STATUSES.has(s as never)).length;
      terminal.set(id, count);
    }
    expect([...terminal.values()].every((n) => n === 1)).toBe(true);
    expect(h.statusesOf(revoked)).toEqual(['SCHEDULED', 'REVOKED']);
    expect(new Set(h.sender.sentIds()).size).toBe(h.sender.sent.length);
  });
});

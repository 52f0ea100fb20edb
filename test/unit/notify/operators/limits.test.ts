/**
 * Input limits at validate (issue 11): every request over a limit ends in exactly one REJECTED
 * naming the field, nothing reaches a lane or a store, and nothing throws — also with RocksDB
 * stores, which refuse the empty key an empty userId would make.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationRequest } from '../../../../src/notify/generated/schema-types.js';
import { Harness, request } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const MB = 1024 * 1024;

function laneRecords(): number {
  const t = h.config.topics.lanes;
  return [t.critical.name, t.normal.name, t.bulk.name].reduce((n, topic) => n + h.driver.producedRecords(topic).length, 0);
}

/** Pipes one request keyed by `key` and returns the feedback it produced, with keys. */
async function sendKeyed(key: string | null, r: NotificationRequest): Promise<{ key: string | null; status: string; reason: string | null | undefined; messageId: string }[]> {
  await h.requests.pipeInput(key, r, h.now());
  return h.feedback.readRecordsToList().map((f) => ({ key: f.key, status: f.value!.status, reason: f.value!.reason, messageId: f.value!.messageId }));
}

describe('validate: input limits', () => {
  it('rejects each over-limit request once, naming the field, with nothing sent to a lane (RocksDB stores)', async () => {
    h = new Harness(undefined, undefined, { storeKind: 'persistent' });
    const huge = 'x'.repeat(MB);
    const manyParams = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, 'v']));
    const bigParams = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, 'y'.repeat(4000)]));
    const cases: [NotificationRequest, string][] = [
      [request({ recipient: { userId: '', phone: '+8613800138000' } }), 'field:missing-user-id'],
      [request({ businessUnit: '' }), 'field:missing-business-unit'],
      [request({ scenario: '' }), 'field:missing-scenario'],
      [request({ templateId: '' }), 'field:missing-template-id'],
      [request({ templateParams: { orderId: huge } }), 'limit:templateParams.orderId:too-long'],
      [request({ templateParams: manyParams }), 'limit:templateParams:too-many-entries'],
      [request({ templateParams: { [huge]: 'v', orderId: 'A1' } }), 'limit:templateParams:key-too-long'],
      [request({ templateParams: { orderId: 'A1', ...bigParams } }), 'limit:request:too-large'],
      [request({ tags: { env: 'g'.repeat(257) } }), 'limit:tags.env:too-long'],
      [request({ dedupeKey: 'd'.repeat(257) }), 'limit:dedupeKey:too-long'],
      [request({ recipient: { userId: 'u1', phone: '+8613800138000', email: `${'e'.repeat(400)}@example.com` } }), 'limit:recipient.email:too-long'],
      [request({ locale: 'zh-'.repeat(20) }), 'limit:locale:too-long'],
      [request({ sendAt: 9e15 }), 'limit:sendAt:out-of-range'],
      [request({ createdAt: -1 }), 'limit:createdAt:out-of-range'],
    ];
    for (const [r, reason] of cases) {
      const feedback = await sendKeyed(r.recipient.userId, r);
      expect(feedback, reason).toEqual([{ key: r.messageId, status: 'REJECTED', reason, messageId: r.messageId }]);
    }
    // The stores saw nothing: a valid request for u1 still goes through.
    const ok = request();
    await h.send(ok);
    await h.tick();
    expect(laneRecords()).toBe(1);
    expect(h.statusesOf(ok.messageId)).toEqual(['SENT']);
  });

  it('reports an oversized id cut to its limit, so the feedback stays small', async () => {
    h = new Harness();
    const r = request({ businessUnit: 'b'.repeat(MB) });
    const [f] = await sendKeyed('u1', r);
    expect(f).toMatchObject({ status: 'REJECTED', reason: 'limit:businessUnit:too-long' });
    const [produced] = h.driver.producedRecords(h.config.topics.feedback.name);
    expect(produced!.value!.length).toBeLessThan(1024);
    expect(laneRecords()).toBe(0);
  });

  it('keys the REJECTED of a request without a usable messageId by its input position', async () => {
    h = new Harness(undefined, undefined, { storeKind: 'persistent' });
    const topic = h.config.topics.requests.name;
    const empty = await sendKeyed('u1', request({ messageId: '' }));
    const long = await sendKeyed('u1', request({ messageId: 'm'.repeat(129) }));
    expect(empty).toEqual([{ key: `unidentified:${topic}:0:0`, messageId: `unidentified:${topic}:0:0`, status: 'REJECTED', reason: 'field:missing-message-id' }]);
    expect(long).toEqual([{ key: `unidentified:${topic}:0:1`, messageId: `unidentified:${topic}:0:1`, status: 'REJECTED', reason: 'limit:messageId:too-long' }]);
    expect(laneRecords()).toBe(0);
  });

  it('rejects a record keyed by anything but its userId, and one without a key', async () => {
    h = new Harness();
    const wrong = request();
    expect(await sendKeyed('someone-else', wrong)).toEqual([{ key: wrong.messageId, messageId: wrong.messageId, status: 'REJECTED', reason: 'key:not-user-id' }]);
    const keyless = request();
    expect(await sendKeyed(null, keyless)).toEqual([{ key: keyless.messageId, messageId: keyless.messageId, status: 'REJECTED', reason: 'key:missing' }]);
    expect(laneRecords()).toBe(0);
  });

  it('rejects content over its channel limit once rendered: SMS segments, push payload bytes', async () => {
    h = new Harness();
    const limits = h.config.limits.content;
    // promo's SMS body is "{{text}} 回T退订": UCS-2, 67 characters per part.
    const sms = request({ category: 'MARKETING', templateId: 'promo', templateParams: { text: '促'.repeat(67 * limits.SMS.maxSegments) } });
    const push = request({
      category: 'MARKETING',
      channel: 'PUSH',
      templateId: 'promo',
      templateParams: { title: 'sale', text: 'z'.repeat(limits.PUSH.maxBytes) },
      recipient: { userId: 'u1', deviceToken: 'a'.repeat(64), pushPlatform: 'APNS' },
    });
    expect((await sendKeyed('u1', sms)).map((f) => f.reason)).toEqual(['limit:content.SMS:too-many-segments']);
    expect((await sendKeyed('u1', push)).map((f) => f.reason)).toEqual(['limit:content.PUSH:too-large']);
    expect(laneRecords()).toBe(0);
    // Just under the limits both pass.
    const smsOk = request({ category: 'MARKETING', templateId: 'promo', templateParams: { text: '促'.repeat(67 * limits.SMS.maxSegments - 10) } });
    await h.send(smsOk);
    expect(laneRecords()).toBe(1);
  });

  it('lets a request with every id at its limit through, and takes a smaller limit from the configuration', async () => {
    h = new Harness((c) => {
      c.limits.templateParams.valueLength = 8;
    });
    const max = 'i'.repeat(h.config.limits.idLength);
    const atLimit = request({ messageId: max, businessUnit: max, scenario: max, recipient: { userId: max, phone: '+8613800138000' }, templateParams: { orderId: '12345678' } });
    await h.requests.pipeInput(max, atLimit, h.now());
    expect(h.readFeedback()).toEqual([]);
    expect(laneRecords()).toBe(1);
    const over = request({ templateParams: { orderId: '123456789' } });
    expect((await sendKeyed('u1', over)).map((f) => f.reason)).toEqual(['limit:templateParams.orderId:too-long']);
  });
});

import { describe, expect, it } from 'vitest';
import { approximateEncodedBytes, checkContentLimits, checkRecordKey, checkRequestLimits, DEFAULT_REQUEST_LIMITS as L, reportableRequest } from '../../../../src/notify/domain/request-limits.js';
import type { NotificationRequest } from '../../../../src/notify/generated/schema-types.js';
import { defaultSchemaDir } from '../../../../src/notify/schemas/schema-catalog.js';
import { AvroSchemaCatalog, AvroSerde } from '../../../../src/streams/serde/index.js';

const base: NotificationRequest = {
  messageId: 'm-1',
  dedupeKey: null,
  businessUnit: 'shop',
  scenario: 'order-shipped',
  category: 'NOTIFICATION',
  channel: 'SMS',
  priority: null,
  recipient: { userId: 'u1', phone: '+8613800138000', email: null },
  templateId: 'order-shipped',
  templateParams: { orderId: 'A1', note: '发货 🚚' },
  locale: 'zh-CN',
  sendAt: 1_700_000_000_000,
  expireAt: null,
  createdAt: 1_700_000_000_000,
  tags: { env: 'gray' },
};

describe('request limits', () => {
  it('passes a normal request and names the first field over a limit', () => {
    expect(checkRequestLimits(base, L)).toBeUndefined();
    expect(checkRequestLimits({ ...base, messageId: '', businessUnit: '' }, L)).toEqual({ field: 'messageId', reason: 'field:missing-message-id', detail: 'must not be empty' });
    expect(checkRequestLimits({ ...base, recipient: { userId: 'u'.repeat(129) } }, L)).toMatchObject({ field: 'recipient.userId', reason: 'limit:recipient.userId:too-long', detail: 'at most 128 characters' });
    expect(checkRequestLimits({ ...base, recipient: { userId: 'u1', webhookUrl: `https://x/${'p'.repeat(2048)}` } }, L)?.reason).toBe('limit:recipient.webhookUrl:too-long');
    expect(checkRequestLimits({ ...base, expireAt: 1.5 }, L)?.reason).toBe('limit:expireAt:out-of-range');
  });

  it('estimates the Avro size within a few bytes of the real encoding', () => {
    const serde = new AvroSerde<NotificationRequest>({ catalog: AvroSchemaCatalog.fromDirectory(defaultSchemaDir()), type: 'notify.v1.NotificationRequest' });
    for (const r of [base, { ...base, templateParams: { big: '字'.repeat(3000) }, dedupeKey: 'k'.repeat(200) }]) {
      const real = serde.serialize('t', r).length;
      const estimate = approximateEncodedBytes(r);
      expect(estimate).toBeGreaterThanOrEqual(real);
      expect(estimate - real).toBeLessThan(48);
    }
  });

  it('limits rendered content per channel', () => {
    const body = (n: number, ch = 'a') => ({ subject: undefined, body: ch.repeat(n) });
    expect(checkContentLimits('SMS', body(153 * 8), L)).toBeUndefined();
    expect(checkContentLimits('SMS', body(153 * 8 + 1), L)?.reason).toBe('limit:content.SMS:too-many-segments');
    expect(checkContentLimits('SMS', body(10_000_000), L)?.reason).toBe('limit:content.SMS:too-many-segments');
    // Push counts the JSON-escaped title and body: quotes and escapes count.
    expect(checkContentLimits('PUSH', { subject: 'hi', body: 'a'.repeat(3584 - 6) }, L)).toBeUndefined();
    expect(checkContentLimits('PUSH', { subject: 'hi', body: 'a'.repeat(3584 - 5) }, L)?.reason).toBe('limit:content.PUSH:too-large');
    expect(checkContentLimits('PUSH', { subject: undefined, body: '\n'.repeat(2000) }, L)?.reason).toBe('limit:content.PUSH:too-large');
    expect(checkContentLimits('WECHAT', body(683, '字'), L)?.reason).toBe('limit:content.WECHAT:too-large'); // 3 bytes each
    expect(checkContentLimits('EMAIL', body(256 * 1024), L)).toBeUndefined();
    expect(checkContentLimits('WEBHOOK', body(64 * 1024 + 1), L)?.reason).toBe('limit:content.WEBHOOK:too-large');
  });

  it('checks the record key and bounds what a rejection reports', () => {
    expect(checkRecordKey('u1', base)).toBeUndefined();
    expect(checkRecordKey('', base)?.reason).toBe('key:missing');
    expect(checkRecordKey('u2', base)?.reason).toBe('key:not-user-id');
    const reported = reportableRequest({ ...base, messageId: '', businessUnit: 'b'.repeat(10_000) }, L, 'unidentified:t:0:7');
    expect(reported.messageId).toBe('unidentified:t:0:7');
    expect(reported.businessUnit).toHaveLength(128);
    expect(reportableRequest(base, L, 'x').messageId).toBe('m-1');
  });
});

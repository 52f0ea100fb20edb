import { describe, expect, it } from 'vitest';
import { isDeliveryReceipt, parseDeliveryReceipt } from '../../../src/channels/smpp/delivery-receipt.js';
import { ReceiptTracker } from '../../../src/channels/smpp/receipt-tracker.js';
import { describeSmppStatus, isRetryableSmppStatus } from '../../../src/channels/smpp/smpp-status.js';

describe('delivery receipt parsing', () => {
  it('reads id, final state and error from the Appendix B text', () => {
    const text = 'id:0123456789 sub:001 dlvd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Your code';
    expect(parseDeliveryReceipt(text)).toEqual({ providerMessageId: '0123456789', status: 'DELIVERED', state: 'DELIVRD', error: '000' });
    expect(parseDeliveryReceipt(text.replace('DELIVRD', 'UNDELIV'))?.status).toBe('FAILED');
    expect(parseDeliveryReceipt(text.replace('DELIVRD', 'EXPIRED'))?.status).toBe('FAILED');
    expect(parseDeliveryReceipt(text.replace('DELIVRD', 'ENROUTE'))?.status).toBeNull();
  });

  it('prefers the receipted_message_id and message_state TLVs', () => {
    expect(parseDeliveryReceipt('stat:DELIVRD', { receiptedMessageId: 'abc', messageState: 8 })).toMatchObject({ providerMessageId: 'abc', status: 'FAILED', state: 'REJECTD' });
    expect(parseDeliveryReceipt('no id here')).toBeNull();
  });

  it('recognises the receipt esm_class, not mobile-originated messages', () => {
    expect(isDeliveryReceipt(0x04)).toBe(true);
    expect(isDeliveryReceipt(0x44)).toBe(true);
    expect(isDeliveryReceipt(0x00)).toBe(false);
  });
});

describe('ReceiptTracker', () => {
  it('reports a multi-part message once, DELIVERED when every part is', () => {
    const tracker = new ReceiptTracker(100);
    const group = tracker.open('m1', 2);
    tracker.add(group, 1, 'b');
    tracker.add(group, 0, 'a');
    expect(tracker.resolve('b', 'DELIVERED')).toBeNull();
    expect(tracker.resolve('a', 'DELIVERED')).toEqual({ messageId: 'm1', providerMessageId: 'a', status: 'DELIVERED' });
    expect(tracker.size).toBe(0);
  });

  it('reports FAILED at the first failed part and ignores the rest', () => {
    const tracker = new ReceiptTracker(100);
    const group = tracker.open('m1', 2);
    tracker.add(group, 0, 'a');
    tracker.add(group, 1, 'b');
    expect(tracker.resolve('a', 'FAILED')).toMatchObject({ messageId: 'm1', status: 'FAILED' });
    expect(tracker.resolve('b', 'DELIVERED')).toMatchObject({ providerMessageId: 'b' });
    expect(tracker.size).toBe(0);
  });

  it('stays bounded, forgetting the oldest ids', () => {
    const tracker = new ReceiptTracker(3);
    for (let i = 0; i < 5; i++) tracker.add(tracker.open(`m${i}`, 1), 0, `id${i}`);
    expect(tracker.size).toBe(3);
    expect(tracker.resolve('id0', 'DELIVERED')).toEqual({ providerMessageId: 'id0', status: 'DELIVERED' });
    expect(tracker.resolve('id4', 'DELIVERED')).toMatchObject({ messageId: 'm4' });
  });

  it('matches hex ids from submit_sm_resp to decimal ids in receipts', () => {
    const tracker = new ReceiptTracker(10);
    tracker.add(tracker.open('m1', 1), 0, '3e8');
    expect(tracker.resolve('1000', 'DELIVERED')).toMatchObject({ messageId: 'm1', providerMessageId: '3e8' });
  });
});

describe('SMPP status classification', () => {
  it('retries throttling and queue-full, not bad addresses', () => {
    expect(isRetryableSmppStatus(0x58)).toBe(true);
    expect(isRetryableSmppStatus(0x14)).toBe(true);
    expect(isRetryableSmppStatus(0x0b)).toBe(false);
    expect(describeSmppStatus(0x58)).toBe('ESME_RTHROTTLED (0x58)');
  });
});

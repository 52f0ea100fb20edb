import { describe, expect, it } from 'vitest';
import { validateAddress } from '../../../../src/notify/domain/address-validator.js';

const apns = 'a'.repeat(64);
const fcm = 'dGVzdA:' + 'APA91b'.padEnd(150, 'x');

describe('validateAddress', () => {
  it('accepts E.164 phones only', () => {
    expect(validateAddress('SMS', { userId: 'u', phone: '+8613800138000' })).toBeUndefined();
    expect(validateAddress('SMS', { userId: 'u', phone: '13800138000' })).toBe('address:invalid-e164');
    expect(validateAddress('SMS', { userId: 'u', phone: '+0123456789' })).toBe('address:invalid-e164');
    expect(validateAddress('SMS', { userId: 'u' })).toBe('address:missing-phone');
  });

  it('checks device tokens per push platform', () => {
    expect(validateAddress('PUSH', { userId: 'u', deviceToken: apns, pushPlatform: 'APNS' })).toBeUndefined();
    expect(validateAddress('PUSH', { userId: 'u', deviceToken: 'xyz'.repeat(30), pushPlatform: 'APNS' })).toBe('address:invalid-apns-token');
    expect(validateAddress('PUSH', { userId: 'u', deviceToken: fcm, pushPlatform: 'FCM' })).toBeUndefined();
    expect(validateAddress('PUSH', { userId: 'u', deviceToken: 'short', pushPlatform: 'FCM' })).toBe('address:invalid-fcm-token');
    expect(validateAddress('PUSH', { userId: 'u', deviceToken: 'IQAAAACy0kYkAAD', pushPlatform: 'HUAWEI' })).toBe('address:invalid-device-token');
    expect(validateAddress('PUSH', { userId: 'u', deviceToken: 'IQAAAACy0kYkAADx3k9', pushPlatform: 'HUAWEI' })).toBeUndefined();
    expect(validateAddress('PUSH', { userId: 'u', deviceToken: apns })).toBe('address:missing-push-platform');
    expect(validateAddress('PUSH', { userId: 'u', pushPlatform: 'FCM' })).toBe('address:missing-device-token');
  });

  it('checks WeChat openIds, emails and webhook URLs', () => {
    expect(validateAddress('WECHAT', { userId: 'u', openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' })).toBeUndefined();
    expect(validateAddress('WECHAT', { userId: 'u', openId: 'not an id' })).toBe('address:invalid-open-id');
    expect(validateAddress('EMAIL', { userId: 'u', email: 'ann@example.com' })).toBeUndefined();
    expect(validateAddress('EMAIL', { userId: 'u', email: 'ann@localhost' })).toBe('address:invalid-email');
    expect(validateAddress('EMAIL', { userId: 'u', email: 'a b@example.com' })).toBe('address:invalid-email');
    expect(validateAddress('WEBHOOK', { userId: 'u', webhookUrl: 'https://hooks.example.com/x?y=1' })).toBeUndefined();
    expect(validateAddress('WEBHOOK', { userId: 'u', webhookUrl: 'ftp://example.com' })).toBe('address:invalid-webhook-url');
    expect(validateAddress('WEBHOOK', { userId: 'u', webhookUrl: 'not a url' })).toBe('address:invalid-webhook-url');
    expect(validateAddress('WEBHOOK', { userId: 'u', webhookUrl: null })).toBe('address:missing-webhook-url');
  });
});

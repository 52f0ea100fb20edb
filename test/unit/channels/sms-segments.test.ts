import { describe, expect, it } from 'vitest';
import { billableUnits, countSmsSegments, splitSms } from '../../../src/channels/index.js';
import { decodeGsm7 } from '../../../src/channels/sms/gsm7.js';

const ucs2 = (buffer: Buffer) => Buffer.from(buffer).swap16().toString('utf16le');

describe('SMS segment counting', () => {
  it.each([
    ['empty body', '', 'GSM7', 0, 1],
    ['160 GSM-7 chars', 'a'.repeat(160), 'GSM7', 160, 1],
    ['161 GSM-7 chars', 'a'.repeat(161), 'GSM7', 161, 2],
    ['306 GSM-7 chars (2 × 153)', 'a'.repeat(306), 'GSM7', 306, 2],
    ['307 GSM-7 chars', 'a'.repeat(307), 'GSM7', 307, 3],
    ['80 euro signs (2 septets each) = 160', '€'.repeat(80), 'GSM7', 160, 1],
    ['81 euro signs = 162 septets', '€'.repeat(81), 'GSM7', 162, 2],
    ['159 chars plus one extension char = 161 septets', `${'a'.repeat(159)}[`, 'GSM7', 161, 2],
    ['GSM-7 national letters stay GSM-7', 'Grüße, Ñandù, Ø, é', 'GSM7', 18, 1],
    ['70 Chinese chars', '中'.repeat(70), 'UCS2', 70, 1],
    ['71 Chinese chars', '中'.repeat(71), 'UCS2', 71, 2],
    ['134 Chinese chars (2 × 67)', '中'.repeat(134), 'UCS2', 134, 2],
    ['135 Chinese chars', '中'.repeat(135), 'UCS2', 135, 3],
    ['one non-GSM char switches the whole body to UCS-2', `${'a'.repeat(70)}ç`, 'UCS2', 71, 2],
    ['35 emoji = 70 UTF-16 units', '😀'.repeat(35), 'UCS2', 70, 1],
    ['36 emoji = 72 UTF-16 units', '😀'.repeat(36), 'UCS2', 72, 2],
    ['an emoji in a Latin text forces UCS-2', `Hi 👋${'a'.repeat(66)}`, 'UCS2', 71, 2],
  ])('%s', (_name, body, encoding, units, segments) => {
    expect(countSmsSegments(body)).toEqual({ encoding, units, segments });
  });

  it('never splits a GSM-7 escape pair across parts, and counts the extra part that costs', () => {
    const body = `${'a'.repeat(152)}€${'b'.repeat(152)}`; // 152 + 2 + 152 = 306 septets
    const { parts } = splitSms(body);
    expect(parts.map((p) => p.length)).toEqual([152, 153, 1]);
    expect(countSmsSegments(body).segments).toBe(3);
    expect(parts.map((p) => decodeGsm7(p)).join('')).toBe(body);
  });

  it('never splits a surrogate pair across UCS-2 parts', () => {
    const body = `${'中'.repeat(66)}${'😀'.repeat(3)}`; // 66 + 6 = 72 units
    const { encoding, parts } = splitSms(body);
    expect(encoding).toBe('UCS2');
    expect(parts.map((p) => p.length / 2)).toEqual([66, 6]);
    expect(parts.map(ucs2).join('')).toBe(body);
    for (const part of parts) expect(ucs2(part)).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it('splits exactly at the per-part limits', () => {
    expect(splitSms('a'.repeat(161)).parts.map((p) => p.length)).toEqual([153, 8]);
    expect(splitSms('中'.repeat(71)).parts.map((p) => p.length / 2)).toEqual([67, 4]);
    expect(splitSms('a'.repeat(160)).parts.map((p) => p.length)).toEqual([160]);
  });

  it('bills SMS by segment and every other channel by message', () => {
    const base = { messageId: 'm', category: 'MARKETING' as const, recipient: { userId: 'u' }, templateParams: {}, tags: {} };
    expect(billableUnits({ ...base, channel: 'SMS', body: '中'.repeat(71) })).toBe(2);
    expect(billableUnits({ ...base, channel: 'PUSH', body: '中'.repeat(710) })).toBe(1);
  });
});

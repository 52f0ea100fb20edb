import { describe, expect, it } from 'vitest';
import { QuietHours } from '../../../../src/notify/domain/quiet-hours.js';
import { fromLocal, offsetAt, toLocal } from '../../../../src/notify/domain/zoned-time.js';

const SH = 'Asia/Shanghai';
const at = (iso: string): number => Date.parse(iso);

describe('zoned time', () => {
  it('converts both ways in a fixed-offset zone', () => {
    expect(offsetAt(at('2024-06-01T00:00:00Z'), SH)).toBe(8 * 3_600_000);
    expect(toLocal(at('2024-06-01T15:30:00Z'), SH)).toMatchObject({ day: 1, hour: 23, minute: 30 });
    expect(fromLocal(2024, 6, 2, 8, 0, SH)).toBe(at('2024-06-02T00:00:00Z'));
  });

  it('resolves a DST gap forward and an overlap to the earlier instant', () => {
    // New York springs forward 2024-03-10 02:00 → 03:00; 02:30 never happens.
    expect(fromLocal(2024, 3, 10, 2, 30, 'America/New_York')).toBe(at('2024-03-10T07:30:00Z'));
    // Falls back 2024-11-03 02:00 → 01:00; 01:30 happens twice (EDT first).
    expect(fromLocal(2024, 11, 3, 1, 30, 'America/New_York')).toBe(at('2024-11-03T05:30:00Z'));
    expect(fromLocal(2024, 11, 3, 8, 0, 'America/New_York')).toBe(at('2024-11-03T13:00:00Z'));
  });
});

describe('QuietHours', () => {
  const quiet = new QuietHours([{ category: 'MARKETING', start: '22:00', end: '08:00' }], SH);

  it('lets messages outside the window through unchanged', () => {
    const noon = at('2024-06-01T04:00:00Z'); // 12:00 in Shanghai
    expect(quiet.nextAllowed(noon, 'MARKETING', 'PUSH')).toBe(noon);
    expect(quiet.nextAllowed(at('2024-06-01T15:00:00Z'), 'NOTIFICATION', 'PUSH')).toBe(at('2024-06-01T15:00:00Z'));
    expect(quiet.applies('NOTIFICATION')).toBe(false);
  });

  it('defers to the window end, across midnight and from after midnight', () => {
    const nextMorning = at('2024-06-02T00:00:00Z'); // 08:00 on the 2nd in Shanghai
    expect(quiet.nextAllowed(at('2024-06-01T14:00:00Z'), 'MARKETING', 'SMS')).toBe(nextMorning); // 22:00
    expect(quiet.nextAllowed(at('2024-06-01T17:30:00Z'), 'MARKETING', 'SMS')).toBe(nextMorning); // 01:30
    expect(quiet.nextAllowed(at('2024-06-01T23:59:59Z'), 'MARKETING', 'SMS')).toBe(nextMorning); // 07:59:59
  });

  it('treats the boundaries as [start, end)', () => {
    expect(quiet.nextAllowed(at('2024-06-01T13:59:59Z'), 'MARKETING', 'SMS')).toBe(at('2024-06-01T13:59:59Z')); // 21:59:59
    expect(quiet.nextAllowed(at('2024-06-02T00:00:00Z'), 'MARKETING', 'SMS')).toBe(at('2024-06-02T00:00:00Z')); // 08:00
  });

  it('uses the recipient time zone, and the default for an unknown one', () => {
    // 23:00 in New York (EDT) = 03:00Z; window ends 08:00 EDT = 12:00Z.
    expect(quiet.nextAllowed(at('2024-06-02T03:00:00Z'), 'MARKETING', 'SMS', 'America/New_York')).toBe(at('2024-06-02T12:00:00Z'));
    expect(quiet.nextAllowed(at('2024-06-01T14:00:00Z'), 'MARKETING', 'SMS', 'Not/AZone')).toBe(at('2024-06-02T00:00:00Z'));
  });

  it('is DST-safe: a window ending on a fall-back morning ends at the local time', () => {
    const ny = new QuietHours([{ category: 'MARKETING', start: '00:30', end: '01:30' }], 'America/New_York');
    // 00:45 EDT on 2024-11-03 (04:45Z) → 01:30, first occurrence (EDT) = 05:30Z.
    expect(ny.nextAllowed(at('2024-11-03T04:45:00Z'), 'MARKETING', 'SMS')).toBe(at('2024-11-03T05:30:00Z'));
  });

  it('limits a rule to its channels', () => {
    const smsOnly = new QuietHours([{ category: 'NOTIFICATION', start: '22:00', end: '08:00', channels: ['SMS'] }], SH);
    const night = at('2024-06-01T15:00:00Z');
    expect(smsOnly.nextAllowed(night, 'NOTIFICATION', 'PUSH')).toBe(night);
    expect(smsOnly.nextAllowed(night, 'NOTIFICATION', 'SMS')).toBe(at('2024-06-02T00:00:00Z'));
  });
});

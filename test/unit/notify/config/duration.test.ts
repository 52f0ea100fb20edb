import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../../src/notify/config/index.js';

describe('parseDuration', () => {
  it('reads every unit and bare milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(1000)).toBe(1000);
  });
  it('rejects anything else', () => {
    for (const bad of ['soon', '10', '-1s', '1w', '', null, -5, Number.NaN]) expect(parseDuration(bad)).toBeUndefined();
  });
  it('formats with the largest whole unit', () => {
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

import { describe, expect, it } from 'vitest';
import { BlockedWords } from '../../../../src/notify/domain/blocked-words.js';

describe('BlockedWords', () => {
  const words = new BlockedWords(['赌博', 'Casino', '  ']);

  it('matches case-insensitively, full-width letters included', () => {
    expect(words.find('Visit our CASINO')).toBe('Casino');
    expect(words.find('ＣＡＳＩＮＯ night')).toBe('Casino');
  });

  it('matches CJK words inside text with no word boundaries', () => {
    expect(words.find('欢迎参加线上赌博活动')).toBe('赌博');
    expect(words.find('赌')).toBeUndefined();
  });

  it('checks every text given (subject and body) and ignores empty words', () => {
    expect(words.find(undefined, 'fine', 'casino!')).toBe('Casino');
    expect(words.find('all good')).toBeUndefined();
    expect(words.size).toBe(2);
    expect(new BlockedWords([]).find('casino')).toBeUndefined();
  });
});

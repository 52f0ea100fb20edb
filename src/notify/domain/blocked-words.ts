/**
 * Content safety (F14): rendered content is checked against a blocked-word list.
 *
 * Matching is a substring search after NFKC normalisation and lower-casing, so full-width
 * Latin (`ＣＡＳＩＮＯ`) and case variants match, and CJK text — which has no word boundaries —
 * matches anywhere, which is what such lists expect.
 */
export class BlockedWords {
  private readonly words: readonly { readonly original: string; readonly normalized: string }[];

  constructor(words: Iterable<string>) {
    this.words = [...words].map((w) => ({ original: w, normalized: normalize(w.trim()) })).filter((w) => w.normalized !== '');
  }

  get size(): number {
    return this.words.length;
  }

  /** The first blocked word found in any of `texts`, or `undefined`. */
  find(...texts: (string | undefined)[]): string | undefined {
    if (this.words.length === 0) return undefined;
    for (const text of texts) {
      if (!text) continue;
      const haystack = normalize(text);
      for (const w of this.words) if (haystack.includes(w.normalized)) return w.original;
    }
    return undefined;
  }
}

function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

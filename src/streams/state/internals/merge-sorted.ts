/**
 * Merges a sorted snapshot of cached entries with a sorted iterator of the inner store, as a
 * caching store's range must: on equal keys the cached entry wins, and a cached deletion hides
 * the inner entry and is not emitted.
 *
 * `fromCached` and `fromInner` may return null to skip an entry.
 *
 * The caller must already have called `inner.next()` once and pass that promise as `first`:
 * that starts the inner iterator in the same synchronous step as the snapshot was taken, so
 * both show the same moment.
 */
export async function* mergeCachedWithInner<C, I, O>(
  cached: readonly C[],
  inner: AsyncIterator<I>,
  first: Promise<IteratorResult<I>>,
  compare: (cachedEntry: C, innerEntry: I) => number,
  fromCached: (cachedEntry: C) => O | null,
  fromInner: (innerEntry: I) => O | null,
): AsyncGenerator<O> {
  let finished = false;
  try {
    let next = await first;
    let i = 0;
    for (;;) {
      const c = cached[i];
      if (next.done) {
        finished = true;
        for (; i < cached.length; i++) {
          const out = fromCached(cached[i] as C);
          if (out !== null) yield out;
        }
        return;
      }
      const order = c === undefined ? 1 : compare(c, next.value);
      if (order > 0) {
        const innerEntry = next.value;
        next = await inner.next();
        // Mapped only now, after the read-ahead, so the mapping sees the state at hand-out time.
        const out = fromInner(innerEntry);
        if (out !== null) yield out;
        continue;
      }
      i++;
      // Equal keys: the cached entry replaces (or, as a deletion, hides) the inner one.
      if (order === 0) next = await inner.next();
      const out = fromCached(c as C);
      if (out !== null) yield out;
    }
  } finally {
    // Stopped early (break, error): let the inner iterator release what it holds.
    if (!finished) await inner.return?.();
  }
}

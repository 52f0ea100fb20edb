import { describe, expect, it } from 'vitest';
import { LruCache } from '../../../../../src/streams/state/internals/lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry, counting gets and sets as use', () => {
    const c = new LruCache<string, number>(3);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    expect(c.get('a')).toBe(1); // a is now the newest
    c.set('d', 4); // evicts b
    expect(c.get('b')).toBeUndefined();
    c.set('c', 30); // c refreshed
    c.set('e', 5); // evicts a
    expect(c.get('a')).toBeUndefined();
    expect([c.get('c'), c.get('d'), c.get('e')]).toEqual([30, 4, 5]);
    expect(c.size).toBe(3);
  });

  it('deletes and clears, and keeps nothing at capacity 0', () => {
    const c = new LruCache<number, number>(2);
    c.set(1, 1);
    c.set(2, 2);
    c.delete(2);
    c.set(3, 3);
    c.set(4, 4); // evicts 1 (2 was deleted)
    expect([c.get(1), c.get(2), c.get(3), c.get(4)]).toEqual([undefined, undefined, 3, 4]);
    c.clear();
    expect(c.size).toBe(0);
    c.set(5, 5);
    expect(c.get(5)).toBe(5);
    const off = new LruCache<number, number>(0);
    off.set(1, 1);
    expect(off.get(1)).toBeUndefined();
  });

  it('stays consistent over many random operations', () => {
    const c = new LruCache<number, number>(50);
    const order: number[] = []; // oldest first
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 100;
    for (let i = 0; i < 5000; i++) {
      const k = rnd();
      const op = rnd() % 3;
      const at = order.indexOf(k);
      if (op === 0) {
        if (at >= 0) order.splice(at, 1);
        order.push(k);
        if (order.length > 50) order.shift();
        c.set(k, k);
      } else if (op === 1) {
        const got = c.get(k);
        expect(got).toBe(at >= 0 ? k : undefined);
        if (at >= 0) order.push(...order.splice(at, 1));
      } else {
        if (at >= 0) order.splice(at, 1);
        c.delete(k);
      }
      expect(c.size).toBe(order.length);
    }
  });

  it('with a weigher, also keeps the total weight within the limit, oldest out first', () => {
    const c = new LruCache<string, string>(100, (k, v) => k.length + v.length);
    c.set('a', 'xxxx'); // 5
    c.set('b', 'xxxx'); // 10
    c.limitWeight(12);
    c.set('c', 'xx'); // 13 > 12: a goes
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([undefined, 'xxxx', 'xx']);
    expect(c.weight).toBe(8);
    c.set('b', 'xxxxxxxxxx'); // b grows to 11: c (older now) goes
    expect(c.get('c')).toBeUndefined();
    expect(c.weight).toBe(11);
    c.limitWeight(5); // evicts at once
    expect(c.size).toBe(0);
    expect(c.weight).toBe(0);
  });
});

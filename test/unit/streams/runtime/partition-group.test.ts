import { describe, expect, it } from 'vitest';
import { PartitionGroup } from '../../../../src/streams/runtime/partition-group.js';
import type { RawRecord } from '../../../../src/streams/runtime/exception-handlers.js';

const rec = (topic: string, offset: number, timestamp = offset): RawRecord => ({
  topic,
  partition: 0,
  offset,
  timestamp,
  key: null,
  value: null,
  headers: {},
});

describe('PartitionGroup', () => {
  it('takes records by weight while every topic has some, and gives an empty topic\'s share to the others', () => {
    const g = new PartitionGroup(new Map([['critical', 4], ['normal', 2], ['bulk', 1]]));
    for (let i = 0; i < 100; i++) {
      g.add(rec('critical', i));
      g.add(rec('normal', i));
      g.add(rec('bulk', i));
    }
    const first70 = Array.from({ length: 70 }, () => g.next()!.topic);
    const count = (t: string) => first70.filter((x) => x === t).length;
    expect(count('critical')).toBe(40);
    expect(count('normal')).toBe(20);
    expect(count('bulk')).toBe(10);
    // Drain critical and normal: bulk then gets every turn (work-conserving).
    const rest: string[] = [];
    for (let r = g.next(); r; r = g.next()) rest.push(r.topic);
    // critical runs out after ~105 more picks, normal after ~75 more; the last 50 are bulk alone.
    expect(rest.slice(-50).every((t) => t === 'bulk')).toBe(true);
    expect(g.size()).toBe(0);
  });

  it('keeps per-topic order', () => {
    const g = new PartitionGroup(new Map([['a', 3], ['b', 1]]));
    for (let i = 0; i < 10; i++) g.add(rec(i % 2 ? 'a' : 'b', i));
    const seen: Record<string, number[]> = { a: [], b: [] };
    for (let r = g.next(); r; r = g.next()) seen[r.topic]!.push(r.offset);
    expect(seen.a).toEqual([1, 3, 5, 7, 9]);
    expect(seen.b).toEqual([0, 2, 4, 6, 8]);
  });

  it('takes the lowest timestamp first when weights are equal', () => {
    const g = new PartitionGroup(new Map([['a', 1], ['b', 1]]));
    g.add(rec('a', 0, 50));
    g.add(rec('a', 1, 60));
    g.add(rec('b', 0, 10));
    g.add(rec('b', 1, 55));
    expect([g.next(), g.next(), g.next(), g.next()].map((r) => `${r!.topic}${r!.timestamp}`)).toEqual(['b10', 'a50', 'b55', 'a60']);
  });
});

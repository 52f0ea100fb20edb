import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/channels/guard/circuit-breaker.js';
import type { CircuitState } from '../../../src/channels/guard/circuit-breaker.js';
import { InFlightLimiter } from '../../../src/channels/guard/in-flight-limiter.js';
import { TokenBucket, defaultBurst } from '../../../src/channels/guard/token-bucket.js';

describe('TokenBucket', () => {
  it('allows the burst at once, then one token per 1/rate', async () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 3, initialTokens: 3, now: () => now });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([undefined, undefined, undefined]);
    const waiting = bucket.take();
    expect(waiting).toBeInstanceOf(Promise);
    now = 10; // one token refilled after 10 ms at 100/s
    await waiting;
    const next = bucket.take();
    expect(next).toBeInstanceOf(Promise);
    bucket.close();
    await expect(next).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
  });

  it('serves waiters first come, first served', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 1000, burst: 1, initialTokens: 1 });
    expect(bucket.take()).toBeUndefined();
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => bucket.take()?.then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    bucket.close();
  });

  it('rejects waiters on close', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, initialTokens: 1 });
    expect(bucket.take()).toBeUndefined();
    const waiting = bucket.take();
    bucket.close();
    await expect(waiting).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
  });

  it('starts empty, so a fresh provider ramps in at the rate', async () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 10, now: () => now });
    const first = bucket.take();
    expect(first).toBeInstanceOf(Promise);
    now = 10;
    await first;
    now = 1_000; // idle for a second: the burst (not more) is available
    for (let i = 0; i < 10; i++) expect(bucket.take()).toBeUndefined();
    const over = bucket.take();
    expect(over).toBeInstanceOf(Promise);
    bucket.close();
    await expect(over).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
  });

  it('never starts more than the rate in any one-second window, even after a pause refills the bucket', async () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, initialTokens: 5, now: () => now });
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) if (bucket.take() === undefined) starts.push(now);
    for (now = 100; now <= 500; now += 100) if (bucket.take() === undefined) starts.push(now);
    expect(starts).toHaveLength(10); // 5 burst + one per 100 ms
    now = 999; // the bucket is full again but the window [0, 1000) already holds 10 starts
    const blocked = bucket.take();
    expect(blocked).toBeInstanceOf(Promise);
    bucket.close();
    await expect(blocked).rejects.toMatchObject({ code: 'PROVIDER_CLOSED' });
  });

  it('defaults the burst to a tenth of the rate', () => {
    expect(defaultBurst(200)).toBe(20);
    expect(defaultBurst(5)).toBe(1);
  });
});

describe('InFlightLimiter', () => {
  it('hands released slots to waiters in order', async () => {
    const limiter = new InFlightLimiter(2);
    expect(limiter.acquire()).toBeUndefined();
    expect(limiter.acquire()).toBeUndefined();
    const third = limiter.acquire();
    expect(third).toBeInstanceOf(Promise);
    limiter.release();
    await third;
    expect(limiter.active).toBe(2);
    limiter.release();
    limiter.release();
    expect(limiter.active).toBe(0);
  });
});

describe('CircuitBreaker', () => {
  const make = () => {
    let now = 0;
    const states: CircuitState[] = [];
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, halfOpenProbes: 1, now: () => now, onStateChange: (s) => states.push(s) });
    return { breaker, states, advance: (ms: number) => (now += ms) };
  };

  it('opens after N consecutive failures; a success in between resets the count', () => {
    const { breaker } = make();
    breaker.record(breaker.acquire()!, false);
    breaker.record(breaker.acquire()!, false);
    breaker.record(breaker.acquire()!, true);
    breaker.record(breaker.acquire()!, false);
    breaker.record(breaker.acquire()!, false);
    expect(breaker.state).toBe('CLOSED');
    breaker.record(breaker.acquire()!, false);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.acquire()).toBeNull();
  });

  it('lets one probe through after openMs; success closes, failure reopens', () => {
    const { breaker, states, advance } = make();
    for (let i = 0; i < 3; i++) breaker.record(breaker.acquire()!, false);
    advance(999);
    expect(breaker.acquire()).toBeNull();
    advance(1);
    const probe = breaker.acquire();
    expect(probe).toBe('probe');
    expect(breaker.acquire()).toBeNull(); // only one probe at a time
    breaker.record(probe!, false);
    expect(breaker.state).toBe('OPEN');
    advance(1000);
    breaker.record(breaker.acquire()!, true);
    expect(breaker.state).toBe('CLOSED');
    expect(states).toEqual(['OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN', 'CLOSED']);
  });

  it('ignores late outcomes of calls admitted before the circuit opened', () => {
    const { breaker } = make();
    const early = breaker.acquire()!;
    for (let i = 0; i < 3; i++) breaker.record(breaker.acquire()!, false);
    breaker.record(early, true);
    expect(breaker.state).toBe('OPEN');
  });
});

/**
 * Rate limit for one provider (DESIGN F2: match slow carrier lines). Two rules together:
 *
 * - a token bucket of `burst` tokens refilled at `ratePerSecond` shapes sub-second bursts;
 * - a one-second sliding window caps the sends started in any second at the rate itself.
 *   Carriers state their limits as "N per second"; without the window a pause on our side
 *   (GC, a busy event loop) refills the bucket and the catch-up lands in the carrier's next
 *   second on top of the steady rate.
 *
 * So in any one-second window at most `ratePerSecond` sends start, and at most `burst` of them
 * at once. The peer may see a few more in a window than were started in it (network and
 * scheduling jitter move sends across the boundary), which is what the burst allowance covers.
 * The bucket starts empty (as Guava's RateLimiter does): a freshly started provider ramps in at
 * the rate instead of firing a burst while its connections are still opening. Waiters are
 * served first-come first-served by one timer, never by polling.
 */
import { ChannelError } from '../channel-error.js';

/** Rate and burst for a {@link TokenBucket}. */
export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Bucket size; defaults to a tenth of the rate (at least 1). */
  burst?: number;
  /** Tokens available at start (default 0). */
  initialTokens?: number;
  /** Monotonic millisecond clock; injectable for tests. */
  now?: () => number;
}

/** Default burst: a tenth of a second's worth of sends, at least one. */
export function defaultBurst(ratePerSecond: number): number {
  return Math.max(1, Math.ceil(ratePerSecond / 10));
}

const WINDOW_MS = 1_000;

/** A first-come first-served token bucket with a one-second sliding-window cap. */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  /** Start times of the last `cap` grants, as a ring; the oldest is at `#logHead`. */
  readonly #log: Float64Array;
  #logHead = 0;
  #logSize = 0;
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst ?? defaultBurst(options.ratePerSecond);
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = Math.min(this.burst, options.initialTokens ?? 0);
    this.#last = this.#now();
    this.#log = new Float64Array(Math.max(1, Math.floor(options.ratePerSecond)));
  }

  /** Waiters currently queued. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /**
   * Takes one token. Returns `undefined` when one was available now (no promise on the fast
   * path), else a promise that resolves when this caller's turn comes; rejects on close.
   */
  take(): Promise<void> | undefined {
    if (this.#closed) return Promise.reject(new ChannelError('PROVIDER_CLOSED', 'rate limiter closed'));
    if (this.waiting === 0) {
      const now = this.#now();
      this.#refill(now);
      if (this.#tokens >= 1 && this.#windowWait(now) === 0) {
        this.#grant(now);
        return undefined;
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Rejects every waiter and stops the timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const error = new ChannelError('PROVIDER_CLOSED', 'rate limiter closed');
    for (let i = this.#head; i < this.#waiters.length; i++) this.#waiters[i]?.reject(error);
    this.#waiters = [];
    this.#head = 0;
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
    this.#last = now;
  }

  /** Milliseconds until the sliding window admits another start (0 = now). */
  #windowWait(now: number): number {
    if (this.#logSize < this.#log.length) return 0;
    return Math.max(0, (this.#log[this.#logHead] ?? 0) + WINDOW_MS - now);
  }

  #grant(now: number): void {
    this.#tokens -= 1;
    const capacity = this.#log.length;
    if (this.#logSize < capacity) {
      this.#log[(this.#logHead + this.#logSize) % capacity] = now;
      this.#logSize++;
    } else {
      this.#log[this.#logHead] = now;
      this.#logHead = (this.#logHead + 1) % capacity;
    }
  }

  #schedule(): void {
    if (this.#timer || this.waiting === 0) return;
    const now = this.#now();
    this.#refill(now);
    const tokenWait = this.#tokens >= 1 ? 0 : ((1 - this.#tokens) * 1000) / this.ratePerSecond;
    const delay = Math.ceil(Math.max(tokenWait, this.#windowWait(now)));
    this.#timer = setTimeout(() => this.#release(), delay);
  }

  #release(): void {
    this.#timer = undefined;
    const now = this.#now();
    this.#refill(now);
    while (this.#tokens >= 1 && this.waiting > 0 && this.#windowWait(now) === 0) {
      this.#grant(now);
      const waiter = this.#waiters[this.#head];
      this.#waiters[this.#head++] = undefined as never;
      waiter?.resolve();
    }
    // Compact the queue now and then so it does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
    this.#schedule();
  }
}

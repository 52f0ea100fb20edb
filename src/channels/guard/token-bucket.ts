/**
 * Token-bucket rate limit for one provider (DESIGN F2: match slow carrier lines). The bucket
 * holds at most `burst` tokens and refills at `ratePerSecond`, so in any one-second window at
 * most `ratePerSecond + burst` sends start. Waiters are served first-come first-served by one
 * timer, never by polling.
 */
import { ChannelError } from '../channel-error.js';

/** Rate and burst for a {@link TokenBucket}. */
export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Bucket size; defaults to a tenth of the rate (at least 1). */
  burst?: number;
  /** Monotonic millisecond clock; injectable for tests. */
  now?: () => number;
}

/** Default burst: a tenth of a second's worth of sends, at least one. */
export function defaultBurst(ratePerSecond: number): number {
  return Math.max(1, Math.ceil(ratePerSecond / 10));
}

/** A first-come first-served token bucket. */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst ?? defaultBurst(options.ratePerSecond);
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.burst;
    this.#last = this.#now();
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
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
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

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.ratePerSecond) / 1000);
    this.#last = now;
  }

  #schedule(): void {
    if (this.#timer || this.waiting === 0) return;
    this.#refill();
    const missing = Math.max(0, 1 - this.#tokens);
    const delay = Math.ceil((missing * 1000) / this.ratePerSecond);
    this.#timer = setTimeout(() => this.#release(), delay);
  }

  #release(): void {
    this.#timer = undefined;
    this.#refill();
    while (this.#tokens >= 1 && this.waiting > 0) {
      this.#tokens -= 1;
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

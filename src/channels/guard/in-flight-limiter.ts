/**
 * Caps concurrent sends per provider (a carrier line takes only so many open requests; an SMPP
 * window is the protocol's own version of this). FIFO, so no message starves.
 */
import { ChannelError } from '../channel-error.js';

/** A counting semaphore with FIFO waiters. */
export class InFlightLimiter {
  readonly max: number;
  #active = 0;
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #head = 0;
  #closed = false;

  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError('max in-flight must be >= 1');
    this.max = max;
  }

  /** Sends holding a slot now. */
  get active(): number {
    return this.#active;
  }

  /** Takes a slot: `undefined` when free now, else a promise for the caller's turn. */
  acquire(): Promise<void> | undefined {
    if (this.#closed) return Promise.reject(new ChannelError('PROVIDER_CLOSED', 'in-flight limiter closed'));
    if (this.#active < this.max && this.#head === this.#waiters.length) {
      this.#active++;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Returns a slot, handing it straight to the next waiter if any. */
  release(): void {
    if (this.#head < this.#waiters.length) {
      const waiter = this.#waiters[this.#head];
      this.#waiters[this.#head++] = undefined as never;
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      waiter?.resolve();
      return;
    }
    this.#active = Math.max(0, this.#active - 1);
  }

  /** Rejects every waiter; later acquires reject too. */
  close(): void {
    this.#closed = true;
    const error = new ChannelError('PROVIDER_CLOSED', 'in-flight limiter closed');
    for (let i = this.#head; i < this.#waiters.length; i++) this.#waiters[i]?.reject(error);
    this.#waiters = [];
    this.#head = 0;
  }
}

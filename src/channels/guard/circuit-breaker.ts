/**
 * Circuit breaker per provider. CLOSED counts consecutive failures (retryable outcomes: the
 * peer is down, slow or throttling); at the threshold it goes OPEN and refuses sends so the pool
 * fails over at once. After `openMs` the next caller becomes a HALF_OPEN probe: success closes
 * the circuit, failure reopens it for another `openMs`. A permanent error proves the peer is up
 * and answering, so it counts as success here.
 */

/** Breaker states, as exported in metrics (0, 1, 2). */
export type CircuitState = 'CLOSED' | 'HALF_OPEN' | 'OPEN';

/** Thresholds for a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before a probe is let through. */
  openMs: number;
  /** Concurrent probes allowed while half-open. */
  halfOpenProbes: number;
  now?: () => number;
  onStateChange?: (state: CircuitState) => void;
}

/** Proof of admission; pass it back to {@link CircuitBreaker.record}. */
export type CircuitTicket = 'normal' | 'probe';

/** A consecutive-failure circuit breaker with half-open probes. */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  readonly #now: () => number;
  #state: CircuitState = 'CLOSED';
  #failures = 0;
  #openedAt = 0;
  #probes = 0;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Current state (an OPEN circuit whose wait has passed still reads OPEN until asked). */
  get state(): CircuitState {
    return this.#state;
  }

  /** Admits a call, or returns `null` when the circuit refuses it. */
  acquire(): CircuitTicket | null {
    if (this.#state === 'CLOSED') return 'normal';
    if (this.#state === 'OPEN') {
      if (this.#now() - this.#openedAt < this.#options.openMs) return null;
      this.#transition('HALF_OPEN');
      this.#probes = 0;
    }
    if (this.#probes >= this.#options.halfOpenProbes) return null;
    this.#probes++;
    return 'probe';
  }

  /** Records the outcome of an admitted call. Outcomes of calls admitted in an older state are ignored. */
  record(ticket: CircuitTicket, ok: boolean): void {
    if (ticket === 'probe') {
      if (this.#state !== 'HALF_OPEN') return;
      this.#probes = Math.max(0, this.#probes - 1);
      if (ok) this.#close();
      else this.#open();
      return;
    }
    if (this.#state !== 'CLOSED') return;
    if (ok) {
      this.#failures = 0;
      return;
    }
    this.#failures++;
    if (this.#failures >= this.#options.failureThreshold) this.#open();
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#failures = 0;
    this.#transition('OPEN');
  }

  #close(): void {
    this.#failures = 0;
    this.#probes = 0;
    this.#transition('CLOSED');
  }

  #transition(state: CircuitState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
  }
}

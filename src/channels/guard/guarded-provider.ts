/**
 * Wraps one protocol provider with everything the pool relies on: circuit breaker, max
 * in-flight, token-bucket rate limit, a per-send timeout, result classification for unexpected
 * failures, and metrics. Order matters: the circuit is asked first so an open circuit fails
 * over without waiting; the in-flight slot is taken before the rate token so that sends leave
 * at the pace tokens are granted (a token taken while waiting for a slot would let sends bunch
 * up later and exceed the rate at the peer).
 */
import { describeError, permanent, retryable } from '../channel-error.js';
import type { ProviderMetrics } from '../channel-metrics.js';
import type { ChannelProvider, DeliveryReportListener, OutboundMessage, SendResult } from '../types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitState } from './circuit-breaker.js';
import { InFlightLimiter } from './in-flight-limiter.js';
import { SendDeadlines } from './send-deadlines.js';
import { TokenBucket } from './token-bucket.js';

/** Limits applied around one provider. */
export interface GuardOptions {
  /** Sends per second; omit for no rate limit. */
  ratePerSecond?: number;
  /** Token-bucket size; default a tenth of the rate. */
  burst?: number;
  maxInFlight: number;
  /** Time allowed for one provider answer; past it the send is RETRYABLE_ERROR "timeout". */
  timeoutMs: number;
  circuitBreaker: { failureThreshold: number; openMs: number; halfOpenProbes: number };
}

/** A provider with limits, breaker and metrics; what pools hold. */
export class GuardedProvider {
  readonly inner: ChannelProvider;
  readonly #options: GuardOptions;
  readonly #metrics: ProviderMetrics;
  readonly #breaker: CircuitBreaker;
  readonly #inFlight: InFlightLimiter;
  readonly #bucket: TokenBucket | undefined;
  readonly #deadlines: SendDeadlines;
  #closed = false;

  constructor(inner: ChannelProvider, options: GuardOptions, metrics: ProviderMetrics) {
    this.inner = inner;
    this.#options = options;
    this.#metrics = metrics;
    this.#breaker = new CircuitBreaker({ ...options.circuitBreaker, onStateChange: (s) => metrics.circuit(s) });
    this.#inFlight = new InFlightLimiter(options.maxInFlight);
    this.#deadlines = new SendDeadlines(options.timeoutMs);
    this.#bucket =
      options.ratePerSecond === undefined
        ? undefined
        : new TokenBucket({ ratePerSecond: options.ratePerSecond, burst: options.burst });
  }

  get name(): string {
    return this.inner.name;
  }

  /** Breaker state, for health pages and tests. */
  get circuitState(): CircuitState {
    return this.#breaker.state;
  }

  /** Whether the wrapped provider can carry this message at all. */
  supports(message: OutboundMessage): boolean {
    return this.inner.supports ? this.inner.supports(message) : true;
  }

  /** Subscribes to the wrapped provider's delivery reports (counted in metrics). */
  onDeliveryReport(listener: DeliveryReportListener): void {
    this.inner.onDeliveryReport?.((report) => {
      this.#metrics.deliveryReport(report);
      listener(report);
    });
  }

  /** Sends one message under the guards. Never rejects. */
  async send(message: OutboundMessage): Promise<SendResult> {
    if (this.#closed) return retryable(message.messageId, this.name, 'provider closed');
    if (message.expireAt !== undefined && message.expireAt <= Date.now()) {
      // A late verification code is useless (DESIGN F10); do not spend a send on it.
      const result = permanent(message.messageId, this.name, 'expired before sending');
      this.#metrics.observe(result, 0);
      return result;
    }
    const ticket = this.#breaker.acquire();
    if (ticket === null) {
      this.#metrics.refused('circuit_open');
      return retryable(message.messageId, this.name, 'circuit open');
    }
    try {
      const slot = this.#inFlight.acquire();
      if (slot) await slot;
    } catch {
      this.#breaker.record(ticket, true);
      return retryable(message.messageId, this.name, 'provider closed');
    }
    // Most providers have no prepare step: no promise for it then.
    const unprepared = this.inner.prepare ? await this.#prepare() : undefined;
    if (unprepared !== undefined) {
      this.#inFlight.release();
      const result = retryable(message.messageId, this.name, unprepared);
      this.#breaker.record(ticket, false);
      this.#metrics.observe(result, 0);
      return result;
    }
    try {
      const token = this.#bucket?.take();
      if (token) await token;
    } catch {
      this.#inFlight.release();
      this.#breaker.record(ticket, true);
      return retryable(message.messageId, this.name, 'provider closed');
    }
    this.#metrics.inFlight(1);
    const started = performance.now();
    const { value: result, timedOut } = await this.#callWithTimeout(message);
    this.#metrics.inFlight(-1);
    this.#inFlight.release();
    this.#breaker.record(ticket, result.status !== 'RETRYABLE_ERROR');
    this.#metrics.observe(result, (performance.now() - started) / 1000, timedOut ? 'timeout' : undefined);
    return result;
  }

  /** Runs the provider's prepare step within the timeout; returns a failure reason or undefined. */
  async #prepare(): Promise<string | undefined> {
    const prepare = this.inner.prepare?.bind(this.inner);
    if (!prepare) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`timeout after ${this.#options.timeoutMs} ms while connecting`), this.#options.timeoutMs);
    });
    try {
      return await Promise.race([prepare().then(() => undefined, (error: unknown) => describeError(error)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #callWithTimeout(message: OutboundMessage): Promise<{ value: SendResult; timedOut: boolean }> {
    return this.#deadlines.run(
      (signal) => this.inner.send(message, signal).catch((error: unknown) => retryable(message.messageId, this.name, `unexpected failure: ${describeError(error)}`)),
      () => retryable(message.messageId, this.name, `timeout after ${this.#options.timeoutMs} ms (the provider may still deliver it)`),
    );
  }

  /** Stops admitting sends, releases queued ones as retryable, closes the provider. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#bucket?.close();
    this.#inFlight.close();
    await this.inner.close();
  }
}

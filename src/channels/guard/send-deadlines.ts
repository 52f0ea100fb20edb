/**
 * Per-send timeouts without a timer and an AbortController per send. Sends that start within
 * the same tick (a hundredth of the timeout, at least 1 ms) share one deadline — one timer, one
 * abort signal — at the tick's end plus the timeout: no send is cut before its full timeout, and
 * none runs more than a tick past it. With a fast provider at thousands of sends a second, a
 * timer and a signal of its own per send cost more than the send.
 */
export class SendDeadlines {
  readonly #timeoutMs: number;
  readonly #tickMs: number;
  /** The deadline sends starting now join, until its tick ends. */
  #open: Deadline | null = null;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#tickMs = Math.max(1, Math.floor(timeoutMs / 100));
  }

  /**
   * Runs `call` with the deadline's signal. Resolves to its result, or to `onTimeout()` when the
   * deadline passes first (the signal is aborted then). `call` must not reject.
   */
  run<T>(call: (signal: AbortSignal) => Promise<T>, onTimeout: () => T): Promise<{ value: T; timedOut: boolean }> {
    const now = performance.now();
    let deadline = this.#open;
    if (deadline === null || now >= deadline.tickEnd) {
      deadline = new Deadline(now + this.#tickMs, this.#timeoutMs, () => {
        if (this.#open === deadline) this.#open = null;
      });
      this.#open = deadline;
    }
    const d = deadline;
    return new Promise((resolve) => {
      const expire = (): void => resolve({ value: onTimeout(), timedOut: true });
      d.pending.add(expire);
      void call(d.controller.signal).then((value) => {
        if (d.finish(expire)) resolve({ value, timedOut: false });
      });
    });
  }
}

class Deadline {
  readonly controller = new AbortController();
  /** The timeout callbacks of the sends still running. */
  readonly pending = new Set<() => void>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly tickEnd: number,
    timeoutMs: number,
    private readonly onDone: () => void,
  ) {
    // Unref'd: a send in progress keeps the process alive through its own I/O, not this timer.
    this.#timer = setTimeout(() => this.#expire(), tickEnd + timeoutMs - performance.now()).unref();
  }

  /** A send finished in time; false if its deadline had already passed. */
  finish(expire: () => void): boolean {
    if (!this.pending.delete(expire)) return false;
    if (this.pending.size === 0 && performance.now() >= this.tickEnd) {
      clearTimeout(this.#timer);
      this.onDone();
    }
    return true;
  }

  #expire(): void {
    this.onDone();
    this.controller.abort();
    for (const expire of this.pending) expire();
    this.pending.clear();
  }
}

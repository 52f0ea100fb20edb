import { IllegalStateError } from '../../errors.js';

/**
 * Where a store is in its life. A store is built `created`, opened by `init`, and never reopened
 * after `close`: the runtime builds a fresh instance for the next task.
 */
export type StoreState = 'created' | 'initializing' | 'open' | 'closing' | 'closed';

const ALLOWED: Readonly<Record<StoreState, readonly StoreState[]>> = {
  created: ['initializing', 'closed'],
  // A failed init closes the store: what it half-opened cannot be trusted.
  initializing: ['open', 'closed'],
  open: ['closing'],
  closing: ['closed'],
  closed: [],
};

/** Guards a store's lifecycle: every move is checked, an illegal one throws `IllegalStateError`. */
export class StoreLifecycle {
  private current: StoreState = 'created';

  constructor(private readonly storeName: string) {}

  get state(): StoreState {
    return this.current;
  }

  isOpen(): boolean {
    return this.current === 'open';
  }

  transition(to: StoreState): void {
    if (!ALLOWED[this.current].includes(to)) {
      throw new IllegalStateError(`store "${this.storeName}" cannot move from ${this.current} to ${to}`);
    }
    this.current = to;
  }

  /** Throws unless the store is open; `operation` names what the caller tried. */
  assertOpen(operation: string): void {
    if (this.current !== 'open') {
      throw new IllegalStateError(`store "${this.storeName}" is ${this.current}; cannot ${operation}`);
    }
  }

  /**
   * Runs an init sequence under the lifecycle: `created → initializing → open`, or `closed` when
   * `body` throws (the error is rethrown).
   */
  async runInit(body: () => Promise<void>): Promise<void> {
    this.transition('initializing');
    try {
      await body();
    } catch (err) {
      this.current = 'closed';
      throw err;
    }
    this.transition('open');
  }

  /**
   * Runs a close sequence: `open → closing → closed`. Closing a store that was never opened, or
   * is already closed, does nothing, so the runtime can close everything it built on any path.
   */
  async runClose(body: () => Promise<void>): Promise<void> {
    if (this.current === 'closed') return;
    if (this.current === 'created') {
      this.transition('closed');
      return;
    }
    this.transition('closing');
    try {
      await body();
    } finally {
      this.current = 'closed';
    }
  }
}

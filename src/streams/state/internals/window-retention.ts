import type { StateStoreContext } from '../state-store.js';

/**
 * Which windows a window store still holds. A window is live while its start is after
 * `streamTime − retentionMs`; stream time is the task's, raised by the window starts seen in
 * restores (before the task has processed anything, the changelog is the only clock).
 *
 * Puts do not raise it: a put with a window start far ahead (a bad timestamp) must not expire
 * every live window of the store.
 */
export class WindowRetention {
  private context: StateStoreContext | null = null;
  private restoredTime = -1;

  constructor(readonly retentionMs: number) {}

  bind(context: StateStoreContext): void {
    this.context = context;
  }

  observeRestored(windowStart: number): void {
    if (windowStart > this.restoredTime) this.restoredTime = windowStart;
  }

  streamTime(): number {
    return Math.max(this.context?.currentStreamTimeMs() ?? -1, this.restoredTime);
  }

  /** The oldest live window start now. */
  minLiveTime(): number {
    return this.streamTime() - this.retentionMs + 1;
  }

  isLive(windowStart: number): boolean {
    return windowStart >= this.minLiveTime();
  }
}

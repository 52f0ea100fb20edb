import type { Cancellable, PunctuationType, Punctuator } from '../processor/processor.js';

export interface ScheduledPunctuation {
  readonly node: string;
  readonly type: PunctuationType;
  readonly intervalMs: number;
  readonly punctuator: Punctuator;
  nextMs: number;
  cancelled: boolean;
}

/**
 * The punctuators of one task on one clock. A punctuator fires once when its time has come,
 * even if the clock jumped several intervals (as Kafka Streams does), and is then scheduled
 * for the next interval boundary after the current time.
 */
export class PunctuationSchedule {
  private readonly entries: ScheduledPunctuation[] = [];

  constructor(readonly type: PunctuationType) {}

  add(node: string, intervalMs: number, punctuator: Punctuator, nowMs: number): Cancellable {
    if (!(intervalMs >= 1)) throw new RangeError(`punctuation interval must be at least 1 ms, got ${intervalMs}`);
    const entry: ScheduledPunctuation = {
      node,
      type: this.type,
      intervalMs,
      punctuator,
      // Stream time starts unknown (-1): the first record's time sets the schedule.
      nextMs: nowMs < 0 ? Number.NaN : nowMs + intervalMs,
      cancelled: false,
    };
    this.entries.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** The entries due at `nowMs`, advancing each to its next time. */
  due(nowMs: number): ScheduledPunctuation[] {
    const due: ScheduledPunctuation[] = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]!.cancelled) this.entries.splice(i, 1);
    }
    for (const e of this.entries) {
      if (Number.isNaN(e.nextMs)) {
        e.nextMs = nowMs + e.intervalMs;
        continue;
      }
      if (nowMs >= e.nextMs) {
        due.push(e);
        e.nextMs = nowMs + e.intervalMs - ((nowMs - e.nextMs) % e.intervalMs);
      }
    }
    return due;
  }

  isEmpty(): boolean {
    return this.entries.length === 0;
  }
}

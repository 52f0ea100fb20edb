/**
 * dedupe (F7): a request whose dedupe key (default messageId) was seen within the retention
 * (default 24 h, by event time) ends as DUPLICATE. The store sits behind the engine's key
 * filter, so the common case — a key never seen — costs no disk read.
 *
 * Kafka redelivering the *same* record (same offset, after a crash before the offset commit)
 * is not a duplicate: it passes again, and the delivery ledger downstream keeps it from being
 * sent twice. A producer retry is a new record at a new offset, and is a duplicate.
 *
 * The sighting also carries the fatigue decision when fatigue suppressed the request (fatigue
 * writes it into the entry dedupe has just written, so the write cache keeps one changelog
 * record). A replay passes that decision on in the envelope, and fatigue reports SUPPRESSED
 * again instead of deciding anew against windows that have moved since.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import type { Record } from '../../streams/processor/record.js';
import { readThen, type KeyValueStore } from '../../streams/state/key-value-store.js';
import type { DeliveryFeedback } from '../generated/schema-types.js';
import { feedbackFor } from './feedback.js';
import { dedupeKeyOf, type IntakeEnvelope } from './intake-envelope.js';
import { scheduleSweep, type SweepSchedule } from './store-sweeper.js';

/** First sighting of a key: event time and `topic:partition:offset` of the record. */
export interface SeenEntry {
  readonly t: number;
  readonly at: string;
  /** The fatigue rule that suppressed the request, when one did. */
  readonly f?: string;
}

/** Where the record being processed sits: `topic:partition:offset`, or '' when unknown. */
export function sightingAt(context: Pick<ProcessorContext<unknown, unknown>, 'recordMetadata'>): string {
  const meta = context.recordMetadata();
  return meta ? `${meta.topic}:${meta.partition}:${meta.offset}` : '';
}

export interface DedupeOptions extends SweepSchedule {
  readonly storeName: string;
  readonly retentionMs: number;
  readonly feedbackChild: string;
  readonly nextChild: string;
}

type Out = IntakeEnvelope | DeliveryFeedback;

export class DedupeProcessor implements Processor<string, IntakeEnvelope, string, Out> {
  private context!: ProcessorContext<string, Out>;
  private store!: KeyValueStore<string, SeenEntry>;

  constructor(private readonly options: DedupeOptions) {}

  init(context: ProcessorContext<string, Out>): void {
    this.context = context;
    this.store = context.getStateStore(this.options.storeName);
    // Sightings are compared with event times, so they expire by stream time.
    scheduleSweep(context, this.store, this.options, (_key, seen) => {
      const streamTime = context.currentStreamTimeMs();
      return streamTime >= 0 && streamTime - seen.t >= this.options.retentionMs;
    });
  }

  process(record: Record<string, IntakeEnvelope>): void | Promise<void> {
    const key = dedupeKeyOf(record.value.request);
    return readThen(this.store, key, (seen) => {
      const at = sightingAt(this.context);
      const live = seen !== undefined && record.timestamp - seen.t < this.options.retentionMs;
      if (live && seen.at !== at) {
        const now = this.context.currentSystemTimeMs();
        const feedback = feedbackFor(record.value.request, 'DUPLICATE', record.timestamp, now, { reason: `duplicate:${key}` });
        this.context.forward(record.withKey(feedback.messageId).withValue(feedback), this.options.feedbackChild);
        return;
      }
      if (!live) this.store.put(key, { t: record.timestamp, at });
      else if (seen.f !== undefined) {
        // A replay of a request fatigue suppressed: fatigue reports the same again.
        this.context.forward(record.withValue({ ...record.value, suppressedBy: seen.f }), this.options.nextChild);
        return;
      }
      this.context.forward(record, this.options.nextChild);
    });
  }
}

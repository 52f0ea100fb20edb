/**
 * delay buffer (F5, F12): reads the three lanes (weighted by the engine's partition group,
 * work-conserving) and the command topic. A lane record due now goes straight to the channel
 * sink; one due later is held in the {@link DelayQueue} and released by a wall-clock punctuator
 * scanning "due ≤ now" every `punctuateIntervalMs`. The runtime checks wall-clock punctuators
 * only between polled batches, so while records keep coming the scan is also started from
 * `process` once it is due: a busy task releases on time too (F5: lateness ≤ 1 s). Expired messages end EXPIRED, revoked ones
 * REVOKED; a revoke after the send is reported as REJECTED on the command (subject
 * REVOKE_COMMAND), leaving the message's own outcome alone.
 */
import type { Processor, ProcessorContext } from '../../streams/processor/processor.js';
import { Record } from '../../streams/processor/record.js';
import { readThen, type KeyValueStore } from '../../streams/state/key-value-store.js';
import type { DeliveryFeedback, LaneRecord, NotificationRequest, RevokeCommand } from '../generated/schema-types.js';
import { DelayQueue } from './delay-queue.js';
import { isFinal, ledgerEntry, type LedgerEntry } from './delivery-ledger.js';
import { feedbackFor } from './feedback.js';
import { scheduleSweep, type SweepSchedule } from './store-sweeper.js';

export interface DelayBufferOptions extends SweepSchedule {
  readonly heldStore: string;
  readonly ledgerStore: string;
  /** Source node names whose records are RevokeCommands; all others carry LaneRecords. */
  readonly commandTopics: readonly string[];
  readonly punctuateIntervalMs: number;
  readonly maxReleasePerScan: number;
  readonly feedbackChild: string;
  readonly sinkChild: string;
  /** How long ledger entries (outcomes, early revokes) are kept; swept, see {@link StoreSweeper}. */
  readonly ledgerRetentionMs: number;
}

type In = LaneRecord | RevokeCommand;
type Out = LaneRecord | DeliveryFeedback;

export class DelayBufferProcessor implements Processor<string, In, string, Out> {
  private context!: ProcessorContext<string, Out>;
  private queue!: DelayQueue;
  private ledger!: KeyValueStore<string, LedgerEntry>;
  private readonly commandTopics: ReadonlySet<string>;
  /** Wall-clock time the next release scan is due. */
  private nextReleaseAt = 0;

  constructor(private readonly options: DelayBufferOptions) {
    this.commandTopics = new Set(options.commandTopics);
  }

  init(context: ProcessorContext<string, Out>): void {
    this.context = context;
    this.queue = new DelayQueue(context.getStateStore(this.options.heldStore));
    this.ledger = context.getStateStore(this.options.ledgerStore);
    this.nextReleaseAt = context.currentSystemTimeMs() + this.options.punctuateIntervalMs;
    context.schedule(this.options.punctuateIntervalMs, 'WALL_CLOCK_TIME', (now) => this.release(now));
    scheduleSweep(context, this.ledger, this.options, (_key, entry, now) => now - entry.at >= this.options.ledgerRetentionMs);
  }

  async prefetch(records: readonly Record<string, In>[]): Promise<void> {
    const ids = records.map((r) => messageIdOf(r.value)).filter((id): id is string => id !== undefined);
    if (ids.length > 0) await this.ledger.prefetch(ids);
  }

  process(record: Record<string, In>): Promise<void> | void {
    if (record.value == null) return;
    const now = this.context.currentSystemTimeMs();
    if (now >= this.nextReleaseAt) return this.release(now).then(() => this.dispatch(record));
    return this.dispatch(record);
  }

  private dispatch(record: Record<string, In>): Promise<void> | void {
    const topic = this.context.recordMetadata()?.topic;
    if (topic !== undefined && this.commandTopics.has(topic)) return this.revoke(record as Record<string, RevokeCommand>);
    return this.admit(record as Record<string, LaneRecord>);
  }

  private admit(record: Record<string, LaneRecord>): Promise<void> | void {
    const lane = record.value;
    const request = lane.request;
    return readThen(this.ledger, request.messageId, (entry) => {
      if (isFinal(entry)) return; // a replayed lane record: its outcome is already reported
      const now = this.context.currentSystemTimeMs();
      if (entry?.state === 'REVOKE_PENDING') {
        this.finish(request, 'REVOKED', now, entry.reason ?? 'revoked');
        return;
      }
      if (request.expireAt != null && request.expireAt <= now) {
        this.finish(request, 'EXPIRED', now, 'expired-while-queued');
        return;
      }
      if (lane.dueAt > now) this.queue.hold(lane);
      else this.context.forward(record, this.options.sinkChild);
    });
  }

  private async revoke(record: Record<string, RevokeCommand>): Promise<void> {
    const command = record.value;
    const now = this.context.currentSystemTimeMs();
    const reason = command.reason ? `revoked:${command.reason}` : 'revoked';
    const held = await this.queue.remove(command.messageId);
    if (held) {
      this.finish(held.request, 'REVOKED', now, reason);
      return;
    }
    const entry = await this.ledger.get(command.messageId);
    if (entry && isFinal(entry)) {
      const feedback: DeliveryFeedback = {
        messageId: command.messageId,
        userId: entry.userId ?? command.userId,
        businessUnit: entry.businessUnit ?? command.businessUnit ?? '',
        scenario: entry.scenario ?? '',
        category: entry.category ?? null,
        channel: entry.channel ?? null,
        provider: entry.provider ?? null,
        status: 'REJECTED',
        subject: 'REVOKE_COMMAND',
        reason: `revoke-too-late:${entry.state}`,
        attempt: entry.attempt ?? 0,
        eventTime: record.timestamp,
        emittedAt: now,
      };
      this.context.forward(record.withKey(command.messageId).withValue(feedback), this.options.feedbackChild);
      return;
    }
    // Not here yet (still upstream, or in the sink's outbox): leave a marker both check.
    this.ledger.put(command.messageId, { state: 'REVOKE_PENDING', at: now, reason, userId: command.userId });
  }

  /** Releases what is due; expired ones end here, the rest go to the sink. */
  private async release(now: number): Promise<void> {
    this.nextReleaseAt = now + this.options.punctuateIntervalMs;
    const due = await this.queue.releaseDue(now, this.options.maxReleasePerScan);
    for (const lane of due) {
      const request = lane.request;
      if (request.expireAt != null && request.expireAt <= now) {
        this.finish(request, 'EXPIRED', now, 'expired-while-held');
        continue;
      }
      this.context.forward(new Record(request.recipient.userId, lane, now), this.options.sinkChild);
    }
  }

  private finish(request: NotificationRequest, status: 'REVOKED' | 'EXPIRED', now: number, reason: string): void {
    this.ledger.put(request.messageId, ledgerEntry(request, status, now, { reason }));
    const feedback = feedbackFor(request, status, now, now, { reason });
    this.context.forward(new Record(request.messageId, feedback, now), this.options.feedbackChild);
  }
}

function messageIdOf(value: In | null): string | undefined {
  if (value == null) return undefined;
  return 'request' in value ? value.request.messageId : value.messageId;
}

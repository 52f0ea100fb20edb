/**
 * The delivery ledger: what became of each message id at dispatch. It keeps a replayed lane
 * record from being sent twice, answers "too late" to a revoke after the send, and remembers a
 * revoke that arrived before its message (so the message is revoked when it shows up).
 */
import type { Category, Channel, NotificationRequest } from '../generated/schema-types.js';

/** Ledger states: the terminal outcome, or a revoke waiting for its message. */
export type LedgerState = 'SENT' | 'FAILED' | 'EXPIRED' | 'REVOKED' | 'REVOKE_PENDING';

/** One ledger entry; request fields are kept so a late revoke can be reported in full. */
export interface LedgerEntry {
  readonly state: LedgerState;
  readonly at: number;
  readonly attempt?: number;
  readonly provider?: string | null;
  readonly reason?: string | null;
  readonly userId?: string;
  readonly businessUnit?: string;
  readonly scenario?: string;
  readonly category?: Category;
  readonly channel?: Channel;
}

/** True when the message has its terminal outcome at dispatch. */
export function isFinal(entry: LedgerEntry | undefined): boolean {
  return entry !== undefined && entry.state !== 'REVOKE_PENDING';
}

/** A ledger entry recording `state` for `request`. */
export function ledgerEntry(request: NotificationRequest, state: Exclude<LedgerState, 'REVOKE_PENDING'>, at: number, extra: { attempt?: number; provider?: string | null; reason?: string | null } = {}): LedgerEntry {
  return {
    state,
    at,
    attempt: extra.attempt ?? 0,
    provider: extra.provider ?? null,
    reason: extra.reason ?? null,
    userId: request.recipient.userId,
    businessUnit: request.businessUnit,
    scenario: request.scenario,
    category: request.category,
    channel: request.channel,
  };
}

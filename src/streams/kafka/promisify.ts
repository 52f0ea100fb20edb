import { KafkaError } from '../errors.js';

interface LibrdKafkaErrorLike {
  message?: string;
  code?: number;
  isRetriable?: boolean;
  isFatal?: boolean;
}

/** Wraps a librdkafka error in a `KafkaError` whose `retriable` the client decided. */
export function toKafkaError(what: string, err: unknown): KafkaError {
  const e = (err ?? {}) as LibrdKafkaErrorLike;
  return new KafkaError(`${what}: ${e.message ?? String(err)}${e.code !== undefined ? ` (code ${e.code})` : ''}`, {
    cause: err,
    retriable: e.isRetriable === true && e.isFatal !== true,
  });
}

/** Turns a node-style librdkafka call into a promise. */
export function call<T = void>(what: string, fn: (cb: (err: unknown, result?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, result) => (err ? reject(toKafkaError(what, err)) : resolve(result as T)));
  });
}

/** librdkafka codes of a group that moved on: a rebalance is under way or this member's generation is old. */
const GROUP_MOVED_ON = new Set([22 /* ILLEGAL_GENERATION */, 25 /* UNKNOWN_MEMBER_ID */, 27 /* REBALANCE_IN_PROGRESS */, 82 /* FENCED_INSTANCE_ID */]);

/**
 * True when a commit failed because the consumer group is rebalancing or already has a newer
 * generation. Nothing is broken: the member rejoins, and the commit can be retried then (or the
 * partitions' new owner re-reads from the last commit).
 */
export function isGroupRebalanceError(err: unknown): boolean {
  const code = err instanceof KafkaError ? (err.cause as LibrdKafkaErrorLike | undefined)?.code : undefined;
  return code !== undefined && GROUP_MOVED_ON.has(code);
}

/** True when a transactional call failed in a way that aborting the transaction recovers from. */
export function isAbortableTransactionError(err: unknown): boolean {
  const cause = err instanceof KafkaError ? (err.cause as (LibrdKafkaErrorLike & { isTxnRequiresAbort?: boolean }) | undefined) : undefined;
  return cause?.isTxnRequiresAbort === true && cause.isFatal !== true;
}

/**
 * librdkafka codes of a broker or coordinator that is away for now: the same call may succeed
 * once it is back (local time-outs, transport failures, no coordinator yet). Not _MSG_TIMED_OUT:
 * a record that expired in the producer's queue is lost, not delayed.
 */
const BROKER_AWAY = new Set([
  -185 /* _TIMED_OUT */,
  -187 /* _ALL_BROKERS_DOWN */,
  -195 /* _TRANSPORT */,
  -184 /* _WAIT_COORD */,
  3 /* UNKNOWN_TOPIC_OR_PART: metadata not yet refreshed after a broker restart */,
  5 /* LEADER_NOT_AVAILABLE */,
  6 /* NOT_LEADER_FOR_PARTITION */,
  7 /* REQUEST_TIMED_OUT */,
  8 /* BROKER_NOT_AVAILABLE */,
  14 /* COORDINATOR_LOAD_IN_PROGRESS */,
  15 /* COORDINATOR_NOT_AVAILABLE */,
  16 /* NOT_COORDINATOR */,
  74 /* FENCED_LEADER_EPOCH: the client's leader epochs are older than a restarted broker's */,
  75 /* UNKNOWN_LEADER_EPOCH */,
]);

/** True when a call failed because the broker is away for now; retrying later may succeed. */
export function isBrokerAwayError(err: unknown): boolean {
  if (!(err instanceof KafkaError)) return false;
  const code = (err.cause as LibrdKafkaErrorLike | undefined)?.code;
  return (code !== undefined && BROKER_AWAY.has(code)) || (err.retriable && code !== undefined && !GROUP_MOVED_ON.has(code));
}

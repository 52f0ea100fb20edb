/**
 * What the provider conformance suite needs from a local protocol peer: a behaviour switch, a
 * count of messages it took, and stop/start on the same port to play "peer down" and recovery.
 */

/** How the peer answers sends: success, a permanent rejection, a retryable one, or never. */
export type PeerMode = 'ok' | 'permanent' | 'retryable' | 'hang';

/** A local peer speaking one provider protocol on 127.0.0.1. */
export interface TestPeer {
  readonly port: number;
  mode: PeerMode;
  /** Messages that reached the peer's send endpoint (any mode). */
  readonly received: number;
  /** Arrival times (performance.now()) of messages, for rate assertions. */
  readonly arrivals: readonly number[];
  /** Closes the listener and drops every connection (peer down). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The benchmark's topology in a stream-thread worker (BENCH_THREADS > 1): the same topology as
 * the single-threaded runs, sending through the benchmark's counting sender on the main thread.
 */
import type { NotifyConfig } from '../../src/notify/config/index.js';
import type { OutboundMessage, SendResult } from '../../src/notify/channel-sender.js';
import { buildNotifyTopology } from '../../src/notify/topology.js';
import type { StreamsWorkerContext, Topology } from '../../src/streams/index.js';

/** Sizing of the key filters: the benchmark's stores stay far below the product default. */
export const EXPECTED_KEYS_PER_TASK = 1_000_000;

export interface TopologyWorkerArgs {
  readonly config: NotifyConfig;
}

export function createTopology(context: StreamsWorkerContext): Topology {
  const { config } = context.args as TopologyWorkerArgs;
  return buildNotifyTopology(config, {
    sender: { send: (batch: readonly OutboundMessage[]) => context.call<SendResult[]>('send', batch) },
    expectedKeysPerTask: EXPECTED_KEYS_PER_TASK,
  });
}

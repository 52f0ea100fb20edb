/**
 * The notification topology in a stream-thread worker process (`run --workers`, see the
 * engine's WorkerStreams). The channel providers stay in the pod's main process — one
 * connection pool, one rate limit, one sent log and one delivery-report sink per pod — and the
 * channel sink reaches them through the main process's `send` service.
 */
import type { OutboundMessage, SendResult } from '../notify/channel-sender.js';
import { buildNotifyTopology, type NotifyConfig } from '../notify/index.js';
import type { StreamsWorkerContext, Topology } from '../streams/index.js';
import { appCodecs } from './codecs.js';

/** What the main process sends every worker. */
export interface ProcessorWorkerArgs {
  readonly config: NotifyConfig;
}

/** The main process's service the channel sink calls. */
export const SEND_SERVICE = 'send';

export function createTopology(context: StreamsWorkerContext): Topology {
  const { config } = context.args as ProcessorWorkerArgs;
  return buildNotifyTopology(config, {
    sender: { send: (batch: readonly OutboundMessage[]) => context.call<SendResult[]>(SEND_SERVICE, batch) },
    schemas: appCodecs().catalog,
  });
}

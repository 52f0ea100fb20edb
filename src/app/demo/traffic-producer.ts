/**
 * Produces generated traffic like a real business system would: Avro single-object encoded
 * requests keyed by userId to the requests topic, revokes to the commands topic, through an
 * idempotent acks=all producer, paced at `rate` records per second, with a progress callback.
 */
import type { NotifyConfig } from '../../notify/index.js';
import { appCodecs } from '../codecs.js';
import type { DurableProducer } from '../kafka/durable-producer.js';
import type { TrafficItem } from './traffic.js';

export interface ProduceStats {
  requests: number;
  revokes: number;
  garbage: number;
  elapsedMs: number;
}

/** How many sends may wait for acknowledgement at once. */
const MAX_IN_FLIGHT = 5_000;

export async function produceTraffic(
  items: readonly TrafficItem[],
  producer: DurableProducer,
  config: NotifyConfig,
  options: { rate: number; onProgress?: (done: number) => void; signal?: AbortSignal },
): Promise<ProduceStats> {
  const { request: requestSerde, revoke: revokeSerde } = appCodecs();
  const requests = config.topics.requests.name;
  const commands = config.topics.commands.name;
  const stats: ProduceStats = { requests: 0, revokes: 0, garbage: 0, elapsedMs: 0 };
  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  let done = 0;
  let firstError: unknown = null;
  for (let i = 0; i < items.length; i++) {
    if (options.signal?.aborted || firstError) break;
    if (options.rate > 0) {
      const due = started + (i * 1000) / options.rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const item = items[i]!;
    let p: Promise<unknown>;
    if (item.kind === 'request') {
      stats.requests++;
      p = producer.send(requests, item.request.recipient.userId, requestSerde.serialize(requests, item.request), { messageId: item.request.messageId });
    } else if (item.kind === 'revoke') {
      stats.revokes++;
      p = producer.send(commands, item.command.userId, revokeSerde.serialize(commands, item.command), { messageId: item.command.messageId });
    } else {
      stats.garbage++;
      p = producer.send(requests, item.key, item.bytes);
    }
    const tracked: Promise<unknown> = p.then(
      () => {
        inFlight.delete(tracked);
        options.onProgress?.(++done);
      },
      (err: unknown) => {
        inFlight.delete(tracked);
        firstError ??= err;
      },
    );
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  if (firstError) throw firstError;
  stats.elapsedMs = Date.now() - started;
  return stats;
}

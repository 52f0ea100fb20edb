/**
 * How much a stream thread's Kafka clients (librdkafka) may hold, chosen from the thread's part
 * of the memory total (`StreamsConfig.memory`, see `memory-config.ts`):
 *
 * | client | setting | share | at the default 64 MiB |
 * |---|---|---:|---:|
 * | group consumer | `queued.max.messages.kbytes` (prefetched, all partitions) | 1/4 | 16 MiB |
 * | low-weight consumer (bulk lanes), when the topology has one | the same | 1/4 | 16 MiB |
 * | producer | `queue.buffering.max.kbytes` (records not yet acknowledged) | 3/8 | 24 MiB |
 * | restore consumer | `fetch.max.bytes` + `queued.max.messages.kbytes` | 1/8 | 4 + 4 MiB |
 *
 * librdkafka's own defaults would allow 64 MiB of prefetch per consumer and 1 GiB of queued
 * producer records. A full producer queue is backpressure, not an error: `StreamProducer.send`
 * waits for acknowledgements. Each consumer also keeps at most one fetch response per broker in
 * flight (`max.partition.fetch.bytes` per partition).
 */

const KIB = 1024;

/** librdkafka settings for the clients of one stream thread. */
export interface ClientMemorySettings {
  /** The group consumer and the low-weight consumer (each). */
  readonly consumer: Readonly<Record<string, number>>;
  readonly producer: Readonly<Record<string, number>>;
  readonly restoreConsumer: Readonly<Record<string, number>>;
}

/** The settings for a thread whose clients may hold `bytesPerThread` together. */
export function clientMemorySettings(bytesPerThread: number): ClientMemorySettings {
  const consumerKb = Math.floor(bytesPerThread / 4 / KIB);
  const producerKb = Math.floor((bytesPerThread * 3) / 8 / KIB);
  const restoreBytes = Math.floor(bytesPerThread / 8);
  return {
    consumer: {
      // Prefetch enough for full batches but not tens of megabytes: records queued in the
      // client wait in fetch order, whatever their topic's weight.
      'max.partition.fetch.bytes': 524_288,
      'queued.max.messages.kbytes': consumerKb,
    },
    producer: { 'queue.buffering.max.kbytes': producerKb },
    restoreConsumer: {
      'fetch.max.bytes': Math.floor(restoreBytes / 2),
      'queued.max.messages.kbytes': Math.floor(restoreBytes / 2 / KIB),
    },
  };
}

import { describe, expect, it } from 'vitest';
import { clientMemorySettings } from '../../../../src/streams/kafka/client-memory.js';

describe('clientMemorySettings', () => {
  it('gives a thread of 64 MiB 16 MiB per consumer, 24 MiB of producer queue and 8 MiB for restore', () => {
    const s = clientMemorySettings(64 * 1024 * 1024);
    expect(s.consumer['queued.max.messages.kbytes']).toBe(16_384);
    expect(s.consumer['max.partition.fetch.bytes']).toBe(524_288);
    expect(s.producer['queue.buffering.max.kbytes']).toBe(24_576);
    expect(s.restoreConsumer).toEqual({ 'fetch.max.bytes': 4 * 1024 * 1024, 'queued.max.messages.kbytes': 4096 });
  });

  it('adds up to no more than the thread part', () => {
    const bytes = 100_000_000;
    const s = clientMemorySettings(bytes);
    const total = 2 * s.consumer['queued.max.messages.kbytes']! * 1024 + s.producer['queue.buffering.max.kbytes']! * 1024 + s.restoreConsumer['fetch.max.bytes']! + s.restoreConsumer['queued.max.messages.kbytes']! * 1024;
    expect(total).toBeLessThanOrEqual(bytes);
  });
});

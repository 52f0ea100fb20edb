import { describe, expect, it } from 'vitest';
import { resolveMemoryConfig } from '../../../src/streams/memory-config.js';

const MIB = 1024 * 1024;

describe('resolveMemoryConfig', () => {
  it('splits the default total into RocksDB, record caches and the Kafka clients of each thread', () => {
    const m = resolveMemoryConfig();
    expect(m.totalBytes).toBe(256 * MIB);
    expect(m.rocksDbBytes).toBe(128 * MIB);
    expect(m.recordCacheBytes).toBe(64 * MIB);
    expect(m.kafkaClientBytes).toBe(64 * MIB);
    expect(m.kafkaClientBytesPerThread).toBe(64 * MIB);
    expect(m.stores.rocksDb.options.totalBytes).toBe(128 * MIB);
  });

  it('divides RocksDB and the record caches by the stores the topology implies', () => {
    const m = resolveMemoryConfig({ totalBytes: 168 * MIB, rocksDbRatio: 0.5, recordCacheRatio: 0.25 });
    expect(m.stores.recordCacheBytesPerStore()).toBe(42 * MIB);
    m.stores.expectStores(42);
    expect(m.stores.recordCacheBytesPerStore()).toBe(MIB);
    expect(m.stores.rocksDb.acquire('s').bytes).toBe(2 * MIB);
  });

  it('divides the Kafka client part among threads, never below 16 MiB each', () => {
    expect(resolveMemoryConfig({ totalBytes: 400 * MIB, rocksDbRatio: 0.5, recordCacheRatio: 0.125 }, 3).kafkaClientBytesPerThread).toBe(50 * MIB);
    expect(resolveMemoryConfig({}, 8).kafkaClientBytesPerThread).toBe(16 * MIB);
  });

  it('names the key of a bad value', () => {
    expect(() => resolveMemoryConfig({ totalBytes: -1 })).toThrow(/memory\.totalBytes/);
    expect(() => resolveMemoryConfig({ rocksDbRatio: 1 })).toThrow(/memory\.rocksDbRatio/);
    expect(() => resolveMemoryConfig({ writeBufferRatio: 0 })).toThrow(/memory\.writeBufferRatio/);
    expect(() => resolveMemoryConfig({ rocksDbRatio: 0.6, recordCacheRatio: 0.4 })).toThrow(/memory\.recordCacheRatio/);
  });
});

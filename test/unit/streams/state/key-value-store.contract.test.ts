// One contract for every key-value store: in-memory and RocksDB, with caching on and off, logging
// on. Each case builds the store through the public `Stores` API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IllegalStateError } from '../../../../src/streams/errors.js';
import type { KeyValueBytesStoreSupplier, KeyValueStore } from '../../../../src/streams/state/index.js';
import { NOT_CACHED, Stores, readThen } from '../../../../src/streams/state/index.js';
import { Counters, TempDirs, TestStoreContext, collect, counting, jsonOf, utf8 } from './store-test-support.js';

interface Variant {
  readonly label: string;
  readonly supplier: (name: string) => KeyValueBytesStoreSupplier;
  readonly caching: boolean;
}

const VARIANTS: Variant[] = [
  { label: 'in-memory, caching', supplier: (n) => Stores.inMemoryKeyValueStore(n), caching: true },
  { label: 'in-memory, no caching', supplier: (n) => Stores.inMemoryKeyValueStore(n), caching: false },
  { label: 'rocksdb, caching', supplier: (n) => Stores.persistentKeyValueStore(n), caching: true },
  { label: 'rocksdb, no caching', supplier: (n) => Stores.persistentKeyValueStore(n), caching: false },
];

type Doc = { n: number };

describe.each(VARIANTS)('KeyValueStore contract ($label)', (variant) => {
  const dirs = new TempDirs();
  let counters: Counters;
  let context: TestStoreContext;
  let store: KeyValueStore<string, Doc>;
  const open: KeyValueStore<string, Doc>[] = [];

  async function build(ctx: TestStoreContext, options: { maxDirtyEntries?: number } = {}) {
    const builder = Stores.keyValueStoreBuilder(counting(variant.supplier('items'), counters), utf8, jsonOf<Doc>());
    if (variant.caching) builder.withCachingEnabled(options);
    else builder.withCachingDisabled();
    if (!variant.caching && options.maxDirtyEntries !== undefined) builder.withCachingEnabled({ ...options, readCacheEntries: 0 });
    const s = builder.build();
    await s.init(ctx);
    open.push(s);
    return s;
  }

  beforeEach(async () => {
    counters = new Counters();
    context = new TestStoreContext(await dirs.make(), 'app-items-changelog');
    store = await build(context);
  });

  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await dirs.cleanup();
  });

  it('gets what was put, before and after flush, and forgets what was deleted', async () => {
    expect(await store.get('a')).toBeUndefined();
    store.put('a', { n: 1 });
    expect(await store.get('a')).toEqual({ n: 1 });
    await store.flush();
    expect(await store.get('a')).toEqual({ n: 1 });
    store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    await store.flush();
    expect(await store.get('a')).toBeUndefined();
  });

  it('getIfCached answers from the caches without a read, and NOT_CACHED only where a disk read is needed', async () => {
    store.put('a', { n: 1 });
    expect(store.getIfCached('a')).toEqual({ n: 1 }); // the write buffer, flushed or not
    store.delete('b');
    expect(store.getIfCached('b')).toBeUndefined();
    expect(store.getIfCached('never')).toBe(NOT_CACHED);
    await store.flush();
    counters.getKeys = 0;
    // Flushed: the read cache has it; without one, only the bytes store can tell.
    expect(store.getIfCached('a')).toEqual(variant.caching ? { n: 1 } : NOT_CACHED);
    expect(await store.get('never')).toBeUndefined();
    expect(store.getIfCached('never')).toBe(variant.caching ? undefined : NOT_CACHED);
    expect(counters.getKeys).toBe(1);

    // readThen: synchronous on a hit, a promise of the same answer on a miss.
    const seen: (Doc | undefined)[] = [];
    const result = readThen(store, 'a', (v) => seen.push(v));
    if (variant.caching) expect(result).toBe(1);
    else expect(await result).toBe(1);
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('prefetch keeps what it read at hand: getIfCached answers those keys without a read, and a write replaces them', async () => {
    store.put('a', { n: 1 });
    await store.flush();
    await store.prefetch(['a', 'never']);
    counters.getKeys = 0;
    expect(store.getIfCached('a')).toEqual({ n: 1 });
    expect(store.getIfCached('never')).toBeUndefined(); // known absent, even without a read cache
    expect(await store.get('a')).toEqual({ n: 1 });
    expect(await store.getMany(['never', 'a'])).toEqual([undefined, { n: 1 }]);
    expect(counters.getKeys).toBe(0);
    store.put('a', { n: 2 });
    store.put('never', { n: 3 });
    expect(store.getIfCached('a')).toEqual({ n: 2 });
    expect(await store.get('never')).toEqual({ n: 3 });
    store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    // The next prefetch replaces the last: 'never' is no longer held by it.
    await store.prefetch(['other']);
    await store.flush();
    expect(await store.get('never')).toEqual({ n: 3 });
  });

  it('a write made while a prefetch reads is not hidden by the value the prefetch read', async () => {
    store.put('a', { n: 1 });
    await store.flush();
    const reading = store.prefetch(['a', 'b']);
    store.put('a', { n: 2 });
    store.delete('b');
    await reading;
    expect(store.getIfCached('a')).toEqual({ n: 2 });
    expect(await store.get('a')).toEqual({ n: 2 });
    expect(await store.get('b')).toBeUndefined();
  });

  it('getMany answers in the order asked, mixing buffered, flushed and absent keys', async () => {
    store.putAll([
      { key: 'a', value: { n: 1 } },
      { key: 'b', value: { n: 2 } },
    ]);
    await store.flush();
    store.put('c', { n: 3 });
    store.delete('a');
    expect(await store.getMany(['c', 'x', 'b', 'a'])).toEqual([{ n: 3 }, undefined, { n: 2 }, undefined]);
  });

  it('putIfAbsent keeps the first value, also for concurrent calls on one key', async () => {
    expect(await store.putIfAbsent('k', { n: 1 })).toBeUndefined();
    expect(await store.putIfAbsent('k', { n: 2 })).toEqual({ n: 1 });
    await store.flush();
    expect(await store.putIfAbsent('k', { n: 3 })).toEqual({ n: 1 });
    const [first, second] = await Promise.all([store.putIfAbsent('m', { n: 1 }), store.putIfAbsent('m', { n: 2 })]);
    expect(first).toBeUndefined();
    expect(second).toEqual({ n: 1 });
    expect(await store.get('m')).toEqual({ n: 1 });
  });

  it('range covers from (inclusive) to (exclusive) in byte order, with open bounds', async () => {
    // 'é' is 0xc3 0xa9 in UTF-8: after every ASCII key in byte order.
    for (const key of ['b', 'a', 'é', 'c', 'ab', 'z']) store.put(key, { n: key.length });
    await store.flush();
    const keys = async (from: string | null, to: string | null) =>
      (await collect(store.range(from, to))).map((e) => e.key);
    expect(await keys(null, null)).toEqual(['a', 'ab', 'b', 'c', 'z', 'é']);
    expect(await keys('ab', 'c')).toEqual(['ab', 'b']);
    expect(await keys('b', null)).toEqual(['b', 'c', 'z', 'é']);
    expect(await keys(null, 'b')).toEqual(['a', 'ab']);
    expect(await keys('x', 'y')).toEqual([]);
  });

  it('range merges buffered writes and deletes with flushed entries', async () => {
    for (const key of ['a', 'b', 'c', 'e']) store.put(key, { n: 1 });
    await store.flush();
    store.put('a', { n: 2 }); // overwrite
    store.delete('b'); // delete a flushed key
    store.put('d', { n: 2 }); // new key between flushed ones
    store.delete('x'); // delete of a key that never existed
    store.put('f', { n: 2 }); // new key after the last flushed one
    const expected = [
      { key: 'a', value: { n: 2 } },
      { key: 'c', value: { n: 1 } },
      { key: 'd', value: { n: 2 } },
      { key: 'e', value: { n: 1 } },
      { key: 'f', value: { n: 2 } },
    ];
    expect(await collect(store.all())).toEqual(expected);
    expect(await collect(store.range('b', 'e'))).toEqual(expected.slice(1, 3));
    await store.flush();
    expect(await collect(store.all())).toEqual(expected);
  });

  it('a range sees one moment: writes made while it is being read are not in it', async () => {
    for (let i = 0; i < 20; i++) store.put(`k${String(i).padStart(2, '0')}`, { n: i });
    await store.flush();
    const seen: string[] = [];
    for await (const { key } of store.all()) {
      seen.push(key);
      if (seen.length === 1) store.put('k05x', { n: 99 });
    }
    expect(seen).toHaveLength(20);
  });

  it('stopping a range early releases it', async () => {
    for (let i = 0; i < 2000; i++) store.put(`k${String(i).padStart(4, '0')}`, { n: i });
    await store.flush();
    for await (const entry of store.all()) {
      expect(entry.key).toBe('k0000');
      break;
    }
    expect((await collect(store.range('k1998', null))).map((e) => e.key)).toEqual(['k1998', 'k1999']);
  });

  it('prefixScan returns keys that start with the prefix, merged with buffered writes', async () => {
    for (const key of ['user:1', 'user:2', 'user;', 'use', 'other']) store.put(key, { n: 1 });
    await store.flush();
    store.put('user:3', { n: 3 });
    store.delete('user:1');
    expect((await collect(store.prefixScan('user:'))).map((e) => e.key)).toEqual(['user:2', 'user:3']);
  });

  it('flush writes all buffered entries to the bytes store in one batch', async () => {
    for (let i = 0; i < 100; i++) store.put(`k${i}`, { n: i });
    store.delete('k7');
    expect(counters.writes).toBe(0);
    await store.flush();
    expect(counters.writes).toBe(1);
    expect(counters.writtenEntries).toBe(100);
    await store.flush();
    expect(counters.writes).toBe(1);
  });

  it('flushes early, in the background, when the buffer exceeds its limit', async () => {
    const small = await build(new TestStoreContext(await dirs.make(), 'app-items-changelog'), { maxDirtyEntries: 10 });
    const before = counters.writes;
    for (let i = 0; i < 11; i++) small.put(`k${i}`, { n: i });
    // Reads during the background flush still see every write.
    expect(await small.get('k3')).toEqual({ n: 3 });
    await small.flush();
    expect(counters.writes).toBe(before + 1);
    expect((await collect(small.all())).length).toBe(11);
  });

  it('logs each flushed entry to the changelog, deletes as tombstones, and nothing before flush', async () => {
    context.streamTimeMs = 1_000;
    store.put('a', { n: 1 });
    store.put('a', { n: 2 });
    store.put('b', { n: 1 });
    store.delete('b');
    expect(context.changelog.records).toHaveLength(0);
    await store.flush();
    const sent = context.changelog.records.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      key: r.key.toString(),
      value: r.value === null ? null : r.value.toString(),
      timestamp: r.timestamp,
    }));
    expect(sent).toEqual([
      { topic: 'app-items-changelog', partition: 1, key: 'a', value: '{"n":2}', timestamp: 1_000 },
      { topic: 'app-items-changelog', partition: 1, key: 'b', value: null, timestamp: 1_000 },
    ]);
  });

  it('restoreBatch rebuilds the state from the changelog, bypassing cache and logging', async () => {
    store.put('a', { n: 1 });
    store.put('b', { n: 2 });
    store.put('c', { n: 3 });
    await store.flush();
    store.delete('b');
    store.put('c', { n: 4 });
    await store.flush();
    const log = context.changelog.records;

    const fresh = new TestStoreContext(await dirs.make(), 'app-items-changelog');
    const restored = await build(fresh);
    await restored.restoreBatch(log);
    expect(fresh.changelog.records).toHaveLength(0);
    expect(await collect(restored.all())).toEqual([
      { key: 'a', value: { n: 1 } },
      { key: 'c', value: { n: 4 } },
    ]);
  });

  it('counts operations and entries in the metrics registry', async () => {
    store.put('a', { n: 1 });
    await store.get('a');
    await store.flush();
    const text = await context.metrics.metrics();
    expect(text).toMatch(/streams_store_operations_total\{store="items",op="put"\} 1/);
    expect(text).toMatch(/streams_store_operations_total\{store="items",op="get"\} 1/);
    expect(text).toMatch(/streams_store_entries\{store="items",task="0_1"\} \d/);
  });

  it('refuses use after close, and a second init', async () => {
    await expect(store.init(context)).rejects.toBeInstanceOf(IllegalStateError);
    await store.close();
    expect(store.isOpen()).toBe(false);
    expect(() => store.put('a', { n: 1 })).toThrow(IllegalStateError);
    await expect(store.get('a')).rejects.toBeInstanceOf(IllegalStateError);
    await store.close(); // closing twice is harmless
  });
});

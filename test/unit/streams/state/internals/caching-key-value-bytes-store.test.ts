// The caching layer under interleavings a single-threaded test of the public API cannot force:
// reads that overlap flushes, and a failing inner store.
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../../../../src/streams/errors.js';
import type { KeyValueBytesStore } from '../../../../../src/streams/state/index.js';
import { CachingKeyValueBytesStore, READ_CACHE_ENTRY_OVERHEAD_BYTES } from '../../../../../src/streams/state/internals/caching-key-value-bytes-store.js';
import { InMemoryKeyValueBytesStore } from '../../../../../src/streams/state/internals/in-memory-key-value-bytes-store.js';
import { Counters, CountingKeyValueBytesStore, TempDirs, TestStoreContext } from '../store-test-support.js';

const b = (s: string) => Buffer.from(s);

/** Holds inner reads until released, to interleave them with writes. */
class GatedStore extends CountingKeyValueBytesStore {
  private gates: (() => void)[] = [];
  gated = false;
  failWrites = false;

  override async get(key: Buffer): Promise<Buffer | undefined> {
    const value = await super.get(key);
    if (this.gated) await new Promise<void>((resolve) => this.gates.push(resolve));
    return value;
  }

  override async write(entries: readonly (readonly [Buffer, Buffer | null])[]): Promise<void> {
    if (this.failWrites) throw new Error('disk full');
    return super.write(entries);
  }

  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
}

describe('CachingKeyValueBytesStore', () => {
  const dirs = new TempDirs();
  afterEach(() => dirs.cleanup());

  async function setup(inner?: KeyValueBytesStore) {
    const counters = new Counters();
    const gated = new GatedStore(inner ?? new InMemoryKeyValueBytesStore('s'), counters);
    const store = new CachingKeyValueBytesStore(gated, { maxDirtyEntries: 100, readCacheEntries: 100 });
    await store.init(new TestStoreContext(await dirs.make(), null));
    return { store, gated, counters };
  }

  it('does not cache a read that a flush overtook', async () => {
    const { store, gated } = await setup();
    gated.gated = true;
    const read = store.get(b('k')); // reads "absent" from the inner store, then waits
    await Promise.resolve();
    gated.gated = false;
    store.put(b('k'), b('v1'));
    await store.flush(); // v1 reaches the inner store and the read cache
    gated.release();
    expect(await read).toBeUndefined(); // the read started before the put
    expect(await store.get(b('k'))).toEqual(b('v1')); // and did not cache its stale answer
  });

  it('serves repeated reads from the read cache, absent keys included', async () => {
    const { store, counters } = await setup();
    store.put(b('a'), b('1'));
    await store.flush();
    expect(await store.get(b('a'))).toEqual(b('1'));
    expect(await store.get(b('missing'))).toBeUndefined();
    expect(await store.get(b('missing'))).toBeUndefined();
    expect(counters.gets).toBe(1);
  });

  it('keeps its read cache within the bytes the store context grants', async () => {
    const counters = new Counters();
    const inner = new CountingKeyValueBytesStore(new InMemoryKeyValueBytesStore('s'), counters);
    const store = new CachingKeyValueBytesStore(inner, { maxDirtyEntries: 100, readCacheEntries: 100 });
    // Room for two entries of a 1-byte key and a 10-byte value.
    const context = Object.assign(new TestStoreContext(await dirs.make(), null), { recordCacheBytes: 2 * (11 + READ_CACHE_ENTRY_OVERHEAD_BYTES) });
    await store.init(context);
    for (const k of ['a', 'b', 'c']) store.put(b(k), b('0123456789'));
    await store.flush(); // all three move to the read cache, which keeps the last two
    counters.gets = 0;
    await store.get(b('b'));
    await store.get(b('c'));
    expect(counters.gets).toBe(0);
    await store.get(b('a'));
    expect(counters.gets).toBe(1);
  });

  it('putIfAbsent re-reads when a flush lands during its read', async () => {
    const { store, gated } = await setup();
    gated.gated = true;
    const pending = store.putIfAbsent(b('k'), b('mine'));
    await Promise.resolve();
    gated.gated = false;
    store.put(b('k'), b('theirs'));
    await store.flush();
    gated.release();
    expect(await pending).toEqual(b('theirs'));
    expect(await store.get(b('k'))).toEqual(b('theirs'));
  });

  it('fails every later call once a flush failed: its writes are lost', async () => {
    const { store, gated } = await setup();
    store.put(b('a'), b('1'));
    gated.failWrites = true;
    await expect(store.flush()).rejects.toBeInstanceOf(StoreError);
    expect(() => store.put(b('b'), b('2'))).toThrow(StoreError);
    await expect(store.flush()).rejects.toBeInstanceOf(StoreError);
  });

  it('a flush waits for a background flush and then writes what came after', async () => {
    const counters = new Counters();
    const inner = new CountingKeyValueBytesStore(new InMemoryKeyValueBytesStore('s'), counters);
    const store = new CachingKeyValueBytesStore(inner, { maxDirtyEntries: 2, readCacheEntries: 0 });
    await store.init(new TestStoreContext(await dirs.make(), null));
    for (let i = 0; i < 3; i++) store.put(b(`k${i}`), b('x')); // starts a background flush
    store.put(b('k3'), b('x'));
    await store.flush();
    expect(counters.writes).toBe(2);
    expect(counters.writtenEntries).toBe(4);
    expect(inner.approximateNumEntries()).toBe(4);
  });
});

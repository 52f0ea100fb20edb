// One contract for window stores, in-memory and RocksDB: put/fetch/fetchRange/fetchAll, retention
// by time segments, and restore from the changelog.
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentedWindowBytesStore } from '../../../../src/streams/state/internals/segmented-window-bytes-store.js';
import type { WindowBytesStoreSupplier, WindowStore, WindowStoreOptions } from '../../../../src/streams/state/index.js';
import { Stores, WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS } from '../../../../src/streams/state/index.js';
import { TempDirs, TestStoreContext, collect, utf8 } from './store-test-support.js';

const OPTIONS: WindowStoreOptions = { retentionMs: 30, segmentIntervalMs: 10 };

/** Keeps the bytes store it made, so a test can see its segments. */
function observed(supplier: WindowBytesStoreSupplier) {
  const made: SegmentedWindowBytesStore[] = [];
  const wrapped: WindowBytesStoreSupplier = {
    name: supplier.name,
    retentionMs: supplier.retentionMs,
    segmentIntervalMs: supplier.segmentIntervalMs,
    get: () => {
      const store = supplier.get();
      if (store instanceof SegmentedWindowBytesStore) made.push(store);
      return store;
    },
  };
  return { wrapped, segments: () => made.at(-1)?.segmentNames() ?? [] };
}

describe.each([
  { label: 'in-memory', persistent: false, supplier: () => Stores.inMemoryWindowStore('counts', OPTIONS) },
  { label: 'rocksdb', persistent: true, supplier: () => Stores.persistentWindowStore('counts', OPTIONS) },
])('WindowStore contract ($label)', ({ persistent, supplier }) => {
  const dirs = new TempDirs();
  const open: WindowStore<string, string>[] = [];
  let context: TestStoreContext;
  let store: WindowStore<string, string>;
  let segments: () => string[];

  async function build(ctx: TestStoreContext) {
    const made = observed(supplier());
    const s = Stores.windowStoreBuilder(made.wrapped, utf8, utf8).build();
    await s.init(ctx);
    open.push(s);
    return { store: s, segments: made.segments };
  }

  beforeEach(async () => {
    context = new TestStoreContext(await dirs.make(), 'app-counts-changelog');
    context.streamTimeMs = 0;
    ({ store, segments } = await build(context));
  });

  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await dirs.cleanup();
  });

  it('fetches one window, buffered or flushed', async () => {
    store.put('u1', 'a', 0);
    store.put('u1', 'b', 5);
    expect(await store.fetch('u1', 0)).toBe('a');
    await store.flush();
    expect(await store.fetch('u1', 5)).toBe('b');
    expect(await store.fetch('u1', 6)).toBeUndefined();
    expect(await store.fetch('u2', 0)).toBeUndefined();
    store.put('u1', 'c', 5);
    expect(await store.fetch('u1', 5)).toBe('c');
  });

  it('fetchRange returns one key’s windows in [from, to], oldest first, across segments', async () => {
    context.streamTimeMs = 25;
    for (const t of [2, 9, 10, 14, 21, 25]) store.put('u', `u@${t}`, t);
    // Keys that start with "u", and one whose bytes look like a timestamp after "u".
    for (const t of [9, 14]) store.put('uu', `uu@${t}`, t);
    store.put('u\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u000e', 'tricky', 9);
    store.put('v', 'v@14', 14);
    await store.flush();
    store.put('u', 'u@12', 12); // buffered, between flushed windows
    store.put('u', 'u@14b', 14); // buffered overwrite of a flushed window
    const range = await store.fetchRange('u', 9, 21);
    expect(range).toEqual([
      { windowStart: 9, value: 'u@9' },
      { windowStart: 10, value: 'u@10' },
      { windowStart: 12, value: 'u@12' },
      { windowStart: 14, value: 'u@14b' },
      { windowStart: 21, value: 'u@21' },
    ]);
    expect(await store.fetchRange('u', 26, 100)).toEqual([]);
    expect((await store.fetchRange('u', 0, Number.MAX_SAFE_INTEGER)).length).toBe(7);
  });

  it('fetchAll returns every key’s windows by window start, then key', async () => {
    context.streamTimeMs = 20;
    store.put('b', 'b@5', 5);
    store.put('a', 'a@5', 5);
    store.put('a', 'a@15', 15);
    await store.flush();
    store.put('c', 'c@1', 1);
    store.put('b', 'b@5x', 5);
    const all = await collect(store.fetchAll(0, 20));
    expect(all.map((e) => `${e.key}@${e.windowStart}=${e.value}`)).toEqual([
      'c@1=c@1',
      'a@5=a@5',
      'b@5=b@5x',
      'a@15=a@15',
    ]);
    expect((await collect(store.fetchAll(2, 10))).map((e) => e.key)).toEqual(['a', 'b']);
  });

  it('drops whole segments once stream time passes their retention, and never returns expired windows', async () => {
    for (const t of [1, 5, 12, 25]) store.put('k', `v${t}`, t);
    await store.flush();
    expect(segments()).toEqual(['counts.0', 'counts.10', 'counts.20']);
    if (persistent) expect((await readdir(context.stateDir)).sort()).toEqual(['counts.0', 'counts.10', 'counts.20']);

    // Stream time 40: windows starting at or before 10 are expired (retention 30).
    context.streamTimeMs = 40;
    expect(await store.fetch('k', 5)).toBeUndefined();
    expect((await store.fetchRange('k', 0, 40)).map((w) => w.windowStart)).toEqual([12, 25]);
    store.put('k', 'v38', 38);
    await store.flush();
    expect(segments()).toEqual(['counts.10', 'counts.20', 'counts.30']);
    if (persistent) expect((await readdir(context.stateDir)).sort()).toEqual(['counts.10', 'counts.20', 'counts.30']);

    context.streamTimeMs = 100;
    await store.flush();
    expect(segments()).toEqual([]);
    expect(await collect(store.fetchAll(0, 100))).toEqual([]);
    if (persistent) expect(await readdir(context.stateDir)).toEqual([]);
  });

  it('a segment dropped while it is being read goes once the read is done', async () => {
    for (const t of [1, 2, 3, 25]) store.put('k', `v${t}`, t);
    await store.flush();
    const seen: number[] = [];
    for await (const { windowStart } of store.fetchAll(0, 30)) {
      seen.push(windowStart);
      if (seen.length === 1) {
        context.streamTimeMs = 45; // segment 0 expires
        await store.flush();
        expect(segments()).toEqual(['counts.20']);
      }
    }
    // Windows that expired during the read are not handed out.
    expect(seen).toEqual([1, 25]);
    if (persistent) expect(await readdir(context.stateDir)).toEqual(['counts.20']);
  });

  it('ignores puts to windows already outside retention', async () => {
    context.streamTimeMs = 100;
    store.put('k', 'late', 70); // 70 <= 100 - 30: expired
    store.put('k', 'live', 71);
    await store.flush();
    expect(await store.fetch('k', 70)).toBeUndefined();
    expect(await store.fetch('k', 71)).toBe('live');
    expect(context.changelog.records).toHaveLength(1);
    expect(segments()).toEqual(['counts.70']);
  });

  it('logs windows with key [key][windowStart 8B] and restores a fresh store from that log', async () => {
    context.streamTimeMs = 15;
    store.put('u1', 'a', 3);
    store.put('u1', 'b', 14);
    store.put('u2', 'c', 14);
    await store.flush();
    const [first] = context.changelog.records;
    const expectedKey = Buffer.alloc(10);
    expectedKey.write('u1');
    expectedKey.writeUInt32BE(3, 6);
    expect(first?.key).toEqual(expectedKey);
    expect(first?.topic).toBe('app-counts-changelog');
    expect(first?.timestamp).toBe(15);

    const fresh = new TestStoreContext(await dirs.make(), 'app-counts-changelog');
    const restored = await build(fresh);
    await restored.store.restoreBatch(context.changelog.records);
    expect(fresh.changelog.records).toHaveLength(0);
    expect(await restored.store.fetchRange('u1', 0, 20)).toEqual([
      { windowStart: 3, value: 'a' },
      { windowStart: 14, value: 'b' },
    ]);
    expect(await restored.store.fetch('u2', 14)).toBe('c');
  });

  it('restore skips windows the changelog itself shows expired', async () => {
    const key = (k: string, t: number) => {
      const out = Buffer.alloc(k.length + 8);
      out.write(k);
      out.writeUInt32BE(t, k.length + 4);
      return out;
    };
    const fresh = new TestStoreContext(await dirs.make(), 'app-counts-changelog');
    const restored = await build(fresh);
    await restored.store.restoreBatch([
      { key: key('a', 5), value: Buffer.from('old'), timestamp: 5 },
      { key: key('a', 50), value: Buffer.from('new'), timestamp: 50 },
    ]);
    expect(await restored.store.fetch('a', 5)).toBeUndefined();
    expect(await restored.store.fetch('a', 50)).toBe('new');
    expect(restored.segments()).toEqual(['counts.50']);
  });

  it('declares a compact,delete changelog that keeps windows for at least the retention', () => {
    const builder = Stores.windowStoreBuilder(supplier(), utf8, utf8);
    expect(builder.changelogConfig).toEqual({
      'cleanup.policy': 'compact,delete',
      'retention.ms': String(30 + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS),
    });
    expect(() => builder.withLoggingEnabled({ 'retention.ms': '10' })).toThrow(RangeError);
    expect(builder.withLoggingDisabled().loggingEnabled).toBe(false);
  });
});

describe('persistent window store', () => {
  const dirs = new TempDirs();
  afterEach(() => dirs.cleanup());

  it('reopens the segments it left on disk', async () => {
    const dir = await dirs.make();
    const build = async () => {
      const ctx = new TestStoreContext(dir, 'app-counts-changelog');
      ctx.streamTimeMs = 20;
      const s = Stores.windowStoreBuilder(Stores.persistentWindowStore('counts', OPTIONS), utf8, utf8).build();
      await s.init(ctx);
      return s;
    };
    const store = await build();
    store.put('k', 'a', 4);
    store.put('k', 'b', 17);
    await store.flush();
    await store.close();
    const reopened = await build();
    expect(await reopened.fetchRange('k', 0, 20)).toEqual([
      { windowStart: 4, value: 'a' },
      { windowStart: 17, value: 'b' },
    ]);
    await reopened.close();
  });
});

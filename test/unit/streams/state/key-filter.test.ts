// The key filter: reads of never-written keys stop before the bytes store, and no written key is
// ever reported absent — after writes, restores, and reopening a RocksDB store.
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyFilterOptions, KeyValueBytesStoreSupplier, KeyValueStore } from '../../../../src/streams/state/index.js';
import { NOT_CACHED, Stores } from '../../../../src/streams/state/index.js';
import { Counters, TempDirs, TestStoreContext, collect, counting, utf8 } from './store-test-support.js';

const FILTER: KeyFilterOptions = { expectedKeys: 5_000, falsePositiveRate: 0.01 };
const FILTER_FILE = 'key-filter.bin';

const dirs = new TempDirs();
const open: KeyValueStore<string, string>[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await dirs.cleanup();
});

async function build(
  supplier: KeyValueBytesStoreSupplier,
  counters: Counters,
  context: TestStoreContext,
  filter: KeyFilterOptions = FILTER,
): Promise<KeyValueStore<string, string>> {
  const store = Stores.keyValueStoreBuilder(counting(supplier, counters), utf8, utf8)
    .withCachingDisabled()
    .withKeyFilter(filter)
    .build();
  await store.init(context);
  open.push(store);
  return store;
}

async function closeStore(store: KeyValueStore<string, string>): Promise<void> {
  await store.close();
  open.splice(open.indexOf(store), 1);
}

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe.each([
  { label: 'in-memory', supplier: () => Stores.inMemoryKeyValueStore('dedupe') },
  { label: 'rocksdb', supplier: () => Stores.persistentKeyValueStore('dedupe') },
])('key filter ($label)', ({ supplier }) => {
  it('answers reads of never-written keys without reaching the bytes store', async () => {
    const counters = new Counters();
    const store = await build(supplier(), counters, new TestStoreContext(await dirs.make(), 'c'));
    for (const key of keys('seen', 1000)) store.put(key, 'x');
    await store.flush();

    counters.getKeys = 0;
    for (const key of keys('new', 1000)) expect(await store.get(key)).toBeUndefined();
    expect(await store.getMany(keys('other', 1000))).toEqual(new Array(1000).fill(undefined));
    // Only false positives reach the store: about 1% of 2,000.
    expect(counters.getKeys).toBeLessThan(60);

    counters.getKeys = 0;
    for (const key of keys('seen', 1000)) expect(await store.get(key)).toBe('x');
    expect(counters.getKeys).toBe(1000);
  });

  it('answers never-written keys synchronously: a processor needs no read and no promise for them', async () => {
    const store = await build(supplier(), new Counters(), new TestStoreContext(await dirs.make(), 'c'));
    for (const key of keys('seen', 1000)) store.put(key, 'x');
    await store.flush();
    const answers = keys('new', 1000).map((key) => store.getIfCached(key));
    // Only false positives need a read: about 1% of 1,000.
    expect(answers.filter((a) => a === NOT_CACHED).length).toBeLessThan(30);
    expect(answers.filter((a) => a === undefined).length).toBeGreaterThan(970);
  });

  it('has no false negatives after a restore, and a deleted key reads as absent', async () => {
    const counters = new Counters();
    const records = keys('r', 2000).map((key, i) => ({
      key: Buffer.from(key),
      value: i % 10 === 0 ? null : Buffer.from(`v${i}`),
      timestamp: 1,
    }));
    const store = await build(supplier(), counters, new TestStoreContext(await dirs.make(), 'c'));
    await store.restoreBatch(records);
    const values = await store.getMany(keys('r', 2000));
    values.forEach((value, i) => expect(value).toBe(i % 10 === 0 ? undefined : `v${i}`));
    store.delete('r-1');
    await store.flush();
    expect(await store.get('r-1')).toBeUndefined();
  });
});

describe('key filter on a reopened RocksDB store', () => {
  const supplier = () => Stores.persistentKeyValueStore('dedupe');

  async function seeded(dir: string, filter: KeyFilterOptions = FILTER) {
    const counters = new Counters();
    const store = await build(supplier(), counters, new TestStoreContext(dir, 'c'), filter);
    for (const key of keys('k', 3000)) store.put(key, 'v');
    await store.flush();
    return { store, counters };
  }

  it('removes its saved file before new keys reach disk, so a crash can never leave a stale one', async () => {
    const dir = await dirs.make();
    const { store } = await seeded(dir);
    expect(await exists(join(dir, FILTER_FILE))).toBe(false);
    await closeStore(store);
    expect(await exists(join(dir, FILTER_FILE))).toBe(true);
  });

  it('saves on flush when the persist interval has passed', async () => {
    const dir = await dirs.make();
    await seeded(dir, { ...FILTER, persistIntervalMs: 0 });
    expect(await exists(join(dir, FILTER_FILE))).toBe(true);
  });

  it('keeps its data and loads the saved filter on reopen: no key scan, no false negatives', async () => {
    const dir = await dirs.make();
    const { store } = await seeded(dir);
    await closeStore(store);

    const counters = new Counters();
    const reopened = await build(supplier(), counters, new TestStoreContext(dir, 'c'));
    expect(counters.ranges).toBe(0);
    expect(reopened.approximateNumEntries()).toBeGreaterThan(0);
    const values = await reopened.getMany(keys('k', 3000));
    expect(values.every((v) => v === 'v')).toBe(true);
    counters.getKeys = 0;
    await reopened.getMany(keys('fresh', 1000));
    expect(counters.getKeys).toBeLessThan(40);
  });

  it('rebuilds from a key scan when the file is missing or was sized for other options', async () => {
    const dir = await dirs.make();
    const { store } = await seeded(dir);
    await closeStore(store);
    await rm(join(dir, FILTER_FILE));

    let counters = new Counters();
    let reopened = await build(supplier(), counters, new TestStoreContext(dir, 'c'));
    expect(counters.ranges).toBe(1);
    expect((await reopened.getMany(keys('k', 3000))).every((v) => v === 'v')).toBe(true);
    // The rebuilt filter was saved right away.
    expect(await exists(join(dir, FILTER_FILE))).toBe(true);
    await closeStore(reopened);

    counters = new Counters();
    reopened = await build(supplier(), counters, new TestStoreContext(dir, 'c'), { ...FILTER, expectedKeys: 50_000 });
    expect(counters.ranges).toBe(1);
    expect((await reopened.getMany(keys('k', 3000))).every((v) => v === 'v')).toBe(true);
  });

  it('rebuilds when the file is truncated', async () => {
    const dir = await dirs.make();
    const { store } = await seeded(dir);
    await closeStore(store);
    const { truncate } = await import('node:fs/promises');
    await truncate(join(dir, FILTER_FILE), 100);
    const counters = new Counters();
    const reopened = await build(supplier(), counters, new TestStoreContext(dir, 'c'));
    expect(counters.ranges).toBe(1);
    expect(await reopened.get('k-2999')).toBe('v');
  });
});

describe('RocksDB store files', () => {
  it('keeps its data across close and reopen, in <stateDir>/rocksdb', async () => {
    const dir = await dirs.make();
    const build2 = async () => {
      const s = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore('items'), utf8, utf8).build();
      await s.init(new TestStoreContext(dir, 'app-items-changelog'));
      open.push(s);
      return s;
    };
    const store = await build2();
    store.put('a', '1');
    store.put('b', '2');
    await store.flush();
    store.put('c', 'never flushed');
    await closeStore(store);
    expect(await readdir(dir)).toContain('rocksdb');

    const reopened = await build2();
    expect(await collect(reopened.all())).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
  });
});

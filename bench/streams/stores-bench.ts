// State store benchmark: what the typed key-value store costs through all its layers (metered →
// caching → change-logging → [key filter] → bytes store), for RocksDB and in-memory.
// Run: npx tsx bench/streams/stores-bench.ts [entries]
// Prints a markdown table. Numbers are per process on one core; the changelog sink only counts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Serde } from '../../src/streams/serde/serde.js';
import type { KeyValueBytesStoreSupplier, KeyValueStore, StateStoreContext } from '../../src/streams/state/index.js';
import { Stores } from '../../src/streams/state/index.js';

const ENTRIES = Number(process.argv[2] ?? 200_000);
const BATCH = 1_000;
const VALUE = 'x'.repeat(100);

const utf8: Serde<string> = {
  serialize: (_topic, value) => Buffer.from(value, 'utf8'),
  deserialize: (_topic, data) => data.toString('utf8'),
};

let changelogRecords = 0;

async function context(): Promise<StateStoreContext> {
  const stateDir = await mkdtemp(join(tmpdir(), 'stores-bench-'));
  return {
    applicationId: 'bench',
    taskId: '0_0',
    partition: 0,
    stateDir,
    changelogTopic: 'bench-store-changelog',
    changelog: { send: () => void changelogRecords++ },
    metrics: null,
    currentStreamTimeMs: () => 1,
  };
}

const key = (i: number) => `user-${String(i).padStart(9, '0')}`;

/** A deterministic shuffle of 0..n-1, so cold reads do not walk the keys in order. */
function shuffled(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let seed = 42;
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

async function rate(count: number, body: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await body();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

interface Row {
  readonly name: string;
  readonly values: number[];
}

async function measure(supplier: () => KeyValueBytesStoreSupplier): Promise<number[]> {
  const dirs: string[] = [];
  const open = async (configure: (b: ReturnType<typeof builder>) => void) => {
    const b = builder();
    configure(b);
    const store = b.build();
    const ctx = await context();
    dirs.push(ctx.stateDir);
    await store.init(ctx);
    return store;
  };
  const builder = () => Stores.keyValueStoreBuilder(supplier(), utf8, utf8);
  const order = shuffled(ENTRIES);
  const results: number[] = [];

  // 1. Puts, flushed every BATCH puts: one write batch + BATCH changelog records per flush.
  const uncached = await open((b) => b.withCachingDisabled());
  results.push(
    await rate(ENTRIES, async () => {
      for (let i = 0; i < ENTRIES; i++) {
        uncached.put(key(i), VALUE);
        if ((i + 1) % BATCH === 0) await uncached.flush();
      }
      await uncached.flush();
    }),
  );

  // 2. Cached gets: 10,000 hot keys in the read cache, awaited one at a time.
  const cached = await open((b) => b.withCachingEnabled({ readCacheEntries: 10_000 }));
  for (let i = 0; i < ENTRIES; i++) {
    cached.put(key(i), VALUE);
    if ((i + 1) % BATCH === 0) await cached.flush();
  }
  for (let i = 0; i < 10_000; i++) await cached.get(key(order[i] as number));
  results.push(
    await rate(ENTRIES, async () => {
      for (let i = 0; i < ENTRIES; i++) await cached.get(key(order[i % 10_000] as number));
    }),
  );

  // 3. Cold gets (no read cache), awaited one at a time.
  const coldCount = Math.min(ENTRIES, 50_000);
  results.push(
    await rate(coldCount, async () => {
      for (let i = 0; i < coldCount; i++) await uncached.get(key(order[i] as number));
    }),
  );

  // 4. getMany: BATCH keys per call, counted in keys.
  results.push(
    await rate(ENTRIES, async () => {
      for (let i = 0; i < ENTRIES; i += BATCH) {
        await uncached.getMany(order.slice(i, i + BATCH).map(key));
      }
    }),
  );

  // 5. Negative lookups (keys never written), awaited one at a time: without and with the filter.
  results.push(
    await rate(coldCount, async () => {
      for (let i = 0; i < coldCount; i++) await uncached.get(`new-${i}`);
    }),
  );
  const filtered = await open((b) =>
    b.withCachingDisabled().withKeyFilter({ expectedKeys: ENTRIES * 2, falsePositiveRate: 0.01 }),
  );
  for (let i = 0; i < ENTRIES; i++) {
    filtered.put(key(i), VALUE);
    if ((i + 1) % BATCH === 0) await filtered.flush();
  }
  await filtered.flush();
  results.push(
    await rate(ENTRIES, async () => {
      for (let i = 0; i < ENTRIES; i++) await filtered.get(`new-${i}`);
    }),
  );

  // 6. A full scan.
  results.push(
    await rate(ENTRIES, async () => {
      let n = 0;
      for await (const _ of uncached.all()) n++;
      if (n !== ENTRIES) throw new Error(`scan saw ${n} of ${ENTRIES}`);
    }),
  );

  for (const store of [uncached, cached, filtered] as KeyValueStore<string, string>[]) await store.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  return results;
}

const NAMES = [
  `put, flush every ${BATCH} (puts/s)`,
  'get, read-cache hit (gets/s)',
  'get, cold, awaited one at a time (gets/s)',
  `getMany, ${BATCH} keys per call (keys/s)`,
  'get of a never-written key, no filter (gets/s)',
  'get of a never-written key, key filter (gets/s)',
  'full scan, all() (entries/s)',
];

const rocks = await measure(() => Stores.persistentKeyValueStore('store'));
const memory = await measure(() => Stores.inMemoryKeyValueStore('store'));
const rows: Row[] = NAMES.map((name, i) => ({ name, values: [rocks[i] ?? 0, memory[i] ?? 0] }));

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`\nKey-value store, ${ENTRIES.toLocaleString('en-US')} entries of ${VALUE.length}-byte values, ` +
  `Node ${process.version}, logging on (${changelogRecords.toLocaleString('en-US')} changelog records sent)\n`);
console.log('| operation | RocksDB | in-memory |');
console.log('|---|---:|---:|');
for (const row of rows) console.log(`| ${row.name} | ${row.values.map(fmt).join(' | ')} |`);

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RocksDbOptions } from '../../../../../src/streams/state/rocksdb-config.js';
import { MIN_ROCKSDB_SHARE_BYTES, RocksDbMemoryBudget, rocksDbOptionsForShare } from '../../../../../src/streams/state/internals/rocksdb-memory-budget.js';
import { RocksDbKeyValueBytesStore } from '../../../../../src/streams/state/internals/rocksdb-key-value-bytes-store.js';
import { RocksDbDatabase } from '../../../../../src/streams/state/internals/rocksdb-database.js';
import { TestStoreContext } from '../store-test-support.js';

const MIB = 1024 * 1024;

function budget(totalBytes: number, setter: ((name: string, o: RocksDbOptions) => RocksDbOptions) | null = null): RocksDbMemoryBudget {
  return new RocksDbMemoryBudget({ totalBytes, writeBufferRatio: 0.5, configSetter: setter });
}

describe('rocksDbOptionsForShare', () => {
  it('gives the memtable ratio to two memtables and the rest to the block cache', () => {
    expect(rocksDbOptionsForShare(8 * MIB, 0.5)).toEqual({ writeBufferSize: 2 * MIB, cacheSize: 4 * MIB });
    expect(rocksDbOptionsForShare(8 * MIB, 0.75)).toEqual({ writeBufferSize: 3 * MIB, cacheSize: 2 * MIB });
  });

  it('never passes the binding more than an unsigned 32-bit integer', () => {
    const o = rocksDbOptionsForShare(64 * 1024 * MIB, 0.5);
    expect(o.cacheSize).toBe(0xffff_ffff);
    expect(o.writeBufferSize).toBe(0xffff_ffff);
  });
});

describe('RocksDbMemoryBudget', () => {
  it('divides the total by the expected instances', () => {
    const b = budget(84 * MIB);
    b.expectInstances(42);
    const shares = Array.from({ length: 42 }, (_, i) => b.acquire(`s${i}`));
    expect(new Set(shares.map((s) => s.bytes))).toEqual(new Set([2 * MIB]));
    expect(shares[0]!.options).toEqual({ writeBufferSize: 512 * 1024, cacheSize: MIB });
    expect(b.allocatedBytes).toBe(84 * MIB);
  });

  it('stays within the total past the expected count, except for the minimum share', () => {
    const b = budget(10 * MIB);
    b.expectInstances(2);
    expect(b.acquire('a').bytes).toBe(5 * MIB);
    expect(b.acquire('b').bytes).toBe(5 * MIB);
    // Over the expected count: a third of the total would exceed it, so only the minimum.
    expect(b.acquire('c').bytes).toBe(MIN_ROCKSDB_SHARE_BYTES);
  });

  it('without an expected count, shares by the instances open so far and what is left', () => {
    const b = budget(12 * MIB);
    expect(b.acquire('a').bytes).toBe(12 * MIB);
    expect(b.acquire('b').bytes).toBe(MIN_ROCKSDB_SHARE_BYTES);
  });

  it('takes a share back once, when released', () => {
    const b = budget(8 * MIB);
    b.expectInstances(2);
    const a = b.acquire('a');
    b.acquire('b');
    a.release();
    a.release();
    expect(b.allocatedBytes).toBe(4 * MIB);
    expect(b.instances).toBe(1);
    expect(b.acquire('c').bytes).toBe(4 * MIB);
  });

  it('lets the config setter see and change the options of each store', () => {
    const seen: string[] = [];
    const b = budget(8 * MIB, (name, o) => {
      seen.push(name);
      return name === 'big' ? { ...o, cacheSize: 64 * MIB, blockSize: 16 * 1024 } : o;
    });
    b.expectInstances(2);
    expect(b.acquire('small').options).toEqual({ writeBufferSize: MIB, cacheSize: 2 * MIB });
    const big = b.acquire('big');
    expect(big.options).toEqual({ writeBufferSize: MIB, cacheSize: 64 * MIB, blockSize: 16 * 1024 });
    // The budget counts what it chose, not what the setter returned.
    expect(big.bytes).toBe(4 * MIB);
    expect(seen).toEqual(['small', 'big']);
  });
});

describe('RocksDbKeyValueBytesStore with a memory budget', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function context(b: RocksDbMemoryBudget): Promise<TestStoreContext> {
    const dir = await mkdtemp(join(tmpdir(), 'rocksdb-budget-'));
    dirs.push(dir);
    return Object.assign(new TestStoreContext(dir, null), { rocksDbMemory: b });
  }

  it('opens with its share, gives it back on close, and explicit options win', async () => {
    const b = budget(16 * MIB);
    b.expectInstances(2);
    const plain = new RocksDbKeyValueBytesStore('plain');
    const tuned = new RocksDbKeyValueBytesStore('tuned', { blockSize: 8192, cacheSize: 0 });
    await plain.init(await context(b));
    await tuned.init(await context(b));
    expect(plain.openOptions()).toEqual({ writeBufferSize: 2 * MIB, cacheSize: 4 * MIB });
    expect(tuned.openOptions()).toEqual({ writeBufferSize: 2 * MIB, cacheSize: 0, blockSize: 8192 });
    expect(b.allocatedBytes).toBe(16 * MIB);
    await plain.write([[Buffer.from('k'), Buffer.from('v')]]);
    expect(await plain.get(Buffer.from('k'))).toEqual(Buffer.from('v'));
    expect(RocksDbDatabase.memoryUsage().instances).toBeGreaterThanOrEqual(2);
    // What RocksDB itself reports: the binding honoured the chosen cache size.
    const probe = await RocksDbDatabase.open(join((await context(b)).stateDir, 'probe'), plain.openOptions()!);
    expect(probe.numericProperty('rocksdb.block-cache-capacity')).toBe(4 * MIB);
    await probe.close();
    await plain.close();
    await tuned.close();
    expect(b.allocatedBytes).toBe(0);
    expect(b.instances).toBe(0);
  });
});

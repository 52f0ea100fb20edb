import { afterEach, describe, expect, it } from 'vitest';
import { dedupeKeyOf } from '../../../../src/notify/operators/intake-envelope.js';
import { STORE_NAMES } from '../../../../src/notify/operators/store-names.js';
import { MIN_SLICE, StoreSweeper } from '../../../../src/notify/operators/store-sweeper.js';
import { Harness, request } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const H = 3_600_000;

describe('store expiry', () => {
  it('deletes dedupe sightings older than the retention by stream time, and only those', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [];
      c.dedupe.retention = H;
      c.housekeeping.pass = c.housekeeping.interval; // each run scans the whole (small) store
    });
    const old = request({ recipient: { userId: 'u1', phone: '+8613800138000' } });
    await h.send(old);
    await h.driver.advanceWallClockTime(H / 2);
    const recent = request({ recipient: { userId: 'u2', phone: '+8613800138001' } });
    await h.send(recent);
    await h.driver.advanceWallClockTime(H / 2 + 1_000);
    await h.send(request({ recipient: { userId: 'u3', phone: '+8613800138002' } })); // moves stream time
    await h.tick(1_000);
    await h.driver.commit();
    const deleted = h.deletedKeys(STORE_NAMES.dedupe);
    expect(deleted).toContain(dedupeKeyOf(old));
    expect(deleted).not.toContain(dedupeKeyOf(recent));
  });

  it('deletes ledger entries after the ledger retention and fatigue scopes once out of every window', async () => {
    h = new Harness((c) => {
      c.ledger.retention = H;
      c.housekeeping.pass = c.housekeeping.interval;
      c.fatigue.rules = [{ name: 'hourly', scope: 'user', window: H, cap: 5, categories: undefined, bucket: undefined }];
    });
    const r = request();
    await h.send(r);
    await h.tick();
    await h.driver.commit();
    expect(h.deletedKeys(STORE_NAMES.ledger)).toEqual([]);
    await h.driver.advanceWallClockTime(H + 2_000);
    await h.driver.commit();
    expect(h.deletedKeys(STORE_NAMES.ledger)).toEqual([r.messageId]);
    expect(h.deletedKeys(STORE_NAMES.fatigue)).toEqual(['u1']);
  });
});

describe('StoreSweeper', () => {
  it('walks the store in slices of maxScan and wraps around', async () => {
    const data = new Map<string, number>(Array.from({ length: 7 }, (_, i) => [`k${i}`, i]));
    const store = {
      async *range(from: string | null) {
        for (const key of [...data.keys()].sort()) if (from === null || key >= from) yield { key, value: data.get(key)! };
      },
      delete(key: string) {
        data.delete(key);
      },
    };
    const sweeper = new StoreSweeper<number>(store as never, { maxScan: 3, isExpired: (_k, v) => v % 2 === 0 });
    expect(await sweeper.sweep(0)).toEqual({ scanned: 3, deleted: 2, wrapped: false });
    expect(await sweeper.sweep(0)).toEqual({ scanned: 3, deleted: 1, wrapped: false });
    expect(await sweeper.sweep(0)).toEqual({ scanned: 1, deleted: 1, wrapped: true });
    expect([...data.keys()]).toEqual(['k1', 'k3', 'k5']);
    expect(await sweeper.sweep(0)).toEqual({ scanned: 3, deleted: 0, wrapped: false });
  });

  it('sizes a slice so that one pass over the store takes `passMs`, capped by maxScan', async () => {
    const data = new Map<string, number>(Array.from({ length: 720_000 }, (_, i) => [`k${String(i).padStart(6, '0')}`, i]));
    const store = {
      async *range(from: string | null) {
        for (const key of [...data.keys()].sort()) if (from === null || key >= from) yield { key, value: data.get(key)! };
      },
      delete(key: string) {
        data.delete(key);
      },
      approximateNumEntries: () => data.size,
    };
    const hourly = new StoreSweeper<number>(store as never, { maxScan: 2_000, intervalMs: 1_000, passMs: 3_600_000, isExpired: () => false });
    expect((await hourly.sweep(0)).scanned).toBe(200); // 720,000 entries over 3,600 runs
    const eager = new StoreSweeper<number>(store as never, { maxScan: 2_000, intervalMs: 1_000, passMs: 60_000, isExpired: () => false });
    expect((await eager.sweep(0)).scanned).toBe(2_000); // would be 12,000: capped
    for (const key of [...data.keys()].slice(7_200)) data.delete(key);
    expect((await hourly.sweep(0)).scanned).toBe(MIN_SLICE); // would be 2
    data.clear();
    expect(await hourly.sweep(0)).toEqual({ scanned: 0, deleted: 0, wrapped: true });
  });
});

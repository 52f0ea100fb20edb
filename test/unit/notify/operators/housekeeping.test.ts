import { afterEach, describe, expect, it } from 'vitest';
import { dedupeKeyOf } from '../../../../src/notify/operators/intake-envelope.js';
import { STORE_NAMES } from '../../../../src/notify/operators/store-names.js';
import { StoreSweeper } from '../../../../src/notify/operators/store-sweeper.js';
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
});

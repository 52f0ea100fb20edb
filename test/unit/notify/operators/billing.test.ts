import { afterEach, describe, expect, it } from 'vitest';
import { bufferSerde } from '../../../../src/streams/index.js';
import { Harness, NOON_SHANGHAI, request } from './harness.js';

const H = 3_600_000;
let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('billing', () => {
  it('emits one window per businessUnit × channel × provider once stream time passes its end plus grace', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [];
    });
    h.sender.behaviour = (m) => (m.recipient.userId === 'u-bad' ? 'PERMANENT_ERROR' : 'ACCEPTED');
    await h.send(request());
    await h.send(request({ recipient: { userId: 'u2', phone: '+8613800138001' } }));
    await h.send(request({ businessUnit: 'bank', recipient: { userId: 'u3', phone: '+8613800138002' } }));
    await h.send(request({ recipient: { userId: 'u-bad', phone: '+8613800138003' } }));
    await h.tick();
    expect(h.billing.isEmpty()).toBe(true); // the window (12:00–13:00 local) is still open

    // Feedback an hour and a grace period later moves the billing task's stream time past it.
    await h.driver.advanceWallClockTime(H + 60_000);
    await h.send(request({ recipient: { userId: 'u9', phone: '+8613800138009' } }));
    await h.tick();
    const windows = h.billing.readValuesToList();
    const windowStart = NOON_SHANGHAI - (NOON_SHANGHAI % H);
    expect(windows).toHaveLength(3);
    const shop = windows.find((w) => w?.businessUnit === 'shop' && w.provider === 'sms-fake');
    expect(shop).toMatchObject({ channel: 'SMS', windowStart, windowEnd: windowStart + H, sent: 2, failed: 0, billableUnits: 4, cost: 0.18, currency: 'CNY' });
    expect(windows.find((w) => w?.provider === 'strict')).toMatchObject({ businessUnit: 'shop', sent: 0, failed: 1, cost: 0 });
    expect(windows.find((w) => w?.businessUnit === 'bank')).toMatchObject({ sent: 1, billableUnits: 2 });
  });

  it('counts every record of a window across commits, writing each window once per commit', async () => {
    h = new Harness((c) => {
      c.fatigue.rules = [];
    });
    for (let i = 0; i < 5; i++) await h.send(request({ messageId: `m${i}`, recipient: { userId: `u${i}`, phone: '+8613800138000' } }));
    await h.tick();
    await h.driver.commit();
    const changelog = h.driver.createOutputTopic('test-driver-billing-windows-changelog', bufferSerde, bufferSerde).readValuesToList();
    expect(changelog).toHaveLength(1); // five SENT records, one window, one write
    expect(JSON.parse(changelog[0]!.toString())).toMatchObject({ businessUnit: 'shop', channel: 'SMS', sent: 5, billableUnits: 10 });

    // The next commit's records add to what the store holds.
    await h.send(request({ messageId: 'm5', recipient: { userId: 'u5', phone: '+8613800138000' } }));
    await h.tick();
    await h.driver.commit();
    const next = h.driver.createOutputTopic('test-driver-billing-windows-changelog', bufferSerde, bufferSerde).readValuesToList();
    expect(JSON.parse(next.at(-1)!.toString())).toMatchObject({ sent: 6, billableUnits: 12 });
  });

  it('does not count intake outcomes or late revokes', async () => {
    h = new Harness();
    await h.send(request({ templateId: 'nope' }));
    await h.revoke('unknown');
    await h.driver.advanceWallClockTime(3 * H);
    await h.send(request({ templateId: 'nope' }));
    expect(h.billing.isEmpty()).toBe(true);
  });
});

/**
 * The channel sink never calls a provider before the intent to send is durable (committed to
 * the send-intents store's changelog), and a task that starts on intents without outcomes —
 * sends a crash left uncertain — follows each category's onUncertainSend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LaneRecord, NotificationRequest } from '../../../../src/notify/generated/schema-types.js';
import { STORE_NAMES } from '../../../../src/notify/operators/store-names.js';
import { Harness, request } from './harness.js';

const dirs: string[] = [];
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function harness(stateDir?: string): Harness {
  const h = new Harness(undefined, undefined, stateDir ? { stateDir } : {});
  harnesses.push(h);
  return h;
}

function lane(req: NotificationRequest, now: number): LaneRecord {
  return { request: req, lane: req.category === 'MARKETING' ? 'BULK' : 'NORMAL', dueAt: now, attempt: 1, routedAt: now, deferReason: null, lastError: null };
}

describe('send intents', () => {
  it('writes each intent to the changelog before the provider is called, and deletes it with the outcome', async () => {
    const h = harness();
    const changelog = `test-driver-${STORE_NAMES.sendIntents}-changelog`;
    const durableAtSend: boolean[] = [];
    h.sender.behaviour = (m) => {
      const logged = h.driver.producedRecords(changelog).some((r) => r.value !== null && (JSON.parse(r.value.toString()) as LaneRecord[]).some((l) => l.request.messageId === m.messageId));
      durableAtSend.push(logged);
      return 'ACCEPTED';
    };
    const reqs = [request({ recipient: { userId: 'u1', phone: '+8613800138000' } }), request({ recipient: { userId: 'u2', phone: '+8613800138001' } })];
    for (const r of reqs) await h.send(r);
    await h.tick();
    expect(h.sender.sentIds().sort()).toEqual(reqs.map((r) => r.messageId).sort());
    expect(durableAtSend).toEqual([true, true]);
    for (const r of reqs) expect(h.statusesOf(r.messageId).at(-1)).toBe('SENT');
    await h.driver.commit();
    const written = h.driver.producedRecords(changelog).filter((r) => r.value !== null).map((r) => r.key!.toString());
    expect(written.length).toBeGreaterThan(0);
    expect(h.deletedKeys(STORE_NAMES.sendIntents).sort()).toEqual([...new Set(written)].sort());
  });

  it('after a crash, resends uncertain NOTIFICATION and VERIFICATION sends and reports uncertain MARKETING ones sent without sending', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'send-intents-'));
    dirs.push(dir);
    const before = harness(dir);
    await before.driver.readyForUse();
    const now = before.now();
    const notice = request({ category: 'NOTIFICATION' });
    const code = request({ category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: '123456', minutes: '5' }, recipient: { userId: 'u3', phone: '+8613800138003' } });
    const promo = request({ category: 'MARKETING', channel: 'SMS', templateId: 'promo', templateParams: { text: 'sale' }, recipient: { userId: 'u4', phone: '+8613800138004' } });
    // What a task that crashed after committing its intents, before their outcomes, leaves.
    const intents = before.driver.getKeyValueStore<string, LaneRecord[]>(STORE_NAMES.sendIntents);
    intents.put(notice.messageId, [lane(notice, now), lane(code, now)]);
    intents.put(promo.messageId, [lane(promo, now)]);
    await before.driver.commit();
    await before.close();
    harnesses.splice(0);

    const after = harness(dir);
    await after.tick();
    expect(after.sender.sentIds().sort()).toEqual([notice.messageId, code.messageId].sort());
    expect(after.statusesOf(notice.messageId)).toEqual(['RETRYING', 'SENT']);
    expect(after.statusesOf(code.messageId)).toEqual(['RETRYING', 'SENT']);
    expect(after.statusesOf(promo.messageId)).toEqual(['SENT']);
    expect(after.feedbackOf(promo.messageId)[0]!.reason).toBe('uncertain:assumed-sent');
    expect(after.feedbackOf(code.messageId)[0]!.reason).toBe('uncertain:resent');
    await after.driver.commit();
    const left: string[] = [];
    for await (const kv of after.driver.getKeyValueStore<string, LaneRecord[]>(STORE_NAMES.sendIntents).all()) left.push(kv.key);
    expect(left).toEqual([]);
  });
});

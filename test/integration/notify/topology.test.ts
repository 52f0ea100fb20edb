/**
 * The whole notification topology on the real broker (issue 3, "what must be shown"): 10,000
 * request records — 5% duplicates, 10% over a fatigue cap, 5% scheduled 2–5 s ahead, 1% revoked,
 * 1% invalid, 0.5% undecodable, 0.5% refused by the provider — through KafkaStreams with RocksDB
 * stores, the channel router with `log` providers behind a recording sender.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { BillingWindow, DeliveryFeedback, NotificationRequest, RevokeCommand } from '../../../src/notify/generated/schema-types.js';
import { DEAD_LETTER_HEADERS } from '../../../src/streams/runtime/exception-handlers.js';
import { produce, readTopic, type TestRecord } from '../../support/kafka.js';
import { avro, CHANNELS, createConfiguredTopics, isTerminal, notificationRequest, RecordingSender, startTopology, uniqueConfig, type RunningTopology } from './support/notify-fixture.js';

const requestSerde = avro<NotificationRequest>('NotificationRequest');
const commandSerde = avro<RevokeCommand>('RevokeCommand');
const feedbackSerde = avro<DeliveryFeedback>('DeliveryFeedback');
const billingSerde = avro<BillingWindow>('BillingWindow');

type Expected = 'SENT' | 'DUPLICATE' | 'SUPPRESSED' | 'REVOKED' | 'REJECTED' | 'FAILED';

/** The workload: what is produced and what each messageId must end as. */
function workload(now: number): {
  requests: { userId: string; request: NotificationRequest }[];
  undecodable: TestRecord[];
  revokes: RevokeCommand[];
  expected: Map<string, Expected>;
  scheduled: Map<string, number>;
} {
  const requests: { userId: string; request: NotificationRequest }[] = [];
  const expected = new Map<string, Expected>();
  const scheduled = new Map<string, number>();
  const revokes: RevokeCommand[] = [];
  let n = 0;
  const add = (r: NotificationRequest, outcome: Expected): void => {
    requests.push({ userId: r.recipient.userId, request: r });
    expected.set(r.messageId, outcome);
  };
  const channel = (i: number): (typeof CHANNELS)[number] => CHANNELS[i % CHANNELS.length]!;

  // First (so that intake sees them well before they are due): 500 scheduled 2–5 s ahead, 100
  // scheduled 7–8 s ahead and revoked.
  for (let i = 0; i < 500; i++, n++) {
    const sendAt = now + 2_000 + Math.floor((3_000 * i) / 500);
    const r = notificationRequest(`m-${n}`, `s-${n}`, channel(i), n, { sendAt });
    scheduled.set(r.messageId, sendAt);
    add(r, 'SENT');
  }
  for (let i = 0; i < 100; i++, n++) {
    const r = notificationRequest(`m-${n}`, `r-${n}`, channel(i), n, { sendAt: now + 7_000 + i * 10 });
    add(r, 'REVOKED');
    revokes.push({ messageId: r.messageId, userId: r.recipient.userId, businessUnit: 'shop', reason: 'order-cancelled', issuedAt: now });
  }
  // 6,700 plain sends, the first 500 of which are sent a second time under a new messageId
  // with the same dedupe key (a producer retry): 500 duplicates.
  const plain: NotificationRequest[] = [];
  for (let i = 0; i < 6_700; i++, n++) {
    const r = notificationRequest(`m-${n}`, `u-${n}`, channel(i), n, { dedupeKey: `order-${n}` });
    plain.push(r);
    add(r, 'SENT');
  }
  // 1,000 marketing users get their one allowed promo, then a second one: 1,000 suppressed.
  const firsts: NotificationRequest[] = [];
  for (let i = 0; i < 1_000; i++, n++) {
    const r = notificationRequest(`m-${n}`, `f-${i}`, i % 2 === 0 ? 'PUSH' : 'WECHAT', n, {
      category: 'MARKETING',
      scenario: 'promo',
      templateId: 'promo',
      templateParams: { title: 'Sale', text: `Sale ${i}` },
      locale: 'zh-CN',
    });
    firsts.push(r);
    add(r, 'SENT');
  }
  // 50 refused by the provider.
  for (let i = 0; i < 50; i++, n++) add(notificationRequest(`m-${n}`, `x-${n}`, channel(i), n, { tags: { fail: 'permanent' } }), 'FAILED');
  // 100 invalid: a bad phone number, an unknown template, a missing parameter, a bad e-mail.
  for (let i = 0; i < 100; i++, n++) {
    const bad: Partial<NotificationRequest>[] = [
      { recipient: { userId: `i-${n}`, phone: '12345' } },
      { templateId: 'no-such-template' },
      { templateParams: {} },
      { channel: 'EMAIL', locale: 'en-US', recipient: { userId: `i-${n}`, email: 'not-an-address' } },
    ];
    add(notificationRequest(`m-${n}`, `i-${n}`, 'SMS', n, bad[i % bad.length]), 'REJECTED');
  }
  for (let i = 0; i < 500; i++, n++) add({ ...plain[i]!, messageId: `m-${n}` }, 'DUPLICATE');
  for (let i = 0; i < 1_000; i++, n++) add({ ...firsts[i]!, messageId: `m-${n}`, dedupeKey: `promo-again-${n}` }, 'SUPPRESSED');

  // 50 undecodable: random bytes, and Avro framing around a truncated body.
  const undecodable: TestRecord[] = [];
  const valid = requestSerde.serialize('t', plain[0]!, {});
  for (let i = 0; i < 50; i++) {
    const value = i % 2 === 0 ? Buffer.from(`not avro ${i}`) : Buffer.from(valid.subarray(0, 10 + i));
    undecodable.push({ key: `bad-${i}`, value });
  }
  return { requests, undecodable, revokes, expected, scheduled };
}

let running: RunningTopology | undefined;
afterAll(async () => {
  await running?.close();
});

describe('notification topology on the real broker', () => {
  it('gives 10,000 requests exactly one terminal status each, sends each at most once and on time, bills what was sent', { timeout: 120_000 }, async () => {
    const config = uniqueConfig('nt', 3, (c) => {
      c.fatigue.rules = [{ name: 'promo-daily', scope: 'user+scenario', window: 86_400_000, cap: 1, categories: ['MARKETING'], bucket: undefined }];
      c.billing.window = 2_000;
      c.billing.grace = 1_000;
    });
    await createConfiguredTopics(config);
    const router = await createChannelRouter(config.channels);
    const sender = new RecordingSender(router);
    running = await startTopology(config, sender, { maxPollRecords: 500, bufferedRecordsPerPartition: 1000 });

    // Warm-up (first RocksDB writes, first produces to each changelog, JIT): the timing checks
    // below are about a running pod, not one that has not yet processed anything.
    const warmUp = Array.from({ length: 300 }, (_, i) => notificationRequest(`w-${i}`, `w-${i}`, CHANNELS[i % CHANNELS.length]!, 90_000 + i));
    await produce(config.topics.requests.name, warmUp.map((r) => ({ key: r.recipient.userId, value: requestSerde.serialize(config.topics.requests.name, r, {}) })));
    await readTopic(config.topics.feedback.name, (rs) => rs.length >= warmUp.length, 30_000);

    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const started = Date.now();
    const w = workload(started);
    expect(w.requests.length + w.undecodable.length).toBe(10_000);
    // Interleave undecodable records with the valid ones (every 199th record).
    const records: TestRecord[] = [];
    let bad = 0;
    w.requests.forEach(({ userId, request }, i) => {
      if (i % 199 === 0 && bad < w.undecodable.length) records.push(w.undecodable[bad++]!);
      records.push({ key: userId, value: requestSerde.serialize(config.topics.requests.name, request, {}) });
    });
    while (bad < w.undecodable.length) records.push(w.undecodable[bad++]!);
    await produce(config.topics.requests.name, records);
    await produce(config.topics.commands.name, w.revokes.map((c) => ({ key: c.userId, value: commandSerde.serialize(config.topics.commands.name, c, {}) })));

    // Every messageId reaches a terminal status.
    const terminalIds = new Set<string>();
    const decodeFeedback = (raw: Buffer): DeliveryFeedback => feedbackSerde.deserialize(config.topics.feedback.name, raw, {});
    let seen = 0;
    await readTopic(
      config.topics.feedback.name,
      (rs) => {
        for (; seen < rs.length; seen++) {
          const f = decodeFeedback(rs[seen]!.value!);
          if (isTerminal(f)) terminalIds.add(f.messageId);
        }
        return terminalIds.size >= w.expected.size + warmUp.length;
      },
      60_000,
    );
    expect(terminalIds.size).toBe(w.expected.size + warmUp.length);

    // Billing windows close (short windows, closed by stream time or after a grace period of quiet).
    const expectedSent = [...w.expected.values()].filter((s) => s === 'SENT').length;
    const expectedFailed = [...w.expected.values()].filter((s) => s === 'FAILED').length;
    const sum = (ws: BillingWindow[], f: (b: BillingWindow) => number): number => ws.reduce((a, b) => a + f(b), 0);
    const billingRecords = await readTopic(
      config.topics.billing.name,
      (rs) => {
        const ws = rs.map((r) => billingSerde.deserialize(config.topics.billing.name, r.value!, {}));
        return sum(ws, (b) => b.sent) >= expectedSent + warmUp.length && sum(ws, (b) => b.failed) >= expectedFailed;
      },
      20_000,
    );
    const windows = billingRecords.map((r) => billingSerde.deserialize(config.topics.billing.name, r.value!, {}));

    // Everything on the feedback topic, now that the topology is quiet.
    const all = (await readTopic(config.topics.feedback.name, () => false, 3_000)).map((r) => ({ key: r.key, f: decodeFeedback(r.value!) }));
    const everyTerminal = all.filter(({ f }) => isTerminal(f));
    const terminal = everyTerminal.filter(({ f }) => w.expected.has(f.messageId));
    expect(everyTerminal.length - terminal.length).toBe(warmUp.length);

    // Exactly one terminal status per messageId, and the one expected.
    const byId = new Map<string, DeliveryFeedback[]>();
    for (const { key, f } of terminal) {
      expect(key).toBe(f.messageId);
      byId.set(f.messageId, [...(byId.get(f.messageId) ?? []), f]);
    }
    expect(byId.size).toBe(w.expected.size);
    const wrong: string[] = [];
    for (const [id, outcome] of w.expected) {
      const got = byId.get(id) ?? [];
      if (got.length !== 1 || got[0]!.status !== outcome) wrong.push(`${id}: expected ${outcome}, got ${got.map((f) => `${f.status}(${f.reason})`).join(',')}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    const counts = (xs: readonly string[]): Record<string, number> => xs.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    expect(counts(terminal.map(({ f }) => f.status))).toEqual(counts([...w.expected.values()]));
    expect(counts(terminal.map(({ f }) => f.status))).toEqual({ SENT: 8_200, DUPLICATE: 500, SUPPRESSED: 1_000, REVOKED: 100, REJECTED: 100, FAILED: 50 });
    const scheduledIds = new Set(all.filter(({ f }) => f.status === 'SCHEDULED').map(({ f }) => f.messageId));
    const unscheduled = [...w.scheduled.keys()].filter((id) => !scheduledIds.has(id));
    if (unscheduled.length > 0) {
      const sentAt = new Map(terminal.map(({ f }) => [f.messageId, f.emittedAt]));
      console.log(`not scheduled: ${unscheduled.length}`, unscheduled.slice(0, 5).map((id) => `${id} due +${w.scheduled.get(id)! - started} sent +${sentAt.get(id)! - started}`));
    }
    expect(scheduledIds.size).toBe(600);

    // No message reached the provider twice; exactly the SENT and FAILED ones reached it.
    const sendCounts = sender.countsById();
    for (const r of warmUp) sendCounts.delete(r.messageId);
    expect([...sendCounts.values()].filter((c) => c > 1)).toEqual([]);
    expect(sendCounts.size).toBe(expectedSent + expectedFailed);
    for (const [id] of sendCounts) expect(['SENT', 'FAILED']).toContain(w.expected.get(id));

    // Scheduled messages went out no earlier than sendAt and at most 1 s after it.
    const late = sender.sends.filter((s) => w.scheduled.has(s.messageId) && s.at - w.scheduled.get(s.messageId)! > 1_000);
    if (late.length > 0) {
      // Diagnostics for a late send: when intake scheduled it, when it was due, when it went out (ms after start).
      const intakeAt = (id: string): number => all.find(({ f }) => f.messageId === id && f.status === 'SCHEDULED')?.f.emittedAt ?? Number.NaN;
      console.log(`late sends: ${late.length}; event loop delay max ${(loopDelay.max / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms`, late.slice(0, 5).map((s) => `${s.messageId} intake +${intakeAt(s.messageId) - started} due +${w.scheduled.get(s.messageId)! - started} sent +${s.at - started}`));
    }
    const lateness = sender.sends.filter((s) => w.scheduled.has(s.messageId)).map((s) => s.at - w.scheduled.get(s.messageId)!);
    expect(lateness).toHaveLength(500);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(1_000);

    // Billing totals equal the SENT and FAILED counts of the feedback (warm-up included).
    expect(sum(windows, (b) => b.sent)).toBe(everyTerminal.filter(({ f }) => f.status === 'SENT').length);
    expect(sum(windows, (b) => b.failed)).toBe(everyTerminal.filter(({ f }) => f.status === 'FAILED').length);
    expect(sum(windows, (b) => b.billableUnits)).toBe(everyTerminal.reduce((a, { f }) => a + (f.billableUnits ?? 0), 0));

    // Every undecodable record is in the DLQ with its reason.
    const dead = await readTopic(config.topics.dlq.name, (rs) => rs.length >= w.undecodable.length, 10_000);
    expect(dead).toHaveLength(w.undecodable.length);
    expect(new Set(dead.map((d) => d.key))).toEqual(new Set(w.undecodable.map((u) => u.key as string)));
    for (const d of dead) {
      expect(d.headers[DEAD_LETTER_HEADERS.stage]!.toString()).toBe('deserialize');
      expect(d.headers[DEAD_LETTER_HEADERS.topic]!.toString()).toBe(config.topics.requests.name);
      expect(d.headers[DEAD_LETTER_HEADERS.error]!.toString().length).toBeGreaterThan(0);
    }
    const original = new Map(w.undecodable.map((u) => [u.key as string, u.value as Buffer]));
    for (const d of dead) expect(d.value).toEqual(original.get(d.key!));

    await router.close();
    console.log(`topology integration: ${w.expected.size} messages in ${Date.now() - started} ms; scheduled lateness ${Math.min(...lateness)}–${Math.max(...lateness)} ms; ${windows.length} billing rows`);
  });
});

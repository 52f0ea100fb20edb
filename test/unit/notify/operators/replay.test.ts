/**
 * Replay-safe operators (issue 11, "Exactly one outcome per request"): processing the same input
 * record again gives the outcome it got the first time and counts nothing twice.
 *
 * A replay is what a task sees after a crash or a rebalance: the records since the last commit
 * again, at the same offsets, on the state it had written. On the driver that is a second
 * harness on the first one's state folder (its input offsets start again at 0, its stream time
 * at -1), piped the same records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotifyConfig } from '../../../../src/notify/config/index.js';
import type { DeliveryFeedback, NotificationRequest } from '../../../../src/notify/generated/schema-types.js';
import { defaultSchemaDir } from '../../../../src/notify/schemas/schema-catalog.js';
import { AvroSchemaCatalog, AvroSerde, stringSerde } from '../../../../src/streams/serde/index.js';
import { Harness, NOON_SHANGHAI, request, type HarnessOptions } from './harness.js';

const H = 3_600_000;
const MIN = 60_000;
const feedbackSerde = new AvroSerde<DeliveryFeedback>({ catalog: AvroSchemaCatalog.fromDirectory(defaultSchemaDir()), type: 'notify.v1.DeliveryFeedback' });

let harnesses: Harness[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const h of harnesses) await h.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  harnesses = [];
  dirs = [];
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'notify-replay-'));
  dirs.push(dir);
  return dir;
}

/**
 * A harness with RocksDB stores in `dir`; a second one on the same folder restarts the same
 * tasks. At-least-once: the guarantee under which a replay meets the state of its first run.
 */
function harness(dir: string, patch: (c: NotifyConfig) => void, startMs = NOON_SHANGHAI, options: HarnessOptions = {}): Harness {
  const atLeastOnce = (c: NotifyConfig): void => {
    c.kafka.processingGuarantee = 'at_least_once';
    patch(c);
  };
  const h = new Harness(atLeastOnce, startMs, { storeKind: 'persistent', stateDir: dir, ...options });
  harnesses.push(h);
  return h;
}

/** Commits and closes `h` as a task would before another instance replays its uncommitted input. */
async function stop(h: Harness): Promise<void> {
  await h.driver.commit();
  await h.close();
  harnesses = harnesses.filter((x) => x !== h);
}

function user(n: number): Pick<NotificationRequest, 'recipient'> {
  return { recipient: { userId: `u${n}`, phone: '+8613800138000' } };
}

describe('fatigue: replay-safe', () => {
  const rules = (cap: number, window = 24 * H, bucket?: number) => (c: NotifyConfig) => {
    c.fatigue.rules = [{ name: 'daily', scope: 'user', window, cap, categories: ['NOTIFICATION'], ...(bucket ? { bucket } : {}) }];
  };

  it('admits a replayed request again without counting it twice, also after later requests filled the window', async () => {
    const dir = stateDir();
    const first = harness(dir, rules(2));
    const reqs = [request({ messageId: 'a' }), request({ messageId: 'b' }), request({ messageId: 'c' })];
    for (const r of reqs) await first.send(r);
    await first.tick();
    expect(reqs.map((r) => first.statusesOf(r.messageId))).toEqual([['SENT'], ['SENT'], ['SUPPRESSED']]);
    await stop(first);

    // The same three records again, at the same offsets: a and b were admitted (the window is
    // full since), c was suppressed.
    const replay = harness(dir, rules(2), NOON_SHANGHAI + MIN);
    for (const r of reqs) await replay.send(r, NOON_SHANGHAI);
    await replay.tick();
    const feedback = replay.readFeedback().map((f) => `${f.messageId}:${f.status}:${f.reason ?? ''}`);
    expect(feedback).toEqual(['c:SUPPRESSED:fatigue:daily']); // a and b: no new outcome (the ledger knows them)
    expect(replay.sender.sent).toHaveLength(0);
  });

  it('counts a replayed request once: the allowance left after the replay is what it was before', async () => {
    const dir = stateDir();
    const first = harness(dir, rules(3));
    const reqs = [request({ messageId: 'a' }), request({ messageId: 'b' })];
    for (const r of reqs) await first.send(r);
    await first.tick();
    await stop(first);

    const replay = harness(dir, rules(3), NOON_SHANGHAI + MIN);
    for (const r of reqs) await replay.send(r, NOON_SHANGHAI);
    const next = request({ messageId: 'c' });
    await replay.send(next);
    await replay.tick();
    expect(replay.statusesOf('a')).toEqual([]);
    expect(replay.statusesOf('b')).toEqual([]);
    expect(replay.statusesOf('c')).toEqual(['SENT']); // two counted, cap three
    const counts = await replay.driver.getKeyValueStore<string, { s: { [k: string]: [number, number][] }; m: { [id: string]: number } }>('fatigue-counts').get('u1');
    expect(counts!.s['daily']!.reduce((n, [, c]) => n + c, 0)).toBe(3);
    expect(Object.keys(counts!.m).sort()).toEqual(['a', 'b', 'c']);
  });

  it('suppresses a replayed request that was suppressed, even when its window has moved on since', async () => {
    const dir = stateDir();
    const first = harness(dir, rules(1, H, MIN));
    await first.send(request({ messageId: 'a' }));
    await first.driver.advanceWallClockTime(30 * MIN);
    const b = request({ messageId: 'b' });
    const bAt = first.now();
    await first.send(b, bAt);
    await first.tick();
    expect(first.statusesOf('a')).toEqual(['SENT']);
    expect(first.statusesOf('b')).toEqual(['SUPPRESSED']);
    await stop(first);

    // The commit covered a; the replay starts at b (offset 1), planned 45 minutes later, when
    // a's bucket has left the window. (The driver cannot start at an offset: an undecodable
    // record, dead-lettered, takes offset 0.)
    const replay = harness(dir, rules(1, H, MIN), bAt + 45 * MIN, { deadLetters: true });
    await replay.driver.pipeRaw(replay.config.topics.requests.name, Buffer.from('u1'), Buffer.from('not avro'));
    await replay.send(b, bAt);
    await replay.tick();
    expect(replay.statusesOf('b')).toEqual(['SUPPRESSED']);
    expect(replay.sender.sent).toHaveLength(0);
  });

  it('reads entries written before counted ids were kept', async () => {
    const dir = stateDir();
    const first = harness(dir, rules(2));
    await first.driver.readyForUse();
    const bucket = NOON_SHANGHAI - (NOON_SHANGHAI % H);
    first.driver.getKeyValueStore<string, unknown>('fatigue-counts').put('u1', { daily: [[bucket, 1]] });
    await first.send(request({ messageId: 'a' }));
    await first.send(request({ messageId: 'b' }));
    await first.tick();
    expect(first.statusesOf('a')).toEqual(['SENT']);
    expect(first.statusesOf('b')).toEqual(['SUPPRESSED']);
  });
});

describe('billing: replay-safe', () => {
  const noFatigue = (c: NotifyConfig) => {
    c.fatigue.rules = [];
  };
  const windowStart = NOON_SHANGHAI - (NOON_SHANGHAI % H);

  function sent(messageId: string, extra: Partial<DeliveryFeedback> = {}): DeliveryFeedback {
    return {
      messageId,
      userId: 'u1',
      businessUnit: 'shop',
      scenario: 'order-shipped',
      category: 'NOTIFICATION',
      channel: 'SMS',
      provider: 'sms-fake',
      status: 'SENT',
      subject: 'REQUEST',
      reason: null,
      attempt: 1,
      billableUnits: 2,
      cost: 0.09,
      scheduledFor: null,
      providerMessageId: null,
      eventTime: NOON_SHANGHAI,
      emittedAt: NOON_SHANGHAI,
      ...extra,
    };
  }

  it('counts each messageId × status once, however often its feedback comes again', async () => {
    const h = harness(stateDir(), noFatigue);
    const feedback = h.driver.createInputTopic(h.config.topics.feedback.name, stringSerde, feedbackSerde);
    const a = sent('a');
    const delivered = sent('a', { status: 'DELIVERED', subject: 'DELIVERY_REPORT', billableUnits: 0, cost: 0 });
    for (const f of [a, a, sent('b'), a, delivered, delivered]) await feedback.pipeInput(f.messageId, f, NOON_SHANGHAI);
    await h.driver.commit();
    await feedback.pipeInput('a', a, NOON_SHANGHAI); // after a commit: read back from the store
    await h.driver.advanceWallClockTime(H + 2 * MIN);
    await feedback.pipeInput('z', sent('z', { eventTime: NOON_SHANGHAI + H + 2 * MIN }), NOON_SHANGHAI + H + 2 * MIN);
    const windows = h.billing.readValuesToList();
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ windowStart, sent: 2, delivered: 1, billableUnits: 4, cost: 0.18 });
  });

  it('counts replayed feedback once after a restart, and emits the restored window on a quiet partition', async () => {
    const dir = stateDir();
    const first = harness(dir, noFatigue);
    const reqs = [0, 1, 2].map((n) => request({ messageId: `m${n}`, ...user(n) }));
    for (const r of reqs) await first.send(r);
    await first.tick();
    const sentFeedback = first.readFeedback().filter((f) => f.status === 'SENT');
    expect(sentFeedback).toHaveLength(3);
    expect(first.billing.isEmpty()).toBe(true); // the window is still open
    await stop(first);

    // The restarted task reads the same SENT feedback again (its offsets were not committed),
    // then nothing more: its stream time stays where the replay left it.
    const replay = harness(dir, noFatigue, first.now());
    const feedback = replay.driver.createInputTopic(replay.config.topics.feedback.name, stringSerde, feedbackSerde);
    for (const f of sentFeedback) await feedback.pipeInput(f.messageId, f, f.eventTime);
    for (let i = 0; i < 8; i++) await replay.driver.advanceWallClockTime(15 * MIN);
    const windows = replay.billing.readValuesToList();
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ windowStart, sent: 3, billableUnits: 6 });
  });

  it('emits windows restored on a task that has no stream time (moved, no feedback since)', async () => {
    const dir = stateDir();
    const first = harness(dir, noFatigue);
    for (const n of [0, 1]) await first.send(request({ messageId: `m${n}`, ...user(n) }));
    await first.tick();
    await stop(first);

    const moved = harness(dir, noFatigue, first.now());
    await moved.driver.readyForUse();
    expect(moved.billing.isEmpty()).toBe(true);
    for (let i = 0; i < 5; i++) await moved.driver.advanceWallClockTime(15 * MIN);
    const windows = moved.billing.readValuesToList();
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ windowStart, sent: 2, billableUnits: 4 });
  });
});

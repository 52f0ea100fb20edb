/**
 * Requests that once stopped a pod for good, on the real broker under the product's defaults
 * (exactly_once_v2, a dead-letter topic): an empty key and user id, an empty messageId, a field
 * of ~900 kB, bytes that do not decode, a revoke without a messageId and a subscription record
 * without a key. Each ends REJECTED (when the request can be answered) or in the dead-letter
 * topic; the pod keeps running and every valid request around them is sent exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { DeliveryFeedback, NotificationRequest, RevokeCommand, SubscriptionState } from '../../../src/notify/generated/schema-types.js';
import { DEAD_LETTER_HEADERS } from '../../../src/streams/runtime/exception-handlers.js';
import { produce, readTopic, type TestRecord } from '../../support/kafka.js';
import { avro, createConfiguredTopics, isTerminal, notificationRequest, RecordingSender, startTopology, uniqueConfig, type RunningTopology } from './support/notify-fixture.js';

const requestSerde = avro<NotificationRequest>('NotificationRequest');
const feedbackSerde = avro<DeliveryFeedback>('DeliveryFeedback');

let running: RunningTopology | undefined;
afterAll(async () => {
  await running?.close();
});

describe('poison requests on the real broker', () => {
  it('answers or dead-letters each bad record, keeps running, and sends every valid request once', async () => {
    const config = uniqueConfig('poison', 3);
    await createConfiguredTopics(config);
    const sender = new RecordingSender(await createChannelRouter(config.channels));
    running = await startTopology(config, sender, { processingGuarantee: config.kafka.processingGuarantee });
    const t = config.topics;
    const encode = (r: NotificationRequest): Buffer => requestSerde.serialize(t.requests.name, r, {});

    const valid = Array.from({ length: 300 }, (_, i) => notificationRequest(`ok-${i}`, `user-${i}`, 'SMS', i));
    const emptyUser = notificationRequest('bad-user', '', 'SMS', 1000);
    const emptyId = notificationRequest('', 'user-x', 'SMS', 1001);
    const huge = notificationRequest('bad-huge', 'user-h', 'SMS', 1002, { templateParams: { orderId: 'x'.repeat(900_000) } });
    const records: TestRecord[] = [];
    for (let i = 0; i < valid.length; i++) {
      records.push({ key: valid[i]!.recipient.userId, value: encode(valid[i]!) });
      if (i === 50) records.push({ key: '', value: encode(emptyUser) });
      if (i === 100) records.push({ key: 'user-x', value: encode(emptyId) });
      if (i === 150) records.push({ key: 'user-h', value: encode(huge) });
      if (i === 200) records.push({ key: 'user-g', value: Buffer.from('not avro at all') });
    }
    await produce(t.requests.name, records, { 'message.max.bytes': 2_000_000 });
    const revoke: RevokeCommand = { messageId: '', userId: 'user-1', businessUnit: 'shop', reason: null, issuedAt: Date.now() };
    await produce(t.commands.name, [{ key: 'user-1', value: avro<RevokeCommand>('RevokeCommand').serialize(t.commands.name, revoke, {}) }]);
    const subscription: SubscriptionState = { userId: '', optOuts: [], updatedAt: Date.now() };
    await produce(t.subscriptions.name, [{ key: '', value: avro<SubscriptionState>('SubscriptionState').serialize(t.subscriptions.name, subscription, {}) }]);

    const terminalOf = new Map<string, DeliveryFeedback[]>();
    await readTopic(
      t.feedback.name,
      (rs) => {
        terminalOf.clear();
        for (const r of rs) {
          const f = feedbackSerde.deserialize(t.feedback.name, r.value!, {});
          if (!isTerminal(f)) continue;
          terminalOf.set(f.messageId, [...(terminalOf.get(f.messageId) ?? []), f]);
        }
        return valid.every((v) => terminalOf.has(v.messageId)) && terminalOf.has('bad-user') && terminalOf.has('bad-huge') && [...terminalOf.keys()].some((k) => k.startsWith('unidentified:'));
      },
      90_000,
    );
    // Every valid request exactly one terminal status, SENT, and one send.
    for (const v of valid) expect(terminalOf.get(v.messageId)?.map((f) => f.status)).toEqual(['SENT']);
    const sends = sender.countsById();
    expect(valid.filter((v) => sends.get(v.messageId) !== 1)).toEqual([]);
    // The bad requests that can be answered are answered, naming the field.
    expect(terminalOf.get('bad-user')!.map((f) => [f.status, f.reason])).toEqual([['REJECTED', 'field:missing-user-id']]);
    expect(terminalOf.get('bad-huge')!.map((f) => [f.status, f.reason])).toEqual([['REJECTED', 'limit:templateParams.orderId:too-long']]);
    const unidentified = [...terminalOf.entries()].filter(([k]) => k.startsWith('unidentified:'));
    expect(unidentified.map(([, fs]) => fs.map((f) => f.status))).toEqual([['REJECTED']]);
    // The rest are in the dead-letter topic with the reason.
    const dead = await readTopic(t.dlq.name, (rs) => rs.length >= 3, 30_000);
    const stages = dead.map((d) => `${d.headers[DEAD_LETTER_HEADERS.topic]?.toString()}:${d.headers[DEAD_LETTER_HEADERS.stage]?.toString()}`).sort();
    expect(stages).toEqual([`${t.commands.name}:process`, `${t.requests.name}:deserialize`, `${t.subscriptions.name}:process`].sort());
    for (const d of dead) expect(d.headers[DEAD_LETTER_HEADERS.error]!.toString().length).toBeGreaterThan(0);
    // The pod never stopped.
    expect(running.streams.failure()).toBeNull();
    expect(running.streams.state).not.toBe('ERROR');
  }, 180_000);
});

/**
 * End to end (issue 4, last "what must be shown"): the whole topology on the broker with every
 * channel pointed at its local peer over the real protocol. Each peer must have received exactly
 * the messages the feedback stream reports as SENT by its provider; SMPP delivery receipts, fed
 * back through notify.delivery-reports as the app does, come out as DELIVERED feedback.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createChannelRouter, parseChannelsConfig, type ChannelRouter, type DeliveryReport as ProviderReport } from '../../../src/channels/index.js';
import { toDeliveryReport } from '../../../src/notify/delivery-report.js';
import type { DeliveryFeedback, DeliveryReport, NotificationRequest } from '../../../src/notify/generated/schema-types.js';
import { produce, readTopic, waitFor } from '../../support/kafka.js';
import { avro, createConfiguredTopics, isTerminal, notificationRequest, startTopology, uniqueConfig, type RunningTopology } from '../notify/support/notify-fixture.js';
import { ChannelPeers } from './peers.js';

const requestSerde = avro<NotificationRequest>('NotificationRequest');
const feedbackSerde = avro<DeliveryFeedback>('DeliveryFeedback');
const reportSerde = avro<DeliveryReport>('DeliveryReport');

const ID = /E2E\d{5}/g;
const idOf = (n: number): string => `E2E${String(n).padStart(5, '0')}`;

/** The requests: 60 per provider (40 e-mails), plus 20 invalid and 20 duplicates that must reach no peer. */
function requests(webhookBase: string): NotificationRequest[] {
  const out: NotificationRequest[] = [];
  let n = 0;
  const next = (make: (id: string, n: number) => NotificationRequest, count: number): void => {
    for (let i = 0; i < count; i++, n++) out.push(make(idOf(n), n));
  };
  const order = (channel: NotificationRequest['channel'], recipient?: Partial<NotificationRequest['recipient']>) => (id: string, k: number) => {
    const r = notificationRequest(id, `user-${k}`, channel, k, { templateParams: { orderId: id } });
    return recipient ? { ...r, recipient: { ...r.recipient, ...recipient } } : r;
  };
  next((id, k) => notificationRequest(id, `user-${k}`, 'SMS', k, { category: 'VERIFICATION', templateId: 'verification-code', locale: 'en-US', templateParams: { code: id, minutes: '5' } }), 60);
  next(order('PUSH'), 60); // APNs (the fixture's default push platform)
  next((id, k) => order('PUSH', { deviceToken: `fcm-${k}-`.padEnd(160, 'Q'), pushPlatform: 'FCM' })(id, k), 60);
  next((id, k) => order('PUSH', { deviceToken: `hms-${k}-`.padEnd(40, 'H'), pushPlatform: 'HUAWEI' })(id, k), 60);
  next(order('WECHAT'), 60);
  next(order('EMAIL'), 40);
  next((id, k) => order('WEBHOOK', { webhookUrl: `${webhookBase}/hook/${id}` })(id, k), 60);
  next((id, k) => ({ ...order('SMS')(id, k), recipient: { userId: `user-${k}`, phone: 'not-a-number' } }), 20);
  for (let i = 0; i < 20; i++, n++) out.push({ ...out[i * 10]!, messageId: idOf(n), dedupeKey: out[i * 10]!.messageId });
  return out;
}

let peers: ChannelPeers | undefined;
let router: ChannelRouter | undefined;
let running: RunningTopology | undefined;
afterAll(async () => {
  await running?.close();
  await router?.close();
  await peers?.close();
});

describe('channels end to end through the topology', () => {
  it('each peer received exactly the messages the feedback stream reports as SENT by its provider', { timeout: 90_000 }, async () => {
    peers = await ChannelPeers.start();
    const channels = parseChannelsConfig(peers.channelsConfig());
    const config = uniqueConfig('e2e', 2, (c) => {
      c.fatigue.rules = [];
      c.channels = channels;
    });
    await createConfiguredTopics(config);
    router = await createChannelRouter(config.channels, { env: peers.env() });
    const reports: ProviderReport[] = [];
    router.onDeliveryReport((r) => reports.push(r));
    running = await startTopology(config, router);

    const all = requests(peers.webhook.url);
    await produce(config.topics.requests.name, all.map((r) => ({ key: r.recipient.userId, value: requestSerde.serialize(config.topics.requests.name, r, {}) })));

    const decode = (raw: Buffer): DeliveryFeedback => feedbackSerde.deserialize(config.topics.feedback.name, raw, {});
    const terminalOf = (records: { value: Buffer | null }[]): DeliveryFeedback[] => records.map((r) => decode(r.value!)).filter(isTerminal);
    const feedback = terminalOf(await readTopic(config.topics.feedback.name, (rs) => new Set(terminalOf(rs).map((f) => f.messageId)).size >= all.length, 60_000));
    expect(new Set(feedback.map((f) => f.messageId)).size).toBe(all.length);
    expect(feedback).toHaveLength(all.length);

    const sentBy = new Map<string, Set<string>>();
    for (const f of feedback.filter((x) => x.status === 'SENT')) {
      const set = sentBy.get(f.provider!) ?? new Set<string>();
      set.add(f.messageId);
      sentBy.set(f.provider!, set);
    }
    const counts = feedback.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.status]: (acc[f.status] ?? 0) + 1 }), {});
    expect(counts).toEqual({ SENT: 400, REJECTED: 20, DUPLICATE: 20 });

    const received = peers.received();
    for (const provider of ['smsc', 'apns', 'fcm', 'huawei', 'wechat', 'smtp', 'webhook']) {
      const ids = received[provider]!.flatMap((text) => text.match(ID) ?? []);
      // A message may carry its id more than once (e.g. a webhook URL and body): count sends, not mentions.
      const perSend = received[provider]!.map((text) => new Set(text.match(ID) ?? []));
      expect(perSend.every((s) => s.size === 1), `${provider}: one message id per send`).toBe(true);
      expect(new Set(ids), `${provider} received`).toEqual(sentBy.get(provider) ?? new Set());
      expect(perSend.length, `${provider}: no message twice`).toBe(sentBy.get(provider)?.size ?? 0);
    }
    expect(sentBy.get('smsc')?.size).toBe(60);
    expect(sentBy.get('smtp')?.size).toBe(40);

    // SMPP delivery receipts, produced to notify.delivery-reports as the app does, end as DELIVERED.
    await waitFor(() => reports.length >= 60, 10_000, 'SMPP delivery receipts');
    const reportRecords = reports.map(toDeliveryReport).flatMap((value) => (value ? [{ key: value.messageId, value: reportSerde.serialize(config.topics.deliveryReports.name, value, {}) }] : []));
    expect(reportRecords).toHaveLength(reports.length);
    await produce(config.topics.deliveryReports.name, reportRecords);
    const delivered = (await readTopic(config.topics.feedback.name, (rs) => rs.map((r) => decode(r.value!)).filter((f) => f.subject === 'DELIVERY_REPORT').length >= 60, 20_000))
      .map((r) => decode(r.value!))
      .filter((f) => f.subject === 'DELIVERY_REPORT');
    expect(delivered).toHaveLength(60);
    expect(new Set(delivered.map((f) => f.messageId))).toEqual(sentBy.get('smsc'));
    expect(delivered.every((f) => f.status === 'DELIVERED' && f.channel === 'SMS' && f.category === 'VERIFICATION')).toBe(true);
  });
});

/**
 * Running the whole notification topology on the local broker: a configuration with unique topic
 * names and application id, its topics created with the configured partition counts, Avro
 * serdes for the contract types, request builders for every channel, and a sender that records
 * what reached the providers. Shared by the topology integration test, the channels end-to-end
 * test and the topology benchmark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboundMessage, SendResult } from '../../../../src/channels/index.js';
import type { ChannelSender } from '../../../../src/notify/channel-sender.js';
import { loadConfig, type NotifyConfig } from '../../../../src/notify/config/index.js';
import type { Channel, DeliveryFeedback, NotificationRequest } from '../../../../src/notify/generated/schema-types.js';
import { TERMINAL_STATUSES } from '../../../../src/notify/operators/feedback.js';
import { defaultSchemaDir } from '../../../../src/notify/schemas/schema-catalog.js';
import { buildNotifyTopology } from '../../../../src/notify/topology.js';
import { KafkaStreams } from '../../../../src/streams/runtime/kafka-streams.js';
import type { StreamsConfig } from '../../../../src/streams/config.js';
import { AvroSchemaCatalog, AvroSerde } from '../../../../src/streams/serde/index.js';
import { BOOTSTRAP, createTopics, uniqueName, waitFor } from '../../../support/kafka.js';

export const catalog = AvroSchemaCatalog.fromDirectory(defaultSchemaDir());

/** A single-object-encoding Avro serde of a `notify.v1` type. */
export function avro<T>(type: string): AvroSerde<T> {
  return new AvroSerde<T>({ catalog, type: `notify.v1.${type}` });
}

/**
 * The default configuration with unique topic names (prefix `<prefix>-<random>.`), one
 * partition count for every co-partitioned topic, no quiet hours (the wall clock must not decide
 * a test) and `patch` applied last.
 */
export function uniqueConfig(prefix: string, partitions: number, patch: (c: NotifyConfig) => void = () => {}): NotifyConfig {
  const config = structuredClone(loadConfig({ env: {} }));
  const p = uniqueName(prefix);
  const t = config.topics;
  for (const topic of [t.requests, t.commands, t.subscriptions, t.feedback, t.deliveryReports, t.lanes.critical, t.lanes.normal, t.lanes.bulk]) {
    topic.name = `${p}.${topic.name}`;
    topic.partitions = partitions;
  }
  for (const topic of [t.templates, t.billing, t.dlq]) topic.name = `${p}.${topic.name}`;
  config.kafka.applicationId = `${p}-app`;
  config.quietHours.rules = [];
  patch(config);
  return config;
}

/** Every topic of the configuration, with its configured partition count. */
export async function createConfiguredTopics(config: NotifyConfig): Promise<void> {
  const t = config.topics;
  await createTopics([t.requests, t.commands, t.subscriptions, t.templates, t.feedback, t.deliveryReports, t.billing, t.dlq, t.lanes.critical, t.lanes.normal, t.lanes.bulk]);
}

/** A running topology with its state directory; `close()` stops it and removes the directory. */
export interface RunningTopology {
  readonly streams: KafkaStreams;
  close(): Promise<void>;
}

/** Starts the whole topology against the local broker. */
export async function startTopology(config: NotifyConfig, sender: ChannelSender, overrides: Partial<StreamsConfig> = {}): Promise<RunningTopology> {
  const stateDir = mkdtempSync(join(tmpdir(), 'notify-it-'));
  const topology = buildNotifyTopology(config, { sender, schemas: catalog });
  const streams = new KafkaStreams(topology, {
    applicationId: config.kafka.applicationId,
    bootstrapServers: BOOTSTRAP,
    stateDir,
    deadLetterTopic: config.topics.dlq.name,
    commitIntervalMs: 200,
    sessionTimeoutMs: 6000,
    ...(process.env['NOTIFY_IT_LOG'] ? { logger: consoleLogger() } : {}),
    ...overrides,
  });
  await streams.start();
  // Every sub-topology reads topics of the same partition count: one task per sub-topology and partition.
  const tasks = topology.describe().length * config.topics.requests.partitions;
  await waitFor(() => streams.isReady() && streams.runningTaskIds().length === tasks, 60_000, `${tasks} tasks running`);
  return {
    streams,
    close: async () => {
      await streams.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Engine log lines with a millisecond clock, when NOTIFY_IT_LOG is set. */
function consoleLogger(): NonNullable<StreamsConfig['logger']> {
  const line = (level: string) => (obj: object, msg?: string): void => console.log(`${Date.now() % 100_000} ${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
}

/** Recipient addresses that pass validation, per channel, for user `userId`. */
export function recipientFor(channel: Channel, userId: string, n: number): NotificationRequest['recipient'] {
  const digits = String(n).padStart(8, '0');
  switch (channel) {
    case 'SMS':
      return { userId, phone: `+86138${digits}` };
    case 'PUSH':
      return { userId, deviceToken: `${digits}`.padEnd(64, 'a'), pushPlatform: 'APNS' };
    case 'WECHAT':
      return { userId, openId: `o${digits}`.padEnd(28, 'X') };
    case 'EMAIL':
      return { userId, email: `user${digits}@example.com` };
    case 'WEBHOOK':
      return { userId, webhookUrl: `http://127.0.0.1:9/hook/${digits}` };
  }
}

export const CHANNELS: readonly Channel[] = ['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK'];

/** A valid NOTIFICATION request (template order-shipped) on `channel`; override any field. */
export function notificationRequest(messageId: string, userId: string, channel: Channel, n: number, overrides: Partial<NotificationRequest> = {}): NotificationRequest {
  return {
    messageId,
    dedupeKey: null,
    businessUnit: 'shop',
    scenario: 'order-shipped',
    category: 'NOTIFICATION',
    channel,
    priority: null,
    recipient: recipientFor(channel, userId, n),
    templateId: 'order-shipped',
    templateParams: { orderId: `A${n}` },
    locale: channel === 'EMAIL' || channel === 'WEBHOOK' ? 'en-US' : 'zh-CN',
    sendAt: null,
    expireAt: null,
    createdAt: Date.now(),
    tags: {},
    ...overrides,
  };
}

/** One send as the provider side saw it. */
export interface SendRecord {
  readonly messageId: string;
  readonly at: number;
  readonly channel: Channel;
}

/**
 * A sender in front of another (the channel router, usually with `log` providers) that records
 * every message handed to it, with the wall-clock time, and fails permanently the messages
 * tagged `fail=permanent`.
 */
export class RecordingSender implements ChannelSender {
  readonly sends: SendRecord[] = [];

  constructor(private readonly inner: ChannelSender) {}

  async send(batch: readonly OutboundMessage[]): Promise<SendResult[]> {
    const at = Date.now();
    for (const m of batch) this.sends.push({ messageId: m.messageId, at, channel: m.channel });
    const pass = batch.filter((m) => m.tags['fail'] !== 'permanent');
    const results = pass.length > 0 ? await this.inner.send(pass) : [];
    let i = 0;
    return batch.map((m): SendResult => (m.tags['fail'] === 'permanent' ? { messageId: m.messageId, status: 'PERMANENT_ERROR', provider: 'test-reject', reason: 'test:permanent' } : results[i++]!));
  }

  /** How many times each message reached the provider side. */
  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.sends) counts.set(s.messageId, (counts.get(s.messageId) ?? 0) + 1);
    return counts;
  }
}

/** Feedback events about requests (subject REQUEST) that end them. */
export function isTerminal(f: DeliveryFeedback): boolean {
  return (f.subject ?? 'REQUEST') === 'REQUEST' && TERMINAL_STATUSES.has(f.status);
}

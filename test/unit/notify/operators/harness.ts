/** A test harness around the whole notification topology on the engine's TopologyTestDriver. */
import type { OutboundMessage, SendResult } from '../../../../src/channels/index.js';
import { loadConfig, type NotifyConfig } from '../../../../src/notify/config/index.js';
import type { ChannelSender } from '../../../../src/notify/channel-sender.js';
import type { BillingWindow, DeliveryFeedback, DeliveryReport, LaneRecord, NotificationRequest, RevokeCommand, SubscriptionState } from '../../../../src/notify/generated/schema-types.js';
import { defaultSchemaDir } from '../../../../src/notify/schemas/schema-catalog.js';
import { buildNotifyTopology } from '../../../../src/notify/topology.js';
import { AvroSchemaCatalog, AvroSerde, stringSerde } from '../../../../src/streams/serde/index.js';
import { TopologyTestDriver, type TestInputTopic, type TestOutputTopic } from '../../../../src/streams/testing/topology-test-driver.js';

/** 12:00 in Shanghai: outside the default MARKETING quiet hours. */
export const NOON_SHANGHAI = Date.parse('2024-06-01T04:00:00Z');

const catalog = AvroSchemaCatalog.fromDirectory(defaultSchemaDir());
const serde = <T>(type: string): AvroSerde<T> => new AvroSerde<T>({ catalog, type: `notify.v1.${type}` });

/** Records every batch; answers ACCEPTED unless `behaviour` says otherwise for a message. */
export class FakeSender implements ChannelSender {
  readonly sent: OutboundMessage[] = [];
  readonly batches: number[] = [];
  behaviour: (message: OutboundMessage, attemptNo: number) => SendResult['status'] | 'UNREGISTERED' = () => 'ACCEPTED';
  private readonly attempts = new Map<string, number>();

  send(batch: readonly OutboundMessage[]): Promise<SendResult[]> {
    this.batches.push(batch.length);
    return Promise.resolve(
      batch.map((m): SendResult => {
        const n = (this.attempts.get(m.messageId) ?? 0) + 1;
        this.attempts.set(m.messageId, n);
        const status = this.behaviour(m, n);
        if (status === 'ACCEPTED') {
          this.sent.push(m);
          return { messageId: m.messageId, status, provider: `${m.channel.toLowerCase()}-fake`, billableUnits: m.channel === 'SMS' ? 2 : 1 };
        }
        if (status === 'RETRYABLE_ERROR') return { messageId: m.messageId, status, provider: 'flaky', reason: 'timeout' };
        if (status === 'UNREGISTERED') return { messageId: m.messageId, status: 'PERMANENT_ERROR', provider: 'strict', reason: 'BadDeviceToken', unregistered: true };
        return { messageId: m.messageId, status, provider: 'strict', reason: 'bad-number' };
      }),
    );
  }

  sentIds(): string[] {
    return this.sent.map((m) => m.messageId);
  }
}

/** The default configuration with `patch` applied to a deep copy. */
export function testConfig(patch: (c: NotifyConfig) => void = () => {}): NotifyConfig {
  const config = structuredClone(loadConfig({ env: {} }));
  patch(config);
  return config;
}

let counter = 0;

/** A valid SMS NOTIFICATION request; override any field. */
export function request(overrides: Partial<NotificationRequest> = {}): NotificationRequest {
  counter++;
  return {
    messageId: `m-${counter}`,
    dedupeKey: null,
    businessUnit: 'shop',
    scenario: 'order-shipped',
    category: 'NOTIFICATION',
    channel: 'SMS',
    priority: null,
    recipient: { userId: 'u1', phone: '+8613800138000' },
    templateId: 'order-shipped',
    templateParams: { orderId: 'A1' },
    locale: 'zh-CN',
    sendAt: null,
    expireAt: null,
    createdAt: NOON_SHANGHAI,
    tags: {},
    ...overrides,
  };
}

/** How the harness builds its driver; the defaults suit most tests. */
export interface HarnessOptions {
  /** RocksDB stores in a temporary folder instead of in-memory ones (they refuse empty keys). */
  readonly storeKind?: 'persistent' | 'in-memory';
  /** Dead-letter undecodable input to `topics.dlq` (as the app does) instead of failing. */
  readonly deadLetters?: boolean;
  /**
   * Keep persistent stores in this folder (not removed on close). A second harness on the same
   * folder is the same task restarted: its stores hold what the first one wrote, its stream time
   * starts at -1, and its input offsets start again at 0 — piping the same records again replays them.
   */
  readonly stateDir?: string;
}

/** The topology on a test driver, with typed topics. */
export class Harness {
  readonly sender = new FakeSender();
  readonly config: NotifyConfig;
  readonly driver: TopologyTestDriver;
  readonly requests: TestInputTopic<string, NotificationRequest>;
  readonly commands: TestInputTopic<string, RevokeCommand>;
  readonly subscriptions: TestInputTopic<string, SubscriptionState>;
  readonly lanesBulk: TestInputTopic<string, LaneRecord>;
  readonly deliveryReports: TestInputTopic<string, DeliveryReport>;
  readonly feedback: TestOutputTopic<string, DeliveryFeedback>;
  readonly billing: TestOutputTopic<string, BillingWindow>;
  private readonly allFeedback: DeliveryFeedback[] = [];

  constructor(patch?: (c: NotifyConfig) => void, startMs = NOON_SHANGHAI, options: HarnessOptions = {}) {
    this.config = testConfig(patch);
    const storeKind = options.storeKind ?? (options.stateDir ? 'persistent' : 'in-memory');
    const topology = buildNotifyTopology(this.config, { sender: this.sender, schemas: catalog, storeKind, expectedKeysPerTask: 10_000 });
    this.driver = new TopologyTestDriver(topology, {
      initialWallClockTimeMs: startMs,
      ...(options.deadLetters ? { deadLetterTopic: this.config.topics.dlq.name } : {}),
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    });
    const t = this.config.topics;
    this.requests = this.driver.createInputTopic(t.requests.name, stringSerde, serde('NotificationRequest'));
    this.commands = this.driver.createInputTopic(t.commands.name, stringSerde, serde('RevokeCommand'));
    this.subscriptions = this.driver.createInputTopic(t.subscriptions.name, stringSerde, serde('SubscriptionState'));
    this.lanesBulk = this.driver.createInputTopic(t.lanes.bulk.name, stringSerde, serde('LaneRecord'));
    this.deliveryReports = this.driver.createInputTopic(t.deliveryReports.name, stringSerde, serde('DeliveryReport'));
    this.feedback = this.driver.createOutputTopic(t.feedback.name, stringSerde, serde('DeliveryFeedback'));
    this.billing = this.driver.createOutputTopic(t.billing.name, stringSerde, serde('BillingWindow'));
  }

  now(): number {
    return this.driver.wallClockTimeMs();
  }

  /** Pipes a request keyed by its userId, stamped with the wall clock unless given. */
  async send(req: NotificationRequest, timestamp = this.now()): Promise<void> {
    await this.requests.pipeInput(req.recipient.userId, req, timestamp);
  }

  async revoke(messageId: string, userId = 'u1', reason: string | null = null): Promise<void> {
    await this.commands.pipeInput(userId, { messageId, userId, businessUnit: 'shop', reason, issuedAt: this.now() }, this.now());
  }

  /** Advances the wall clock (running punctuators: release, sink flush). */
  async tick(ms = 20): Promise<void> {
    await this.driver.advanceWallClockTime(ms);
  }

  /** Feedback read since the last call (and kept for {@link statusesOf}). */
  readFeedback(): DeliveryFeedback[] {
    const values = this.feedback.readValuesToList().filter((v): v is DeliveryFeedback => v !== null);
    this.allFeedback.push(...values);
    return values;
  }

  /** Every status reported for one message so far, in order. */
  statusesOf(messageId: string): string[] {
    return this.feedbackOf(messageId).map((f) => f.status);
  }

  /** Every feedback event of one message so far, in order. */
  feedbackOf(messageId: string): DeliveryFeedback[] {
    this.readFeedback();
    return this.allFeedback.filter((f) => f.messageId === messageId);
  }

  /** Pipes a provider delivery report for `messageId`, as the app would. */
  async report(messageId: string, status: DeliveryReport['status'], extra: Partial<DeliveryReport> = {}): Promise<void> {
    const report: DeliveryReport = { messageId, provider: 'sms-fake', providerMessageId: null, status, reason: null, unregistered: false, reportedAt: this.now(), ...extra };
    await this.deliveryReports.pipeInput(messageId, report, this.now());
  }

  /** Keys the given store's changelog deleted (tombstones) so far; call `driver.commit()` first. */
  deletedKeys(store: string): string[] {
    const topic = this.driver.createOutputTopic(`test-driver-${store}-changelog`, stringSerde, stringSerde);
    return topic.readKeyValuesToList().filter((kv) => kv.value === null).map((kv) => kv.key!);
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/**
 * Assembles the notification topology from its configuration (DESIGN §1):
 *
 *   intake (keyed by userId):   requests ─► validate ─► dedupe ─► fatigue ─► router ─► lanes
 *                               subscriptions ─► subscription table (read by validate)
 *   dispatch (keyed by userId): lanes (weighted) + commands ─► delay buffer ─► channel sink
 *   feedback (key messageId):   feedback ─► billing ─► notify.billing
 *                               feedback + delivery reports ─► delivery reports ─► feedback
 *
 * Every operator of a sub-topology reports to that sub-topology's own feedback sink (one sink
 * shared by two sub-topologies would merge them into one). A request crosses Kafka twice
 * (requests → lane → feedback) and writes a few changelog records; nothing repartitions.
 */
import { AvroSchemaCatalog, AvroSerde, bufferSerde, jsonSerde, stringSerde, type Serde } from '../streams/serde/index.js';
import { Stores } from '../streams/state/stores.js';
import type { KeyValueBytesStoreSupplier } from '../streams/state/store-suppliers.js';
import { Topology } from '../streams/topology/topology.js';
import type { ChannelSender } from './channel-sender.js';
import type { NotifyConfig } from './config/config-schema.js';
import { BillingPrices } from './domain/billing-prices.js';
import { BlockedWords } from './domain/blocked-words.js';
import { compileFatigueRule } from './domain/fatigue-rules.js';
import { LaneRouter } from './domain/lane-router.js';
import { QuietHours } from './domain/quiet-hours.js';
import { TemplateCatalog } from './domain/template-catalog.js';
import type { BillingWindow, DeliveryFeedback, DeliveryReport, Lane, LaneRecord, NotificationRequest, RevokeCommand, SubscriptionState } from './generated/schema-types.js';
import { BillingProcessor } from './operators/billing-processor.js';
import { ChannelSinkProcessor } from './operators/channel-sink-processor.js';
import { DedupeProcessor } from './operators/dedupe-processor.js';
import { DelayBufferProcessor } from './operators/delay-buffer-processor.js';
import { DeliveryReportProcessor } from './operators/delivery-report-processor.js';
import { FatigueProcessor, fatigueKeysOf } from './operators/fatigue-processor.js';
import { dedupeKeyOf } from './operators/intake-envelope.js';
import { PriorityRouterProcessor } from './operators/priority-router-processor.js';
import { STORE_NAMES } from './operators/store-names.js';
import { SubscriptionTableProcessor } from './operators/subscription-table-processor.js';
import { ValidateProcessor } from './operators/validate-processor.js';
import { defaultSchemaDir } from './schemas/schema-catalog.js';

/** Node names, for tests, metrics and `describe()` output. */
export const NODE_NAMES = {
  requestsSource: 'requests-source',
  subscriptionsSource: 'subscriptions-source',
  subscriptionTable: 'subscription-table',
  validate: 'validate',
  dedupe: 'dedupe',
  fatigue: 'fatigue-window',
  router: 'priority-router',
  laneSinks: { CRITICAL: 'lane-critical-sink', NORMAL: 'lane-normal-sink', BULK: 'lane-bulk-sink' },
  intakeFeedbackSink: 'intake-feedback-sink',
  laneSources: { CRITICAL: 'lane-critical-source', NORMAL: 'lane-normal-source', BULK: 'lane-bulk-source' },
  commandsSource: 'commands-source',
  delayBuffer: 'delay-buffer',
  channelSink: 'channel-sink',
  dispatchFeedbackSink: 'dispatch-feedback-sink',
  feedbackSource: 'feedback-source',
  billing: 'billing',
  billingSink: 'billing-sink',
  deliveryReportsSource: 'delivery-reports-source',
  deliveryReports: 'delivery-reports',
  deliveryFeedbackSink: 'delivery-feedback-sink',
} as const;

/** What the topology needs besides configuration. */
export interface NotifyTopologyDeps {
  /** Where rendered messages go: the channel router, or a fake in tests. */
  readonly sender: ChannelSender;
  /** Avro schemas; the repository's `schemas/` folder by default. */
  readonly schemas?: AvroSchemaCatalog;
  /** Serdes for a topic's values by Avro type; default single-object encoded Avro from `schemas`. */
  readonly valueSerde?: <T>(type: string) => Serde<T>;
  /** `in-memory` stores (rebuilt from changelogs on start) instead of RocksDB; tests use it. */
  readonly storeKind?: 'persistent' | 'in-memory';
  /** Overrides `memory.keyFilterKeysPerTask`: the key filters in front of the subscription, dedupe, ledger and delivery-tracking stores. */
  readonly expectedKeysPerTask?: number;
}

/** Builds the whole notification topology. Throws `TopologyError` if the graph is inconsistent. */
export function buildNotifyTopology(config: NotifyConfig, deps: NotifyTopologyDeps): Topology {
  const catalog = deps.schemas ?? (deps.valueSerde ? undefined : AvroSchemaCatalog.fromDirectory(defaultSchemaDir()));
  const avro = deps.valueSerde ?? (<T>(type: string): Serde<T> => new AvroSerde<T>({ catalog: catalog!, type }));
  const supplier = (name: string): KeyValueBytesStoreSupplier =>
    deps.storeKind === 'in-memory' ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
  const keyFilter = { expectedKeys: deps.expectedKeysPerTask ?? config.memory.keyFilterKeysPerTask, falsePositiveRate: config.memory.keyFilterFalsePositiveRate };

  const templates = TemplateCatalog.fromConfig(config.templates);
  const rules = config.fatigue.rules.map(compileFatigueRule);
  const t = config.topics;
  const N = NODE_NAMES;
  const laneTopics: { readonly [L in Lane]: string } = { CRITICAL: t.lanes.critical.name, NORMAL: t.lanes.normal.name, BULK: t.lanes.bulk.name };
  const laneWeights: { readonly [L in Lane]: number } = { CRITICAL: config.lanes.critical.weight, NORMAL: config.lanes.normal.weight, BULK: config.lanes.bulk.weight };
  const lanes: Lane[] = ['CRITICAL', 'NORMAL', 'BULK'];
  const feedbackSerde = avro<DeliveryFeedback>('notify.v1.DeliveryFeedback');
  const sweep = { sweepIntervalMs: config.housekeeping.interval, sweepMaxScan: config.housekeeping.maxScan, sweepPassMs: config.housekeeping.pass };
  const laneSerde = avro<LaneRecord>('notify.v1.LaneRecord');

  const topology = new Topology();

  // Intake.
  topology
    .addSource({ name: N.requestsSource, topics: [t.requests.name], keySerde: stringSerde, valueSerde: avro<NotificationRequest>('notify.v1.NotificationRequest') })
    .addSource({ name: N.subscriptionsSource, topics: [t.subscriptions.name], keySerde: stringSerde, valueSerde: avro<SubscriptionState>('notify.v1.SubscriptionState') })
    .addProcessor(N.subscriptionTable, () => new SubscriptionTableProcessor(STORE_NAMES.subscriptions), N.subscriptionsSource)
    .addProcessor(
      N.validate,
      () =>
        new ValidateProcessor({
          templates,
          blockedWords: new BlockedWords(config.blockedWords),
          quietHours: new QuietHours(config.quietHours.rules, config.quietHours.defaultTimeZone),
          limits: config.limits,
          subscriptionStore: STORE_NAMES.subscriptions,
          feedbackChild: N.intakeFeedbackSink,
          nextChild: N.dedupe,
          prefetch: [
            { store: STORE_NAMES.dedupe, keysOf: (r) => [dedupeKeyOf(r)] },
            { store: STORE_NAMES.fatigue, keysOf: (r) => fatigueKeysOf(rules, r) },
          ],
        }),
      N.requestsSource,
    )
    .addProcessor(N.dedupe, () => new DedupeProcessor({ storeName: STORE_NAMES.dedupe, retentionMs: config.dedupe.retention, feedbackChild: N.intakeFeedbackSink, nextChild: N.fatigue, ...sweep }), N.validate)
    .addProcessor(N.fatigue, () => new FatigueProcessor({ storeName: STORE_NAMES.fatigue, dedupeStoreName: STORE_NAMES.dedupe, rules, feedbackChild: N.intakeFeedbackSink, nextChild: N.router, countedIds: config.kafka.processingGuarantee === 'at_least_once', ...sweep }), N.dedupe)
    .addProcessor(
      N.router,
      () => new PriorityRouterProcessor({ lanes: new LaneRouter(config.lanes), laneChildren: N.laneSinks, feedbackChild: N.intakeFeedbackSink, emitAccepted: config.feedback.emitAccepted }),
      N.fatigue,
    );
  for (const lane of lanes) {
    topology.addSink({ name: N.laneSinks[lane], topic: laneTopics[lane], keySerde: stringSerde, valueSerde: laneSerde }, N.router);
  }
  topology.addSink({ name: N.intakeFeedbackSink, topic: t.feedback.name, keySerde: stringSerde, valueSerde: feedbackSerde }, N.validate, N.dedupe, N.fatigue, N.router);
  topology
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.subscriptions), stringSerde, jsonSerde<SubscriptionState>()).withKeyFilter(keyFilter), N.subscriptionTable, N.validate)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.dedupe), stringSerde, jsonSerde()).withKeyFilter(keyFilter), N.dedupe, N.validate, N.fatigue)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.fatigue), stringSerde, jsonSerde()), N.fatigue, N.validate);

  // Dispatch.
  for (const lane of lanes) {
    topology.addSource({ name: N.laneSources[lane], topics: [laneTopics[lane]], keySerde: stringSerde, valueSerde: laneSerde, weight: laneWeights[lane] });
  }
  // Commands are rare and time-critical (a revoke must beat the send): give them the top weight.
  topology.addSource({ name: N.commandsSource, topics: [t.commands.name], keySerde: stringSerde, valueSerde: avro<RevokeCommand>('notify.v1.RevokeCommand'), weight: laneWeights.CRITICAL });
  topology
    .addProcessor(
      N.delayBuffer,
      () =>
        new DelayBufferProcessor({
          heldStore: STORE_NAMES.held,
          ledgerStore: STORE_NAMES.ledger,
          commandTopics: [t.commands.name],
          punctuateIntervalMs: config.delay.punctuateInterval,
          maxReleasePerScan: config.delay.maxReleasePerScan,
          feedbackChild: N.dispatchFeedbackSink,
          sinkChild: N.channelSink,
          ledgerRetentionMs: config.ledger.retention,
          ...sweep,
        }),
      N.laneSources.CRITICAL,
      N.laneSources.NORMAL,
      N.laneSources.BULK,
      N.commandsSource,
    )
    .addProcessor(
      N.channelSink,
      () =>
        new ChannelSinkProcessor({
          sender: deps.sender,
          templates,
          prices: new BillingPrices(config.billing.prices, config.billing.currency),
          retry: config.retry,
          heldStore: STORE_NAMES.held,
          ledgerStore: STORE_NAMES.ledger,
          intentStore: STORE_NAMES.sendIntents,
          feedbackChild: N.dispatchFeedbackSink,
          maxBatch: config.sink.maxBatch,
          urgentLanes: new Set<Lane>(['CRITICAL']),
          flushIntervalMs: config.sink.flushInterval,
        }),
      N.delayBuffer,
    )
    .addSink({ name: N.dispatchFeedbackSink, topic: t.feedback.name, keySerde: stringSerde, valueSerde: feedbackSerde }, N.delayBuffer, N.channelSink)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.held), bufferSerde, bufferSerde), N.delayBuffer, N.channelSink)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.ledger), stringSerde, jsonSerde()).withKeyFilter(keyFilter), N.delayBuffer, N.channelSink)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.sendIntents), stringSerde, jsonSerde<LaneRecord[]>()), N.channelSink);

  // Feedback: billing, and delivery reports joined with SENT (both keyed by messageId).
  topology
    .addSource({ name: N.feedbackSource, topics: [t.feedback.name], keySerde: stringSerde, valueSerde: feedbackSerde })
    .addSource({ name: N.deliveryReportsSource, topics: [t.deliveryReports.name], keySerde: stringSerde, valueSerde: avro<DeliveryReport>('notify.v1.DeliveryReport') })
    .addProcessor(
      N.deliveryReports,
      () =>
        new DeliveryReportProcessor({
          storeName: STORE_NAMES.deliveryTracking,
          reportTopics: [t.deliveryReports.name],
          channels: config.deliveryReports.channels,
          retentionMs: config.ledger.retention,
          feedbackChild: N.deliveryFeedbackSink,
          ...sweep,
        }),
      N.feedbackSource,
      N.deliveryReportsSource,
    )
    .addSink({ name: N.deliveryFeedbackSink, topic: t.feedback.name, keySerde: stringSerde, valueSerde: feedbackSerde }, N.deliveryReports)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.deliveryTracking), stringSerde, jsonSerde()).withKeyFilter(keyFilter), N.deliveryReports)
    .addProcessor(
      N.billing,
      () =>
        new BillingProcessor({
          storeName: STORE_NAMES.billing,
          countedStoreName: STORE_NAMES.billingCounted,
          countedRetentionMs: config.ledger.retention,
          windowMs: config.billing.window,
          graceMs: config.billing.grace,
          currency: config.billing.currency,
          sinkChild: N.billingSink,
          ...sweep,
        }),
      N.feedbackSource,
    )
    .addSink({ name: N.billingSink, topic: t.billing.name, keySerde: stringSerde, valueSerde: avro<BillingWindow>('notify.v1.BillingWindow') }, N.billing)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.billing), bufferSerde, jsonSerde()), N.billing)
    .addStateStore(Stores.keyValueStoreBuilder(supplier(STORE_NAMES.billingCounted), stringSerde, jsonSerde<number>()).withKeyFilter(keyFilter), N.billing);

  return topology;
}

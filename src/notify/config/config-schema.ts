/**
 * The zod schema of `topology/notify-streams.yaml` and the typed configuration it produces.
 * Objects are strict (a misspelt key is an error, not a silently ignored setting), durations
 * become milliseconds, and cross-field rules (lane coverage, pool references, co-partitioning)
 * are checked here so that a bad file stops startup before anything connects.
 */
import { z } from 'zod';
import { ChannelsConfigSchema } from '../../channels/index.js';
import {
  CATEGORY_SYMBOLS,
  CHANNEL_SYMBOLS,
  PRIORITY_SYMBOLS,
  type Category,
  type Channel,
  type Priority,
} from '../generated/schema-types.js';
import { DEFAULT_REQUEST_LIMITS } from '../domain/request-limits.js';
import { parseDuration } from './duration.js';

const category = z.enum(CATEGORY_SYMBOLS as [Category, ...Category[]]);
const channel = z.enum(CHANNEL_SYMBOLS as [Channel, ...Channel[]]);
const priority = z.enum(PRIORITY_SYMBOLS as [Priority, ...Priority[]]);

/** A duration like `24h`; the output is milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration like 24h or 7d' });
    return z.NEVER;
  }
  return ms;
});

const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration greater than zero' });

const nonEmpty = z.string().min(1, { message: 'must not be empty' });

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a time of day like 22:00' });

const timeZone = z.string().refine(isTimeZone, { message: 'expected an IANA time zone like Asia/Shanghai' });

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const topic = z.strictObject({ name: nonEmpty, partitions: z.number().int().min(1) });

const lane = z.strictObject({
  categories: z.array(category).default([]),
  priorities: z.array(priority).default([]),
  weight: z.number().int().min(1),
});

const fatigueRule = z.strictObject({
  name: nonEmpty,
  scope: z.enum(['user', 'user+scenario', 'user+businessUnit']),
  window: positiveDuration,
  cap: z.number().int().min(0),
  /** Categories the rule counts and limits; all when omitted. */
  categories: z.array(category).optional(),
  /** Counting granularity; window/24 (at least 1 minute) when omitted. */
  bucket: positiveDuration.optional(),
});

const quietHoursRule = z.strictObject({
  category,
  start: clockTime,
  end: clockTime,
  /** Channels the rule applies to; all when omitted. */
  channels: z.array(channel).optional(),
});

const retryPolicy = z.strictObject({
  maxAttempts: z.number().int().min(1),
  initialBackoff: positiveDuration,
  multiplier: z.number().min(1).default(2),
  maxBackoff: positiveDuration,
  validity: positiveDuration,
  onDeadline: z.enum(['FAILED', 'EXPIRED']).default('FAILED'),
  /**
   * A send whose outcome a crash left unknown (its intent was durable, its result was not):
   * RESEND it (a second code beats none) or count it ASSUME_SENT (never spam twice).
   */
  onUncertainSend: z.enum(['RESEND', 'ASSUME_SENT']).default('RESEND'),
});

const templateVariant = z.strictObject({
  channel,
  locale: nonEmpty,
  subject: z.string().optional(),
  body: z.string(),
  templateCode: z.string().optional(),
});

const price = z.strictObject({
  default: z.number().min(0),
  providers: z.record(z.string(), z.number().min(0)).default({}),
});

const positiveInt = z.number().int().min(1);

const mapLimits = (d: { maxEntries: number; keyLength: number; valueLength: number }) =>
  z.strictObject({ maxEntries: positiveInt.default(d.maxEntries), keyLength: positiveInt.default(d.keyLength), valueLength: positiveInt.default(d.valueLength) }).default(d);

const contentBytes = (d: { maxBytes: number }) => z.strictObject({ maxBytes: positiveInt.default(d.maxBytes) }).default(d);

const D = DEFAULT_REQUEST_LIMITS;

/** Input limits; the defaults and their reasons are in `domain/request-limits.ts`. */
const limits = z
  .strictObject({
    requestBytes: positiveInt.default(D.requestBytes),
    idLength: positiveInt.default(D.idLength),
    dedupeKeyLength: positiveInt.default(D.dedupeKeyLength),
    templateParams: mapLimits(D.templateParams),
    tags: mapLimits(D.tags),
    content: z
      .strictObject({
        SMS: z.strictObject({ maxSegments: z.number().int().min(1).max(255).default(D.content.SMS.maxSegments) }).default(D.content.SMS),
        PUSH: contentBytes(D.content.PUSH),
        WECHAT: contentBytes(D.content.WECHAT),
        EMAIL: contentBytes(D.content.EMAIL),
        WEBHOOK: contentBytes(D.content.WEBHOOK),
      })
      .default(D.content),
  })
  .default(D);

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'expected an environment variable name like NOTIFY_TOKEN_SHOP' });

/** The whole configuration file. */
export const notifyConfigSchema = z
  .strictObject({
    kafka: z.strictObject({
      bootstrapServers: nonEmpty,
      applicationId: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: 'expected letters, digits, ".", "_" or "-"' }),
      processingGuarantee: z.enum(['at_least_once', 'exactly_once_v2']).default('exactly_once_v2'),
      /** Unset: 100 ms under exactly_once_v2, 1 s under at_least_once (the engine's defaults). */
      commitInterval: positiveDuration.optional(),
      /** Stream threads per process, each with its own consumer in the group. */
      threads: z.number().int().min(1).max(64).default(1),
      clientConfig: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      /** librdkafka settings for the stream threads' producers only, over the engine's defaults. */
      producerConfig: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    }),
    topics: z
      .strictObject({
        requests: topic,
        commands: topic,
        subscriptions: topic,
        templates: topic,
        feedback: topic,
        /** Provider delivery reports (key messageId), co-partitioned with feedback; optional in the file. */
        deliveryReports: topic.optional(),
        billing: topic,
        dlq: topic,
        lanes: z.strictObject({ critical: topic, normal: topic, bulk: topic }),
      })
      .transform(({ deliveryReports, ...rest }) => ({
        ...rest,
        deliveryReports: deliveryReports ?? { name: 'notify.delivery-reports', partitions: rest.feedback.partitions },
      })),
    lanes: z.strictObject({ critical: lane, normal: lane, bulk: lane }),
    fatigue: z.strictObject({ rules: z.array(fatigueRule).default([]) }),
    quietHours: z.strictObject({ defaultTimeZone: timeZone, rules: z.array(quietHoursRule).default([]) }),
    retry: z.strictObject({ VERIFICATION: retryPolicy, NOTIFICATION: retryPolicy, MARKETING: retryPolicy }),
    dedupe: z.strictObject({ retention: positiveDuration }),
    ledger: z.strictObject({ retention: positiveDuration }),
    /**
     * Expiry of dedupe, fatigue, ledger and delivery-tracking entries: every `interval` each
     * task scans the next `maxScan` entries of each such store and deletes the expired ones.
     */
    housekeeping: z
      .strictObject({
        interval: positiveDuration.default(1000),
        maxScan: z.number().int().min(1).default(2000),
        pass: positiveDuration.default(3_600_000),
      })
      .default({ interval: 1000, maxScan: 2000, pass: 3_600_000 }),
    /**
     * Memory of one pod (README "Memory"). `totalMb` is the engine's one total for RocksDB
     * (memtables and block caches of every store), the stores' read caches and the Kafka clients'
     * queues (see the engine's `MemoryConfig`); the key filters
     * in front of the subscription, dedupe, ledger and delivery-tracking stores are sized per
     * task for `keyFilterKeysPerTask` keys (~1.2 MB each at 1M keys and 1%, ×4 stores ×partitions).
     */
    memory: z
      .strictObject({
        totalMb: z.number().int().min(64).default(256),
        rocksDbRatio: z.number().gt(0).lt(1).default(0.5),
        recordCacheRatio: z.number().gt(0).lt(1).default(0.25),
        writeBufferRatio: z.number().gt(0).lt(1).default(0.5),
        keyFilterKeysPerTask: z.number().int().min(1000).default(1_000_000),
        keyFilterFalsePositiveRate: z.number().gt(0).lt(0.5).default(0.01),
      })
      .refine((m) => m.rocksDbRatio + m.recordCacheRatio < 1, { message: 'rocksDbRatio + recordCacheRatio must be below 1 (the rest is for the Kafka clients)', path: ['recordCacheRatio'] })
      .default({ totalMb: 256, rocksDbRatio: 0.5, recordCacheRatio: 0.25, writeBufferRatio: 0.5, keyFilterKeysPerTask: 1_000_000, keyFilterFalsePositiveRate: 0.01 }),
    delay: z.strictObject({
      punctuateInterval: positiveDuration.default(200),
      maxReleasePerScan: z.number().int().min(1).default(5000),
    }),
    sink: z
      .strictObject({
        maxBatch: z.number().int().min(1).default(500),
        flushInterval: positiveDuration.default(10),
      })
      .default({ maxBatch: 500, flushInterval: 10 }),
    feedback: z.strictObject({ emitAccepted: z.boolean().default(false) }).default({ emitAccepted: false }),
    /**
     * Channels whose SENT messages are remembered for provider delivery reports (one store write
     * and changelog record per SENT message). Reports about other channels are not reported.
     */
    deliveryReports: z.strictObject({ channels: z.array(channel).default(['SMS']) }).default({ channels: ['SMS'] }),
    /** Sizes of requests, their fields and rendered content; over a limit is REJECTED / HTTP 400 or 413. */
    limits,
    blockedWords: z.array(nonEmpty).default([]),
    templates: z.record(z.string(), z.strictObject({ variants: z.array(templateVariant).min(1) })).default({}),
    billing: z.strictObject({
      window: positiveDuration,
      grace: duration.default(60_000),
      currency: z.string().regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 code like CNY' }),
      prices: z.strictObject({ SMS: price, PUSH: price, WECHAT: price, EMAIL: price, WEBHOOK: price }),
    }),
    /** Provider pools and routes: the channels package owns this section's schema. */
    channels: ChannelsConfigSchema,
    http: z.strictObject({
      port: z.number().int().min(0).max(65535),
      tokens: z.array(z.strictObject({ businessUnit: nonEmpty, env: envName })).default([]),
    }),
    logging: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }),
  })
  .superRefine((config, ctx) => {
    checkLanes(config.lanes, ctx);
    checkCoPartitioning(config.topics, ctx);
    checkChannels(config.channels.pools, ctx);
    const names = new Set<string>();
    config.fatigue.rules.forEach((rule, i) => {
      if (names.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['fatigue', 'rules', i, 'name'], message: `duplicate rule name "${rule.name}"` });
      names.add(rule.name);
      if (rule.bucket !== undefined && rule.bucket > rule.window) {
        ctx.addIssue({ code: 'custom', path: ['fatigue', 'rules', i, 'bucket'], message: 'must not be longer than the window' });
      }
    });
  });

type Ctx = z.RefinementCtx;
type LaneName = 'critical' | 'normal' | 'bulk';

/** Every category and priority must map to exactly one lane, or routing would be ambiguous. */
function checkLanes(lanes: Record<LaneName, { categories: Category[]; priorities: Priority[] }>, ctx: Ctx): void {
  for (const [field, symbols] of [
    ['categories', CATEGORY_SYMBOLS],
    ['priorities', PRIORITY_SYMBOLS],
  ] as const) {
    for (const symbol of symbols) {
      const owners = (Object.keys(lanes) as LaneName[]).filter((l) => (lanes[l][field] as string[]).includes(symbol));
      if (owners.length !== 1) {
        const problem = owners.length === 0 ? 'is in no lane' : `is in more than one lane (${owners.join(', ')})`;
        ctx.addIssue({ code: 'custom', path: ['lanes'], message: `${field}: ${symbol} ${problem}` });
      }
    }
  }
}

/** Requests, commands, subscriptions and lanes are keyed by userId and joined per partition. */
function checkCoPartitioning(topics: { requests: { partitions: number }; commands: { partitions: number }; subscriptions: { partitions: number }; feedback: { partitions: number }; deliveryReports: { partitions: number }; lanes: Record<LaneName, { partitions: number }> }, ctx: Ctx): void {
  const expected = topics.requests.partitions;
  const check = (path: (string | number)[], partitions: number): void => {
    if (partitions !== expected) {
      ctx.addIssue({ code: 'custom', path: [...path, 'partitions'], message: `must equal topics.requests.partitions (${expected}): the topics are co-partitioned by userId` });
    }
  };
  check(['topics', 'commands'], topics.commands.partitions);
  check(['topics', 'subscriptions'], topics.subscriptions.partitions);
  if (topics.deliveryReports.partitions !== topics.feedback.partitions) {
    ctx.addIssue({
      code: 'custom',
      path: ['topics', 'deliveryReports', 'partitions'],
      message: `must equal topics.feedback.partitions (${topics.feedback.partitions}): delivery reports are joined with feedback by messageId`,
    });
  }
  for (const l of ['critical', 'normal', 'bulk'] as const) check(['topics', 'lanes', l], topics.lanes[l].partitions);
}

/** Every channel needs a pool, or its requests could only fail. */
function checkChannels(pools: Record<string, { channel: Channel }>, ctx: Ctx): void {
  const served = new Set(Object.values(pools).map((p) => p.channel));
  for (const ch of CHANNEL_SYMBOLS) {
    if (!served.has(ch)) ctx.addIssue({ code: 'custom', path: ['channels', 'pools'], message: `no pool serves channel ${ch}` });
  }
}

/** The validated configuration; every duration is in milliseconds. */
export type NotifyConfig = z.output<typeof notifyConfigSchema>;
/** One fatigue rule of {@link NotifyConfig}. */
export type FatigueRuleConfig = NotifyConfig['fatigue']['rules'][number];
/** One quiet-hours rule of {@link NotifyConfig}. */
export type QuietHoursRuleConfig = NotifyConfig['quietHours']['rules'][number];
/** The retry policy of one category. */
export type RetryPolicyConfig = NotifyConfig['retry'][Category];
/** One template of {@link NotifyConfig}. */
export type TemplateConfig = NotifyConfig['templates'][string];
/** One lane's routing and weight. */
export type LaneConfig = NotifyConfig['lanes'][LaneName];

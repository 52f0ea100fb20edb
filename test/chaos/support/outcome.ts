/**
 * The invariants, read from outside the pods: a read_committed consumer of `notify.feedback`
 * and `notify.billing` running beside the test (it rides out a broker outage like any client),
 * and the providers' record of what they were asked to send (the log providers' `--sent-log`
 * file, appended to by every pod of the case).
 *
 * Invariants:
 * - exactly_once_v2: each messageId has exactly one terminal status; billing equals the SENT
 *   feedback; no request lost; provider double sends 0 for `assume-sent` categories and at most
 *   the sink's max in-flight for `resend` ones.
 * - at_least_once: never two different terminal statuses for one messageId; nothing lost;
 *   billing equals the distinct SENT messages.
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { existsSync, readFileSync } from 'node:fs';
import { appCodecs } from '../../../src/app/codecs.js';
import type { TrafficItem } from '../../../src/app/demo/traffic.js';
import { TERMINAL_STATUSES, type BillingWindow, type Category, type DeliveryFeedback } from '../../../src/notify/index.js';
import { AvroSerde } from '../../../src/streams/index.js';
import { BOOTSTRAP, uniqueName } from '../../support/kafka.js';

export type Guarantee = 'at_least_once' | 'exactly_once_v2';

/**
 * What a category does with a send whose outcome a crash left uncertain, as the default
 * configuration's `retry.<category>.onUncertainSend` says: verification codes and notifications
 * are sent again (`resend`), marketing is taken as sent (`assume-sent`).
 */
export const SEND_POLICY: Readonly<Record<Category, 'resend' | 'assume-sent'>> = {
  VERIFICATION: 'resend',
  NOTIFICATION: 'resend',
  MARKETING: 'assume-sent',
};

/** Reads feedback and billing continuously (read_committed) until closed. */
export class OutcomeReader {
  /** Terminal statuses per messageId, in order of arrival (subject REQUEST only). */
  readonly terminal = new Map<string, string[]>();
  /** Sum of `sent` over every billing row (rows of one window add up). */
  billingSent = 0;
  billingRows = 0;
  private readonly consumer: InstanceType<typeof KafkaJs.KafkaConsumer>;
  private running = true;
  /** Next offset to count per topic-partition (records below it were counted already). */
  private readonly next = new Map<string, number>();
  private loop: Promise<void> = Promise.resolve();
  private readonly billingSerde = new AvroSerde<BillingWindow>({ catalog: appCodecs().catalog, type: 'notify.v1.BillingWindow' });

  private constructor(
    private readonly feedbackTopic: string,
    private readonly billingTopic: string,
  ) {
    this.consumer = new KafkaJs.KafkaConsumer(
      { 'bootstrap.servers': BOOTSTRAP, 'group.id': uniqueName('chaos-reader'), 'enable.auto.commit': false, 'isolation.level': 'read_committed', 'session.timeout.ms': 10_000 } as never,
      { 'auto.offset.reset': 'earliest' } as never,
    );
  }

  static async start(feedbackTopic: string, billingTopic: string, partitions: number): Promise<OutcomeReader> {
    const reader = new OutcomeReader(feedbackTopic, billingTopic);
    await new Promise<void>((res, rej) => reader.consumer.connect({}, (err) => (err ? rej(err) : res())));
    reader.consumer.on('event.error', () => undefined);
    reader.consumer.setDefaultConsumeTimeout(200);
    // Assigned, not subscribed: a group rebalance (the broker restarting) would send a reader
    // without committed offsets back to the start; offsets seen are also skipped if re-read.
    reader.consumer.assign(
      [feedbackTopic, billingTopic].flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 }))),
    );
    reader.loop = reader.run();
    return reader;
  }

  private async run(): Promise<void> {
    const feedback = appCodecs().feedback;
    while (this.running) {
      let msgs: KafkaJs.Message[];
      try {
        msgs = await new Promise<KafkaJs.Message[]>((res, rej) => this.consumer.consume(2000, (err, m) => (err ? rej(err) : res(m))));
      } catch {
        // The broker is away: the client reconnects by itself.
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const m of msgs) {
        const position = `${m.topic}:${m.partition}`;
        if (m.offset < (this.next.get(position) ?? 0)) continue;
        this.next.set(position, m.offset + 1);
        if (!m.value) continue;
        if (m.topic === this.feedbackTopic) {
          const e: DeliveryFeedback = feedback.deserialize(m.topic, m.value);
          if ((e.subject ?? 'REQUEST') !== 'REQUEST' || !TERMINAL_STATUSES.has(e.status)) continue;
          const list = this.terminal.get(e.messageId);
          if (list) list.push(e.status);
          else this.terminal.set(e.messageId, [e.status]);
        } else if (m.topic === this.billingTopic) {
          const w = this.billingSerde.deserialize(m.topic, m.value);
          this.billingSent += Number(w.sent);
          this.billingRows++;
        }
      }
    }
  }

  /** SENT feedback events, and distinct messages with a SENT. */
  sentFeedback(): { events: number; distinct: number } {
    let events = 0;
    let distinct = 0;
    for (const statuses of this.terminal.values()) {
      const n = statuses.filter((s) => s === 'SENT').length;
      events += n;
      if (n > 0) distinct++;
    }
    return { events, distinct };
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
    await new Promise<void>((res) => this.consumer.disconnect(() => res()));
  }
}

/** messageId → number of times a provider was asked to send it, from a `--sent-log` file. */
export function providerSends(sentLog: string): Map<string, number> {
  const sends = new Map<string, number>();
  if (!existsSync(sentLog)) return sends;
  for (const line of readFileSync(sentLog, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let id: string;
    try {
      id = (JSON.parse(line) as { messageId: string }).messageId;
    } catch {
      continue; // a line cut by SIGKILL
    }
    sends.set(id, (sends.get(id) ?? 0) + 1);
  }
  return sends;
}

/** The request messageIds of the traffic, with their categories. */
export function requestIds(items: readonly TrafficItem[]): Map<string, Category> {
  const ids = new Map<string, Category>();
  for (const i of items) if (i.kind === 'request') ids.set(i.request.messageId, i.request.category);
  return ids;
}

export interface Outcome {
  readonly requests: number;
  readonly terminal: number;
  readonly lost: string[];
  /** Ids with two different terminal statuses. */
  readonly conflicting: string[];
  /** Ids with more than one terminal event (the same status repeated included). */
  readonly repeated: string[];
  readonly sentEvents: number;
  readonly sentDistinct: number;
  readonly billingSent: number;
  /** Messages a provider was asked to send (distinct), and sends in all. */
  readonly providerDistinct: number;
  readonly providerSends: number;
  /** Per category: messages a provider got more than once. */
  readonly sentTwice: Record<Category, number>;
  /** Provider sends of messages with no SENT feedback (a send the stream does not know of). */
  readonly sendsWithoutSent: number;
  /** SENT feedback of messages no provider was asked to send. */
  readonly sentWithoutSend: number;
}

/** Waits until every request has a terminal status and billing has caught up, or the time is up. */
export async function settle(reader: OutcomeReader, ids: ReadonlyMap<string, Category>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const allTerminal = (): boolean => [...ids.keys()].every((id) => reader.terminal.has(id));
  while (Date.now() < deadline && !allTerminal()) await new Promise((r) => setTimeout(r, 200));
  // Billing windows close once feedback has been quiet for the grace period (wall clock); wait
  // for billing to reach the SENT count and then stay unchanged for 3 s (late rows add up).
  let stableSince = Date.now();
  let last = -1;
  while (Date.now() < deadline) {
    if (reader.billingSent !== last) {
      last = reader.billingSent;
      stableSince = Date.now();
    }
    if (reader.billingSent >= reader.sentFeedback().distinct && Date.now() - stableSince > 3_000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function evaluate(reader: OutcomeReader, ids: ReadonlyMap<string, Category>, sentLog: string, peerSends?: ReadonlyMap<string, number>): Outcome {
  const sends = providerSends(sentLog);
  for (const [id, n] of peerSends ?? []) sends.set(id, (sends.get(id) ?? 0) + n);
  const lost = [...ids.keys()].filter((id) => !reader.terminal.has(id));
  const conflicting: string[] = [];
  const repeated: string[] = [];
  for (const [id, statuses] of reader.terminal) {
    if (!ids.has(id)) continue;
    if (new Set(statuses).size > 1) conflicting.push(id);
    if (statuses.length > 1) repeated.push(id);
  }
  const sentTwice: Record<Category, number> = { VERIFICATION: 0, NOTIFICATION: 0, MARKETING: 0 };
  let providerTotal = 0;
  let sendsWithoutSent = 0;
  for (const [id, n] of sends) {
    providerTotal += n;
    if (n > 1) sentTwice[ids.get(id) ?? 'MARKETING']++;
    if (!(reader.terminal.get(id) ?? []).includes('SENT')) sendsWithoutSent++;
  }
  let sentWithoutSend = 0;
  for (const [id, statuses] of reader.terminal) if (statuses.includes('SENT') && !sends.has(id)) sentWithoutSend++;
  const sent = reader.sentFeedback();
  return {
    requests: ids.size,
    terminal: [...ids.keys()].filter((id) => reader.terminal.has(id)).length,
    lost,
    conflicting,
    repeated,
    sentEvents: sent.events,
    sentDistinct: sent.distinct,
    billingSent: reader.billingSent,
    providerDistinct: sends.size,
    providerSends: providerTotal,
    sentTwice,
    sendsWithoutSent,
    sentWithoutSend,
  };
}

/** One line of numbers, e.g. `requests 4000, terminal 4000, two-terminal 0, …`. */
export function describeOutcome(o: Outcome): string {
  const twice = o.sentTwice;
  return [
    `requests ${o.requests}`,
    `terminal ${o.terminal}`,
    `lost ${o.lost.length}`,
    `two-terminal ${o.conflicting.length}`,
    `repeated-terminal ${o.repeated.length}`,
    `SENT ${o.sentEvents} (distinct ${o.sentDistinct})`,
    `provider sends ${o.providerSends} (distinct ${o.providerDistinct})`,
    `sent twice ${twice.VERIFICATION + twice.NOTIFICATION + twice.MARKETING} (verification ${twice.VERIFICATION}, notification ${twice.NOTIFICATION}, marketing ${twice.MARKETING})`,
    `sends without SENT ${o.sendsWithoutSent}`,
    `billing ${o.billingSent}`,
  ].join(', ');
}

/**
 * The invariant violations of `o` under `guarantee`, one sentence each (empty: all hold).
 * `maxInFlight` bounds the double sends of `resend` categories (the sink's batch).
 */
export function violations(o: Outcome, guarantee: Guarantee, maxInFlight: number): string[] {
  const v: string[] = [];
  if (o.lost.length > 0) v.push(`${o.lost.length} requests without a terminal status (e.g. ${o.lost.slice(0, 3).join(', ')})`);
  if (o.conflicting.length > 0) v.push(`${o.conflicting.length} messageIds with two different terminal statuses (e.g. ${o.conflicting.slice(0, 3).join(', ')})`);
  if (guarantee === 'exactly_once_v2') {
    if (o.repeated.length > 0) v.push(`${o.repeated.length} messageIds with more than one terminal event under exactly_once_v2 (e.g. ${o.repeated.slice(0, 3).join(', ')})`);
    if (o.billingSent !== o.sentEvents) v.push(`billing counts ${o.billingSent} sent, the SENT feedback ${o.sentEvents}`);
  } else if (o.billingSent !== o.sentDistinct) {
    v.push(`billing counts ${o.billingSent} sent, distinct SENT messages ${o.sentDistinct}`);
  }
  if (guarantee === 'exactly_once_v2') {
    for (const c of ['VERIFICATION', 'NOTIFICATION', 'MARKETING'] as const) {
      const bound = SEND_POLICY[c] === 'assume-sent' ? 0 : maxInFlight;
      if (o.sentTwice[c] > bound) v.push(`${o.sentTwice[c]} ${c} messages sent twice by providers (policy ${SEND_POLICY[c]}: at most ${bound})`);
    }
  }
  return v;
}

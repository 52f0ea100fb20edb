/**
 * What every chaos case shares: an isolated deployment (own topics and applicationId, 6
 * partitions = 18 tasks per pod) on the chaos broker, a state folder and sent-log, the outside
 * reader of feedback and billing, a producer of generated traffic that waits out a broker outage
 * (its records buffered, as a business system's producer would), pods, and the teardown.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTraffic, type TrafficItem } from '../../../src/app/demo/traffic.js';
import { produceTraffic, type ProduceStats } from '../../../src/app/demo/traffic-producer.js';
import { DurableProducer } from '../../../src/app/kafka/durable-producer.js';
import type { Category, NotifyConfig } from '../../../src/notify/index.js';
import { cliInProcess, isolatedApp } from '../../integration/app/support/app-env.js';
import { BOOTSTRAP, deleteTopicsStartingWith } from '../../support/kafka.js';
import { assertOwnBroker } from './chaos-broker.js';
import { ChaosPod, LOG_DIR } from './chaos-pod.js';
import { describeOutcome, evaluate, OutcomeReader, providerSends, requestIds, settle, violations, type Guarantee, type Outcome } from './outcome.js';

/** `CHAOS_SHORT=1`: the short version of each case (fewer requests, shorter outages). */
export const SHORT = process.env.CHAOS_SHORT === '1';

export const PARTITIONS = 6;

export class ChaosCase {
  readonly pods: ChaosPod[] = [];
  readonly dir: string;
  readonly sentLog: string;
  readonly items: TrafficItem[];
  readonly ids: Map<string, Category>;
  private producer: DurableProducer | null = null;
  private reader: OutcomeReader | null = null;
  private podCount = 0;

  private constructor(
    readonly label: string,
    readonly guarantee: Guarantee,
    readonly env: Record<string, string>,
    readonly config: NotifyConfig,
    readonly applicationId: string,
    count: number,
    shape?: (items: TrafficItem[]) => TrafficItem[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'notify-chaos-'));
    this.sentLog = join(this.dir, 'sent.jsonl');
    const items = generateTraffic({ count, seed: 7, users: 50_000, profile: 'settling', idPrefix: applicationId });
    this.items = shape ? shape(items) : items;
    this.ids = requestIds(this.items);
  }

  /**
   * Creates the topics and starts the outside reader. `env` adds to the deployment's variables
   * (null removes one); `shape` may rewrite the generated traffic before anything is produced.
   */
  static async create(label: string, guarantee: Guarantee, count: number, env: Record<string, string | null> = {}, shape?: (items: TrafficItem[]) => TrafficItem[]): Promise<ChaosCase> {
    assertOwnBroker();
    const app = isolatedApp(`chaos-${label}`, PARTITIONS);
    const merged: Record<string, string | null> = {
      ...app.env,
      NOTIFY_KAFKA__PROCESSING_GUARANTEE: guarantee,
      // Short billing windows, closed 2 s after feedback goes quiet, so billing can be checked.
      NOTIFY_BILLING__WINDOW: '10s',
      NOTIFY_BILLING__GRACE: '2s',
      ...env,
    };
    const fullEnv = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== null));
    const c = new ChaosCase(label, guarantee, fullEnv, app.config, app.applicationId, count, shape);
    const created = await cliInProcess(['topics', 'create'], fullEnv);
    if (created.code !== 0) throw new Error(`topics create failed: ${created.stderr}`);
    c.reader = await OutcomeReader.start(app.config.topics.feedback.name, app.config.topics.billing.name, PARTITIONS);
    return c;
  }

  /** Starts one more pod of the deployment (its own state folder unless `stateDir` is given). */
  async startPod(options: { stateDir?: string; sessionTimeout?: string; extraArgs?: readonly string[] } = {}): Promise<ChaosPod> {
    const n = this.podCount++;
    const pod = await ChaosPod.start({
      name: `${this.label}-${n}`,
      env: this.env,
      stateDir: options.stateDir ?? join(this.dir, `state-${n}`),
      sentLog: this.sentLog,
      ...(options.sessionTimeout ? { sessionTimeout: options.sessionTimeout } : {}),
      ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
    });
    this.pods.push(pod);
    return pod;
  }

  /**
   * Produces the traffic at `rate` records/s in the background. Records wait up to 5 min for
   * the broker (an outage does not fail them).
   */
  produce(rate: number): Promise<ProduceStats> {
    this.producer = new DurableProducer({ bootstrapServers: BOOTSTRAP, clientId: `chaos-${this.label}`, deliveryTimeoutMs: 300_000, connectTimeoutMs: 30_000 });
    return produceTraffic(this.items, this.producer, this.config, { rate });
  }

  /** Provider sends so far (lines of the sent-log). */
  providerSendCount(): number {
    let n = 0;
    for (const v of providerSends(this.sentLog).values()) n += v;
    return n;
  }

  /** The outside reader's terminal statuses per messageId. */
  get terminal(): ReadonlyMap<string, string[]> {
    return this.reader!.terminal;
  }

  /**
   * Waits for every request to settle (or `timeoutMs`), then evaluates the invariants;
   * `peerSends` adds the sends of providers other than the log providers (messageId → count).
   */
  async outcome(timeoutMs: number, peerSends?: ReadonlyMap<string, number>): Promise<{ outcome: Outcome; line: string; violations: string[] }> {
    await settle(this.reader!, this.ids, timeoutMs);
    const outcome = evaluate(this.reader!, this.ids, this.sentLog, peerSends);
    return { outcome, line: describeOutcome(outcome), violations: violations(outcome, this.guarantee, this.config.sink.maxBatch) };
  }

  /** Stops pods (SIGKILL if still up), writes their logs, closes clients, deletes the topics. */
  async teardown(): Promise<string[]> {
    const logs: string[] = [];
    for (const pod of this.pods) {
      await pod.kill();
      logs.push(await pod.finish(`${pod.name}-${this.guarantee}`));
    }
    await this.producer?.close().catch(() => undefined);
    await this.reader?.close().catch(() => undefined);
    await deleteTopicsStartingWith([this.applicationId]).catch(() => undefined);
    mkdirSync(LOG_DIR, { recursive: true });
    if (existsSync(this.sentLog)) copyFileSync(this.sentLog, join(LOG_DIR, `${this.label}-${this.guarantee}-sent.jsonl`));
    rmSync(this.dir, { recursive: true, force: true });
    return logs;
  }
}

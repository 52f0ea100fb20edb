/**
 * Notification topology benchmark on the local broker (issue 3, "what must be shown"):
 *
 *   npx tsx bench/notify/topology-bench.ts [requests=100000] [runs=3] [backlog=200000] [probes=100]
 *
 * 1. Priority: `backlog` MARKETING lane records are put in the bulk lane, the topology starts
 *    and, while it works through them, `probes` VERIFICATION requests are produced to
 *    notify.requests one every 25 ms. Latency = from the probe's produce call to the moment the
 *    channel sink hands it to the sender. Reported: p50/p99/max, and how much of the bulk
 *    backlog was still unsent when the last probe went out (it must not be zero, or the probes
 *    did not compete with it).
 * 2. Throughput: `requests` requests (70% MARKETING, 28% NOTIFICATION, 2% VERIFICATION, unique
 *    users, default fatigue rules, `log` providers) are produced before the topology starts;
 *    requests/s = requests / (time from the first processed record to the moment the feedback
 *    sub-topology has processed every SENT). Kafka operations and state store operations per
 *    request are counted from topic end offsets and the engine's metrics.
 *
 * Each run uses fresh topics and a fresh application id. One process, one stream thread. An
 * untimed throughput run of 30,000 requests goes first (BENCH_WARMUP), so that the broker's and
 * this process's JIT compilers have done their work before anything is measured.
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createChannelRouter, type OutboundMessage, type SendResult } from '../../src/channels/index.js';
import type { ChannelSender } from '../../src/notify/channel-sender.js';
import type { NotifyConfig } from '../../src/notify/config/index.js';
import type { LaneRecord, NotificationRequest } from '../../src/notify/generated/schema-types.js';
import { STORE_NAMES } from '../../src/notify/operators/store-names.js';
import { buildNotifyTopology } from '../../src/notify/topology.js';
import { changelogTopicName, KafkaStreams, WorkerStreams, type StreamsConfig } from '../../src/streams/index.js';
import { EXPECTED_KEYS_PER_TASK, type TopologyWorkerArgs } from './topology-worker.js';
import { BOOTSTRAP, deleteTopicsStartingWith, readTopic } from '../../test/support/kafka.js';
import { avro, catalog, createConfiguredTopics, notificationRequest, uniqueConfig } from '../../test/integration/notify/support/notify-fixture.js';

const REQUESTS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 3);
const BACKLOG = Number(process.argv[4] ?? 200_000);
const PROBES = Number(process.argv[5] ?? 100);
/** Requests of the untimed run before the measured ones (BENCH_WARMUP=0 skips it). */
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 30_000);
const PARTITIONS = 6;
/** Probes go out this often: 100 of them take 2.5 s, well inside the ~6 s the backlog lasts. */
const PROBE_INTERVAL_MS = 25;
// Engine defaults unless overridden (for the experiments listed in bench/notify/RESULTS.md).
const BUFFERED_PER_PARTITION = process.env['BENCH_BUFFERED'] ? Number(process.env['BENCH_BUFFERED']) : undefined;
const MAX_POLL_RECORDS = process.env['BENCH_MAX_POLL'] ? Number(process.env['BENCH_MAX_POLL']) : undefined;
const CONSUMER_CONFIG: Readonly<Record<string, string | number>> = {
  ...(process.env['BENCH_QUEUE_KB'] ? { 'queued.max.messages.kbytes': Number(process.env['BENCH_QUEUE_KB']) } : {}),
  ...(process.env['BENCH_FETCH_KB'] ? { 'fetch.message.max.bytes': Number(process.env['BENCH_FETCH_KB']) * 1024 } : {}),
  ...(JSON.parse(process.env['BENCH_CONSUMER'] ?? '{}') as Record<string, string | number>),
};
/** Stream threads; more than one runs each in its own worker thread. */
const THREADS = Number(process.env['BENCH_THREADS'] ?? 1);
const PRODUCER_CONFIG = JSON.parse(process.env['BENCH_PRODUCER'] ?? '{}') as Record<string, string | number>;

const requestSerde = avro<NotificationRequest>('NotificationRequest');
const laneSerde = avro<LaneRecord>('LaneRecord');

/** Counts what reaches the sender and remembers when each probe did. */
class CountingSender implements ChannelSender {
  count = 0;
  readonly probeAt = new Map<string, number>();
  constructor(private readonly inner: ChannelSender) {}
  send(batch: readonly OutboundMessage[]): Promise<SendResult[]> {
    this.count += batch.length;
    const now = performance.now();
    for (const m of batch) if (m.messageId.startsWith('probe-')) this.probeAt.set(m.messageId, now);
    return this.inner.send(batch);
  }
}

/** A producer that takes a whole backlog in one go. */
async function producer(): Promise<KafkaJs.Producer> {
  const p = new KafkaJs.Producer({
    'bootstrap.servers': BOOTSTRAP,
    partitioner: 'murmur2_random',
    'linger.ms': 20,
    'compression.type': 'lz4',
    'queue.buffering.max.messages': 2_000_000,
    'queue.buffering.max.kbytes': 2_000_000,
    dr_cb: false,
  } as never);
  await new Promise<void>((res, rej) => p.connect({}, (err) => (err ? rej(err) : res())));
  p.setPollInterval(50);
  return p;
}

async function flushAndClose(p: KafkaJs.Producer): Promise<void> {
  await new Promise<void>((res, rej) => p.flush(60_000, (err) => (err ? rej(err) : res())));
  await new Promise<void>((res) => p.disconnect(() => res()));
}

async function produceAll(topic: string, records: Iterable<{ key: string; value: Buffer }>): Promise<void> {
  const p = await producer();
  for (const r of records) p.produce(topic, null, r.value, r.key, Date.now());
  await flushAndClose(p);
}

/** Sum of the high watermarks of every partition of `topics`. */
async function endOffsets(topics: readonly string[], partitions: (t: string) => number): Promise<Map<string, number>> {
  const c = new KafkaJs.KafkaConsumer({ 'bootstrap.servers': BOOTSTRAP, 'group.id': `bench-offsets-${Date.now()}` } as never, {});
  await new Promise<void>((res, rej) => c.connect({}, (err) => (err ? rej(err) : res())));
  const out = new Map<string, number>();
  try {
    for (const t of topics) {
      let sum = 0;
      for (let p = 0; p < partitions(t); p++) {
        sum += await new Promise<number>((res, rej) => c.queryWatermarkOffsets(t, p, 10_000, (err, o) => (err ? rej(err) : res(o.highOffset))));
      }
      out.set(t, sum);
    }
  } finally {
    await new Promise<void>((res) => c.disconnect(() => res()));
  }
  return out;
}

/** The benchmark's mix of requests, unique users, all sendable now. */
function mixedRequest(i: number, prefix: string): NotificationRequest {
  const id = `${prefix}-${i}`;
  const user = `${prefix}-u${i}`;
  const r = i % 50;
  if (r === 0) return notificationRequest(id, user, 'SMS', i, { category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: String(100_000 + (i % 900_000)), minutes: '5' } });
  if (r < 15) return notificationRequest(id, user, (['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK'] as const)[i % 5]!, i);
  return notificationRequest(id, user, i % 3 === 0 ? 'WECHAT' : 'PUSH', i, { category: 'MARKETING', scenario: 'promo', templateId: 'promo', templateParams: { title: '双11大促', text: `全场五折起，限时抢购 ${i}` } });
}

const debugLine = (level: string) => (fields: object, msg?: string): void => console.log(new Date().toISOString(), level, msg, JSON.stringify(fields).slice(0, 400));
const debugLogger = { debug: () => undefined, info: debugLine('info'), warn: debugLine('warn'), error: debugLine('error') };

interface Running {
  sender: CountingSender;
  /** The engine's metrics (merged over the workers when there are several). */
  metrics(): Promise<Registry>;
  /** Tasks running (restored) over all stream threads. */
  runningTasks(): number;
  close(): Promise<void>;
}

/** BENCH_GUARANTEE=at_least_once|exactly_once_v2 overrides the configuration's guarantee. */
function withBenchGuarantee(c: NotifyConfig): void {
  const g = process.env['BENCH_GUARANTEE'];
  if (g === 'at_least_once' || g === 'exactly_once_v2') c.kafka.processingGuarantee = g;
}

async function start(config: NotifyConfig): Promise<Running> {
  // Channel metrics on, as in a pod (`run` registers them on its /metrics registry).
  const router = await createChannelRouter(config.channels, process.env['BENCH_NO_CHANNEL_METRICS'] ? {} : { metrics: new Registry() });
  const sender = new CountingSender(router);
  const stateDir = mkdtempSync(join(tmpdir(), 'notify-bench-'));
  const streamsConfig: StreamsConfig = {
    applicationId: config.kafka.applicationId,
    bootstrapServers: BOOTSTRAP,
    stateDir,
    deadLetterTopic: config.topics.dlq.name,
    sessionTimeoutMs: 6000,
    // The guarantee the configuration names (the product's default, exactly_once_v2), or BENCH_GUARANTEE.
    processingGuarantee: config.kafka.processingGuarantee,
    ...(process.env['BENCH_DEBUG'] ? { logger: debugLogger } : {}),
    // Engine defaults unless a BENCH_* variable overrides them (experiments in RESULTS.md).
    consumerConfig: CONSUMER_CONFIG,
    producerConfig: PRODUCER_CONFIG,
    ...(process.env['BENCH_COMMIT_MS'] ? { commitIntervalMs: Number(process.env['BENCH_COMMIT_MS']) } : {}),
    ...(BUFFERED_PER_PARTITION ? { bufferedRecordsPerPartition: BUFFERED_PER_PARTITION } : {}),
    ...(MAX_POLL_RECORDS ? { maxPollRecords: MAX_POLL_RECORDS } : {}),
    ...(process.env['BENCH_TURN'] ? { recordsPerTurn: Number(process.env['BENCH_TURN']) } : {}),
  };
  const closeAll = async (streams: { close(): Promise<void> }): Promise<void> => {
    await streams.close();
    await router.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
  if (THREADS > 1) {
    // Each stream thread in its own worker; the providers stay on this thread (one pool, one count).
    const streams = new WorkerStreams(streamsConfig, {
      module: new URL('./topology-worker.ts', import.meta.url),
      args: { config } satisfies TopologyWorkerArgs,
      threads: THREADS,
      services: { send: (batch: OutboundMessage[]) => sender.send(batch) },
    });
    await streams.start();
    return { sender, metrics: () => streams.metrics(), runningTasks: () => streams.runningTaskIds().length, close: () => closeAll(streams) };
  }
  const registry = new Registry();
  const topology = buildNotifyTopology(config, { sender, schemas: catalog, expectedKeysPerTask: EXPECTED_KEYS_PER_TASK });
  const streams = new KafkaStreams(topology, { ...streamsConfig, metrics: registry });
  await streams.start();
  return { sender, metrics: () => Promise.resolve(registry), runningTasks: () => streams.runningTaskIds().length, close: () => closeAll(streams) };
}

/**
 * Starts the topology and waits until the group has settled: every task (3 sub-topologies ×
 * partitions) running, unchanged for two seconds. Several stream threads join one by one and
 * the first rebalances take seconds; traffic produced after this measures processing, not joining.
 */
async function startSettled(config: NotifyConfig): Promise<Running> {
  const r = await start(config);
  let settledSince = 0;
  while (settledSince === 0 || performance.now() - settledSince < 2_000) {
    if (r.runningTasks() === 3 * PARTITIONS) settledSince ||= performance.now();
    else settledSince = 0;
    await sleep(50);
  }
  return r;
}

/** Records processed per sub-topology (task ids are `<subtopology>_<partition>`). */
async function processed(registry: Registry): Promise<number[]> {
  const metric = await registry.getSingleMetric('streams_records_processed_total')?.get();
  const out = [0, 0, 0];
  for (const v of metric?.values ?? []) {
    const sub = Number(String(v.labels['task']).split('_')[0]);
    out[sub] = (out[sub] ?? 0) + v.value;
  }
  return out;
}

async function storeOps(registry: Registry): Promise<Map<string, number>> {
  const metric = await registry.getSingleMetric('streams_store_operations_total')?.get();
  const out = new Map<string, number>();
  for (const v of metric?.values ?? []) out.set(`${String(v.labels['store'])}.${String(v.labels['op'])}`, v.value);
  return out;
}

/**
 * CPU seconds used so far by this process's main thread (Linux: /proc, clock ticks of 10 ms) and
 * by the whole process (every thread: JS, librdkafka, RocksDB, libuv).
 */
function cpuNow(): { thread: number; process: number } {
  const usage = process.cpuUsage();
  let thread = Number.NaN;
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    thread = (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    // Not Linux: only the process total.
  }
  return { thread, process: (usage.user + usage.system) / 1e6 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A run's topics (`<prefix>.notify.*`) and changelogs (`<applicationId>-*`), once it is measured. */
async function deleteRunTopics(config: NotifyConfig): Promise<void> {
  const app = config.kafka.applicationId;
  await deleteTopicsStartingWith([`${app.slice(0, -'-app'.length)}.`, `${app}-`]);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function priorityRun(run: number): Promise<{ p50: number; p99: number; max: number; backlogLeft: number }> {
  const config = uniqueConfig(`bp${run}`, PARTITIONS, (c) => {
    withBenchGuarantee(c);
    c.fatigue.rules = [];
  });
  await createConfiguredTopics(config);
  const now = Date.now();
  const lanes = function* (): Generator<{ key: string; value: Buffer }> {
    for (let i = 0; i < BACKLOG; i++) {
      const request = mixedRequest(i * 50 + 20, `bulk${run}`); // always a MARKETING one
      const lane: LaneRecord = { request, lane: 'BULK', dueAt: now, attempt: 1, routedAt: now, deferReason: null, lastError: null };
      yield { key: request.recipient.userId, value: laneSerde.serialize(config.topics.lanes.bulk.name, lane, {}) };
    }
  };
  const r = await startSettled(config);
  await produceAll(config.topics.lanes.bulk.name, lanes());
  // Wait until the bulk lane is flowing, then probe while it still is.
  while (r.sender.count < 5_000) await sleep(10);
  const p = await producer();
  const sentAt = new Map<string, number>();
  const producedAtMs = new Map<string, number>();
  for (let i = 0; i < PROBES; i++) {
    const probe = notificationRequest(`probe-${i}`, `probe-user-${i}`, 'SMS', i, { category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: '123456', minutes: '5' } });
    sentAt.set(probe.messageId, performance.now());
    producedAtMs.set(probe.messageId, Date.now());
    p.produce(config.topics.requests.name, null, requestSerde.serialize(config.topics.requests.name, probe, {}), probe.recipient.userId, Date.now());
    p.flush(1_000, () => undefined);
    await sleep(PROBE_INTERVAL_MS);
  }
  const backlogLeft = BACKLOG - r.sender.count + PROBES;
  await flushAndClose(p);
  const deadline = Date.now() + 30_000;
  while (r.sender.probeAt.size < PROBES && Date.now() < deadline) await sleep(20);
  const latencies = [...sentAt].map(([id, t]) => (r.sender.probeAt.get(id) ?? Number.POSITIVE_INFINITY) - t);
  await r.close();
  // Where the time went: intake (produce → routed to the critical lane) vs dispatch (the rest).
  const routed = await readTopic(config.topics.lanes.critical.name, (rs) => rs.length >= PROBES, 10_000);
  const intake = routed.map((rec) => {
    const lane = laneSerde.deserialize(config.topics.lanes.critical.name, rec.value!, {});
    return lane.routedAt - producedAtMs.get(lane.request.messageId)!;
  });
  console.log(`  probe intake latency (produce → routed): p50 ${pct(intake, 50)} ms, p99 ${pct(intake, 99)} ms`);
  await deleteRunTopics(config);
  return { p50: pct(latencies, 50), p99: pct(latencies, 99), max: Math.max(...latencies), backlogLeft };
}

interface ThroughputResult {
  perSecond: number;
  seconds: number;
  produces: Map<string, number>;
  consumes: number;
  store: Map<string, number>;
}

async function throughputRun(run: number, requestCount = REQUESTS): Promise<ThroughputResult> {
  const config = uniqueConfig(`bt${run}`, PARTITIONS, withBenchGuarantee);
  await createConfiguredTopics(config);
  const prefix = `t${run}`;
  const requests: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < requestCount; i++) {
    const req = mixedRequest(i, prefix);
    requests.push({ key: req.recipient.userId, value: requestSerde.serialize(config.topics.requests.name, req, {}) });
  }
  const r = await startSettled(config);
  await produceAll(config.topics.requests.name, requests);
  let first = 0;
  let cpuAtFirst = { thread: 0, process: 0 };
  // The topology already runs while the requests are flushed, so the clock starts a little late:
  // only the work of the three sub-topologies done after it started is counted.
  let doneAtFirst = 0;
  for (;;) {
    const [intake = 0, dispatch = 0, feedback = 0] = await processed(await r.metrics());
    if (first === 0 && intake > 0) {
      first = performance.now();
      cpuAtFirst = cpuNow();
      doneAtFirst = intake + dispatch + feedback;
    }
    if (dispatch >= requestCount && feedback >= requestCount) break;
    if (process.env['BENCH_DEBUG']) console.log('processed', intake, dispatch, feedback, 'sent', r.sender.count);
    await sleep(process.env['BENCH_DEBUG'] ? 1000 : 20);
  }
  const seconds = (performance.now() - first) / 1000;
  const cpuAtEnd = cpuNow();
  const counted = requestCount * (1 - doneAtFirst / (3 * requestCount));
  const perRequest = (a: number, b: number): string => (((b - a) / counted) * 1e6).toFixed(0);
  console.log(`  CPU per request: main thread ${perRequest(cpuAtFirst.thread, cpuAtEnd.thread)} µs, whole process ${perRequest(cpuAtFirst.process, cpuAtEnd.process)} µs`);
  await sleep(1_500); // let the last commit write its changelog records
  const [intake = 0, dispatch = 0, feedback = 0] = await processed(await r.metrics());
  const store = await storeOps(await r.metrics());
  const commits = await (await r.metrics()).getSingleMetric('streams_commit_seconds')?.get();
  const commitSum = commits?.values.find((v) => (v as { metricName?: string }).metricName === 'streams_commit_seconds_sum')?.value ?? 0;
  const commitCount = commits?.values.find((v) => (v as { metricName?: string }).metricName === 'streams_commit_seconds_count')?.value ?? 0;
  console.log(`  commits: ${commitCount}, ${commitSum.toFixed(2)} s in total (${((commitSum / seconds) * 100).toFixed(0)}% of the run, all threads)`);
  await r.close();
  const t = config.topics;
  const app = config.kafka.applicationId;
  const changelogs = Object.values(STORE_NAMES).map((s) => changelogTopicName(app, s));
  const produced = await endOffsets([t.lanes.critical.name, t.lanes.normal.name, t.lanes.bulk.name, t.feedback.name, t.billing.name, ...changelogs], (topic) => (topic === t.billing.name ? t.billing.partitions : PARTITIONS));
  await deleteRunTopics(config);
  return { perSecond: counted / seconds, seconds, produces: produced, consumes: intake + dispatch + feedback, store };
}

async function main(): Promise<void> {
  console.log(`notify topology bench: requests=${REQUESTS} runs=${RUNS} backlog=${BACKLOG} probes=${PROBES} partitions=${PARTITIONS} bufferedRecordsPerPartition=${BUFFERED_PER_PARTITION ?? 'default'} maxPollRecords=${MAX_POLL_RECORDS ?? 'default'} consumer=${JSON.stringify(CONSUMER_CONFIG)} producer=${JSON.stringify(PRODUCER_CONFIG)} threads=${THREADS}`);
  if (WARMUP > 0 && RUNS > 0) {
    // Neither the broker's JIT nor this process's has compiled the hot paths on a fresh start;
    // one untimed run first, so every measured run sees the same warm code.
    const warm = await throughputRun(-1, WARMUP);
    console.log(`warm-up (not counted): ${WARMUP} requests, ${warm.perSecond.toFixed(0)} requests/s`);
  }
  const priority: Awaited<ReturnType<typeof priorityRun>>[] = [];
  for (let run = 0; run < (BACKLOG > 0 ? RUNS : 0); run++) {
    const res = await priorityRun(run);
    priority.push(res);
    console.log(`priority run ${run + 1}: probe latency p50 ${res.p50.toFixed(0)} ms, p99 ${res.p99.toFixed(0)} ms, max ${res.max.toFixed(0)} ms; bulk backlog left at the last probe ${res.backlogLeft}`);
  }
  const throughput: ThroughputResult[] = [];
  for (let run = 0; run < (REQUESTS > 0 ? RUNS : 0); run++) {
    const res = await throughputRun(run);
    throughput.push(res);
    const produced = [...res.produces.values()].reduce((a, b) => a + b, 0);
    console.log(`throughput run ${run + 1}: ${res.perSecond.toFixed(0)} requests/s (${res.seconds.toFixed(1)} s); per request: ${(produced / REQUESTS).toFixed(2)} produces, ${(res.consumes / REQUESTS).toFixed(2)} consumes`);
    for (const [topic, n] of res.produces) console.log(`  produced ${topic.replace(/^bt\d-[0-9a-f]+\.?/, '')}: ${(n / REQUESTS).toFixed(3)}/request`);
    for (const [op, n] of [...res.store].sort()) if (n > 0) console.log(`  store ${op}: ${(n / REQUESTS).toFixed(3)}/request`);
  }
  console.log(
    `MEDIAN priority p99 ${priority.length ? median(priority.map((p) => p.p99)).toFixed(0) : '-'} ms; throughput ${throughput.length ? median(throughput.map((t) => t.perSecond)).toFixed(0) : '-'} requests/s`,
  );
}

await main();
process.exit(0);

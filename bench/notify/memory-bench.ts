/**
 * Memory of one processor under steady traffic (issue 10, "Memory grows"):
 *
 *   NODE_OPTIONS="--max-semi-space-size=64 --max-old-space-size=256" npx tsx bench/notify/memory-bench.ts [requests=200000] [rate=3000] [sampleMs=2000]
 *
 * (the V8 settings `make run` gives the processor).
 *
 * The whole notification topology runs in this process as a pod runs it: one stream thread, the
 * product's default topology and engine settings (RocksDB stores, key filters, memory budget),
 * `log` providers with channel metrics on, 6 partitions per co-partitioned topic, so 18 tasks.
 * Once every task runs, a child process (so that its producer's memory is not counted) produces
 * `requests` requests (70% MARKETING, 28% NOTIFICATION, 2% VERIFICATION, unique users) at
 * `rate` per second. Every `sampleMs` this process samples RSS, the V8 heap, external and
 * ArrayBuffer memory and the RocksDB instances' own memory properties, until the feedback
 * sub-topology has processed every request; then it prints the samples, the split at the end and
 * the RSS growth over the last half of the requests (the sample taken when intake crossed half
 * way against the last one).
 *
 * The engine's memory total comes from the configuration's `memory` section, as `run` sets it;
 * BENCH_MEMORY_MB overrides `memory.totalMb`, BENCH_KEYS the key filters' keys per task.
 */
import KafkaJs from '@confluentinc/kafka-javascript';
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { Registry } from 'prom-client';
import { createChannelRouter } from '../../src/channels/index.js';
import type { NotifyConfig } from '../../src/notify/config/index.js';
import type { NotificationRequest } from '../../src/notify/generated/schema-types.js';
import { buildNotifyTopology } from '../../src/notify/topology.js';
import { KafkaStreams, type StreamsConfig } from '../../src/streams/index.js';
import { RocksDbDatabase } from '../../src/streams/state/internals/rocksdb-database.js';
import { BOOTSTRAP, deleteTopicsStartingWith } from '../../test/support/kafka.js';
import { avro, catalog, createConfiguredTopics, notificationRequest, uniqueConfig } from '../../test/integration/notify/support/notify-fixture.js';

const PARTITIONS = 6;
const MIB = 1024 * 1024;

/** The benchmark's mix of requests, unique users, all sendable now (as the topology bench). */
function mixedRequest(i: number, prefix: string): NotificationRequest {
  const id = `${prefix}-${i}`;
  const user = `${prefix}-u${i}`;
  const r = i % 50;
  if (r === 0) return notificationRequest(id, user, 'SMS', i, { category: 'VERIFICATION', templateId: 'verification-code', templateParams: { code: String(100_000 + (i % 900_000)), minutes: '5' } });
  if (r < 15) return notificationRequest(id, user, (['SMS', 'PUSH', 'WECHAT', 'EMAIL', 'WEBHOOK'] as const)[i % 5]!, i);
  return notificationRequest(id, user, i % 3 === 0 ? 'WECHAT' : 'PUSH', i, { category: 'MARKETING', scenario: 'promo', templateId: 'promo', templateParams: { title: '双11大促', text: `全场五折起，限时抢购 ${i}` } });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The child: produces `count` requests to `topic` at `rate` per second, reporting progress. */
async function produceChild(topic: string, count: number, rate: number, prefix: string): Promise<void> {
  const serde = avro<NotificationRequest>('NotificationRequest');
  const p = new KafkaJs.Producer({ 'bootstrap.servers': BOOTSTRAP, partitioner: 'murmur2_random', 'linger.ms': 5, dr_cb: false } as never);
  await new Promise<void>((res, rej) => p.connect({}, (err) => (err ? rej(err) : res())));
  p.setPollInterval(50);
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    // Paced in 20 ms steps: as many as the rate allows by now.
    const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const request = mixedRequest(sent, prefix);
      p.produce(topic, null, serde.serialize(topic, request, {}), request.recipient.userId, Date.now());
    }
    process.send?.({ produced: sent });
    await sleep(20);
  }
  await new Promise<void>((res, rej) => p.flush(60_000, (err) => (err ? rej(err) : res())));
  process.send?.({ produced: sent, done: true });
  await new Promise<void>((res) => p.disconnect(() => res()));
}

interface Sample {
  readonly seconds: number;
  readonly produced: number;
  readonly intake: number;
  readonly feedback: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** V8's young generation (semi-spaces), committed. */
  readonly newSpace: number;
  /** Live and not yet collected objects in V8's old generation. */
  readonly oldSpaceUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rocksDbInstances: number;
  readonly memTables: number;
  readonly blockCache: number;
  readonly tableReaders: number;
}

async function processed(registry: Registry): Promise<number[]> {
  const metric = await registry.getSingleMetric('streams_records_processed_total')?.get();
  const out = [0, 0, 0];
  for (const v of metric?.values ?? []) {
    const sub = Number(String(v.labels['task']).split('_')[0]);
    out[sub] = (out[sub] ?? 0) + v.value;
  }
  return out;
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(0);

/** Resident bytes by kind from /proc (Linux): anonymous memory, and mapped files (code of node and the native addons). */
function residentByKind(): { anon: number; file: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  } catch {
    return { anon: Number.NaN, file: Number.NaN };
  }
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 200_000);
  const rate = Number(process.argv[3] ?? 3_000);
  const sampleMs = Number(process.argv[4] ?? 2_000);
  const memoryMb = process.env['BENCH_MEMORY_MB'] ? Number(process.env['BENCH_MEMORY_MB']) : undefined;
  const keys = process.env['BENCH_KEYS'] ? Number(process.env['BENCH_KEYS']) : undefined;
  console.log(`memory bench: requests=${requests} rate=${rate}/s partitions=${PARTITIONS} memoryMb=${memoryMb ?? 'default'} expectedKeysPerTask=${keys ?? 'default'} node ${process.version} ${process.env['NODE_OPTIONS'] ?? ''}`);

  const config: NotifyConfig = uniqueConfig('bm', PARTITIONS, () => undefined);
  await createConfiguredTopics(config);
  const router = await createChannelRouter(config.channels, { metrics: new Registry() });
  const stateDir = mkdtempSync(join(tmpdir(), 'notify-memory-'));
  const registry = new Registry();
  const topology = buildNotifyTopology(config, { sender: router, schemas: catalog, ...(keys ? { expectedKeysPerTask: keys } : {}) });
  // Read loosely, so that this file also runs on commits from before the section existed (the "before" rows).
  const m: Partial<NotifyConfig['memory']> = (config as Partial<NotifyConfig>).memory ?? {};
  const streamsConfig: StreamsConfig = {
    applicationId: config.kafka.applicationId,
    bootstrapServers: BOOTSTRAP,
    stateDir,
    deadLetterTopic: config.topics.dlq.name,
    processingGuarantee: config.kafka.processingGuarantee,
    commitIntervalMs: config.kafka.commitInterval,
    metrics: registry,
    // As `run` sets it from the configuration's `memory` section.
    memory: { totalBytes: (memoryMb ?? m.totalMb ?? 256) * MIB, rocksDbRatio: m.rocksDbRatio, recordCacheRatio: m.recordCacheRatio, writeBufferRatio: m.writeBufferRatio },
  };
  const streams = new KafkaStreams(topology, streamsConfig);
  await streams.start();
  let settledSince = 0;
  while (settledSince === 0 || performance.now() - settledSince < 2_000) {
    if (streams.runningTaskIds().length === 3 * PARTITIONS) settledSince ||= performance.now();
    else settledSince = 0;
    await sleep(50);
  }

  const samples: Sample[] = [];
  let produced = 0;
  const start = performance.now();
  const sample = async (): Promise<Sample> => {
    const [intake = 0, , feedback = 0] = await processed(registry);
    const m = process.memoryUsage();
    const rocks = RocksDbDatabase.memoryUsage();
    const spaces = getHeapSpaceStatistics();
    const space = (name: string): { space_size: number; space_used_size: number } | undefined => spaces.find((x) => x.space_name === name);
    const s: Sample = {
      seconds: (performance.now() - start) / 1000,
      produced,
      intake,
      feedback,
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      newSpace: space('new_space')?.space_size ?? 0,
      oldSpaceUsed: space('old_space')?.space_used_size ?? 0,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      rocksDbInstances: rocks.instances,
      memTables: rocks.memTables,
      blockCache: rocks.blockCache,
      tableReaders: rocks.tableReaders,
    };
    samples.push(s);
    return s;
  };
  await sample();
  const child = fork(fileURLToPath(import.meta.url), ['--produce', config.topics.requests.name, String(requests), String(rate), 'm'], { stdio: 'inherit' });
  child.on('message', (msg: { produced: number }) => (produced = msg.produced));
  const childExit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  for (;;) {
    await sleep(sampleMs);
    const [, dispatch = 0, feedback = 0] = await processed(registry);
    const s = await sample();
    if (process.env['BENCH_DEBUG']) console.log(JSON.stringify(s));
    if (dispatch >= requests && feedback >= requests) break;
  }
  await sleep(2_000);
  const last = await sample();
  const childCode = await childExit;
  await streams.close();
  await router.close();
  rmSync(stateDir, { recursive: true, force: true });
  await deleteTopicsStartingWith([`${config.kafka.applicationId.slice(0, -'-app'.length)}.`, `${config.kafka.applicationId}-`]);

  console.log('\n|   s | produced | intake done | RSS MiB | heap used | heap total | young gen | old gen used | external | arrayBuffers | RocksDB (n) | memtables | block cache | table readers |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of samples) {
    console.log(`| ${s.seconds.toFixed(0)} | ${s.produced} | ${s.intake} | ${mib(s.rss)} | ${mib(s.heapUsed)} | ${mib(s.heapTotal)} | ${mib(s.newSpace)} | ${mib(s.oldSpaceUsed)} | ${mib(s.external)} | ${mib(s.arrayBuffers)} | ${s.rocksDbInstances} | ${mib(s.memTables)} | ${mib(s.blockCache)} | ${mib(s.tableReaders)} |`);
  }
  const half = samples.find((s) => s.intake >= requests / 2) ?? samples[0]!;
  const rocks = last.memTables + last.blockCache + last.tableReaders;
  const { anon, file } = residentByKind();
  const rest = last.rss - file - last.heapTotal - last.external - rocks;
  console.log(`\nat the end: RSS ${mib(last.rss)} MiB = mapped files (node, native addons) ${mib(file)} + V8 heap ${mib(last.heapTotal)} (used ${mib(last.heapUsed)}) + external ${mib(last.external)} (ArrayBuffers ${mib(last.arrayBuffers)}) + RocksDB ${mib(rocks)} (memtables ${mib(last.memTables)}, block caches ${mib(last.blockCache)}, table readers ${mib(last.tableReaders)}; ${last.rocksDbInstances} instances) + the rest ${mib(rest)} (librdkafka queues and buffers, allocator free lists, thread stacks); anonymous ${mib(anon)}`);
  console.log(`RSS growth over the last ${requests - half.intake} requests: ${mib(half.rss)} → ${mib(last.rss)} MiB (${(((last.rss - half.rss) / half.rss) * 100).toFixed(1)}%); producer exit ${childCode}`);
}

if (process.argv[2] === '--produce') {
  await produceChild(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]), process.argv[6]!);
  process.exit(0);
} else {
  await main();
  process.exit(0);
}

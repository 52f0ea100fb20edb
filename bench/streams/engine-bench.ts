/**
 * Engine benchmark on the local broker: the client's raw limit (consume-only, produce-only) and
 * the engine running a passthrough and a stateful topology, under at_least_once and
 * exactly_once_v2, all on the same pre-produced Avro records. Repetitions are interleaved
 * (round 1 of every case, then round 2…) so drift on the machine hits every case alike.
 *
 *   npx tsx bench/streams/engine-bench.ts [records=500000] [rounds=3]
 *   BENCH_ONLY='raw consume,passthrough' …   runs only the cases whose names contain these
 *   BENCH_TURN=1000 BENCH_MAX_POLL=2000 …     the engine's recordsPerTurn and maxPollRecords
 *   BENCH_WINDOWS=1 …                         prints each timed window (µs, monotonic) to cut a
 *                                             --cpu-prof profile down to it
 *
 * What is measured (see bench/RESULTS.md):
 * - records/s: records over the wall time from the first consumed batch to the last record
 *   (consume-only: received; engine: its output handed to the producer). Group joins and
 *   startup are not timed; commits inside the window are.
 * - CPU s per million records: `process.cpuUsage()` over the same window — every thread of
 *   this process (JS, librdkafka, RocksDB, libuv); the broker's CPU is not included.
 * - p99 latency (engine only): per record, from the moment the consume call that returned it
 *   resolved in JS to the moment its output record was serialized for the producer. Records
 *   leave the thread in the order they were consumed, so each output is matched to its batch
 *   by count (FIFO); the time waiting in the producer and for the commit is not included.
 *   The runtime fetches the next batch while it processes the current one, so a batch that
 *   reached JS during a commit or during the previous batch counts that wait too; a plain
 *   poll loop leaves the same records waiting inside librdkafka, where this does not see them.
 * - The client's raw limit is the faster of the two consume loops (the engine's setting, which
 *   takes what is fetched once a first record is there, and the client's default, which waits
 *   to fill each batch).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import {
  KafkaAdmin,
  KafkaStreams,
  Stores,
  Topology,
  stringSerde,
  type KeyValueStore,
  type ProcessingGuarantee,
  type Processor,
  type ProcessorContext,
  type Record,
  type Serde,
} from '../../src/streams/index.js';
import { GroupConsumer } from '../../src/streams/kafka/consumer.js';
import {
  BOOTSTRAP,
  LatencyHistogram,
  PARTITIONS,
  Window,
  buildRecords,
  consumeAll,
  measurement,
  newRequestSerde,
  produceAll,
  type BenchRequest,
  type Measurement,
} from './bench-support.js';

const RECORDS = Number(process.argv[2] ?? 500_000);
const ROUNDS = Number(process.argv[3] ?? 3);

// --- latency and window tracking of the engine runs ------------------------------------------

/** The run in progress: set before a topology starts, read by the consume hook and the sink. */
interface Run {
  readonly expected: number;
  readonly window: Window;
  readonly latency: LatencyHistogram;
  /** Consumed batches not fully produced yet, oldest first: [resolvedAt, records left]. */
  readonly batches: [number, number][];
  produced: number;
  done: () => void;
}
let current: Run | null = null;

// Stamps each consumed batch with the time it reached JS (the start of the timed window is the
// first non-empty one). Hooked on the engine's consumer so the runtime is measured untouched.
const consume = GroupConsumer.prototype.consume;
GroupConsumer.prototype.consume = function (this: GroupConsumer, max: number) {
  return consume.call(this, max).then((records) => {
    const run = current;
    if (run && records.length > 0) {
      if (!run.window.started) run.window.start();
      run.batches.push([performance.now(), records.length]);
    }
    return records;
  });
};

/** The sink's value serde: encodes, then records the record's latency against its batch. */
function measuringSerde(inner: Serde<BenchRequest>): Serde<BenchRequest> {
  return {
    serialize(topic, value, headers) {
      const bytes = inner.serialize(topic, value, headers);
      const run = current;
      if (run) {
        const now = performance.now();
        const batch = run.batches[0];
        if (batch) {
          run.latency.record(now - batch[0]);
          if (--batch[1] === 0) run.batches.shift();
        }
        if (++run.produced === run.expected) {
          run.window.stop();
          run.done();
        }
      }
      return bytes;
    },
    deserialize: (topic, data, headers) => inner.deserialize(topic, data, headers),
  };
}

// --- topologies ----------------------------------------------------------------------------

function passthrough(input: string, output: string): Topology {
  return new Topology()
    .addSource({ name: 'in', topics: [input], keySerde: stringSerde, valueSerde: newRequestSerde() })
    .addSink({ name: 'out', topic: output, keySerde: stringSerde, valueSerde: measuringSerde(newRequestSerde()) }, 'in');
}

const countSerde: Serde<number> = {
  serialize: (_t, v) => {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v, 0);
    return b;
  },
  deserialize: (_t, b) => b.readUInt32BE(0),
};

/**
 * One store read and one store write per record: the reads of a polled batch are one multi-get
 * in `prefetch` (the engine's batched read path), `process` takes the value it read, adds one
 * and puts it back. Keys repeat within a batch, so the batch's own writes are read back from
 * the prefetched map.
 */
function counter(): Processor<string, BenchRequest, string, BenchRequest> {
  let ctx: ProcessorContext<string, BenchRequest>;
  let store: KeyValueStore<string, number>;
  const read = new Map<string, number>();
  return {
    init(c) {
      ctx = c;
      store = c.getStateStore('counts');
    },
    async prefetch(records) {
      read.clear();
      const keys = records.map((r) => r.key);
      const values = await store.getMany(keys);
      for (let i = 0; i < keys.length; i++) read.set(keys[i]!, values[i] ?? 0);
    },
    process(r: Record<string, BenchRequest>) {
      const next = (read.get(r.key) ?? 0) + 1;
      read.set(r.key, next);
      store.put(r.key, next);
      ctx.forward(r);
    },
  };
}

/** `readCacheEntries` is the store's default (10,000) unless a diagnostic case changes it. */
function stateful(input: string, output: string, readCacheEntries = 10_000): Topology {
  return new Topology()
    .addSource({ name: 'in', topics: [input], keySerde: stringSerde, valueSerde: newRequestSerde() })
    .addProcessor('count', counter, 'in')
    .addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore('counts'), stringSerde, countSerde).withCachingEnabled({ readCacheEntries }), 'count')
    .addSink({ name: 'out', topic: output, keySerde: stringSerde, valueSerde: measuringSerde(newRequestSerde()) }, 'count');
}

// --- runs ------------------------------------------------------------------------------------

async function createTopic(admin: KafkaAdmin, name: string): Promise<string> {
  await admin.createTopics([{ name, partitions: PARTITIONS, replicationFactor: 1 }]);
  return name;
}

async function runEngine(admin: KafkaAdmin, input: string, build: typeof passthrough, guarantee: ProcessingGuarantee): Promise<Measurement> {
  const id = `bench-${randomUUID().slice(0, 8)}`;
  const output = await createTopic(admin, `${id}-out`);
  const stateDir = await mkdtemp(join(tmpdir(), 'engine-bench-'));
  const run: Run = { expected: RECORDS, window: new Window(), latency: new LatencyHistogram(), batches: [], produced: 0, done: () => {} };
  const finished = new Promise<void>((res) => (run.done = res));
  current = run;
  const streams = new KafkaStreams(build(input, output), {
    applicationId: id,
    bootstrapServers: BOOTSTRAP,
    processingGuarantee: guarantee,
    stateDir,
    sessionTimeoutMs: 6000,
    ...(process.env['BENCH_TURN'] ? { recordsPerTurn: Number(process.env['BENCH_TURN']) } : {}),
    ...(process.env['BENCH_MAX_POLL'] ? { maxPollRecords: Number(process.env['BENCH_MAX_POLL']) } : {}),
  });
  await streams.start();
  const failed = new Promise<never>((_, rej) => {
    const t = setInterval(() => {
      const f = streams.failure();
      if (f) rej(f);
      if (current !== run) clearInterval(t);
    }, 200);
    void finished.then(() => clearInterval(t));
  });
  await Promise.race([finished, failed]);
  current = null;
  await streams.close();
  for (const t of [output, `${id}-counts-changelog`]) await admin.deleteTopic(t).catch(() => undefined);
  await rm(stateDir, { recursive: true, force: true });
  return measurement(run.produced, run.window, run.latency.quantile(0.99));
}

// --- report ----------------------------------------------------------------------------------

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rate = (m: Measurement) => m.records / (m.wallMs / 1000);
const cpuPerMillion = (m: Measurement) => (m.cpuS / m.records) * 1e6;

/**
 * Other processes share these cores (the broker, other test runs). Waits up to 30 s for the
 * 1-minute load average to fall below 3 before a measurement; returns the load it started at.
 */
async function quietMachine(): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (os.loadavg()[0]! >= 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2_000));
  return os.loadavg()[0]!;
}

interface Case {
  readonly name: string;
  readonly run: () => Promise<Measurement>;
  readonly results: Measurement[];
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const admin = new KafkaAdmin({ 'bootstrap.servers': BOOTSTRAP });
  const records = buildRecords(RECORDS);
  const avgBytes = Math.round(records.reduce((n, r) => n + r.value.length, 0) / records.length);
  const input = await createTopic(admin, `bench-in-${randomUUID().slice(0, 8)}`);
  process.stderr.write(`producing ${RECORDS} records (${avgBytes} B values) to ${input}\n`);
  await produceAll(input, records, false);

  const cases: Case[] = [
    { name: 'raw consume', run: () => consumeAll(input, RECORDS), results: [] },
    { name: 'raw consume, full batches', run: () => consumeAll(input, RECORDS, false), results: [] },
    {
      name: 'raw produce',
      run: async () => {
        const topic = await createTopic(admin, `bench-p-${randomUUID().slice(0, 8)}`);
        const m = await produceAll(topic, records);
        await admin.deleteTopic(topic).catch(() => undefined);
        return m;
      },
      results: [],
    },
    { name: 'passthrough at_least_once', run: () => runEngine(admin, input, passthrough, 'at_least_once'), results: [] },
    { name: 'stateful at_least_once', run: () => runEngine(admin, input, stateful, 'at_least_once'), results: [] },
    // Diagnostic: the same topology with the store's LRU read cache off (see bench/RESULTS.md).
    { name: 'stateful at_least_once, read cache off', run: () => runEngine(admin, input, (i, o) => stateful(i, o, 0), 'at_least_once'), results: [] },
    { name: 'passthrough exactly_once_v2', run: () => runEngine(admin, input, passthrough, 'exactly_once_v2'), results: [] },
    { name: 'stateful exactly_once_v2', run: () => runEngine(admin, input, stateful, 'exactly_once_v2'), results: [] },
  ];
  const only = process.env.BENCH_ONLY?.split(',');
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of cases) {
      if (only && !only.some((o) => c.name.includes(o))) continue;
      const load = await quietMachine();
      const m = await c.run();
      c.results.push(m);
      process.stderr.write(
        `round ${round} ${c.name}: ${Math.round(rate(m))} rec/s, ${cpuPerMillion(m).toFixed(1)} CPU s/M, p99 ${m.p99Ms.toFixed(1)} ms (load ${load.toFixed(1)})\n`,
      );
    }
  }
  await admin.deleteTopic(input).catch(() => undefined);
  await admin.close();

  const rows = cases.filter((c) => c.results.length > 0).map((c) => ({
    name: c.name,
    rate: median(c.results.map(rate)),
    cpu: median(c.results.map(cpuPerMillion)),
    p99: median(c.results.map((m) => m.p99Ms)),
    all: c.results.map((m) => Math.round(rate(m) / 1000)).join(' / '),
  }));
  // The client's raw limit: the faster of the two consume loops.
  const rawRow = rows.filter((r) => r.name.startsWith('raw consume')).sort((a, b) => b.rate - a.rate)[0];
  const raw = rawRow?.rate ?? NaN;
  const fmt = (x: number, d = 0) => (Number.isNaN(x) ? '—' : x.toFixed(d));
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const lines = [
    `load average at start ${loadAtStart}, at end ${load} (other processes share these cores)`,
    `${RECORDS} records × ${ROUNDS} rounds, ${avgBytes} B Avro values, ${PARTITIONS} partitions; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`,
    '',
    '| case | records/s (median) | vs raw consume | CPU s / M records | p99 latency ms | runs (k rec/s) |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.name} | ${fmt(r.rate)} | ${r.name === 'raw produce' ? '—' : `${fmt((r.rate / raw) * 100)}%`} | ${fmt(r.cpu, 1)} | ${fmt(r.p99, 1)} | ${r.all} |`),
  ];
  const ratio = (name: string): number => (rows.find((r) => r.name === name)?.rate ?? NaN) / raw;
  const cpuRatio = (name: string): number => (rawRow?.cpu ?? NaN) / (rows.find((r) => r.name === name)?.cpu ?? NaN);
  lines.push(
    '',
    `by CPU (records per CPU-second, which other load disturbs less): passthrough ${fmt(cpuRatio('passthrough at_least_once') * 100)}% of raw consume, stateful ${fmt(cpuRatio('stateful at_least_once') * 100)}%`,
    `raw limit = ${rawRow?.name ?? '—'}; passthrough/raw consume = ${fmt(ratio('passthrough at_least_once') * 100)}% (target ≥ 70%), stateful/raw consume = ${fmt(ratio('stateful at_least_once') * 100)}% (target ≥ 50%)`,
    `exactly_once_v2 throughput relative to at_least_once: passthrough ${fmt((ratio('passthrough exactly_once_v2') / ratio('passthrough at_least_once')) * 100)}%, stateful ${fmt((ratio('stateful exactly_once_v2') / ratio('stateful at_least_once')) * 100)}%`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}

await main();

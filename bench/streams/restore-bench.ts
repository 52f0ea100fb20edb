/**
 * Restore benchmark on the local broker.
 *
 *   npx tsx bench/streams/restore-bench.ts [keys=1000000] [rounds=3]
 *   BENCH_ONLY='big' | 'restart'   runs one of the two parts
 *
 * 1. big: a store of `keys` keys restored from its changelog (one partition, filled directly
 *    with a bulk producer before the app starts, empty state folder). Times, per guarantee:
 *    assignment → task running (the log lines "partitions assigned" and "task restored and
 *    running"), records/s over that time, and the process CPU over it.
 * 2. restart: a pod with 18 tasks and small state (the counting app of the integration tests as
 *    a child process, 18 partitions, 50 keys per task) is killed with SIGKILL after it has
 *    processed its input and written a checkpoint, 400 ms after more input (most often a
 *    changelog tail past the checkpoint), then started again on the same state folder.
 *    Times, per guarantee: process start → all 18 tasks running, and assignment → all running.
 *    The new member is started once the killed member's session (6 s in the app) has expired,
 *    as a replacement pod would be; otherwise the group waits for that session first.
 *
 * Prints one line per round and the median. The machine is shared: compare medians.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaStreams, changelogTopicName, type ProcessingGuarantee } from '../../src/streams/index.js';
import { buildCountingTopology } from '../../test/integration/streams/fixtures/counting-topology.js';
import { spawnTs } from '../../test/support/child.js';
import { BOOTSTRAP, createTopics, deleteTopicsStartingWith, produce, produceBulk, readTopic, uniqueName, waitFor } from '../../test/support/kafka.js';

const KEYS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const ONLY = process.env.BENCH_ONLY ?? '';
const PREFIX = 'restore-bench-';
const GUARANTEES: ProcessingGuarantee[] = ['at_least_once', 'exactly_once_v2'];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface BigResult {
  assignToRunningMs: number;
  recordsPerSec: number;
  cpuSec: number;
}

async function restoreBigStore(guarantee: ProcessingGuarantee): Promise<BigResult> {
  const app = uniqueName(`${PREFIX}big`);
  const input = `${app}-in`;
  const output = `${app}-out`;
  const changelog = changelogTopicName(app, 'counts');
  await createTopics([
    { name: input, partitions: 1 },
    { name: output, partitions: 1 },
    { name: changelog, partitions: 1, config: { 'cleanup.policy': 'compact' } },
  ]);
  await produceBulk(changelog, 0, KEYS, (i) => ({ key: `k${i}`, value: String((i % 1000) + 1) }));
  const stateDir = await mkdtemp(join(tmpdir(), 'restore-bench-'));
  let assignedAt = 0;
  let cpuAtAssign: NodeJS.CpuUsage | null = null;
  let done: { atMs: number; restored: number; cpu: NodeJS.CpuUsage } | null = null;
  const info = (o: object, m?: string): void => {
    if (m === 'partitions assigned' && assignedAt === 0) {
      assignedAt = performance.now();
      cpuAtAssign = process.cpuUsage();
    }
    if (m === 'task restored and running') done = { atMs: performance.now(), restored: Number((o as { restoredRecords: number }).restoredRecords), cpu: process.cpuUsage(cpuAtAssign ?? undefined) };
  };
  const streams = new KafkaStreams(buildCountingTopology(input, output), {
    applicationId: app,
    bootstrapServers: BOOTSTRAP,
    processingGuarantee: guarantee,
    stateDir,
    sessionTimeoutMs: 6000,
    logger: { debug() {}, info, warn: (o, m) => console.warn(m, o), error: (o, m) => console.error(m, o) },
  });
  try {
    await streams.start();
    await waitFor(() => done !== null, 300_000, 'the big task restored');
    const d = done as unknown as { atMs: number; restored: number; cpu: NodeJS.CpuUsage };
    if (d.restored !== KEYS) throw new Error(`restored ${d.restored} records, expected ${KEYS}`);
    const ms = d.atMs - assignedAt;
    return { assignToRunningMs: ms, recordsPerSec: (KEYS / ms) * 1000, cpuSec: (d.cpu.user + d.cpu.system) / 1e6 };
  } finally {
    await streams.close();
    await rm(stateDir, { recursive: true, force: true });
    await deleteTopicsStartingWith([app]);
  }
}

interface RestartResult {
  startToRunningMs: number;
  assignToRunningMs: number;
  restoredRecords: number;
}

const TASKS = 18;
const APP = 'test/integration/streams/fixtures/counting-app.ts';

async function restartAfterKill(guarantee: ProcessingGuarantee): Promise<RestartResult> {
  const app = uniqueName(`${PREFIX}restart`);
  const input = `${app}-in`;
  const output = `${app}-out`;
  await createTopics([
    { name: input, partitions: TASKS },
    { name: output, partitions: TASKS },
  ]);
  const stateDir = await mkdtemp(join(tmpdir(), 'restore-bench-'));
  const records = Array.from({ length: TASKS * 200 }, (_, i) => ({ key: `key-${i % (TASKS * 50)}`, value: String(i), partition: i % TASKS }));
  await produce(input, records);
  const first = spawnTs(APP, [app, input, output, guarantee, stateDir]);
  try {
    await first.waitFor('RUNNING');
    await readTopic(output, (r) => r.length >= records.length, 120_000);
    await new Promise((r) => setTimeout(r, 1500)); // a periodic checkpoint (1 s) under at_least_once
    // More input after that checkpoint, killed 400 ms later, most often before the next
    // periodic checkpoint: the changelogs then have a tail past it (at-least-once) to restore.
    await produce(input, records.slice(0, TASKS * 20));
    await new Promise((r) => setTimeout(r, 400));
  } finally {
    first.process.kill('SIGKILL');
    await first.exited;
  }
  // A replacement pod comes up after the killed member's session (6 s) has expired.
  await new Promise((r) => setTimeout(r, 7000));
  const started = performance.now();
  let assignedAt = 0;
  let runningAt = 0;
  const second = spawnTs(APP, [app, input, output, guarantee, stateDir]);
  try {
    await waitFor(
      () => {
        const err = second.stderr();
        if (assignedAt === 0 && err.includes('partitions assigned')) assignedAt = performance.now();
        if ((err.match(/task restored and running/g) ?? []).length >= TASKS) runningAt = performance.now();
        return runningAt > 0;
      },
      120_000,
      `${TASKS} tasks running`,
    );
    let restored = 0;
    for (const m of second.stderr().matchAll(/"restoredRecords":(\d+)/g)) restored += Number(m[1]);
    return { startToRunningMs: runningAt - started, assignToRunningMs: runningAt - assignedAt, restoredRecords: restored };
  } finally {
    second.process.kill('SIGKILL');
    await second.exited;
    await rm(stateDir, { recursive: true, force: true });
    await deleteTopicsStartingWith([app]);
  }
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

if (ONLY === '' || ONLY === 'big') {
  for (const g of GUARANTEES) {
    const rs: BigResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await restoreBigStore(g);
      rs.push(r);
      console.log(`big store ${g} round ${i + 1}: ${fmt(KEYS)} keys, assignment → running ${fmt(r.assignToRunningMs / 1000, 1)} s, ${fmt(r.recordsPerSec)} records/s, CPU ${fmt(r.cpuSec, 1)} s`);
    }
    console.log(
      `big store ${g} median of ${ROUNDS}: assignment → running ${fmt(median(rs.map((r) => r.assignToRunningMs)) / 1000, 1)} s, ${fmt(median(rs.map((r) => r.recordsPerSec)))} records/s, CPU ${fmt(median(rs.map((r) => r.cpuSec)), 1)} s`,
    );
  }
}

if (ONLY === '' || ONLY === 'restart') {
  for (const g of GUARANTEES) {
    const rs: RestartResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await restartAfterKill(g);
      rs.push(r);
      console.log(`restart ${g} round ${i + 1}: ${TASKS} tasks, ${fmt(r.restoredRecords)} records restored; start → all running ${fmt(r.startToRunningMs / 1000, 2)} s, assignment → all running ${fmt(r.assignToRunningMs / 1000, 2)} s`);
    }
    console.log(
      `restart ${g} median of ${ROUNDS}: start → all running ${fmt(median(rs.map((r) => r.startToRunningMs)) / 1000, 2)} s, assignment → all running ${fmt(median(rs.map((r) => r.assignToRunningMs)) / 1000, 2)} s`,
    );
  }
}

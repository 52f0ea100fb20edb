import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KafkaJs from '@confluentinc/kafka-javascript';
import { KafkaStreams, changelogTopicName, type ProcessingGuarantee } from '../../../src/streams/index.js';
import { BOOTSTRAP, createTopics, produce, produceBulk, readTopic, uniqueName, waitFor } from '../../support/kafka.js';
import { buildCountingTopology } from './fixtures/counting-topology.js';

const CHANGELOG_RECORDS = 1_000_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Seen {
  key: string;
  value: string;
  atMs: number;
}

/** Collects a topic's committed records as they arrive, with the wall time each was seen. */
async function watch(topic: string): Promise<{ seen: Seen[]; stop: () => Promise<void> }> {
  const consumer = new KafkaJs.KafkaConsumer(
    { 'bootstrap.servers': BOOTSTRAP, 'group.id': uniqueName('watch'), 'enable.auto.commit': false, 'isolation.level': 'read_committed', 'fetch.wait.max.ms': 20 } as never,
    { 'auto.offset.reset': 'earliest' } as never,
  );
  await new Promise<void>((res, rej) => consumer.connect({}, (err) => (err ? rej(err) : res())));
  consumer.setDefaultConsumeTimeout(50);
  consumer.subscribe([topic]);
  const seen: Seen[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const msgs = await new Promise<KafkaJs.Message[]>((res) => consumer.consume(1000, (err, m) => res(err ? [] : m)));
      const now = Date.now();
      for (const m of msgs) seen.push({ key: m.key?.toString() ?? '', value: m.value?.toString() ?? '', atMs: now });
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
      await new Promise<void>((res) => consumer.disconnect(() => res()));
    },
  };
}

async function restoreBesideProcessing(guarantee: ProcessingGuarantee): Promise<void> {
  const app = uniqueName('restore-beside');
  const input = uniqueName('restore-beside-in');
  const output = uniqueName('restore-beside-out');
  await createTopics([
    { name: input, partitions: 2 },
    { name: output, partitions: 1 },
    // Made here (as the runtime would) so that it can be filled before the app starts.
    { name: changelogTopicName(app, 'counts'), partitions: 2, config: { 'cleanup.policy': 'compact' } },
  ]);
  // Task 0_0's store: a million keys, counts 1..1000. Task 0_1's store starts empty.
  await produceBulk(changelogTopicName(app, 'counts'), 0, CHANGELOG_RECORDS, (i) => ({ key: `k${i}`, value: String((i % 1000) + 1) }));

  const stateDir = mkdtempSync(join(tmpdir(), 'restore-beside-'));
  dirs.push(stateDir);
  const logs: { msg: string; o: Record<string, unknown>; atMs: number }[] = [];
  const log = (msg: string | undefined, o: object) => logs.push({ msg: msg ?? '', o: o as Record<string, unknown>, atMs: Date.now() });
  const streams = new KafkaStreams(buildCountingTopology(input, output), {
    applicationId: app,
    bootstrapServers: BOOTSTRAP,
    processingGuarantee: guarantee,
    stateDir,
    sessionTimeoutMs: 6000,
    // Shorter than the restore: a transaction left open across it would be aborted by the
    // coordinator, and a loop blocked by it would be evicted from the group.
    transactionTimeoutMs: 5000,
    consumerConfig: { 'max.poll.interval.ms': 7000 },
    logger: { debug() {}, info: (o, m) => log(m, o), warn: (o, m) => log(m, o), error: (o, m) => log(m, o) },
  });
  const out = await watch(output);
  try {
    await streams.start();
    const restoredAt = (task: string) => logs.find((l) => l.msg === 'task restored and running' && l.o['task'] === task)?.atMs;
    await waitFor(() => restoredAt('0_1') !== undefined, 60_000, 'task 0_1 running');
    expect(restoredAt('0_0')).toBeUndefined();

    // Input for the small task, in waves, while the big one restores.
    let wave = 0;
    while (restoredAt('0_0') === undefined && wave < 200) {
      await produce(input, Array.from({ length: 20 }, (_, i) => ({ key: `live-${wave}-${i}`, value: 'x', partition: 1 })));
      wave++;
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitFor(() => restoredAt('0_0') !== undefined, 90_000, 'task 0_0 restored');
    const bigDone = restoredAt('0_0')!;
    const restoreLog = logs.find((l) => l.msg === 'task restored and running' && l.o['task'] === '0_0')!;
    expect(restoreLog.o['restoredRecords']).toBe(CHANGELOG_RECORDS);

    // The small task's outputs advanced while the big one restored: several waves, not one.
    const liveBefore = out.seen.filter((s) => s.key.startsWith('live-') && s.atMs < bigDone);
    const wavesBefore = new Set(liveBefore.map((s) => s.key.split('-')[1]));
    expect(wavesBefore.size).toBeGreaterThanOrEqual(3);
    console.log(`${guarantee}: 0_0 restored ${CHANGELOG_RECORDS} records in ${String(restoreLog.o['ms'])} ms; meanwhile 0_1 wrote outputs of ${wavesBefore.size} input waves`);

    // The big task counts on from its restored state.
    await produce(input, [{ key: 'k999', value: 'x', partition: 0 }]);
    await waitFor(() => out.seen.some((s) => s.key === 'k999'), 30_000, 'output of k999');
    expect(out.seen.find((s) => s.key === 'k999')!.value).toBe('1001');

    // Nothing failed: no aborted transaction, no eviction, no dead thread.
    expect(streams.state).toBe('RUNNING');
    expect(streams.failure()).toBeNull();
    expect(logs.filter((l) => /failed|aborted|restart/i.test(l.msg)).map((l) => l.msg)).toEqual([]);
    await waitFor(() => new Set(out.seen.filter((s) => s.key.startsWith('live-')).map((s) => s.key.split('-')[1])).size === wave, 30_000, 'the outputs of every wave');
  } finally {
    await streams.close();
    await out.stop();
  }
}

/** Starts the counting app in this process, its log lines collected in `logs`. */
function startCounting(app: string, input: string, output: string, stateDir: string, logs: { msg: string; o: Record<string, unknown> }[]): KafkaStreams {
  const log = (msg: string | undefined, o: object) => logs.push({ msg: msg ?? '', o: o as Record<string, unknown> });
  return new KafkaStreams(buildCountingTopology(input, output), {
    applicationId: app,
    bootstrapServers: BOOTSTRAP,
    processingGuarantee: 'at_least_once',
    stateDir,
    sessionTimeoutMs: 6000,
    logger: { debug() {}, info: (o, m) => log(m, o), warn: (o, m) => log(m, o), error: (o, m) => log(m, o) },
  });
}

describe('restore beside processing on the real broker', () => {
  it('a task closed mid-restore checkpoints what it restored, and restoring it again continues from there', async () => {
    const app = uniqueName('restore-close');
    const input = uniqueName('restore-close-in');
    const output = uniqueName('restore-close-out');
    await createTopics([
      { name: input, partitions: 1 },
      { name: output, partitions: 1 },
      { name: changelogTopicName(app, 'counts'), partitions: 1, config: { 'cleanup.policy': 'compact' } },
    ]);
    await produceBulk(changelogTopicName(app, 'counts'), 0, CHANGELOG_RECORDS, (i) => ({ key: `k${i}`, value: String((i % 1000) + 1) }));
    const stateDir = mkdtempSync(join(tmpdir(), 'restore-close-'));
    dirs.push(stateDir);

    const firstLogs: { msg: string; o: Record<string, unknown> }[] = [];
    const first = startCounting(app, input, output, stateDir, firstLogs);
    await first.start();
    await waitFor(() => firstLogs.some((l) => l.msg === 'partitions assigned'), 30_000, 'assignment');
    await new Promise((r) => setTimeout(r, 1500)); // part of the restore
    const closing = Date.now();
    await first.close();
    // The close did not wait for the restore to finish.
    expect(Date.now() - closing).toBeLessThan(5000);
    expect(firstLogs.some((l) => l.msg === 'task restored and running')).toBe(false);

    const secondLogs: { msg: string; o: Record<string, unknown> }[] = [];
    const second = startCounting(app, input, output, stateDir, secondLogs);
    await second.start();
    try {
      await waitFor(() => secondLogs.some((l) => l.msg === 'task restored and running'), 90_000, 'the task restored');
      const restored = Number(secondLogs.find((l) => l.msg === 'task restored and running')!.o['restoredRecords']);
      expect(restored).toBeGreaterThan(0);
      expect(restored).toBeLessThan(CHANGELOG_RECORDS);
      // Both halves together make the whole store: the count goes on from the changelog's value.
      await produce(input, [{ key: 'k999', value: 'x' }, { key: 'k0', value: 'x' }]);
      const out = await readTopic(output, (r) => r.length >= 2, 30_000);
      expect(Object.fromEntries(out.map((r) => [r.key, r.value!.toString()]))).toEqual({ k999: '1001', k0: '2' });
    } finally {
      await second.close();
    }
  }, 180_000);


  it('at_least_once: a task keeps processing while another restores a million-record changelog', async () => {
    await restoreBesideProcessing('at_least_once');
  }, 180_000);

  it('exactly_once_v2: a task keeps processing and committing while another restores a million-record changelog', async () => {
    await restoreBesideProcessing('exactly_once_v2');
  }, 180_000);
});

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changelogTopicName } from '../../../src/streams/index.js';
import { createTopics, produce, readTopic, uniqueName, waitFor } from '../../support/kafka.js';
import { spawnTs, type Child } from '../../support/child.js';

const APP = 'test/integration/streams/fixtures/counting-app.ts';
const children: Child[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) c.process.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function restoredRecords(log: string): number {
  let sum = 0;
  for (const m of log.matchAll(/"restoredRecords":(\d+)/g)) sum += Number(m[1]);
  return sum;
}

/** Runs the counting app until it has written `count` outputs. */
async function countUntil(app: string, input: string, output: string, stateDir: string, expectedOutputs: number): Promise<Child> {
  const c = spawnTs(APP, [app, input, output, 'at_least_once', stateDir]);
  children.push(c);
  await c.waitFor('RUNNING');
  await readTopic(output, (r) => r.length >= expectedOutputs, 60_000);
  return c;
}

describe('restore from a local checkpoint on the real broker', () => {
  it('a restarted member replays only the changelog records after its checkpoint', async () => {
    const input = uniqueName('ckpt-in');
    const output = uniqueName('ckpt-out');
    const app = uniqueName('ckpt');
    await createTopics([
      { name: input, partitions: 4 },
      { name: output, partitions: 4 },
    ]);
    const stateDir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    dirs.push(stateDir);
    const records = Array.from({ length: 4000 }, (_, i) => ({ key: `key-${i % 500}`, value: String(i) }));
    await produce(input, records);

    // First run: counts everything, closes cleanly (commit + checkpoint files).
    const first = await countUntil(app, input, output, stateDir, 4000);
    first.process.kill('SIGTERM');
    await first.waitFor('CLOSED', 30_000);
    const changelog = await readTopic(changelogTopicName(app, 'counts'), () => false, 3_000);
    expect(changelog.length).toBeGreaterThan(0);

    // Second run on the same state folder, with more input.
    await produce(input, records.slice(0, 1000));
    const second = await countUntil(app, input, output, stateDir, 5000);
    await waitFor(() => (second.stderr().match(/task restored and running/g) ?? []).length === 4, 30_000, 'four tasks restored');
    const replayed = restoredRecords(second.stderr());
    expect(replayed).toBeLessThan(changelog.length);
    expect(replayed).toBe(0); // a clean close checkpoints the end of every changelog

    // Counts continued from the restored state, not from zero.
    const out = await readTopic(output, (r) => r.length >= 5000, 30_000);
    const last = new Map<string, number>();
    for (const r of out) last.set(r.key!, Math.max(last.get(r.key!) ?? 0, Number(r.value!.toString())));
    expect(last.get('key-0')).toBe(10); // 8 in the first run + 2 in the second

    // A crash after a periodic checkpoint: the next start replays only the tail.
    await produce(input, records);
    await readTopic(output, (r) => r.length >= 9000, 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // at least one periodic checkpoint (1 s)
    second.process.kill('SIGKILL');
    await second.exited;
    const changelogAfter = await readTopic(changelogTopicName(app, 'counts'), () => false, 3_000);
    const third = spawnTs(APP, [app, input, output, 'at_least_once', stateDir]);
    children.push(third);
    await third.waitFor('RUNNING');
    await waitFor(() => (third.stderr().match(/task restored and running/g) ?? []).length === 4, 60_000, 'four tasks restored after the crash');
    expect(restoredRecords(third.stderr())).toBeLessThan(changelogAfter.length);
    third.process.kill('SIGTERM');
    await third.waitFor('CLOSED', 30_000);
  }, 180_000);
});

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopics, produce, readTopic, uniqueName, waitFor, type TestRecord } from '../../support/kafka.js';
import { spawnTs, type Child } from '../../support/child.js';

const APP = 'test/integration/streams/fixtures/counting-app.ts';
const KEYS = 200;
const RECORDS = 12_000;
const children: Child[] = [];
const dirs: string[] = [];

afterAll(() => {
  for (const c of children) c.process.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Two members count records per key; one is killed with SIGKILL mid-stream. The survivor takes
 * over its tasks, restores their stores from the changelogs and finishes the count.
 */
async function runFailover(guarantee: 'at_least_once' | 'exactly_once_v2') {
  const input = uniqueName('count-in');
  const output = uniqueName('count-out');
  const app = uniqueName(`count-${guarantee === 'exactly_once_v2' ? 'eos' : 'alos'}`);
  await createTopics([
    { name: input, partitions: 4 },
    { name: output, partitions: 4 },
  ]);
  const start = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `count-${name}-`));
    dirs.push(dir);
    const c = spawnTs(APP, [app, input, output, guarantee, dir]);
    children.push(c);
    return c;
  };
  const a = start('a');
  const b = start('b');
  await Promise.all([a.waitFor('RUNNING'), b.waitFor('RUNNING')]);
  // Both members own tasks before traffic starts, so the kill really moves work.
  await waitFor(() => a.stderr().includes('task restored and running') && b.stderr().includes('task restored and running'), 30_000, 'both members to own tasks');

  const expected = new Map<string, number>();
  const batches: TestRecord[][] = [];
  for (let i = 0; i < RECORDS; i++) {
    const key = `user-${i % KEYS}`;
    expected.set(key, (expected.get(key) ?? 0) + 1);
    if (i % 1000 === 0) batches.push([]);
    batches.at(-1)!.push({ key, value: String(i) });
  }
  for (let i = 0; i < batches.length; i++) {
    await produce(input, batches[i]!);
    if (i === 4) {
      // Mid-stream: the member dies without closing (no commit, no checkpoint, no leave).
      await waitFor(() => a.stderr().length > 0, 1000, 'member a output').catch(() => undefined);
      a.process.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  // The final count of each key is the largest count written for it.
  const finals = new Map<string, number>();
  const done = (records: { key: string | null; value: Buffer | null }[]) => {
    for (const r of records.splice(0)) {
      const n = Number(r.value!.toString());
      if (n > (finals.get(r.key!) ?? 0)) finals.set(r.key!, n);
    }
    return [...expected].every(([k, n]) => (finals.get(k) ?? 0) >= n);
  };
  const all: { key: string | null; value: Buffer | null }[] = [];
  const collected = await readTopic(output, (records) => {
    all.push(...records.slice(all.length));
    return done([...records]);
  }, 90_000);
  b.process.kill('SIGTERM');
  await b.exited;
  return { expected, finals, collected, survivorLog: b.stderr() };
}

/**
 * One member counts alone; two more join mid-stream, one at a time. Every join rebalances the
 * group while the first member processes and commits: a commit that meets a rebalance must not
 * fail a member (nor, under exactly-once, let an aborted transaction's state survive).
 */
async function runScaleOut(guarantee: 'at_least_once' | 'exactly_once_v2') {
  const input = uniqueName('scale-in');
  const output = uniqueName('scale-out');
  const app = uniqueName(`scale-${guarantee === 'exactly_once_v2' ? 'eos' : 'alos'}`);
  await createTopics([
    { name: input, partitions: 6 },
    { name: output, partitions: 6 },
  ]);
  const members: Child[] = [];
  const start = async (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `scale-${name}-`));
    dirs.push(dir);
    const c = spawnTs(APP, [app, input, output, guarantee, dir]);
    children.push(c);
    members.push(c);
    await c.waitFor('RUNNING');
  };
  await start('a');
  const expected = new Map<string, number>();
  for (let batch = 0; batch < RECORDS / 500; batch++) {
    const records: TestRecord[] = [];
    for (let i = batch * 500; i < (batch + 1) * 500; i++) {
      const key = `user-${i % KEYS}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
      records.push({ key, value: String(i) });
    }
    await produce(input, records);
    if (batch === 4) await start('b');
    if (batch === 10) await start('c');
    await new Promise((r) => setTimeout(r, 100));
  }
  const finals = new Map<string, number>();
  const all: { key: string | null; value: Buffer | null }[] = [];
  await readTopic(output, (records) => {
    all.push(...records.slice(all.length));
    for (const r of records) {
      const n = Number(r.value!.toString());
      if (n > (finals.get(r.key!) ?? 0)) finals.set(r.key!, n);
    }
    return [...expected].every(([k, n]) => (finals.get(k) ?? 0) >= n);
  }, 90_000);
  const logs = members.map((m) => m.stderr());
  for (const m of members) m.process.kill('SIGTERM');
  await Promise.all(members.map((m) => m.exited));
  return { expected, finals, collected: all, logs };
}

describe('failover of a stateful topology on the real broker', () => {
  it('exactly_once_v2: members joining mid-stream keep every count exact and written once', async () => {
    const { expected, finals, collected, logs } = await runScaleOut('exactly_once_v2');
    for (const [key, n] of expected) expect(finals.get(key), key).toBe(n);
    expect(new Set(collected.map((r) => `${r.key}=${r.value!.toString()}`)).size).toBe(collected.length);
    expect(collected).toHaveLength(RECORDS);
    for (const log of logs) {
      expect(log.split('\n').filter((l) => l.includes('stream thread failed'))).toEqual([]);
      expect(log).toContain('task restored and running');
    }
  }, 180_000);

  it('at_least_once: members joining mid-stream keep running and no count is low', async () => {
    const { expected, finals, logs } = await runScaleOut('at_least_once');
    for (const [key, n] of expected) expect(finals.get(key)!, key).toBeGreaterThanOrEqual(n);
    for (const log of logs) {
      expect(log).not.toContain('stream thread failed');
      expect(log).toContain('task restored and running');
    }
  }, 180_000);

  it('exactly_once_v2: after a member is killed, counts are exact and each count is written once', async () => {
    const { expected, finals, collected, survivorLog } = await runFailover('exactly_once_v2');
    for (const [key, n] of expected) expect(finals.get(key), key).toBe(n);
    // Committed output holds each (key, count) once: nothing from the dead member's open transaction.
    const seen = new Set<string>();
    for (const r of collected) {
      const id = `${r.key}=${r.value!.toString()}`;
      expect(seen.has(id), `duplicate output ${id}`).toBe(false);
      seen.add(id);
    }
    expect(collected).toHaveLength(RECORDS);
    expect(survivorLog).toMatch(/restoredRecords":[1-9]/);
  }, 180_000);

  it('at_least_once: after a member is killed, no count is ever low', async () => {
    const { expected, finals, survivorLog } = await runFailover('at_least_once');
    for (const [key, n] of expected) expect(finals.get(key)!, key).toBeGreaterThanOrEqual(n);
    expect(survivorLog).toMatch(/restoredRecords":[1-9]/);
  }, 180_000);
});

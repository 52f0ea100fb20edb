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

type Guarantee = 'at_least_once' | 'exactly_once_v2';

/** Fresh input and output topics of the counting app, and a way to start members of one group. */
async function countingApp(prefix: string, guarantee: Guarantee, partitions: number) {
  const input = uniqueName(`${prefix}-in`);
  const output = uniqueName(`${prefix}-out`);
  const app = uniqueName(`${prefix}-${guarantee === 'exactly_once_v2' ? 'eos' : 'alos'}`);
  await createTopics([
    { name: input, partitions },
    { name: output, partitions },
  ]);
  const start = (name: string): Child => {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-${name}-`));
    dirs.push(dir);
    const c = spawnTs(APP, [app, input, output, guarantee, dir]);
    children.push(c);
    return c;
  };
  return { input, output, start };
}

/** Reads the output until each key's final count (the largest written for it) reaches the expected one. */
async function readCounts(output: string, expected: ReadonlyMap<string, number>) {
  const finals = new Map<string, number>();
  let read = 0;
  const collected = await readTopic(output, (records) => {
    for (const r of records.slice(read)) finals.set(r.key!, Math.max(finals.get(r.key!) ?? 0, Number(r.value!.toString())));
    read = records.length;
    return [...expected].every(([k, n]) => (finals.get(k) ?? 0) >= n);
  }, 90_000);
  return { finals, collected };
}

/**
 * Two members count records per key; one is killed with SIGKILL mid-stream. The survivor takes
 * over its tasks, restores their stores from the changelogs and finishes the count.
 */
async function runFailover(guarantee: Guarantee) {
  const { input, output, start } = await countingApp('count', guarantee, 4);
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

  const { finals, collected } = await readCounts(output, expected);
  b.process.kill('SIGTERM');
  await b.exited;
  return { expected, finals, collected, survivorLog: b.stderr() };
}

/**
 * One member counts alone; two more join mid-stream, one at a time. Every join rebalances the
 * group while the first member processes and commits: a commit that meets a rebalance must not
 * fail a member (nor, under exactly-once, let an aborted transaction's state survive).
 */
async function runScaleOut(guarantee: Guarantee) {
  const app = await countingApp('scale', guarantee, 6);
  const members: Child[] = [];
  const start = async (name: string) => {
    const c = app.start(name);
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
    await produce(app.input, records);
    if (batch === 4) await start('b');
    if (batch === 10) await start('c');
    await new Promise((r) => setTimeout(r, 100));
  }
  const { finals, collected } = await readCounts(app.output, expected);
  const logs = members.map((m) => m.stderr());
  for (const m of members) m.process.kill('SIGTERM');
  await Promise.all(members.map((m) => m.exited));
  return { expected, finals, collected, logs };
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

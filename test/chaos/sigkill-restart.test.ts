/**
 * SIGKILL mid-stream, then a restart on the same state folder (a pod with a persistent volume),
 * under both guarantees. From outside: the invariants (see support/outcome.ts); the restarted
 * pod has all 18 tasks running (/readyz 200) less than 5 s after it was spawned, and /readyz is
 * never 200 before the pod logged every one of its tasks running (`task restored and running`),
 * polled every 50 ms from the spawn. The replacement starts once the killed member's session
 * (6 s) has expired, as a replacement pod would; before that the group waits for the session.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka.js';
import { ChaosCase, PARTITIONS, SHORT } from './support/chaos-case.js';
import type { Guarantee } from './support/outcome.js';

/** Three sub-topologies (intake, dispatch, billing), one task per partition each. */
const TASKS = 3 * PARTITIONS;
const COUNT = SHORT ? 1500 : 4000;
const RATE = SHORT ? 300 : 200;

let current: ChaosCase | null = null;
afterEach(async () => {
  const logs = await current?.teardown();
  if (logs) console.log(`chaos logs: ${logs.join(' ')}`);
  current = null;
});

describe.each(['exactly_once_v2', 'at_least_once'] as Guarantee[])('chaos: SIGKILL mid-stream and restart (%s)', (guarantee) => {
  it('keeps the invariants; the restart has every task running within 5 s and is not ready before', async () => {
    const c = (current = await ChaosCase.create('sigkill', guarantee, COUNT));
    const stateDir = join(c.dir, 'state');
    const first = await c.startPod({ stateDir });
    await waitFor(() => first.ready === 200, 90_000, 'the first pod ready');
    const producing = c.produce(RATE);
    await waitFor(() => c.providerSendCount() >= COUNT * 0.3, 120_000, 'a third of the sends');
    await first.kill();
    const sendsAtKill = c.providerSendCount();
    await new Promise((r) => setTimeout(r, 7_000));

    const second = await c.startPod({ stateDir });
    await waitFor(() => second.ready === 200 || !second.alive, 60_000, 'the restarted pod ready');
    const readyAt = second.firstAnswer(200) ?? Number.NaN;
    const running = second.logLines('task restored and running');
    const runningBeforeReady = new Set(running.filter((l) => (l.time as number) <= readyAt).map((l) => l.task as string));
    const lastTaskAt = Math.max(...running.map((l) => l.time as number));
    const assignedAt = second.logLines('partitions assigned')[0]?.time as number | undefined;
    await producing;
    const { line, violations } = await c.outcome(SHORT ? 90_000 : 150_000);
    const restoredRecords = running.reduce((s, l) => s + ((l.restoredRecords as number) ?? 0), 0);
    const restart = `restart: spawn → /readyz 200 ${((readyAt - second.spawnedAt) / 1000).toFixed(2)} s (assignment → 200 ${assignedAt ? ((readyAt - assignedAt) / 1000).toFixed(2) : '?'} s), tasks running before 200: ${runningBeforeReady.size}/${TASKS}, last task running ${((lastTaskAt - second.spawnedAt) / 1000).toFixed(2)} s, ${restoredRecords} records restored`;
    console.log(`chaos[sigkill ${guarantee}]: ${line}, provider sends before the kill ${sendsAtKill}, ${restart}`);

    const failures = [...violations];
    if (!second.alive) failures.push('the restarted pod exited');
    if (runningBeforeReady.size < TASKS) failures.push(`/readyz answered 200 with ${runningBeforeReady.size} of ${TASKS} tasks logged running`);
    if (!(readyAt - second.spawnedAt < 5_000)) failures.push(`all tasks running ${readyAt - second.spawnedAt} ms after the restart (limit 5000)`);
    expect(failures).toEqual([]);
  }, 360_000);
});

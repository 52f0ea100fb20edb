/**
 * A zombie: of two members, one is frozen with SIGSTOP beyond its session timeout (6 s) while
 * traffic flows, so the group hands its tasks to the other; then it is resumed with SIGCONT and
 * finds its tasks gone (under exactly_once_v2 its producer is fenced). From outside: the
 * invariants hold (see support/outcome.ts), both pods stay up and both are ready again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka.js';
import { ChaosCase, SHORT } from './support/chaos-case.js';
import type { Guarantee } from './support/outcome.js';

const COUNT = SHORT ? 1500 : 4000;
const RATE = SHORT ? 100 : 80;
const FROZEN_MS = SHORT ? 10_000 : 20_000;

let current: ChaosCase | null = null;
afterEach(async () => {
  const logs = await current?.teardown();
  if (logs) console.log(`chaos logs: ${logs.join(' ')}`);
  current = null;
});

describe.each(['exactly_once_v2', 'at_least_once'] as Guarantee[])('chaos: zombie member, SIGSTOP beyond the session and SIGCONT (%s)', (guarantee) => {
  it('keeps the invariants; the resumed member rejoins', async () => {
    const c = (current = await ChaosCase.create('zombie', guarantee, COUNT));
    const a = await c.startPod();
    const b = await c.startPod();
    await waitFor(() => a.ready === 200 && b.ready === 200, 120_000, 'both pods ready');
    const producing = c.produce(RATE);
    await waitFor(() => c.providerSendCount() >= COUNT * 0.2, 120_000, 'a fifth of the sends');
    b.signal('SIGSTOP');
    const frozenAt = Date.now();
    await new Promise((r) => setTimeout(r, FROZEN_MS));
    const takenOver = a.logLines('partitions assigned').filter((l) => (l.time as number) > frozenAt).length > 0;
    b.signal('SIGCONT');
    const resumedAt = Date.now();
    await waitFor(() => (a.ready === 200 && b.ready === 200) || !a.alive || !b.alive, 120_000, 'both pods ready again').catch(() => undefined);
    const bReadyAt = b.firstAnswer(200, resumedAt);
    await producing;
    const { line, violations } = await c.outcome(SHORT ? 120_000 : 180_000);
    const bLost = b.logLines('partitions revoked').filter((l) => l.lost === true).length;
    const bDropped = b.logLines('commit failed; transaction dropped, tasks restart from the last commit with a new producer').length;
    console.log(
      `chaos[zombie ${guarantee}]: ${line}, frozen ${(FROZEN_MS / 1000).toFixed(0)} s, survivor took over ${takenOver}, zombie: lost-partition events ${bLost}, transactions dropped ${bDropped}, ` +
        `ready again +${bReadyAt === null ? 'never' : ((bReadyAt - resumedAt) / 1000).toFixed(1) + ' s'}, alive a ${a.alive} b ${b.alive}`,
    );
    const failures = [...violations];
    if (!takenOver) failures.push('the survivor was not assigned the frozen member\'s partitions');
    if (!a.alive) failures.push(`the survivor exited (code ${a.child.process.exitCode})`);
    if (!b.alive) failures.push(`the resumed zombie exited (code ${b.child.process.exitCode})`);
    if (bReadyAt === null) failures.push('the resumed member was not ready again within 120 s');
    expect(failures).toEqual([]);
  }, 600_000);
});

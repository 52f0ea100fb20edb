/**
 * A rebalance storm: while traffic flows through one pod, a second pod joins and leaves (clean
 * SIGTERM) 8 times (3 in the short version), each time once it is ready or after 20 s. From
 * outside: the invariants hold (see support/outcome.ts), the steady pod stays up and ready at
 * the end, and every leaving pod exits 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka.js';
import { ChaosCase, SHORT } from './support/chaos-case.js';
import type { Guarantee } from './support/outcome.js';

const CYCLES = SHORT ? 3 : 8;
const COUNT = SHORT ? 1500 : 4000;
const RATE = SHORT ? 60 : 40;

let current: ChaosCase | null = null;
afterEach(async () => {
  const logs = await current?.teardown();
  if (logs) console.log(`chaos logs: ${logs.join(' ')}`);
  current = null;
});

describe.each(['exactly_once_v2', 'at_least_once'] as Guarantee[])('chaos: rebalance storm (%s)', (guarantee) => {
  it(`a second member joins and leaves ${CYCLES} times under load; the invariants hold`, async () => {
    const c = (current = await ChaosCase.create('storm', guarantee, COUNT));
    const a = await c.startPod();
    await waitFor(() => a.ready === 200, 90_000, 'the steady pod ready');
    const producing = c.produce(RATE);
    await waitFor(() => c.providerSendCount() >= 100, 60_000, 'the first sends');
    const cycles: string[] = [];
    const exits: (number | null)[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const b = await c.startPod();
      const ready = await waitFor(() => b.ready === 200 || !b.alive, 20_000, 'the joining pod ready').then(() => b.ready === 200, () => false);
      const readyIn = ready ? ((b.firstAnswer(200)! - b.spawnedAt) / 1000).toFixed(1) : 'not ready';
      const leftAt = Date.now();
      const code = await b.stop();
      exits.push(code);
      cycles.push(`${readyIn}/${((Date.now() - leftAt) / 1000).toFixed(1)}`);
    }
    await waitFor(() => a.ready === 200 || !a.alive, 60_000, 'the steady pod ready after the storm').catch(() => undefined);
    const produced = await producing;
    const { line, violations } = await c.outcome(SHORT ? 120_000 : 180_000);
    console.log(`chaos[storm ${guarantee}]: ${line}, produced in ${(produced.elapsedMs / 1000).toFixed(0)} s, joiner ready/stop s per cycle ${cycles.join(' ')}, exit codes ${exits.join(',')}, steady pod ready ${a.ready === 200}`);
    const failures = [...violations];
    if (!a.alive) failures.push(`the steady pod exited (code ${a.child.process.exitCode})`);
    if (a.ready !== 200) failures.push(`the steady pod answers /readyz ${a.ready} after the storm`);
    if (exits.some((e) => e !== 0)) failures.push(`leaving pods exited with ${exits.join(',')}`);
    expect(failures).toEqual([]);
  }, 600_000);
});

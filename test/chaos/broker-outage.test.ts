/**
 * The broker stopped under load (60 s; 20 s in the short version) and started again, under
 * both guarantees. From outside: the pod stays up; /readyz answers 503 within 15 s of the
 * broker being gone, is not 200 again while the broker is away, and is 200 again once it is
 * back and the tasks run; the invariants hold (see support/outcome.ts). The traffic keeps
 * coming through the outage: its producer buffers records until the broker is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka.js';
import { brokerDown, brokerUp } from './support/chaos-broker.js';
import { ChaosCase, SHORT } from './support/chaos-case.js';
import type { Guarantee } from './support/outcome.js';

const COUNT = SHORT ? 1500 : 4000;
const RATE = 50;
const OUTAGE_MS = SHORT ? 20_000 : 60_000;

let current: ChaosCase | null = null;
afterEach(async () => {
  // Whatever happened, the broker must be up for the next case.
  await brokerUp();
  const logs = await current?.teardown();
  if (logs) console.log(`chaos logs: ${logs.join(' ')}`);
  current = null;
});

const secs = (ms: number | null): string => (ms === null || Number.isNaN(ms) ? 'never' : `${(ms / 1000).toFixed(1)} s`);

describe.each(['exactly_once_v2', 'at_least_once'] as Guarantee[])('chaos: broker outage under load (%s)', (guarantee) => {
  it(`the pod stays up, /readyz 503 within 15 s and 200 after the broker is back; the invariants hold`, async () => {
    const c = (current = await ChaosCase.create('broker-outage', guarantee, COUNT));
    const pod = await c.startPod();
    await waitFor(() => pod.ready === 200, 90_000, 'the pod ready');
    const producing = c.produce(RATE);
    await waitFor(() => c.providerSendCount() >= Math.min(300, COUNT * 0.1), 120_000, 'the first sends');

    const stopAt = Date.now();
    await brokerDown();
    const goneAt = Date.now();
    const sendsAtStop = c.providerSendCount();
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (goneAt - stopAt))));
    const aliveThrough = pod.alive;
    const sendsDuringOutage = c.providerSendCount() - sendsAtStop;
    // The broker may answer a little before kafka.sh sees it logged "started": "away" ends
    // when it is launched, "back" when kafka.sh has seen it serving.
    const upAt = Date.now();
    await brokerUp();
    const backAt = Date.now();
    await waitFor(() => pod.ready === 200 || !pod.alive, 120_000, 'the pod ready again');
    await producing;
    const { line, violations } = await c.outcome(SHORT ? 90_000 : 150_000);

    const unreadyAt = pod.firstAnswer(503, stopAt);
    const readyAgainAt = pod.firstAnswer(200, upAt);
    const flapped = pod.transitions.filter((t) => t.status === 200 && unreadyAt !== null && t.at > unreadyAt && t.at < upAt);
    const away = pod.logLines('Kafka is not reachable; processing paused until a commit goes through').length;
    console.log(
      `chaos[broker-outage ${guarantee}]: ${line}, outage ${secs(backAt - stopAt)} (stop took ${secs(goneAt - stopAt)}), sends while away ${sendsDuringOutage}, ` +
        `readyz 503 after ${secs(unreadyAt === null ? null : unreadyAt - goneAt)}, 200 while away ${flapped.length}, 200 after back +${secs(readyAgainAt === null ? null : readyAgainAt - backAt)}, readyz at the end ${pod.ready}, ` +
        `pod alive ${pod.alive}, "Kafka is not reachable" logged ${away}×`,
    );

    const failures = [...violations];
    if (!aliveThrough || !pod.alive) failures.push(`the pod exited (code ${pod.child.process.exitCode})`);
    if (unreadyAt === null || unreadyAt - goneAt > 15_000) failures.push(`/readyz not 503 within 15 s of the broker stopping (${secs(unreadyAt === null ? null : unreadyAt - goneAt)})`);
    if (flapped.length > 0) failures.push(`/readyz answered 200 ${flapped.length}× while the broker was away`);
    if (readyAgainAt === null) failures.push('/readyz not 200 again after the broker came back');
    if (pod.ready !== 200) failures.push(`/readyz answers ${pod.ready} at the end (0: the pod no longer serves HTTP)`);
    expect(failures).toEqual([]);
  }, 600_000);
});

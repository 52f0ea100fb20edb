/**
 * A provider down 30 s (10 s in the short version) under load, under both guarantees. Every
 * notification of the traffic goes to a webhook provider pointed at a local HTTP peer (the other
 * channels keep the log providers); the peer is stopped (connections refused) and started again
 * on the same port. From outside: the invariants hold, counting the peer's receipts as provider
 * sends (see support/outcome.ts); no notification ends FAILED or EXPIRED (their retry policy
 * outlives the outage) and the peer receives again after it is back; the pod stays up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TrafficItem } from '../../src/app/demo/traffic.js';
import { HttpPeer } from '../integration/channels/support/http-peer.js';
import { waitFor } from '../support/kafka.js';
import { ChaosCase, SHORT } from './support/chaos-case.js';
import type { Guarantee } from './support/outcome.js';

const COUNT = SHORT ? 1500 : 3000;
const RATE = SHORT ? 60 : 50;
const OUTAGE_MS = SHORT ? 10_000 : 30_000;

/** Valid notifications go out as webhooks (order-shipped has an en-US webhook variant). */
function notificationsAsWebhooks(items: TrafficItem[]): TrafficItem[] {
  return items.map((i) => {
    if (i.kind !== 'request' || i.note === 'invalid' || i.request.category !== 'NOTIFICATION') return i;
    const r = i.request;
    const recipient = { userId: r.recipient.userId, phone: null, deviceToken: null, pushPlatform: null, openId: null, email: null, webhookUrl: `https://hooks.example.com/notify/${r.recipient.userId}`, timeZone: null };
    return { ...i, request: { ...r, channel: 'WEBHOOK' as const, locale: 'en-US', recipient } };
  });
}

let current: ChaosCase | null = null;
let peer: HttpPeer | null = null;
afterEach(async () => {
  await peer?.close();
  peer = null;
  const logs = await current?.teardown();
  if (logs) console.log(`chaos logs: ${logs.join(' ')}`);
  current = null;
});

describe.each(['exactly_once_v2', 'at_least_once'] as Guarantee[])('chaos: provider down (%s)', (guarantee) => {
  it('notifications wait out the provider and are sent once it is back; the invariants hold', async () => {
    const received = new Map<string, number>();
    peer = await HttpPeer.start((request, p) => {
      const id = String(request.headers['x-notify-message-id'] ?? '');
      received.set(id, (received.get(id) ?? 0) + 1);
      p.count();
      return { status: 204 };
    });
    const c = (current = await ChaosCase.create(
      'provider-outage',
      guarantee,
      COUNT,
      {
        NOTIFY_CHANNELS__POOLS__WEBHOOK__PROVIDERS__0__PRINT: null,
        NOTIFY_CHANNELS__POOLS__WEBHOOK__PROVIDERS: `[{type: webhook, name: hook, secret: {env: CHAOS_WEBHOOK_SECRET}, url: "${peer.url}/hook", timeoutMs: 2000}]`,
        CHAOS_WEBHOOK_SECRET: 'chaos-only',
      },
      notificationsAsWebhooks,
    ));
    const webhookIds = new Set(c.items.flatMap((i) => (i.kind === 'request' && i.request.channel === 'WEBHOOK' ? [i.request.messageId] : [])));
    const pod = await c.startPod();
    await waitFor(() => pod.ready === 200, 90_000, 'the pod ready');
    const producing = c.produce(RATE);
    await waitFor(() => peer!.received >= 30, 60_000, 'the first webhooks');
    await peer.stop();
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const beforeBack = peer.received;
    await peer.start();
    const backAt = Date.now();
    await producing;
    const { line, violations } = await c.outcome(SHORT ? 150_000 : 240_000, received);
    const failedHooks = [...webhookIds].filter((id) => (c.terminal.get(id) ?? []).some((s) => s === 'FAILED' || s === 'EXPIRED'));
    const firstAfter = peer.arrivals.length > beforeBack ? peer.arrivals[beforeBack]! : null;
    console.log(
      `chaos[provider-outage ${guarantee}]: ${line}, webhooks ${webhookIds.size}, peer received ${peer.received} (before the outage ${beforeBack}), ` +
        `down ${((backAt - downAt) / 1000).toFixed(1)} s, first receipt after back ${firstAfter === null ? 'never' : `+${((firstAfter - (performance.now() - (Date.now() - backAt))) / 1000).toFixed(1)} s`}, webhooks FAILED/EXPIRED ${failedHooks.length}, pod alive ${pod.alive}`,
    );
    const failures = [...violations];
    if (!pod.alive) failures.push(`the pod exited (code ${pod.child.process.exitCode})`);
    if (failedHooks.length > 0) failures.push(`${failedHooks.length} notifications FAILED or EXPIRED across a ${OUTAGE_MS / 1000} s provider outage`);
    if (peer.received <= beforeBack) failures.push('the provider received nothing after it was back');
    expect(failures).toEqual([]);
  }, 600_000);
});

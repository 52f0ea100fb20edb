/**
 * The scenarios every provider must pass against its real local peer: success, permanent
 * error, retryable error, timeout, and peer down → circuit opens → failover to the backup →
 * recovery closes the circuit. Each provider's test file supplies its peer and config.
 */
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../../src/channels/index.js';
import type { Channel, ChannelRouter, OutboundMessage, SendResult } from '../../../../src/channels/index.js';
import type { TestPeer } from './test-peer.js';

/** How to test one provider type. */
export interface ConformanceCase {
  title: string;
  channel: Channel;
  startPeer(): Promise<TestPeer>;
  /** Provider config pointing at `peer`; guard keys are merged in by the suite. */
  providerConfig(peer: TestPeer, name: string): Record<string, unknown>;
  message(id: string): OutboundMessage;
  env?: Record<string, string>;
  /** Billable units the sample message costs (default 1). */
  units?: number;
  /** Whether the peer's permanent error means "address gone". */
  permanentIsUnregistered?: boolean;
}

const guard = { timeoutMs: 400, circuitBreaker: { failureThreshold: 2, openMs: 400, halfOpenProbes: 1 } };

/** Registers the conformance scenarios for one provider. */
export function describeProviderConformance(c: ConformanceCase): void {
  describe(`${c.title} conformance`, () => {
    let primary: TestPeer;
    let backup: TestPeer;
    const routers: ChannelRouter[] = [];
    let seq = 0;
    const ids = (n: number) => Array.from({ length: n }, () => c.message(`${c.title}-${++seq}`));

    const build = async (peers: TestPeer[], registry?: Registry) => {
      const providers = peers.map((peer, i) => ({ ...c.providerConfig(peer, i === 0 ? 'primary' : 'backup'), ...guard }));
      const router = await createChannelRouter(
        { pools: { main: { channel: c.channel, providers } } },
        { env: c.env ?? {}, metrics: registry },
      );
      routers.push(router);
      return router;
    };

    beforeAll(async () => {
      primary = await c.startPeer();
      backup = await c.startPeer();
    });
    afterEach(async () => {
      await Promise.all(routers.splice(0).map((router) => router.close()));
      primary.mode = 'ok';
      backup.mode = 'ok';
    });
    afterAll(async () => {
      await primary.close();
      await backup.close();
    });

    it('accepts messages the peer takes', async () => {
      const router = await build([primary]);
      const before = primary.received;
      const batch = ids(3);
      const results = await router.send(batch);
      expect(results.map((r) => r.messageId)).toEqual(batch.map((m) => m.messageId));
      for (const result of results) {
        expect(result).toMatchObject({ status: 'ACCEPTED', provider: 'primary', billableUnits: c.units ?? 1 });
      }
      expect(primary.received - before).toBe(3);
    });

    it('reports a permanent rejection as PERMANENT_ERROR', async () => {
      const router = await build([primary]);
      primary.mode = 'permanent';
      const [result] = await router.send(ids(1));
      expect(result?.status).toBe('PERMANENT_ERROR');
      if (c.permanentIsUnregistered) expect(result).toMatchObject({ unregistered: true });
    });

    it('reports a temporary rejection as RETRYABLE_ERROR', async () => {
      const router = await build([primary]);
      primary.mode = 'retryable';
      const [result] = await router.send(ids(1));
      expect(result).toMatchObject({ status: 'RETRYABLE_ERROR', provider: 'primary' });
    });

    it('times out a peer that never answers', async () => {
      const router = await build([primary]);
      await router.send(ids(1)); // connect first, so the timeout is the peer's silence
      primary.mode = 'hang';
      const started = performance.now();
      const [result] = await router.send(ids(1));
      const elapsed = performance.now() - started;
      expect(result).toMatchObject({ status: 'RETRYABLE_ERROR' });
      expect((result as { reason: string }).reason).toMatch(/timeout/);
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(2_000);
    });

    it('opens the circuit when the peer is down, fails over, and closes it on recovery', async () => {
      const registry = new Registry();
      const router = await build([primary, backup], registry);
      await router.send(ids(1));
      await primary.stop();
      const primaryBefore = primary.received;
      const backupBefore = backup.received;
      const outage: SendResult[] = [];
      for (const message of ids(5)) outage.push(...(await router.send([message])));
      for (const result of outage) expect(result).toMatchObject({ status: 'ACCEPTED', provider: 'backup' });
      expect(backup.received - backupBefore).toBe(5);
      expect(primary.received).toBe(primaryBefore);
      expect(router.circuitStates().primary).toBe('OPEN');
      const gauge = await registry.getSingleMetric('notify_channel_circuit_state')?.get();
      expect(gauge?.values.find((v) => v.labels.provider === 'primary')?.value).toBe(2);

      await primary.start();
      await new Promise((resolve) => setTimeout(resolve, 450));
      let recovered: SendResult | undefined;
      // The probe may land while the client is still reconnecting; a few tries, bounded.
      for (let attempt = 0; attempt < 10 && recovered?.provider !== 'primary'; attempt++) {
        [recovered] = await router.send(ids(1));
        if (recovered?.provider !== 'primary') await new Promise((resolve) => setTimeout(resolve, 450));
      }
      expect(recovered).toMatchObject({ status: 'ACCEPTED', provider: 'primary' });
      expect(router.circuitStates().primary).toBe('CLOSED');
    });
  });
}

import { describe, expect, it } from 'vitest';
import { ChannelMetrics } from '../../../src/channels/channel-metrics.js';
import { GuardedProvider } from '../../../src/channels/guard/guarded-provider.js';
import type { GuardOptions } from '../../../src/channels/guard/guarded-provider.js';
import { ProviderPool } from '../../../src/channels/index.js';
import type { ChannelProvider, OutboundMessage, SendResult } from '../../../src/channels/index.js';

type Behaviour = 'ok' | 'retry' | 'permanent' | 'throw' | 'slow';

/** A scripted provider: answers per its current behaviour and counts calls and concurrency. */
class FakeProvider implements ChannelProvider {
  readonly channel = 'SMS' as const;
  behaviour: Behaviour = 'ok';
  calls = 0;
  active = 0;
  maxActive = 0;
  constructor(readonly name: string) {}
  async send(message: OutboundMessage): Promise<SendResult> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.behaviour === 'slow' ? 200 : 1));
      switch (this.behaviour) {
        case 'ok':
        case 'slow':
          return { messageId: message.messageId, status: 'ACCEPTED', provider: this.name, billableUnits: 1 };
        case 'retry':
          return { messageId: message.messageId, status: 'RETRYABLE_ERROR', provider: this.name, reason: 'busy' };
        case 'permanent':
          return { messageId: message.messageId, status: 'PERMANENT_ERROR', provider: this.name, reason: 'bad number' };
        case 'throw':
          throw new Error('socket exploded');
      }
    } finally {
      this.active--;
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const options: GuardOptions = { maxInFlight: 3, timeoutMs: 50, circuitBreaker: { failureThreshold: 2, openMs: 60_000, halfOpenProbes: 1 } };
const metrics = new ChannelMetrics();
const message = (id: string): OutboundMessage => ({ messageId: id, channel: 'SMS', category: 'NOTIFICATION', recipient: { userId: 'u', phone: '+1' }, body: 'x', templateParams: {}, tags: {} });
const pool = (...providers: FakeProvider[]) =>
  new ProviderPool('sms', 'SMS', providers.map((p) => new GuardedProvider(p, options, metrics.forProvider(p.name, 'SMS'))));

describe('ProviderPool', () => {
  it('fails over on retryable errors, in order', async () => {
    const [a, b, c] = [new FakeProvider('a'), new FakeProvider('b'), new FakeProvider('c')];
    a.behaviour = 'retry';
    b.behaviour = 'throw';
    const result = await pool(a, b, c).send(message('m'));
    expect(result).toMatchObject({ status: 'ACCEPTED', provider: 'c' });
    expect([a.calls, b.calls, c.calls]).toEqual([1, 1, 1]);
  });

  it('does not fail over on a permanent error: the next line would reject the message too', async () => {
    const [a, b] = [new FakeProvider('a'), new FakeProvider('b')];
    a.behaviour = 'permanent';
    expect(await pool(a, b).send(message('m'))).toMatchObject({ status: 'PERMANENT_ERROR', provider: 'a' });
    expect(b.calls).toBe(0);
  });

  it('reports every line when all fail, and stops calling a line whose circuit opened', async () => {
    const [a, b] = [new FakeProvider('a'), new FakeProvider('b')];
    a.behaviour = 'retry';
    b.behaviour = 'retry';
    const p = pool(a, b);
    const first = await p.send(message('1'));
    expect(first).toMatchObject({ status: 'RETRYABLE_ERROR', reason: 'all providers failed (a: busy; b: busy)' });
    await p.send(message('2'));
    const third = await p.send(message('3'));
    expect(third).toMatchObject({ status: 'RETRYABLE_ERROR', reason: 'all providers failed (a: circuit open; b: circuit open)' });
    expect([a.calls, b.calls]).toEqual([2, 2]);
  });

  it('turns a thrown error into RETRYABLE_ERROR and a slow answer into a timeout', async () => {
    const a = new FakeProvider('a');
    a.behaviour = 'throw';
    expect(await pool(a).send(message('m'))).toMatchObject({ status: 'RETRYABLE_ERROR', reason: 'unexpected failure: socket exploded' });
    const b = new FakeProvider('b');
    b.behaviour = 'slow';
    expect(await pool(b).send(message('m'))).toMatchObject({ status: 'RETRYABLE_ERROR', reason: expect.stringMatching(/^timeout after 50 ms/) });
  });

  it('keeps at most maxInFlight sends in the provider at once and returns results in order', async () => {
    const a = new FakeProvider('a');
    const results = await pool(a).sendBatch(Array.from({ length: 20 }, (_, i) => message(`m${i}`)));
    expect(results.map((r) => r.messageId)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(a.maxActive).toBe(3);
  });
});

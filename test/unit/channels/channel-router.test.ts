import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ChannelError, LogProvider, createChannelRouter, parseChannelsConfig } from '../../../src/channels/index.js';
import type { OutboundMessage } from '../../../src/channels/index.js';

const message = (id: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  messageId: id,
  channel: 'SMS',
  category: 'NOTIFICATION',
  recipient: { userId: 'u1', phone: '+8613800138000' },
  body: '您的验证码是 123456',
  templateParams: {},
  tags: {},
  ...extra,
});

const config = {
  pools: {
    'sms-main': { channel: 'SMS', providers: [{ type: 'log', name: 'sms-line-a' }] },
    'sms-gray': { channel: 'SMS', providers: [{ type: 'log', name: 'sms-gray-line' }] },
    'sms-codes': { channel: 'SMS', providers: [{ type: 'log', name: 'sms-code-line' }] },
    'push-main': { channel: 'PUSH', providers: [{ type: 'log', name: 'push-log' }] },
  },
  routes: [
    { match: { tags: { env: 'gray' } }, pool: 'sms-gray' },
    { match: { channel: 'SMS', category: 'VERIFICATION' }, pool: 'sms-codes' },
  ],
};

describe('ChannelRouter', () => {
  it('routes by tags, then category, then the channel default, keeping batch order', async () => {
    const router = await createChannelRouter(config);
    const results = await router.send([
      message('a'),
      message('b', { tags: { env: 'gray' } }),
      message('c', { category: 'VERIFICATION' }),
      message('d', { category: 'VERIFICATION', tags: { env: 'gray' } }),
      message('e', { channel: 'PUSH', recipient: { userId: 'u1', deviceToken: 't', pushPlatform: 'APNS' } }),
      message('f', { channel: 'EMAIL' }),
    ]);
    await router.close();
    expect(results.map((r) => [r.messageId, r.status, r.provider])).toEqual([
      ['a', 'ACCEPTED', 'sms-line-a'],
      ['b', 'ACCEPTED', 'sms-gray-line'],
      ['c', 'ACCEPTED', 'sms-code-line'],
      ['d', 'ACCEPTED', 'sms-gray-line'],
      ['e', 'ACCEPTED', 'push-log'],
      ['f', 'PERMANENT_ERROR', 'router'],
    ]);
  });

  it('log provider records what it would send and bills like the real channel', async () => {
    const router = await createChannelRouter(config);
    const [result] = await router.send([message('long', { body: '中'.repeat(71) })]);
    const log = router.provider('sms-line-a');
    await router.close();
    expect(result).toMatchObject({ status: 'ACCEPTED', billableUnits: 2, providerMessageId: 'sms-line-a-1' });
    expect(log).toBeInstanceOf(LogProvider);
    expect((log as LogProvider).sent.map((m) => m.messageId)).toEqual(['long']);
  });

  it('prints one JSON line per message when asked', async () => {
    const lines: string[] = [];
    const router = await createChannelRouter(
      { pools: { p: { channel: 'SMS', providers: [{ type: 'log', name: 'l', print: true }] } } },
      { print: (line) => lines.push(line) },
    );
    await router.send([message('x')]);
    await router.close();
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ provider: 'l', messageId: 'x', units: 1 });
  });

  it('exports per-provider metrics on the given registry', async () => {
    const registry = new Registry();
    const router = await createChannelRouter(config, { metrics: registry });
    await router.send([message('a'), message('b', { expireAt: 1 })]);
    await router.close();
    const text = await registry.metrics();
    expect(text).toContain('notify_channel_sends_total{provider="sms-line-a",channel="SMS",outcome="accepted"} 1');
    expect(text).toContain('notify_channel_sends_total{provider="sms-line-a",channel="SMS",outcome="permanent_error"} 1');
    expect(text).toContain('notify_channel_errors_total{provider="sms-line-a",channel="SMS",class="permanent"} 1');
    expect(text).toContain('notify_channel_billable_units_total{provider="sms-line-a",channel="SMS"} 1');
    expect(text).toMatch(/notify_channel_send_duration_seconds_count\{provider="sms-line-a",channel="SMS"\} 2/);
    expect(text).toContain('notify_channel_circuit_state{provider="sms-code-line",channel="SMS"} 0');
    expect(text).toContain('notify_channel_in_flight{provider="sms-line-a",channel="SMS"} 0');
    // A second router on the same registry reuses the metric families instead of failing.
    const again = await createChannelRouter(config, { metrics: registry });
    await again.close();
  });

  it('answers every message of a batch after close with a permanent error', async () => {
    const router = await createChannelRouter(config);
    await router.close();
    const [result] = await router.send([message('late')]);
    expect(result).toMatchObject({ status: 'PERMANENT_ERROR', provider: 'router' });
  });
});

describe('channels config', () => {
  const invalid = (input: unknown) => {
    try {
      parseChannelsConfig(input);
    } catch (error) {
      expect(error).toBeInstanceOf(ChannelError);
      expect((error as ChannelError).code).toBe('CONFIG_INVALID');
      return (error as Error).message;
    }
    throw new Error('expected the config to be rejected');
  };

  it('applies defaults', () => {
    const parsed = parseChannelsConfig({ pools: { s: { channel: 'SMS', providers: [{ type: 'smpp', name: 'a', host: 'h', systemId: 'x', password: { env: 'P' }, sourceAddr: 'S' }] } } });
    expect(parsed.routes).toEqual([]);
    expect(parsed.pools.s?.providers[0]).toMatchObject({ port: 2775, window: 50, maxInFlight: 64, timeoutMs: 10_000, circuitBreaker: { failureThreshold: 5, openMs: 30_000, halfOpenProbes: 1 } });
  });

  it('names the bad key', () => {
    expect(invalid({ pools: { s: { channel: 'SMS', providers: [{ type: 'smpp', name: 'a', host: 'h', systemId: 'x', password: 'inline', sourceAddr: 'S' }] } } }))
      .toContain('channels.pools.s.providers[0].password');
    expect(invalid({ pools: { s: { channel: 'SMS', providers: [{ type: 'log', name: 'a', rateLimit: { perSecnd: 5 } }] } } }))
      .toContain('channels.pools.s.providers[0].rateLimit');
    expect(invalid({ pools: { s: { channel: 'SMS', providers: [{ type: 'log', name: 'a' }] } }, routes: [{ match: {}, pool: 'nope' }] }))
      .toContain('channels.routes[0].pool: no pool named "nope"');
  });

  it('rejects a provider in the wrong channel and duplicate names', () => {
    expect(invalid({ pools: { s: { channel: 'EMAIL', providers: [{ type: 'webhook', name: 'w', secret: { env: 'S' } }] } } }))
      .toContain('channels.pools.s.providers[0].type: a webhook provider serves WEBHOOK, not EMAIL');
    expect(invalid({ pools: { a: { channel: 'SMS', providers: [{ type: 'log', name: 'x' }] }, b: { channel: 'PUSH', providers: [{ type: 'log', name: 'x' }] } } }))
      .toContain('channels.pools.b.providers[0].name: provider name "x" is used twice');
  });
});

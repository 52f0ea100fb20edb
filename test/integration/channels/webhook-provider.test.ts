import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter, verifyWebhookSignature } from '../../../src/channels/index.js';
import type { OutboundMessage } from '../../../src/channels/index.js';
import { HttpPeer } from './support/http-peer.js';
import type { PeerHandler } from './support/http-peer.js';
import { describeProviderConformance } from './support/provider-conformance.js';

const SECRET = 'whsec-test-only';

/** A webhook receiver that checks signatures like a real integration would. */
const receiver: PeerHandler = (request, peer) => {
  const signature = String(request.headers['x-notify-signature'] ?? '');
  const timestamp = Number(request.headers['x-notify-timestamp']);
  if (!verifyWebhookSignature(SECRET, signature, timestamp, request.body)) return { status: 401, text: 'bad signature' };
  peer.count();
  switch (peer.mode) {
    case 'ok':
      return { status: 204, headers: { 'x-request-id': `req-${peer.received}` } };
    case 'permanent':
      return { status: 410, text: 'endpoint removed' };
    case 'retryable':
      return { status: 503, text: 'busy' };
    case 'hang':
      return 'hang';
  }
};

const message = (id: string, url?: string): OutboundMessage => ({
  messageId: id,
  channel: 'WEBHOOK',
  category: 'NOTIFICATION',
  recipient: { userId: 'u1', ...(url ? { webhookUrl: url } : {}) },
  subject: 'Order shipped',
  body: 'Your order 42 has shipped',
  templateParams: { order: '42' },
  tags: {},
});

describeProviderConformance({
  title: 'webhook',
  channel: 'WEBHOOK',
  startPeer: () => HttpPeer.start(receiver),
  providerConfig: (peer, name) => ({ type: 'webhook', name, secret: { env: 'WEBHOOK_SECRET' }, url: `http://127.0.0.1:${peer.port}/hook` }),
  message: (id) => message(id),
  env: { WEBHOOK_SECRET: SECRET },
  permanentIsUnregistered: true,
});

describe('webhook provider', () => {
  let peer: HttpPeer;
  beforeAll(async () => {
    peer = await HttpPeer.start(receiver);
  });
  afterAll(() => peer.close());

  it('posts to the recipient URL with signature, timestamp and the message as JSON', async () => {
    const router = await createChannelRouter(
      { pools: { hooks: { channel: 'WEBHOOK', providers: [{ type: 'webhook', name: 'hooks', secret: { env: 'S' } }] } } },
      { env: { S: SECRET } },
    );
    const [result] = await router.send([message('w-1', `${peer.url}/tenant/7`)]);
    await router.close();
    expect(result).toMatchObject({ status: 'ACCEPTED', provider: 'hooks', providerMessageId: expect.stringMatching(/^req-/) });
    const request = peer.requests.at(-1);
    expect(request?.url).toBe('/tenant/7');
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ messageId: 'w-1', userId: 'u1', body: 'Your order 42 has shipped' });
    expect(request?.headers['x-notify-message-id']).toBe('w-1');
  });

  it('rejects a message without a URL as permanent', async () => {
    const router = await createChannelRouter(
      { pools: { hooks: { channel: 'WEBHOOK', providers: [{ type: 'webhook', name: 'hooks', secret: { env: 'S' } }] } } },
      { env: { S: SECRET } },
    );
    const [result] = await router.send([message('w-2')]);
    await router.close();
    expect(result).toMatchObject({ status: 'PERMANENT_ERROR', reason: 'missing recipient.webhookUrl' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { OutboundMessage } from '../../../src/channels/index.js';
import { HttpPeer } from './support/http-peer.js';
import type { PeerHandler } from './support/http-peer.js';
import { describeProviderConformance } from './support/provider-conformance.js';
import { TokenIssuer } from './support/token-issuer.js';

const env = { HUAWEI_CLIENT_SECRET: 'hms-secret' };
const issuers = new WeakMap<HttpPeer, TokenIssuer>();
const issuerOf = (peer: HttpPeer) => {
  let issuer = issuers.get(peer);
  if (!issuer) issuers.set(peer, (issuer = new TokenIssuer()));
  return issuer;
};

/** Huawei's OAuth endpoint and Push Kit's v1 send endpoint, with their result codes. */
const hms: PeerHandler = (request, peer) => {
  const issuer = issuerOf(peer);
  if (request.url === '/oauth2/v3/token') {
    const form = new URLSearchParams(request.body);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== '10086' || form.get('client_secret') !== 'hms-secret') {
      return { status: 400, json: { error: 1101, error_description: 'invalid client' } };
    }
    return { status: 200, json: { access_token: issuer.issue(), expires_in: 3600, token_type: 'Bearer' } };
  }
  if (request.url !== '/v1/10086/messages:send') return { status: 404, json: { code: '80100001', msg: 'unknown url' } };
  if (!issuer.isValid(String(request.headers.authorization).replace(/^Bearer /, ''))) {
    return { status: 401, json: { code: '80200003', msg: 'OAuth token expired' } };
  }
  peer.count();
  switch (peer.mode) {
    case 'ok':
      return { status: 200, json: { code: '80000000', msg: 'Success', requestId: `req-${peer.received}` } };
    case 'permanent':
      return { status: 400, json: { code: '80300007', msg: 'All the tokens are invalid', requestId: 'r' } };
    case 'retryable':
      return { status: 500, json: { code: '81000001', msg: 'Internal error', requestId: 'r' } };
    case 'hang':
      return 'hang';
  }
};

const push = (id: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  messageId: id,
  channel: 'PUSH',
  category: 'VERIFICATION',
  recipient: { userId: 'u1', deviceToken: 'hms-token-1', pushPlatform: 'HUAWEI' },
  subject: 'Login code',
  body: 'Your code is 123456',
  templateParams: {},
  tags: {},
  ...extra,
});

const hmsConfig = (peer: { port: number }, name: string) => ({
  type: 'huawei',
  name,
  appId: '10086',
  clientSecret: { env: 'HUAWEI_CLIENT_SECRET' },
  url: `http://127.0.0.1:${peer.port}`,
  tokenUrl: `http://127.0.0.1:${peer.port}/oauth2/v3/token`,
});

describeProviderConformance({
  title: 'huawei',
  channel: 'PUSH',
  startPeer: () => HttpPeer.start(hms),
  providerConfig: (peer, name) => hmsConfig(peer, name),
  message: (id) => push(id),
  env,
  permanentIsUnregistered: true,
});

describe('huawei push provider', () => {
  let peer: HttpPeer;
  beforeAll(async () => {
    peer = await HttpPeer.start(hms);
  });
  afterAll(() => peer.close());

  it('sends the Push Kit message shape and refreshes an expired OAuth token without losing the message', async () => {
    const router = await createChannelRouter({ pools: { push: { channel: 'PUSH', providers: [hmsConfig(peer, 'hms')] } } }, { env });
    const [first] = await router.send([push('h-1', { collapseKey: '7', expireAt: Date.now() + 3_600_000 })]);
    issuerOf(peer).revokeAll();
    const before = peer.received;
    const [second] = await router.send([push('h-2')]);
    await router.close();
    expect(first).toMatchObject({ status: 'ACCEPTED', providerMessageId: expect.stringMatching(/^req-/) });
    expect(second).toMatchObject({ status: 'ACCEPTED' });
    expect(peer.received - before).toBe(1);
    const body = JSON.parse(peer.requests.find((r) => r.body.includes('h-1'))?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      validate_only: false,
      message: {
        token: ['hms-token-1'],
        android: { urgency: 'HIGH', collapse_key: 7, ttl: expect.stringMatching(/^(3599|3600)s$/), notification: { title: 'Login code', body: 'Your code is 123456' } },
      },
    });
  });
});

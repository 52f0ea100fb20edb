import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { OutboundMessage } from '../../../src/channels/index.js';
import { HttpPeer } from './support/http-peer.js';
import type { PeerHandler } from './support/http-peer.js';
import { describeProviderConformance } from './support/provider-conformance.js';
import { TokenIssuer } from './support/token-issuer.js';

const env = { WECHAT_APP_SECRET: 'wx-secret' };
const issuers = new WeakMap<HttpPeer, TokenIssuer>();
const issuerOf = (peer: HttpPeer) => {
  let issuer = issuers.get(peer);
  if (!issuer) issuers.set(peer, (issuer = new TokenIssuer()));
  return issuer;
};
/** Which expiry code the peer answers for a stale token. */
let staleCode = 42001;

/** WeChat's /cgi-bin/token and template-message endpoints, answering with errcode like the real API (HTTP 200). */
const wechat: PeerHandler = (request, peer) => {
  const issuer = issuerOf(peer);
  const url = new URL(request.url, 'http://x');
  if (url.pathname === '/cgi-bin/token') {
    const q = url.searchParams;
    if (q.get('grant_type') !== 'client_credential' || q.get('appid') !== 'wx123' || q.get('secret') !== 'wx-secret') {
      return { status: 200, json: { errcode: 40125, errmsg: 'invalid appsecret' } };
    }
    return { status: 200, json: { access_token: issuer.issue(), expires_in: 7200 } };
  }
  if (url.pathname !== '/cgi-bin/message/template/send') return { status: 404, text: 'not found' };
  if (!issuer.isValid(url.searchParams.get('access_token') ?? '')) {
    return { status: 200, json: { errcode: staleCode, errmsg: staleCode === 42001 ? 'access_token expired' : 'invalid credential' } };
  }
  peer.count();
  switch (peer.mode) {
    case 'ok':
      return { status: 200, json: { errcode: 0, errmsg: 'ok', msgid: 200228332 + peer.received } };
    case 'permanent':
      return { status: 200, json: { errcode: 43004, errmsg: 'require subscribe' } };
    case 'retryable':
      return { status: 200, json: { errcode: -1, errmsg: 'system error' } };
    case 'hang':
      return 'hang';
  }
};

const template = (id: string): OutboundMessage => ({
  messageId: id,
  channel: 'WECHAT',
  category: 'NOTIFICATION',
  recipient: { userId: 'u1', openId: 'oPENID123' },
  body: 'Your order 42 has shipped',
  templateCode: 'TPL_ORDER_SHIPPED',
  templateParams: { first: 'Order shipped', keyword1: '42' },
  tags: {},
});

const wechatConfig = (peer: { port: number }, name: string) => ({
  type: 'wechat',
  name,
  appId: 'wx123',
  appSecret: { env: 'WECHAT_APP_SECRET' },
  url: `http://127.0.0.1:${peer.port}`,
});

describeProviderConformance({
  title: 'wechat',
  channel: 'WECHAT',
  startPeer: () => HttpPeer.start(wechat),
  providerConfig: (peer, name) => wechatConfig(peer, name),
  message: (id) => template(id),
  env,
  permanentIsUnregistered: true,
});

describe('wechat template provider', () => {
  let peer: HttpPeer;
  beforeAll(async () => {
    peer = await HttpPeer.start(wechat);
  });
  afterAll(() => peer.close());

  for (const code of [42001, 40001]) {
    it(`refetches the access_token on ${code} and resends the same message once`, async () => {
      staleCode = code;
      const router = await createChannelRouter({ pools: { wx: { channel: 'WECHAT', providers: [wechatConfig(peer, 'wx')] } } }, { env });
      await router.send([template(`w-${code}-1`)]);
      issuerOf(peer).revokeAll();
      const before = { issued: issuerOf(peer).issued, received: peer.received };
      const results = await router.send([template(`w-${code}-2`), template(`w-${code}-3`)]);
      await router.close();
      expect(results.map((r) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
      // One refresh for both concurrent sends, and each message reached WeChat exactly once.
      expect(issuerOf(peer).issued - before.issued).toBe(1);
      expect(peer.received - before.received).toBe(2);
    });
  }

  it('posts touser, template_id and data in the template-message shape', async () => {
    const router = await createChannelRouter({ pools: { wx: { channel: 'WECHAT', providers: [wechatConfig(peer, 'wx')] } } }, { env });
    const [result] = await router.send([template('w-shape')]);
    await router.close();
    expect(result).toMatchObject({ status: 'ACCEPTED', providerMessageId: expect.stringMatching(/^\d+$/) });
    const body = JSON.parse(peer.requests.find((r) => r.body.includes('oPENID123'))?.body ?? '{}') as unknown;
    expect(body).toEqual({ touser: 'oPENID123', template_id: 'TPL_ORDER_SHIPPED', data: { first: { value: 'Order shipped' }, keyword1: { value: '42' } } });
    expect(JSON.stringify(result)).not.toContain('wx-secret');
  });
});

import { jwtVerify, importSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { OutboundMessage } from '../../../src/channels/index.js';
import { HttpPeer } from './support/http-peer.js';
import type { PeerHandler } from './support/http-peer.js';
import { describeProviderConformance } from './support/provider-conformance.js';
import { generateRsaKey } from './support/test-certificate.js';
import { TokenIssuer } from './support/token-issuer.js';

const rsa = generateRsaKey();
const serviceAccount = JSON.stringify({ type: 'service_account', client_email: 'notify@demo.iam.gserviceaccount.com', private_key: rsa.privateKeyPem });
const env = { FCM_SERVICE_ACCOUNT: serviceAccount };
const publicKey = await importSPKI(rsa.publicKeyPem, 'RS256');
const issuers = new WeakMap<HttpPeer, TokenIssuer>();
const issuerOf = (peer: HttpPeer) => {
  let issuer = issuers.get(peer);
  if (!issuer) issuers.set(peer, (issuer = new TokenIssuer()));
  return issuer;
};

/** Google's token endpoint plus FCM's v1 send endpoint. */
const fcm: PeerHandler = async (request, peer) => {
  const issuer = issuerOf(peer);
  if (request.url === '/token') {
    const form = new URLSearchParams(request.body);
    try {
      const { payload } = await jwtVerify(form.get('assertion') ?? '', publicKey, { audience: `${peer.url}/token` });
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || payload.scope !== 'https://www.googleapis.com/auth/firebase.messaging') {
        return { status: 400, json: { error: 'invalid_grant' } };
      }
    } catch {
      return { status: 400, json: { error: 'invalid_grant' } };
    }
    return { status: 200, json: { access_token: issuer.issue(), expires_in: 3599, token_type: 'Bearer' } };
  }
  if (request.url !== '/v1/projects/demo/messages:send') return { status: 404, json: { error: { code: 404, status: 'NOT_FOUND' } } };
  if (!issuer.isValid(String(request.headers.authorization).replace(/^Bearer /, ''))) {
    return { status: 401, json: { error: { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' } } };
  }
  peer.count();
  switch (peer.mode) {
    case 'ok':
      return { status: 200, json: { name: `projects/demo/messages/0:${peer.received}` } };
    case 'permanent':
      return {
        status: 404,
        json: { error: { code: 404, status: 'NOT_FOUND', message: 'Requested entity was not found.', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] } },
      };
    case 'retryable':
      return { status: 503, json: { error: { code: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' } } };
    case 'hang':
      return 'hang';
  }
};

const push = (id: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  messageId: id,
  channel: 'PUSH',
  category: 'NOTIFICATION',
  recipient: { userId: 'u1', deviceToken: 'fcm-token-1', pushPlatform: 'FCM' },
  subject: 'Order shipped',
  body: 'Your order 42 has shipped',
  templateParams: { order: '42' },
  tags: {},
  ...extra,
});

const fcmConfig = (peer: { port: number }, name: string) => ({
  type: 'fcm',
  name,
  projectId: 'demo',
  serviceAccount: { env: 'FCM_SERVICE_ACCOUNT' },
  url: `http://127.0.0.1:${peer.port}`,
  tokenUrl: `http://127.0.0.1:${peer.port}/token`,
});

describeProviderConformance({
  title: 'fcm',
  channel: 'PUSH',
  startPeer: () => HttpPeer.start(fcm),
  providerConfig: (peer, name) => fcmConfig(peer, name),
  message: (id) => push(id),
  env,
  permanentIsUnregistered: true,
});

describe('fcm provider', () => {
  let peer: HttpPeer;
  beforeAll(async () => {
    peer = await HttpPeer.start(fcm);
  });
  afterAll(() => peer.close());

  it('exchanges one service-account assertion for a token shared by concurrent sends, and maps the message', async () => {
    const router = await createChannelRouter({ pools: { push: { channel: 'PUSH', providers: [fcmConfig(peer, 'fcm')] } } }, { env });
    const before = issuerOf(peer).issued;
    const results = await router.send([push('f-1', { collapseKey: 'order', expireAt: Date.now() + 60_000, category: 'MARKETING' }), push('f-2'), push('f-3')]);
    await router.close();
    expect(results.every((r) => r.status === 'ACCEPTED')).toBe(true);
    expect(issuerOf(peer).issued - before).toBe(1);
    const sent = peer.requests.filter((r) => r.url.endsWith('messages:send')).map((r) => JSON.parse(r.body) as { message: Record<string, unknown> });
    const first = sent.find((s) => (s.message.data as Record<string, string>).messageId === 'f-1')?.message;
    expect(first).toMatchObject({
      token: 'fcm-token-1',
      notification: { title: 'Order shipped', body: 'Your order 42 has shipped' },
      data: { order: '42', messageId: 'f-1' },
      android: { priority: 'normal', collapse_key: 'order', ttl: expect.stringMatching(/^(59|60)s$/) },
    });
  });

  it('refreshes the access token after a 401 and resends the same message once', async () => {
    const router = await createChannelRouter({ pools: { push: { channel: 'PUSH', providers: [fcmConfig(peer, 'fcm')] } } }, { env });
    await router.send([push('r-1')]);
    issuerOf(peer).revokeAll();
    const before = { issued: issuerOf(peer).issued, received: peer.received };
    const [result] = await router.send([push('r-2')]);
    await router.close();
    expect(result).toMatchObject({ status: 'ACCEPTED' });
    expect(issuerOf(peer).issued - before.issued).toBe(1);
    expect(peer.received - before.received).toBe(1);
  });

  it('fails to start with a message naming the key when the service account is missing', async () => {
    await expect(
      createChannelRouter({ pools: { push: { channel: 'PUSH', providers: [fcmConfig(peer, 'fcm')] } } }, { env: {} }),
    ).rejects.toThrow(/channels\.pools\.push\.providers\[0\]\.serviceAccount: environment variable FCM_SERVICE_ACCOUNT is not set/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { OutboundMessage } from '../../../src/channels/index.js';
import { ApnsPeer } from './support/apns-peer.js';
import { describeProviderConformance } from './support/provider-conformance.js';
import { generateEs256Key, generateTestCertificate } from './support/test-certificate.js';

const cert = generateTestCertificate();
const signingKey = generateEs256Key(cert.dir);

const push = (id: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  messageId: id,
  channel: 'PUSH',
  category: 'NOTIFICATION',
  recipient: { userId: 'u1', deviceToken: 'a1b2c3d4', pushPlatform: 'APNS' },
  subject: 'Order shipped',
  body: 'Your order 42 has shipped',
  templateParams: {},
  tags: {},
  ...extra,
});

const apnsConfig = (port: number, name: string) => ({
  type: 'apns',
  name,
  url: `https://127.0.0.1:${port}`,
  teamId: 'TEAM123456',
  keyId: 'KEY1234567',
  topic: 'com.example.shop',
  signingKey: { file: signingKey.privateKeyPath },
  caFile: cert.certPath,
});

describeProviderConformance({
  title: 'apns',
  channel: 'PUSH',
  startPeer: () => ApnsPeer.start(cert, signingKey.publicKeyPem),
  providerConfig: (peer, name) => apnsConfig(peer.port, name),
  message: (id) => push(id),
  permanentIsUnregistered: true,
});

describe('apns provider', () => {
  let peer: ApnsPeer;
  beforeAll(async () => {
    peer = await ApnsPeer.start(cert, signingKey.publicKeyPem);
  });
  afterAll(() => peer.close());

  it('maps priority, expiration and collapse id to APNs headers over one HTTP/2 session', async () => {
    const router = await createChannelRouter({ pools: { push: { channel: 'PUSH', providers: [apnsConfig(peer.port, 'apns')] } } });
    const expireAt = Date.now() + 3_600_000;
    const results = await router.send([
      push('p-1', { category: 'VERIFICATION', expireAt, collapseKey: 'order-42' }),
      push('p-2', { category: 'MARKETING' }),
    ]);
    await router.close();
    expect(results.map((r) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    expect(results[0]).toMatchObject({ providerMessageId: expect.stringMatching(/^apns-/) });
    const [first, second] = peer.requests.slice(-2);
    expect(first?.deviceToken).toBe('a1b2c3d4');
    expect(first?.headers).toMatchObject({
      'apns-topic': 'com.example.shop',
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(expireAt / 1000)),
      'apns-collapse-id': 'order-42',
    });
    expect(second?.headers['apns-priority']).toBe('5');
    expect(JSON.parse(first?.body ?? '{}')).toMatchObject({ aps: { alert: { title: 'Order shipped', body: 'Your order 42 has shipped' } } });
  });

  it('re-signs the provider token when APNs answers ExpiredProviderToken, without losing the message', async () => {
    const router = await createChannelRouter({ pools: { push: { channel: 'PUSH', providers: [apnsConfig(peer.port, 'apns')] } } });
    await router.send([push('t-1')]);
    peer.expireTokens = 1;
    const before = peer.received;
    const [result] = await router.send([push('t-2')]);
    await router.close();
    expect(result).toMatchObject({ status: 'ACCEPTED' });
    expect(peer.received - before).toBe(1);
  });

  it('skips messages for other push platforms', async () => {
    const router = await createChannelRouter({ pools: { push: { channel: 'PUSH', providers: [apnsConfig(peer.port, 'apns')] } } });
    const [result] = await router.send([push('x-1', { recipient: { userId: 'u1', deviceToken: 't', pushPlatform: 'FCM' } })]);
    await router.close();
    expect(result).toMatchObject({ status: 'PERMANENT_ERROR', reason: 'no provider in pool push supports PUSH/FCM' });
  });
});

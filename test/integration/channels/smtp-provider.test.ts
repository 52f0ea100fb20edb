import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelRouter } from '../../../src/channels/index.js';
import type { OutboundMessage } from '../../../src/channels/index.js';
import { describeProviderConformance } from './support/provider-conformance.js';
import { SmtpPeer } from './support/smtp-peer.js';

const env = { SMTP_PASSWORD: 'smtp-secret' };

const mail = (id: string, to = 'alice@example.com'): OutboundMessage => ({
  messageId: id,
  channel: 'EMAIL',
  category: 'NOTIFICATION',
  recipient: { userId: 'u1', email: to },
  subject: 'Your invoice',
  body: 'Invoice 42 is ready.',
  templateParams: {},
  tags: {},
});

const smtpConfig = (port: number, name: string, extra: Record<string, unknown> = {}) => ({
  type: 'smtp',
  name,
  host: '127.0.0.1',
  port,
  user: 'notify',
  password: { env: 'SMTP_PASSWORD' },
  from: 'Shop <noreply@example.com>',
  maxConnections: 2,
  ...extra,
});

describeProviderConformance({
  title: 'smtp',
  channel: 'EMAIL',
  startPeer: () => SmtpPeer.start(),
  providerConfig: (peer, name) => smtpConfig(peer.port, name),
  message: (id) => mail(id),
  env,
  permanentIsUnregistered: true,
});

describe('smtp provider', () => {
  let peer: SmtpPeer;
  beforeAll(async () => {
    peer = await SmtpPeer.start();
  });
  afterAll(() => peer.close());

  it('delivers over a small pool of reused connections', async () => {
    const router = await createChannelRouter({ pools: { mail: { channel: 'EMAIL', providers: [smtpConfig(peer.port, 'smtp')] } } }, { env });
    const connections = peer.connections;
    const results = await router.send(Array.from({ length: 10 }, (_, i) => mail(`m-${i}`)));
    await router.close();
    expect(results.every((r) => r.status === 'ACCEPTED')).toBe(true);
    expect(peer.connections - connections).toBeLessThanOrEqual(2);
    const stored = peer.mails.find((m) => /^X-Notify-Message-Id: m-3$/im.test(m.raw));
    expect(stored).toMatchObject({ from: 'noreply@example.com', to: ['alice@example.com'] });
    expect(stored?.raw).toContain('Subject: Your invoice');
  });

  it('treats refused credentials as the provider failing (retryable), without echoing the password', async () => {
    const router = await createChannelRouter(
      { pools: { mail: { channel: 'EMAIL', providers: [smtpConfig(peer.port, 'smtp')] } } },
      { env: { SMTP_PASSWORD: 'not-the-password' } },
    );
    const [result] = await router.send([mail('auth-1')]);
    await router.close();
    expect(result).toMatchObject({ status: 'RETRYABLE_ERROR' });
    expect(JSON.stringify(result)).not.toContain('not-the-password');
  });
});

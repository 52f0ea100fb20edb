/**
 * Every channel's local peer for the end-to-end test, speaking the provider's real protocol:
 * SMPP (with delivery receipts), APNs over HTTP/2 + TLS, FCM HTTP v1 and Huawei Push Kit with
 * their OAuth endpoints, WeChat template messages with /cgi-bin/token, SMTP, signed webhooks.
 * The peer classes come from the channels tests' support folder; the HTTP handlers are minimal
 * "ok" versions of the ones in those tests. `channelsConfig()` points one pool per channel (one
 * push pool with APNs, FCM and Huawei, picked by push platform) at them.
 */
import { importSPKI, jwtVerify } from 'jose';
import { verifyWebhookSignature } from '../../../src/channels/index.js';
import { ApnsPeer } from '../channels/support/apns-peer.js';
import { HttpPeer, type PeerHandler } from '../channels/support/http-peer.js';
import { SmppPeer } from '../channels/support/smpp-peer.js';
import { SmtpPeer } from '../channels/support/smtp-peer.js';
import { generateEs256Key, generateRsaKey, generateTestCertificate } from '../channels/support/test-certificate.js';
import { TokenIssuer } from '../channels/support/token-issuer.js';

const WEBHOOK_SECRET = 'whsec-e2e-only';

function bearer(request: { headers: Record<string, unknown> }): string {
  return String(request.headers['authorization'] ?? '').replace(/^Bearer /, '');
}

function fcmHandler(publicKeyPem: string): PeerHandler {
  const issuer = new TokenIssuer();
  const key = importSPKI(publicKeyPem, 'RS256');
  return async (request, peer) => {
    if (request.url === '/token') {
      const form = new URLSearchParams(request.body);
      try {
        await jwtVerify(form.get('assertion') ?? '', await key, { audience: `${peer.url}/token` });
      } catch {
        return { status: 400, json: { error: 'invalid_grant' } };
      }
      return { status: 200, json: { access_token: issuer.issue(), expires_in: 3599, token_type: 'Bearer' } };
    }
    if (request.url !== '/v1/projects/demo/messages:send') return { status: 404, json: { error: { code: 404, status: 'NOT_FOUND' } } };
    if (!issuer.isValid(bearer(request))) return { status: 401, json: { error: { code: 401, status: 'UNAUTHENTICATED' } } };
    peer.count();
    return { status: 200, json: { name: `projects/demo/messages/0:${peer.received}` } };
  };
}

function huaweiHandler(): PeerHandler {
  const issuer = new TokenIssuer();
  return (request, peer) => {
    if (request.url === '/oauth2/v3/token') {
      const form = new URLSearchParams(request.body);
      if (form.get('client_id') !== '10086' || form.get('client_secret') !== 'hms-secret') return { status: 400, json: { error: 1101 } };
      return { status: 200, json: { access_token: issuer.issue(), expires_in: 3600, token_type: 'Bearer' } };
    }
    if (request.url !== '/v1/10086/messages:send') return { status: 404, json: { code: '80100001', msg: 'unknown url' } };
    if (!issuer.isValid(bearer(request))) return { status: 401, json: { code: '80200003', msg: 'OAuth token expired' } };
    peer.count();
    return { status: 200, json: { code: '80000000', msg: 'Success', requestId: `req-${peer.received}` } };
  };
}

function wechatHandler(): PeerHandler {
  const issuer = new TokenIssuer();
  return (request, peer) => {
    const url = new URL(request.url, 'http://x');
    if (url.pathname === '/cgi-bin/token') {
      if (url.searchParams.get('appid') !== 'wx123' || url.searchParams.get('secret') !== 'wx-secret') return { status: 200, json: { errcode: 40125, errmsg: 'invalid appsecret' } };
      return { status: 200, json: { access_token: issuer.issue(), expires_in: 7200 } };
    }
    if (url.pathname !== '/cgi-bin/message/template/send') return { status: 404, text: 'not found' };
    if (!issuer.isValid(url.searchParams.get('access_token') ?? '')) return { status: 200, json: { errcode: 42001, errmsg: 'access_token expired' } };
    peer.count();
    return { status: 200, json: { errcode: 0, errmsg: 'ok', msgid: 200228332 + peer.received } };
  };
}

const webhookHandler: PeerHandler = (request, peer) => {
  const signature = String(request.headers['x-notify-signature'] ?? '');
  const timestamp = Number(request.headers['x-notify-timestamp']);
  if (!verifyWebhookSignature(WEBHOOK_SECRET, signature, timestamp, request.body)) return { status: 401, text: 'bad signature' };
  peer.count();
  return { status: 204, headers: { 'x-request-id': `req-${peer.received}` } };
};

/** The text of an SMPP submit's short_message, whatever shape the smpp package decoded it into. */
function smppText(pdu: unknown): string {
  const sm = (pdu as { short_message?: unknown }).short_message;
  if (typeof sm === 'string') return sm;
  if (Buffer.isBuffer(sm)) return sm.toString('latin1');
  const message = (sm as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message.toString('latin1');
  return JSON.stringify(sm ?? '');
}

/** All the peers, and what each received (as text to search for message ids). */
export class ChannelPeers {
  private constructor(
    readonly smpp: SmppPeer,
    readonly apns: ApnsPeer,
    readonly fcm: HttpPeer,
    readonly huawei: HttpPeer,
    readonly wechat: HttpPeer,
    readonly smtp: SmtpPeer,
    readonly webhook: HttpPeer,
    private readonly secrets: { apnsKeyPath: string; caFile: string; fcmServiceAccount: string },
  ) {}

  static async start(): Promise<ChannelPeers> {
    const cert = generateTestCertificate();
    const es256 = generateEs256Key(cert.dir);
    const rsa = generateRsaKey();
    const [smpp, apns, fcm, huawei, wechat, smtp, webhook] = await Promise.all([
      SmppPeer.start(),
      ApnsPeer.start(cert, es256.publicKeyPem),
      HttpPeer.start(fcmHandler(rsa.publicKeyPem)),
      HttpPeer.start(huaweiHandler()),
      HttpPeer.start(wechatHandler()),
      SmtpPeer.start(),
      HttpPeer.start(webhookHandler),
    ]);
    const fcmServiceAccount = JSON.stringify({ type: 'service_account', client_email: 'notify@demo.iam.gserviceaccount.com', private_key: rsa.privateKeyPem });
    return new ChannelPeers(smpp, apns, fcm, huawei, wechat, smtp, webhook, { apnsKeyPath: es256.privateKeyPath, caFile: cert.certPath, fcmServiceAccount });
  }

  /** Environment for the `{ env: NAME }` secrets of {@link channelsConfig}. */
  env(): Record<string, string> {
    return { SMPP_PASSWORD: 'secret', FCM_SERVICE_ACCOUNT: this.secrets.fcmServiceAccount, HUAWEI_CLIENT_SECRET: 'hms-secret', WECHAT_APP_SECRET: 'wx-secret', SMTP_PASSWORD: 'smtp-secret', WEBHOOK_SECRET };
  }

  /** The `channels` section: one pool per channel, each provider pointed at its peer. */
  channelsConfig(): unknown {
    const local = '127.0.0.1';
    return {
      pools: {
        sms: { channel: 'SMS', providers: [{ type: 'smpp', name: 'smsc', host: local, port: this.smpp.port, systemId: 'notify', password: { env: 'SMPP_PASSWORD' }, sourceAddr: 'NOTIFY', reconnectMs: 100, bindTimeoutMs: 2_000 }] },
        push: {
          channel: 'PUSH',
          providers: [
            { type: 'apns', name: 'apns', url: `https://${local}:${this.apns.port}`, teamId: 'TEAM123456', keyId: 'KEY1234567', topic: 'com.example.shop', signingKey: { file: this.secrets.apnsKeyPath }, caFile: this.secrets.caFile },
            { type: 'fcm', name: 'fcm', projectId: 'demo', serviceAccount: { env: 'FCM_SERVICE_ACCOUNT' }, url: `http://${local}:${this.fcm.port}`, tokenUrl: `http://${local}:${this.fcm.port}/token` },
            { type: 'huawei', name: 'huawei', appId: '10086', clientSecret: { env: 'HUAWEI_CLIENT_SECRET' }, url: `http://${local}:${this.huawei.port}`, tokenUrl: `http://${local}:${this.huawei.port}/oauth2/v3/token` },
          ],
        },
        wechat: { channel: 'WECHAT', providers: [{ type: 'wechat', name: 'wechat', appId: 'wx123', appSecret: { env: 'WECHAT_APP_SECRET' }, url: `http://${local}:${this.wechat.port}` }] },
        email: { channel: 'EMAIL', providers: [{ type: 'smtp', name: 'smtp', host: local, port: this.smtp.port, user: 'notify', password: { env: 'SMTP_PASSWORD' }, from: 'Shop <noreply@example.com>' }] },
        webhook: { channel: 'WEBHOOK', providers: [{ type: 'webhook', name: 'webhook', secret: { env: 'WEBHOOK_SECRET' } }] },
      },
      routes: [],
    };
  }

  /** Per provider name, the text of everything it received as a send. */
  received(): Record<string, string[]> {
    const sendsOf = (peer: HttpPeer, path: string): string[] => peer.requests.filter((r) => r.url.startsWith(path)).map((r) => r.body);
    return {
      smsc: this.smpp.submits.map(smppText),
      apns: this.apns.requests.map((r) => r.body),
      fcm: sendsOf(this.fcm, '/v1/'),
      huawei: sendsOf(this.huawei, '/v1/'),
      wechat: sendsOf(this.wechat, '/cgi-bin/message/template/send'),
      smtp: this.smtp.mails.map((m) => m.raw),
      webhook: this.webhook.requests.map((r) => r.body),
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.smpp, this.apns, this.fcm, this.huawei, this.wechat, this.smtp, this.webhook].map((p) => p.close()));
  }
}

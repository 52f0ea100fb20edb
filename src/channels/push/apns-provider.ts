/**
 * APNs over HTTP/2 (node's http2 client; one multiplexed session per provider, re-opened after
 * GOAWAY or loss). Token auth per {@link ApnsTokenSigner}; apns-priority, apns-expiration and
 * apns-collapse-id come from the message. 410 and BadDeviceToken/DeviceTokenNotForTopic mean
 * the token is gone (permanent, unregistered); ExpiredProviderToken re-signs and retries once;
 * 429 and 5xx are retryable; other 4xx are permanent.
 */
import { connect, constants } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { accepted, describeError, permanent, retryable } from '../channel-error.js';
import type { ApnsProviderConfig } from '../provider-config.js';
import type { Channel, ChannelProvider, OutboundMessage, SendResult } from '../types.js';
import type { ApnsTokenSigner } from './apns-token.js';
import { isUrgent, platformMatches } from './push-priority.js';

const UNREGISTERED_REASONS = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic', 'Unregistered']);
const TOKEN_REASONS = new Set(['ExpiredProviderToken', 'InvalidProviderToken']);

interface ApnsAnswer {
  status: number;
  apnsId?: string;
  reason?: string;
}

/** Apple Push Notification service provider. */
export class ApnsProvider implements ChannelProvider {
  readonly name: string;
  readonly channel: Channel;
  readonly #config: ApnsProviderConfig;
  readonly #signer: ApnsTokenSigner;
  readonly #ca: string | undefined;
  #session: ClientHttp2Session | undefined;
  #closed = false;

  constructor(config: ApnsProviderConfig, channel: Channel, signer: ApnsTokenSigner, ca?: string) {
    this.name = config.name;
    this.channel = channel;
    this.#config = config;
    this.#signer = signer;
    this.#ca = ca;
  }

  supports(message: OutboundMessage): boolean {
    return platformMatches(this.#config.platforms, message);
  }

  async prepare(): Promise<void> {
    await this.#signer.get();
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const deviceToken = message.recipient.deviceToken;
    if (!deviceToken) return permanent(message.messageId, this.name, 'missing recipient.deviceToken');
    try {
      let token = await this.#signer.get();
      let answer = await this.#post(message, deviceToken, token, signal);
      if (answer.status === 403 && answer.reason !== undefined && TOKEN_REASONS.has(answer.reason)) {
        // The token aged out (clock skew, long idle): re-sign once and resend the same message.
        this.#signer.invalidate(token);
        token = await this.#signer.get();
        answer = await this.#post(message, deviceToken, token, signal);
      }
      return this.#classify(message, answer);
    } catch (error) {
      return retryable(message.messageId, this.name, `APNs request failed: ${describeError(error)}`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    if (session && !session.closed) await new Promise<void>((resolve) => session.close(() => resolve()));
  }

  #classify(message: OutboundMessage, answer: ApnsAnswer): SendResult {
    const { status, reason } = answer;
    if (status === 200) return accepted(message.messageId, this.name, 1, answer.apnsId);
    const text = `APNs ${status}${reason ? ` ${reason}` : ''}`;
    if (status === 410 || (reason !== undefined && UNREGISTERED_REASONS.has(reason))) {
      return permanent(message.messageId, this.name, text, true);
    }
    if (status === 429 || status >= 500 || (reason !== undefined && TOKEN_REASONS.has(reason))) {
      return retryable(message.messageId, this.name, text);
    }
    return permanent(message.messageId, this.name, text);
  }

  #sessionFor(): ClientHttp2Session {
    if (this.#closed) throw new Error('APNs provider closed');
    const current = this.#session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = connect(this.#config.url, this.#ca === undefined ? {} : { ca: this.#ca });
    const drop = () => {
      if (this.#session === session) this.#session = undefined;
    };
    // Errors surface on the streams that were using the session; here only forget it.
    session.on('error', drop);
    session.on('goaway', drop);
    session.on('close', drop);
    this.#session = session;
    return session;
  }

  #post(message: OutboundMessage, deviceToken: string, token: string, signal: AbortSignal): Promise<ApnsAnswer> {
    const headers: Record<string, string> = {
      ':method': 'POST',
      ':path': `/3/device/${encodeURIComponent(deviceToken)}`,
      authorization: `bearer ${token}`,
      'apns-topic': this.#config.topic,
      'apns-push-type': this.#config.pushType,
      'apns-priority': this.#config.pushType === 'background' ? '5' : isUrgent(message) ? '10' : '5',
      'content-type': 'application/json',
    };
    if (message.expireAt !== undefined) headers['apns-expiration'] = String(Math.floor(message.expireAt / 1000));
    if (message.collapseKey !== undefined) headers['apns-collapse-id'] = message.collapseKey.slice(0, 64);
    const aps =
      this.#config.pushType === 'background'
        ? { 'content-available': 1 }
        : { alert: message.subject === undefined ? message.body : { title: message.subject, body: message.body } };
    const payload = JSON.stringify({ aps, messageId: message.messageId });
    return new Promise<ApnsAnswer>((resolve, reject) => {
      const request = this.#sessionFor().request(headers, { signal });
      let status = 0;
      let apnsId: string | undefined;
      const chunks: Buffer[] = [];
      request.on('response', (response) => {
        status = Number(response[':status'] ?? 0);
        const id = response['apns-id'];
        apnsId = typeof id === 'string' ? id : undefined;
      });
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let reason: string | undefined;
        if (chunks.length > 0) {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reason?: unknown };
            reason = typeof body.reason === 'string' ? body.reason : undefined;
          } catch {
            reason = undefined;
          }
        }
        resolve({ status, apnsId, reason });
      });
      request.on('error', reject);
      request.on('close', () => {
        if (status === 0 && request.rstCode !== constants.NGHTTP2_NO_ERROR) reject(new Error(`stream reset (${request.rstCode})`));
      });
      request.end(payload);
    });
  }
}
